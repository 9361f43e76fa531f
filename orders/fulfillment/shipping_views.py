"""Shipping screens: the pack station, the 3PL download, store pickups.

Each view checks its permission, binds a form, calls one service or selector and renders.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from inventory.models import Warehouse
from oms.forms import FreeTextFormMixin
from orders.fulfillment import packing, tpl
from orders.fulfillment.carriers.base import CarrierError
from orders.fulfillment.carriers.models import CarrierLabel
from orders.fulfillment.carriers.services import rate_shop
from orders.fulfillment.carriers.shipments import shipment_label_buy, shipment_request_for
from orders.fulfillment.models import Shipment, ShipmentStatus
from orders.fulfillment.shipping import ShipmentError, shipment_confirm

BOXES = [("", gettext_lazy("Choose a box")), ("S", gettext_lazy("Small (20 × 15 × 10 cm)")),
         ("M", gettext_lazy("Medium (30 × 25 × 15 cm)")), ("L", gettext_lazy("Large (45 × 35 × 25 cm)")),
         ("ENV", gettext_lazy("Padded envelope"))]


class PackFindForm(FreeTextFormMixin, forms.Form):
    not_scanned = ("code",)  # a scanned order or tote number, not free text
    code = forms.CharField(label=gettext_lazy("Scan the order or tote"), max_length=40,
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off",
                                                         "class": "form-control form-control-lg font-monospace"}))


class PackBoxForm(FreeTextFormMixin, forms.Form):
    box = forms.ChoiceField(label=gettext_lazy("Box"), choices=BOXES, widget=forms.Select(attrs={"class": "form-select"}))
    weight_grams = forms.IntegerField(label=gettext_lazy("Weight (g)"), min_value=1, max_value=100_000,
                                      widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}))


@require_GET
@login_required
@permission_required("orders.view_shipment", raise_exception=True)
def tpl_shipments_csv(request: HttpRequest, code: str) -> HttpResponse:
    """The open shipments of a 3PL warehouse as CSV (one row per line)."""
    warehouse = get_object_or_404(Warehouse, code=code, kind=Warehouse.Kind.THIRD_PARTY)
    response = HttpResponse(tpl.tpl_shipments_csv(warehouse=warehouse), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="shipments-{warehouse.code}.csv"'
    return response


# --- the pack station -----------------------------------------------------------------------------

PACK_PERMISSION = "orders.change_shipment"


def _errors(error) -> str:
    return " ".join(dict.fromkeys(getattr(error, "messages", []) or [str(error)]))


def _pack_context(shipment: Shipment, **extra) -> dict:
    lines = list(shipment.lines.select_related("order_line").order_by("order_line__line_number", "pk"))
    scanning = shipment.status == ShipmentStatus.PICKED and any(
        line.packed_quantity < line.quantity for line in lines)
    label = CarrierLabel.objects.filter(shipment=shipment, voided_at__isnull=True).first()
    return {"shipment": shipment, "lines": lines, "scanning": scanning, "label": label,
            "box_form": extra.pop("box_form", None) or PackBoxForm(initial={"box": shipment.box,
                                                                            "weight_grams": shipment.weight_grams}),
            **extra}


@require_GET
@login_required
@permission_required(PACK_PERMISSION, raise_exception=True)
def pack_station(request: HttpRequest) -> HttpResponse:
    """Scan an order or a tote (its shipment number) to open it at the pack station."""
    form = PackFindForm(request.GET or None)
    if form.is_bound and form.is_valid():
        shipment = packing.shipment_find(form.cleaned_data["code"])
        if shipment is not None:
            return redirect("fulfillment:pack_shipment", pk=shipment.pk)
        form.add_error("code", _("No open shipment has that number."))
    return render(request, "fulfillment/pack_station.html", {"form": form}, status=422 if form.errors else 200)


@require_GET
@login_required
@permission_required(PACK_PERMISSION, raise_exception=True)
def pack_shipment(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(Shipment.objects.select_related("order", "warehouse"), pk=pk)
    return render(request, "fulfillment/pack_shipment.html", _pack_context(shipment))


@require_POST
@login_required
@permission_required(PACK_PERMISSION, raise_exception=True)
def pack_scan(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(Shipment.objects.select_related("order", "warehouse"), pk=pk)
    result = packing.pack_scan(shipment=shipment, code=request.POST.get("code", ""), user=request.user)
    shipment.refresh_from_db()
    template = "fulfillment/pack_shipment.html#pack-panel" if request.htmx else "fulfillment/pack_shipment.html"
    response = render(request, template, _pack_context(shipment, result=result),
                      status=200 if result.accepted or request.htmx else 422)
    if not result.accepted:
        trigger_client_event(response, "pick-refused", {"message": result.message})
    return response


@require_POST
@login_required
@permission_required(PACK_PERMISSION, raise_exception=True)
def pack_close(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(Shipment.objects.select_related("order", "warehouse"), pk=pk)
    form = PackBoxForm(request.POST)
    if form.is_valid():
        try:
            packing.shipment_pack(shipment=shipment, box=form.cleaned_data["box"],
                                  weight_grams=form.cleaned_data["weight_grams"], user=request.user)
        except ShipmentError as error:
            form.add_error(None, _errors(error))
        else:
            messages.success(request, _("Shipment %(number)s packed.") % {"number": shipment.number})
            return redirect("fulfillment:pack_shipment", pk=shipment.pk)
    shipment.refresh_from_db()
    return render(request, "fulfillment/pack_shipment.html", _pack_context(shipment, box_form=form), status=422)


@require_GET
@login_required
@permission_required(PACK_PERMISSION, raise_exception=True)
def pack_slip(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = get_object_or_404(Shipment.objects.select_related("order"), pk=pk)
    response = HttpResponse(packing.packing_slip_pdf(shipment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="packing-slip-{shipment.number}.pdf"'
    return response


@require_POST
@login_required
@permission_required(PACK_PERMISSION, raise_exception=True)
def pack_label(request: HttpRequest, pk: int) -> HttpResponse:
    """Buy the label at the default (rate-shopped) rate through the carriers' interface."""
    shipment = get_object_or_404(Shipment.objects.select_related("order", "warehouse"), pk=pk)
    try:
        shipment_request = shipment_request_for(shipment=shipment)
        choice = rate_shop(request=shipment_request)
        shipment_label_buy(shipment=shipment, request=shipment_request, rate=choice.rate, reason=choice.reason,
                           actor=request.user)
    except CarrierError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Label bought: %(carrier)s %(service)s.") % {
            "carrier": choice.rate.carrier, "service": choice.rate.service})
    return redirect("fulfillment:pack_shipment", pk=shipment.pk)


@require_POST
@login_required
@permission_required(PACK_PERMISSION, raise_exception=True)
def pack_ship(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm: the shipment ships (once; a second click, or a second packer, is told it shipped already)."""
    shipment = get_object_or_404(Shipment, pk=pk)
    if shipment.status not in (ShipmentStatus.PACKED, ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED):
        messages.error(request, _("Pack the shipment (box and weight) before it ships."))
        return redirect("fulfillment:pack_shipment", pk=shipment.pk)
    try:
        result = shipment_confirm(shipment=shipment, user=request.user)
    except ShipmentError as error:
        messages.error(request, _errors(error))
        return redirect("fulfillment:pack_shipment", pk=shipment.pk)
    (messages.success if result.shipped_now else messages.warning)(request, result.message)
    return redirect("fulfillment:pack_station")
