"""The pack station's steps before the ship confirmation: find the shipment, scan each item into the
box (a wrong SKU is refused), choose the box and weigh it (picked → packed), the packing slip.

Each step locks the order, then the shipment, then its lines (orders/fulfillment/status.py), so
two packers on one shipment queue; the ship confirmation itself is ``shipment_confirm``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.fulfillment.documents import html_to_pdf
from orders.fulfillment.models import Shipment, ShipmentEvent, ShipmentLine, ShipmentStatus
from orders.fulfillment.shipping import ShipmentError
from orders.fulfillment.status import (
    lock_shipment,
    lock_shipment_lines,
    save_shipment_events,
    shipment_event,
    shipment_move,
)
from orders.services.status import lock_order

PACKABLE = (ShipmentStatus.PICKED,)


@dataclass(frozen=True)
class PackScan:
    accepted: bool
    message: str
    line: ShipmentLine | None = None


def shipment_find(code: str) -> Shipment | None:
    """The open shipment a scanned code names: its number (a tote label), or its order's number."""
    code = (code or "").strip()
    if not code:
        return None
    open_statuses = [ShipmentStatus.PICKED, ShipmentStatus.PACKED, ShipmentStatus.PICKING, ShipmentStatus.PENDING]
    return (Shipment.objects.filter(Q(number__iexact=code) | Q(order__number=code), status__in=open_statuses)
            .select_related("order", "warehouse").order_by("pk").first())


def _matches(line: ShipmentLine, code: str) -> bool:
    sku = line.order_line.sku
    return code.upper() in {sku.code.upper(), (sku.barcode or "").upper()}


def pack_scan(*, shipment: Shipment, code: str, user) -> PackScan:
    """One scanned item into the box: the first line of that SKU with picked units not yet packed."""
    code = (code or "").strip()
    with transaction.atomic(durable=True):
        lock_order(shipment.order_id)
        locked = lock_shipment(shipment)
        events: list[ShipmentEvent] = []
        if locked.status not in PACKABLE:
            return PackScan(False, _("Shipment %(number)s is %(status)s: nothing to pack.") % {
                "number": locked.number, "status": ShipmentStatus(locked.status).label.lower()})
        lines = lock_shipment_lines(locked)
        line = next((line for line in lines if _matches(line, code) and line.packed_quantity < line.picked_quantity),
                    None)
        if line is None:
            known = any(_matches(line, code) for line in lines)
            message = (_("Every %(code)s of this shipment is packed already.") if known and code else
                       _("%(code)s is not in this shipment. Put it aside.")) % {"code": code or "—"}
            events.append(shipment_event(locked, ShipmentEvent.Kind.REFUSED_SCAN, message, user=user,
                                         data={"code": code[:100], "step": "pack"}))
            save_shipment_events(events)
            return PackScan(False, message)
        ShipmentLine.objects.filter(pk=line.pk).update(packed_quantity=F("packed_quantity") + 1)
        line.packed_quantity += 1
        events.append(shipment_event(locked, ShipmentEvent.Kind.PACK, _("Packed 1 × %(code)s.") % {
            "code": line.order_line.sku_code}, user=user, data={"line": line.pk, "sku": line.order_line.sku_code}))
        save_shipment_events(events)
    return PackScan(True, _("%(code)s: %(packed)d of %(quantity)d packed.") % {
        "code": line.order_line.sku_code, "packed": line.packed_quantity, "quantity": line.quantity}, line)


def shipment_pack(*, shipment: Shipment, box: str, weight_grams: int, user) -> Shipment:
    """Close the box: every picked unit scanned in, a box and a weight (picked → packed)."""
    if not box.strip():
        raise ShipmentError(_("Choose a box."), field_errors={"box": [_("Choose a box.")]})
    if weight_grams is None or weight_grams <= 0:
        raise ShipmentError(_("Enter the weight."), field_errors={"weight_grams": [_("Enter the weight in grams.")]})
    with transaction.atomic(durable=True):
        lock_order(shipment.order_id)
        locked = lock_shipment(shipment)
        if locked.status != ShipmentStatus.PICKED:
            raise ShipmentError(_("Shipment %(number)s is %(status)s and cannot be packed.") % {
                "number": locked.number, "status": ShipmentStatus(locked.status).label.lower()})
        lines = lock_shipment_lines(locked)
        missing = sum(line.quantity - line.packed_quantity for line in lines)
        if missing:
            raise ShipmentError(_("%(missing)d units are not scanned into the box yet.") % {"missing": missing})
        events: list[ShipmentEvent] = []
        shipment_move(locked, ShipmentStatus.PACKED, user=user, events=events,
                      reason=_("Packed in %(box)s, %(grams)d g.") % {"box": box.strip(), "grams": weight_grams})
        locked.box, locked.weight_grams = box.strip()[:40], weight_grams
        locked.packed_by, locked.packed_at = user, timezone.now()
        locked.save(update_fields=["status", "box", "weight_grams", "packed_by", "packed_at"])
        save_shipment_events(events)
    return locked


def packing_slip_pdf(shipment: Shipment) -> bytes:
    """The packing slip: ship-to, the order and shipment numbers, and each line's SKU and quantity (no prices)."""
    lines = list(shipment.lines.select_related("order_line").order_by("order_line__line_number", "pk"))
    html = render_to_string("fulfillment/packing_slip_pdf.html", {
        "shipment": shipment, "order": shipment.order, "lines": lines, "ship_to": shipment.order.ship_to or {}})
    return html_to_pdf(html)
