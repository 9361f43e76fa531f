"""Stock and purchasing screens. Each binds a form, calls one service and renders.

Rules are the services' to check: an InventoryError (or a constraint the database refuses)
becomes a message on the form, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.forms import sku_by_code
from catalog.selectors import sku_search
from inventory import selectors, services
from inventory.errors import InventoryError
from inventory.forms import (
    PurchaseOrderFilterForm,
    PurchaseOrderForm,
    PurchaseOrderLineFormSet,
    PurchaseOrderReceiveForm,
    StockAdjustForm,
    StockCountForm,
    StockTransferForm,
)
from inventory.models import PurchaseOrder

PO_PAGE_SIZE = 25


def _wants_fragment(request: HttpRequest) -> bool:
    """An htmx swap asks for a fragment; a boosted link or a history restore needs the page."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def _refused(form, error: Exception) -> None:
    """Puts a refused operation's message on the form."""
    if isinstance(error, IntegrityError):
        form.add_error(None, services.integrity_error_message(error))
    else:
        form.add_error(None, str(error))


# --- stock adjustment, transfer and count ------------------------------------------------------


@dataclass(frozen=True)
class StockScreen:
    url_name: str
    title: str | Promise
    intro: str | Promise
    submit: str | Promise


ADJUST = StockScreen("inventory:adjust", gettext_lazy("Stock adjustment"),
                     gettext_lazy("Add or remove units of a SKU at one warehouse, with the reason."),
                     gettext_lazy("Post adjustment"))
TRANSFER = StockScreen("inventory:transfer", gettext_lazy("Stock transfer"),
                       gettext_lazy("Move free units of a SKU from one warehouse to another."),
                       gettext_lazy("Transfer"))
COUNT = StockScreen("inventory:count", gettext_lazy("Stock count"),
                    gettext_lazy("Enter what is on the shelf; the difference to on hand is booked as a count."),
                    gettext_lazy("Post count"))


def _sku_stock_context(sku) -> dict:
    if sku is None:
        return {"sku": None}
    table = selectors.stock_table([sku])
    return {"sku": sku, "rows": table.rows(sku), "total": table.totals.get(sku.pk, 0)}


def _stock_form_page(request: HttpRequest, form, screen: StockScreen, *, sku=None) -> HttpResponse:
    """The form (whole page, or its ``form`` partial for htmx) beside the stock of ``sku``."""
    if sku is None and form.is_bound and not form.errors.get("sku"):
        sku = form.cleaned_data.get("sku")
    template = "inventory/stock_form.html#form" if _wants_fragment(request) else "inventory/stock_form.html"
    return render(request, template, {"form": form, "screen": screen, **_sku_stock_context(sku)})


def _stock_form_done(request: HttpRequest, form_class, screen: StockScreen, keep: dict, sku) -> HttpResponse:
    """After a posting: a fresh form keeping the warehouse(s), so the next one is quick to enter."""
    if request.htmx:
        return _stock_form_page(request, form_class(initial=keep), screen, sku=sku)
    return redirect(f"{reverse(screen.url_name)}?{urlencode(keep)}")


