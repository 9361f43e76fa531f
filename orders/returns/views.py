"""Returns screens: the RMA from the order page, its page and label, receiving by scan at the warehouse.

Each view checks its permission, binds a form, calls one service or selector and renders.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from catalog.models import Sku
from inventory.models import Warehouse
from orders.models import Order
from orders.returns import selectors, services
from orders.returns.forms import ReceiveForm, ReturnFindForm, RmaForm
from orders.returns.models import ReturnReceipt, Rma

RECEIVE_PERMISSION = "orders.receive_return"


def shows_money(user) -> bool:
    """Warehouse staff see no payment data: amounts are for those who authorize returns or keep the books."""
    return user.has_perm("orders.add_rma") or user.has_perm("orders.view_vendorcredit")


def _errors(error) -> str:
    return " ".join(dict.fromkeys(getattr(error, "messages", []) or [str(error)]))


def rma_requests(form: RmaForm) -> list[services.RmaLineRequest]:
    """The lines the bound, valid ``form`` asks for; an unknown replacement SKU is a form error."""
    requests = []
    for item in form.returnable:
        quantity = form.cleaned_data.get(f"quantity_{item.line.pk}") or 0
        if not quantity:
            continue
        replacement = (form.cleaned_data.get(f"replacement_{item.line.pk}") or "").strip()
        replacement_id = None
        if form.cleaned_data.get("outcome") == Rma.Outcome.EXCHANGE:
            replacement_id = (Sku.objects.filter(code__iexact=replacement).values_list("pk", flat=True).first()
                              if replacement else item.line.sku_id)
            if replacement_id is None:
                form.add_error(f"replacement_{item.line.pk}", _("No SKU has that code."))
        requests.append(services.RmaLineRequest(order_line_id=item.line.pk, quantity=quantity,
                                                reason=form.cleaned_data[f"reason_{item.line.pk}"],
                                                replacement_sku_id=replacement_id))
    return requests


def rma_submit(request: HttpRequest, form: RmaForm, *, order: Order, user, source: str,
               warehouse: Warehouse | None = None) -> Rma | None:
    """Create the RMA the valid ``form`` asks for and buy its label; ``None`` with the form's errors."""
    lines = rma_requests(form)
    if form.errors:
        return None
    try:
        rma = services.rma_create(order=order, lines=lines, user=user, source=source,
                                  warehouse=warehouse or form.cleaned_data.get("warehouse"),
                                  outcome=form.cleaned_data["outcome"], note=form.cleaned_data.get("note", ""),
                                  override_reason=form.cleaned_data.get("override_reason", ""))
    except services.ReturnError as error:
        form.add_error(None, _errors(error))
        return None
    return services.rma_label_buy(rma=rma, user=user)  # after the RMA's commit: a carrier call


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.add_rma", raise_exception=True)
def rma_new(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    returnable = [item for item in services.returnable_lines(order) if item.returnable]
    store = request.GET.get("store") or request.POST.get("store")
    warehouses = Warehouse.objects.filter(is_active=True, kind=Warehouse.Kind.STORE) if store else None
    form = RmaForm(request.POST or None, returnable=returnable, warehouses=warehouses)
    if request.method == "POST" and form.is_valid():
        source = Rma.Source.STORE if store else Rma.Source.AGENT
        rma = rma_submit(request, form, order=order, user=request.user, source=source)
        if rma is not None:
            messages.success(request, _("RMA %(number)s created.") % {"number": rma.number})
            if rma.label_message:
                messages.warning(request, _("No return label: %(why)s") % {"why": rma.label_message})
            return redirect(rma)
    return render(request, "returns/rma_new.html", {
        "order": order, "form": form, "store": bool(store), "window_ends": services.return_window_ends(order),
        "can_override": request.user.has_perm("orders.override_return")}, status=422 if form.errors else 200)


@require_GET
@login_required
@permission_required("orders.view_rma", raise_exception=True)
def rma_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rma = get_object_or_404(Rma.objects.select_related("order", "warehouse", "label", "exchange_order",
                                                       "created_by", "override_by"), pk=pk)
    lines = selectors.rma_lines(rma)
    receipts = list(ReturnReceipt.objects.filter(rma_line__rma=rma)
                    .select_related("rma_line__order_line", "received_by").order_by("pk"))
    return render(request, "returns/rma_detail.html", {
        "rma": rma, "lines": lines, "receipts": receipts, "shows_money": shows_money(request.user),
        "can_receive": request.user.has_perm(RECEIVE_PERMISSION) and rma.status in services.OPEN_RMA_STATUSES,
        "can_cancel": request.user.has_perm("orders.add_rma") and rma.status in services.OPEN_RMA_STATUSES})


@require_GET
@login_required
@permission_required("orders.view_rma", raise_exception=True)
def rma_label(request: HttpRequest, pk: int) -> HttpResponse:
    rma = get_object_or_404(Rma.objects.select_related("label"), pk=pk)
    if rma.label is None:
        raise Http404(_("This RMA has no label."))
    content_type = "application/pdf" if rma.label.label_format == "pdf" else "text/plain"
    response = HttpResponse(bytes(rma.label.content), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="return-label-{rma.number}.{rma.label.label_format}"'
    return response


# --- receiving by scan ----------------------------------------------------------------------------


@require_GET
@login_required
@permission_required(RECEIVE_PERMISSION, raise_exception=True)
def receive_station(request: HttpRequest) -> HttpResponse:
    """Scan a parcel's RMA, order or tracking number to open it for receiving."""
    form = ReturnFindForm(request.GET or None)
    if form.is_bound and form.is_valid():
        rma = selectors.rma_find(form.cleaned_data["code"])
        if rma is not None:
            return redirect("returns:rma_receive", pk=rma.pk)
        form.add_error("code", _("No open RMA has that number."))
    return render(request, "returns/receive_station.html", {"form": form}, status=422 if form.errors else 200)


def _receive_context(rma: Rma, **extra) -> dict:
    lines = selectors.rma_lines(rma)
    form = extra.pop("form", None) or ReceiveForm(initial={"token": uuid.uuid4(), "disposition": "restock"})
    return {"rma": rma, "lines": lines, "form": form, "open": rma.status in services.OPEN_RMA_STATUSES, **extra}


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(RECEIVE_PERMISSION, raise_exception=True)
def rma_receive(request: HttpRequest, pk: int) -> HttpResponse:
    """One scan, one unit: the scanned item is received with the chosen disposition and inspection note."""
    rma = get_object_or_404(Rma.objects.select_related("order", "warehouse"), pk=pk)
    template = "returns/rma_receive.html#receive-panel" if request.htmx else "returns/rma_receive.html"
    if request.method == "GET":
        return render(request, "returns/rma_receive.html", _receive_context(rma))
    form = ReceiveForm(request.POST)
    result = accepted = None
    if form.is_valid():
        line = selectors.rma_line_for_code(rma, form.cleaned_data["code"])
        if line is None:
            message = _("%(code)s is not on this RMA, or every unit of it is in.") % {
                "code": form.cleaned_data["code"]}
        else:
            try:
                outcome = services.return_receive(
                    rma_line=line, token=form.cleaned_data["token"], disposition=form.cleaned_data["disposition"],
                    condition=form.cleaned_data["condition"], user=request.user)
            except services.ReturnError as error:
                message = _errors(error)
            else:
                accepted, message = outcome.received_now, outcome.message
        result = {"accepted": bool(accepted), "message": message}
    rma.refresh_from_db()
    fresh = ReceiveForm(initial={"token": uuid.uuid4(), "disposition": form.data.get("disposition", "restock")})
    response = render(request, template, _receive_context(rma, form=fresh if result else form, result=result),
                      status=200 if accepted or request.htmx else 422)
    if not accepted:
        trigger_client_event(response, "pick-refused", {"message": result["message"] if result else ""})
    return response


@require_POST
@login_required
@permission_required("orders.add_rma", raise_exception=True)
def rma_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    rma = get_object_or_404(Rma, pk=pk)
    try:
        services.rma_cancel(rma=rma, user=request.user, reason=request.POST.get("reason", "").strip()[:200])
    except services.ReturnError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, _("RMA %(number)s cancelled.") % {"number": rma.number})
    return redirect(rma)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.add_warrantyclaim", raise_exception=True)
def warranty_claim_new(request: HttpRequest, pk: int) -> HttpResponse:
    from orders.returns.forms import WarrantyClaimForm

    order = get_object_or_404(Order, pk=pk)
    lines = [line for line in order.lines.order_by("line_number") if line.quantity_shipped]
    form = WarrantyClaimForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        try:
            services.warranty_claim_create(order_line=form.cleaned_data["line"], quantity=form.cleaned_data["quantity"],
                                           description=form.cleaned_data["description"], user=request.user)
        except services.ReturnError as error:
            form.add_error(None, _errors(error))
        else:
            messages.success(request, _("Warranty claim recorded, with the vendor's chargeback."))
            return redirect(order)
    return render(request, "returns/warranty_claim_new.html", {"order": order, "form": form},
                  status=422 if form.errors else 200)
