"""The shipment state machine and its row locks (in the shape of orders/services/status.py).

::

    pending → picking → picked → packed → shipped → delivered
    any state before shipped → cancelled

Beyond the diagram: ``pending → picked`` (a one-scan pick), ``picking → pending`` (a wave put
back), ``picked → picking`` (a pick reopened). **Locks**: the order row first (through
orders' ``lock_order``), then its shipments in pk order, then their lines in pk order.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from orders.fulfillment.models import Shipment, ShipmentEvent, ShipmentLine, ShipmentStatus
from orders.services.errors import OrderError

S = ShipmentStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.PICKING, S.PICKED, S.CANCELLED}),
    S.PICKING: frozenset({S.PENDING, S.PICKED, S.CANCELLED}),
    S.PICKED: frozenset({S.PICKING, S.PACKED, S.CANCELLED}),
    S.PACKED: frozenset({S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset(),
    S.CANCELLED: frozenset(),
}


class IllegalShipmentTransition(OrderError):
    """The shipment's status does not allow the move (``field_errors`` under ``status``)."""

    def __init__(self, message: str):
        super().__init__(message, field_errors={"status": [message]})


def lock_shipment(shipment: Shipment | int) -> Shipment:
    """The shipment, re-read and locked (FOR NO KEY UPDATE); lock its order first when it changes too."""
    pk = shipment.pk if isinstance(shipment, Shipment) else shipment
    return Shipment.objects.select_for_update(no_key=True).get(pk=pk)


def lock_shipments(shipment_ids: Iterable[int]) -> list[Shipment]:
    """Shipments locked in pk order."""
    return list(Shipment.objects.filter(pk__in=set(shipment_ids)).order_by("pk").select_for_update(no_key=True))


def lock_shipment_lines(shipment: Shipment) -> list[ShipmentLine]:
    """The shipment's lines, locked in pk order, with their order lines and SKUs."""
    return list(ShipmentLine.objects.filter(shipment=shipment).select_related("order_line__sku").order_by("pk")
                .select_for_update(no_key=True, of=("self",)))


def shipment_event(shipment: Shipment, kind: str, message: str, *, user=None,
                   data: dict | None = None) -> ShipmentEvent:
    """An unsaved event row; services collect them and write them with one ``bulk_create``."""
    return ShipmentEvent(shipment=shipment, kind=kind, message=message[:500], data=data or {}, actor=user)


def save_shipment_events(events: list[ShipmentEvent]) -> None:
    if events:
        ShipmentEvent.objects.bulk_create(events)
        events.clear()


def shipment_move(shipment: Shipment, to_status: str, *, user, reason: str = "",
                  events: list[ShipmentEvent]) -> None:
    """Change a locked shipment's status in memory, with its event; the caller saves both."""
    from_status = shipment.status
    if to_status not in TRANSITIONS.get(from_status, ()):
        raise IllegalShipmentTransition(
            _("A shipment that is %(current)s cannot become %(new)s.")
            % {"current": S(from_status).label.lower(), "new": S(to_status).label.lower()})
    shipment.status = to_status
    events.append(shipment_event(shipment, ShipmentEvent.Kind.STATUS, reason or _("%(from)s → %(to)s") % {
        "from": S(from_status).label, "to": S(to_status).label}, user=user,
        data={"from": from_status, "to": to_status}))