def _initial(request: HttpRequest, *names: str) -> dict:
    return {name: request.GET[name] for name in names if request.GET.get(name, "").isdigit()}


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("inventory.adjust_stock", raise_exception=True)
def adjust(request: HttpRequest) -> HttpResponse:
    form = StockAdjustForm(request.POST or None, initial=_initial(request, "warehouse"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            movement = services.stock_adjust(sku=data["sku"], warehouse=data["warehouse"], quantity=data["quantity"],
                                             reason=data["reason"], user=request.user)
        except (InventoryError, IntegrityError) as error:
            _refused(form, error)
        else:
            messages.success(request, _("Adjusted %(code)s at %(warehouse)s by %(quantity)+d.")
                             % {"code": data["sku"].code, "warehouse": data["warehouse"].code,
                                "quantity": movement.quantity})
            return _stock_form_done(request, StockAdjustForm, ADJUST, {"warehouse": data["warehouse"].pk},
                                    data["sku"])
    return _stock_form_page(request, form, ADJUST)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("inventory.transfer_stock", raise_exception=True)
def transfer(request: HttpRequest) -> HttpResponse:
    form = StockTransferForm(request.POST or None, initial=_initial(request, "source", "destination"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.stock_transfer(sku=data["sku"], source=data["source"], destination=data["destination"],
                                    quantity=data["quantity"], reason=data["reason"], user=request.user)
        except (InventoryError, IntegrityError) as error:
            _refused(form, error)
        else:
            messages.success(request, _("Moved %(quantity)d × %(code)s from %(source)s to %(destination)s.")
                             % {"quantity": data["quantity"], "code": data["sku"].code,
                                "source": data["source"].code, "destination": data["destination"].code})
            return _stock_form_done(request, StockTransferForm, TRANSFER,
                                    {"source": data["source"].pk, "destination": data["destination"].pk}, data["sku"])
    return _stock_form_page(request, form, TRANSFER)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("inventory.count_stock", raise_exception=True)
def count(request: HttpRequest) -> HttpResponse:
    form = StockCountForm(request.POST or None, initial=_initial(request, "warehouse"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            movement = services.stock_count(sku=data["sku"], warehouse=data["warehouse"], counted=data["counted"],
                                            reason=data["reason"], user=request.user)
        except (InventoryError, IntegrityError) as error:
            _refused(form, error)
        else:
            values = {"code": data["sku"].code, "warehouse": data["warehouse"].code, "counted": data["counted"]}
            if movement is None:
                messages.info(request, _("%(code)s at %(warehouse)s: %(counted)d counted, as on hand; nothing to book.")
                              % values)
            else:
                messages.success(request, _("%(code)s at %(warehouse)s: %(counted)d counted, %(difference)+d booked.")
                                 % {**values, "difference": movement.quantity})
            return _stock_form_done(request, StockCountForm, COUNT, {"warehouse": data["warehouse"].pk}, data["sku"])
    return _stock_form_page(request, form, COUNT)


@require_GET
@login_required
@permission_required("inventory.view_stocklevel", raise_exception=True)
def sku_stock(request: HttpRequest) -> HttpResponse:
    """For the SKU field of the stock forms: matching codes for its list, and the stock of an exact match."""
    code = (request.GET.get("sku") or "").strip()[:100]
    sku = sku_by_code(code) if code else None
    context = {"lookup": True, "options": list(sku_search(query=code, limit=15)) if code else [],
               **_sku_stock_context(sku)}
    return render(request, "inventory/stock_form.html#sku_stock", context)


# --- warehouses -------------------------------------------------------------------------------


@require_GET
@login_required
@permission_required("inventory.view_warehouse", raise_exception=True)
def warehouse_list(request: HttpRequest) -> HttpResponse:
    return render(request, "inventory/warehouse_list.html", {
        "warehouses": list(selectors.warehouse_summaries()),
        "can_manage": request.user.has_perm("inventory.change_warehouse"),
    })


# --- purchase orders ----------------------------------------------------------------------------


@require_GET
@login_required
@permission_required("inventory.view_purchaseorder", raise_exception=True)
def po_list(request: HttpRequest) -> HttpResponse:
    form = PurchaseOrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    orders = selectors.purchase_order_list(status=filters.get("status") or "", vendor=filters.get("vendor"))
    page = Paginator(orders, PO_PAGE_SIZE).get_page(request.GET.get("page"))
    query = {key: value for key, value in request.GET.items() if key in ("status", "vendor") and value}
    template = "inventory/po_list.html#results" if _wants_fragment(request) else "inventory/po_list.html"
    return render(request, template, {
        "form": form, "page": page, "query": urlencode(query),
        "can_create": request.user.has_perm("inventory.add_purchaseorder"),
    })


@require_GET
@login_required
@permission_required("inventory.view_purchaseorder", raise_exception=True)
def po_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder.objects.select_related("vendor", "warehouse", "created_by"), pk=pk)
    next_statuses = PurchaseOrder.TRANSITIONS[order.status]
    can_change = request.user.has_perm("inventory.change_purchaseorder")
    return render(request, "inventory/po_detail.html", {
        "order": order,
        "lines": selectors.purchase_order_lines(order),
        "receipts": selectors.purchase_order_receipts(order),
        "can_send": can_change and PurchaseOrder.Status.SENT in next_statuses,
        "can_close": can_change and PurchaseOrder.Status.CLOSED in next_statuses,
        "can_cancel": can_change and PurchaseOrder.Status.CANCELLED in next_statuses,
        "can_receive": (request.user.has_perm("inventory.receive_purchaseorder")
                        and order.status in PurchaseOrder.RECEIVABLE_STATUSES),
        "shop_time_zone": settings.SHOP_TIME_ZONE,
    })


def _po_action(request: HttpRequest, pk: int, service, done_message: str) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder, pk=pk)
    try:
        service(purchase_order=order, user=request.user)
    except InventoryError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done_message % {"number": order.number})
    return redirect(order)


@require_POST
@login_required
@permission_required("inventory.change_purchaseorder", raise_exception=True)
def po_send(request: HttpRequest, pk: int) -> HttpResponse:
    return _po_action(request, pk, services.purchase_order_send, _("Purchase order %(number)s was sent."))


@require_POST
@login_required
@permission_required("inventory.change_purchaseorder", raise_exception=True)
def po_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _po_action(request, pk, services.purchase_order_close, _("Purchase order %(number)s was closed."))


@require_POST
@login_required
@permission_required("inventory.change_purchaseorder", raise_exception=True)
def po_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _po_action(request, pk, services.purchase_order_cancel, _("Purchase order %(number)s was cancelled."))


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("inventory.add_purchaseorder", raise_exception=True)
def po_create(request: HttpRequest) -> HttpResponse:
    form = PurchaseOrderForm(request.POST or None)
    formset = PurchaseOrderLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        lines = formset.lines(vendor=data["vendor"])
        if lines is not None:
            try:
                order = services.purchase_order_create(
                    vendor=data["vendor"], warehouse=data["warehouse"], lines=lines, user=request.user,
                    expected_on=data["expected_on"], notes=data["notes"])
            except (InventoryError, IntegrityError) as error:
                _refused(form, error)
            else:
                messages.success(request, _("Purchase order %(number)s was created as a draft.")
                                 % {"number": order.number})
                return redirect(order)
    return render(request, "inventory/po_create.html", {"form": form, "formset": formset})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("inventory.receive_purchaseorder", raise_exception=True)
def po_receive(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(PurchaseOrder.objects.select_related("vendor", "warehouse"), pk=pk)
    can_over_receive = request.user.has_perm("inventory.over_receive")
    open_lines = [line for line in selectors.purchase_order_lines(order) if line.quantity_open > 0]
    form = PurchaseOrderReceiveForm(request.POST or None, lines=open_lines, can_over_receive=can_over_receive)
    if request.method == "POST" and form.is_valid():
        allow_over_receipt = can_over_receive and form.cleaned_data.get("allow_over_receipt", False)
        try:
            movements = services.purchase_order_receive(purchase_order=order, quantities=form.quantities(),
                                                        user=request.user, allow_over_receipt=allow_over_receipt)
        except (InventoryError, IntegrityError) as error:
            _refused(form, error)
        else:
            messages.success(request, _("Received %(units)d units on purchase order %(number)s.")
                             % {"units": sum(movement.quantity for movement in movements), "number": order.number})
            return redirect(order)
    return render(request, "inventory/po_receive.html", {
        "order": order,
        "form": form,
        "is_receivable": order.status in PurchaseOrder.RECEIVABLE_STATUSES,
    })
