"""Pick screens: waves (create, list, detail, pick list PDF, cancel), the scan screen, short picks,
the agent's answer to a short pick (from the order page) and a SKU's bins (from the SKU page).

Each view checks its permission, binds a form, calls one service or selector and renders.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from catalog.models import Sku
from orders.fulfillment import documents, forms, selectors, services
from orders.fulfillment.models import PickWave, ShipmentLine
from orders.models import OrderEvent


def _error_text(error: services.OrderError) -> str:
    return " ".join(dict.fromkeys(error.messages)) or str(error)


@require_GET
@login_required
@permission_required("orders.pick_wave", raise_exception=True)
def wave_list(request: HttpRequest) -> HttpResponse:
    return render(request, "fulfillment/wave_list.html", {
        "waves": selectors.open_waves()[:100], "form": forms.WaveCreateForm(),
        "can_create": request.user.has_perm("orders.manage_wave")})


@require_POST
@login_required
@permission_required("orders.manage_wave", raise_exception=True)
def wave_create(request: HttpRequest) -> HttpResponse:
    form = forms.WaveCreateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        filters = services.WaveFilters(
            carrier=data["carrier"].strip(), promised_by=data["promised_by"],
            shipping_method_id=data["shipping_method"].pk if data["shipping_method"] else None,
            single_line_first=data["single_line_first"])
        try:
            wave = services.wave_create(warehouse=data["warehouse"], user=request.user, limit=data["limit"],
                                        filters=filters)
        except services.FulfillmentError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Wave %(number)s created.") % {"number": wave.number})
            return redirect(wave.get_absolute_url())
    return render(request, "fulfillment/wave_list.html", {
        "waves": selectors.open_waves()[:100], "form": form, "can_create": True}, status=422)


@require_GET
@login_required
@permission_required("orders.pick_wave", raise_exception=True)
def wave_detail(request: HttpRequest, pk: int) -> HttpResponse:
    wave = get_object_or_404(PickWave.objects.select_related("warehouse", "created_by"), pk=pk)
    return render(request, "fulfillment/wave_detail.html", {
        "wave": wave, "lines": list(selectors.pick_lines(wave)), "no_bin": selectors.NO_BIN,
        "can_manage": request.user.has_perm("orders.manage_wave")})


@require_GET
@login_required
@permission_required("orders.pick_wave", raise_exception=True)
def wave_pick_list(request: HttpRequest, pk: int) -> HttpResponse:
    wave = get_object_or_404(PickWave.objects.select_related("warehouse"), pk=pk)
    response = HttpResponse(documents.pick_list_pdf(wave), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="pick-list-{wave.number}.pdf"'
    return response


@require_POST
@login_required
@permission_required("orders.manage_wave", raise_exception=True)
def wave_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    wave = get_object_or_404(PickWave, pk=pk)
    try:
        services.wave_cancel(wave=wave, user=request.user)
    except services.FulfillmentError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Wave %(number)s cancelled.") % {"number": wave.number})
    return redirect(wave.get_absolute_url())


def _scan_context(wave: PickWave, *, result=None, form=None) -> dict:
    pick = selectors.next_pick(wave)
    lines = list(selectors.pick_lines(wave))
    return {"wave": wave, "pick": pick, "result": result, "lines": lines, "no_bin": selectors.NO_BIN,
            "done": sum(1 for line in lines if line.picked_quantity >= line.quantity),
            "form": form or forms.ScanForm(initial={"line": pick.pk if pick else 0}),
            "short_form": forms.ShortPickForm()}


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.pick_wave", raise_exception=True)
def wave_scan(request: HttpRequest, pk: int) -> HttpResponse:
    wave = get_object_or_404(PickWave.objects.select_related("warehouse"), pk=pk)
    template = "fulfillment/wave_scan.html#scan-panel" if request.htmx else "fulfillment/wave_scan.html"
    if request.method == "GET":
        return render(request, "fulfillment/wave_scan.html", _scan_context(wave))
    form = forms.ScanForm(request.POST)
    result = None
    refused = False
    if form.is_valid():
        line = get_object_or_404(ShipmentLine, pk=form.cleaned_data["line"], shipment__wave=wave)
        try:
            result = services.pick_scan(line=line, code=form.cleaned_data["code"] or "", user=request.user)
            refused = not result.accepted
        except services.FulfillmentError as error:
            result = services.ScanResult(line=line, accepted=False, message=_error_text(error))
            refused = True
    response = render(request, template, _scan_context(wave, result=result), status=200)
    if refused:
        trigger_client_event(response, "pick-refused", {"message": result.message if result else ""})
    return response


@require_POST
@login_required
@permission_required("orders.pick_wave", raise_exception=True)
def pick_short(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(ShipmentLine.objects.select_related("shipment"), pk=pk, shipment__wave__isnull=False)
    wave = line.shipment.wave
    form = forms.ShortPickForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the units are short."))
    else:
        try:
            units = services.pick_short(line=line, reason=form.cleaned_data["reason"], user=request.user,
                                        route=form.cleaned_data["route"])
        except services.FulfillmentError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("%(units)d units recorded short.") % {"units": units})
    return redirect("fulfillment:wave_scan", pk=wave.pk)


@require_POST
@login_required
@permission_required("orders.answer_short_pick", raise_exception=True)
def short_pick_answer(request: HttpRequest, pk: int) -> HttpResponse:
    short = get_object_or_404(OrderEvent, pk=pk, kind=OrderEvent.Kind.SHORT_PICK)
    form = forms.ShortPickAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what the customer wants."))
        return redirect(short.order.get_absolute_url())
    substitute = None
    if form.cleaned_data["substitute"].strip():
        substitute = Sku.objects.filter(code__iexact=form.cleaned_data["substitute"].strip()).first()
        if substitute is None:
            messages.error(request, _("There is no SKU “%(code)s”.") % {"code": form.cleaned_data["substitute"]})
            return redirect(short.order.get_absolute_url())
    try:
        answer = services.short_pick_answer(order_event=short, choice=form.cleaned_data["choice"], user=request.user,
                                            substitute=substitute, note=form.cleaned_data["note"])
    except services.FulfillmentError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, answer.message)
    return redirect(short.order.get_absolute_url())


@require_POST
@login_required
@permission_required("orders.change_binlocation", raise_exception=True)
def sku_bin(request: HttpRequest, pk: int) -> HttpResponse:
    sku = get_object_or_404(Sku, pk=pk)
    form = forms.BinForm(request.POST, prefix="bin")
    if not form.is_valid():
        messages.error(request, _("Choose a warehouse."))
    else:
        try:
            services.bin_set(sku=sku, warehouse=form.cleaned_data["warehouse"], code=form.cleaned_data["code"],
                             user=request.user)
        except services.FulfillmentError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Bin saved."))
    return redirect(sku.get_absolute_url())
