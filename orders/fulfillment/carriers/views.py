"""The end-of-day close screen (Warehouse, Manager): the day's labels per carrier, close → manifest PDF."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from inventory.models import Warehouse
from orders.fulfillment.carriers import selectors, services
from orders.fulfillment.carriers.base import CarrierError
from orders.fulfillment.carriers.models import CarrierLabel, CarrierManifest
from orders.fulfillment.carriers.shipments import shipment_label_void

CLOSE_PERMISSION = "orders.close_carrier_day"


def _day(value: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else services.shop_today()
    except ValueError:
        return services.shop_today()


def _warehouse(request: HttpRequest, value: str | None) -> Warehouse | None:
    warehouses = Warehouse.objects.filter(is_active=True, ships=True).order_by("priority", "code")
    if value and value.isdigit():
        return warehouses.filter(pk=int(value)).first()
    return warehouses.first()


@login_required
@permission_required(CLOSE_PERMISSION, raise_exception=True)
@require_GET
def day_close(request: HttpRequest) -> HttpResponse:
    day = _day(request.GET.get("day"))
    warehouse = _warehouse(request, request.GET.get("warehouse"))
    carriers = []
    if warehouse is not None:
        labels = selectors.day_labels_by_carrier(warehouse_id=warehouse.pk, day=day)
        manifests = selectors.day_manifests(warehouse_id=warehouse.pk, day=day)
        for code in sorted(set(labels) | set(manifests)):
            carrier_labels = labels.get(code, [])
            carriers.append({
                "code": code, "labels": carrier_labels, "manifest": manifests.get(code),
                "open_count": sum(1 for label in carrier_labels if label.manifest_id is None),
            })
    return render(request, "fulfillment/carriers/day_close.html", {
        "day": day, "warehouse": warehouse, "carriers": carriers,
        "warehouses": Warehouse.objects.filter(is_active=True, ships=True).order_by("priority", "code"),
    })


@login_required
@permission_required(CLOSE_PERMISSION, raise_exception=True)
@require_POST
def day_close_carrier(request: HttpRequest) -> HttpResponse:
    day = _day(request.POST.get("day"))
    warehouse = get_object_or_404(Warehouse, pk=request.POST.get("warehouse") or 0)
    carrier = (request.POST.get("carrier") or "").strip()[:30]
    url = reverse("carriers:day_close") + f"?warehouse={warehouse.pk}&day={day.isoformat()}"
    if not carrier:
        messages.error(request, _("Choose a carrier to close."))
        return redirect(url)
    try:
        manifest = services.manifest_close(carrier=carrier, warehouse_id=warehouse.pk, day=day, actor=request.user)
    except CarrierError as error:
        messages.error(request, str(error))
        return redirect(url)
    messages.success(request, _("%(carrier)s closed for %(day)s: %(count)s labels on the manifest.") % {
        "carrier": carrier, "day": day.isoformat(), "count": manifest.label_count})
    return redirect(url)


@login_required
@permission_required(CLOSE_PERMISSION, raise_exception=True)
@require_GET
def manifest_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    manifest = get_object_or_404(CarrierManifest, pk=pk)
    response = HttpResponse(bytes(manifest.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="manifest-{manifest.carrier}-{manifest.warehouse.code}-{manifest.day.isoformat()}.pdf"')
    return response


@login_required
@permission_required(CLOSE_PERMISSION, raise_exception=True)
@require_GET
def label_file(request: HttpRequest, pk: int) -> HttpResponse:
    label = get_object_or_404(CarrierLabel, pk=pk)
    is_zpl = label.label_format == "zpl"
    response = HttpResponse(bytes(label.content), content_type="application/zpl" if is_zpl else "application/pdf")
    response["Content-Disposition"] = f'inline; filename="label-{label.tracking_number}.{label.label_format}"'
    return response


@login_required
@permission_required(CLOSE_PERMISSION, raise_exception=True)
@require_POST
def label_void(request: HttpRequest, pk: int) -> HttpResponse:
    """Void a label that has not gone out; the carrier's refusal (an EasyPost 422) is a message, not a 500."""
    label = get_object_or_404(CarrierLabel.objects.defer("content"), pk=pk)
    day = services.shop_today() if not request.POST.get("day") else _day(request.POST.get("day"))
    url = reverse("carriers:day_close") + f"?warehouse={label.warehouse_id}&day={day.isoformat()}"
    try:
        shipment_label_void(label=label, actor=request.user)
    except CarrierError as error:
        messages.error(request, str(error))
        return redirect(url)
    messages.success(request, _("Label %(number)s voided.") % {"number": label.tracking_number})
    return redirect(url)
