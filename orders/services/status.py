"""The order state machine of DESIGN.md, its row locks and its timeline.

::

    draft → placed → (on hold: payment | address | stock | fraud | manual) → released
          → allocated → picking → packed → shipped (partially) → delivered → closed
    any state before shipped → cancelled;  shipped/delivered → return requested → returned

:data:`TRANSITIONS` spells it out. Beyond the diagram it allows ``allocated → released`` (an
edit or a cancelled allocation leaves units to allocate again) and
``partially_shipped → picking`` (the rest of an order that went out in parts), ``picking →
allocated`` (its pick wave was cancelled before anything was picked), and a shipment confirmed
straight from released, allocated or picking (a 3PL's confirmation, a shipment of part of the
order while the rest is still picked or backordered: released → partially shipped; allocated
or picking → partially shipped or shipped).

**Locks.** Everything that changes an order locks, in this order: the order row (the gate:
every change of one order queues here), its line rows (by pk), its holds, then the stock rows
it may touch, all at once in (sku id, warehouse id) order (``allocation.plan_lines`` when it
only reserves, ``allocation.lock_stock_of`` first when it also releases), the reservation
rows ``stock_release`` takes, and last marketing's promotion rows (redemption). Several
orders (backorder allocation) are locked in pk order. Order rows are locked ``FOR NO KEY
UPDATE``: their key never changes, so lines and events may still be inserted meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import hooks
from orders.models import Order, OrderEvent, OrderLine, OrderStatus
from orders.services.errors import OrderError

S = OrderStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.PLACED, S.CANCELLED}),
    S.PLACED: frozenset({S.ON_HOLD, S.RELEASED, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.RELEASED, S.CANCELLED}),
    S.RELEASED: frozenset({S.ON_HOLD, S.ALLOCATED, S.PARTIALLY_SHIPPED, S.CANCELLED}),
    S.ALLOCATED: frozenset({S.ON_HOLD, S.RELEASED, S.PICKING, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    S.PICKING: frozenset({S.ALLOCATED, S.PACKED, S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    S.PACKED: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.CANCELLED}),
    S.PARTIALLY_SHIPPED: frozenset({S.PICKING, S.SHIPPED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.RETURN_REQUESTED, S.CLOSED}),
    S.DELIVERED: frozenset({S.RETURN_REQUESTED, S.CLOSED}),
    S.RETURN_REQUESTED: frozenset({S.RETURNED}),
    S.RETURNED: frozenset(),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Named groups.
PRE_FULFILLMENT_STATUSES = (S.PLACED, S.ON_HOLD, S.RELEASED, S.ALLOCATED)  # editable, holdable
CANCELLABLE_STATUSES = tuple(status for status in S if S.CANCELLED in TRANSITIONS[status])
HOLDABLE_STATUSES = PRE_FULFILLMENT_STATUSES
# Orders whose backordered lines take stock when it arrives.
BACKORDER_STATUSES = (S.PLACED, S.ON_HOLD, S.RELEASED, S.ALLOCATED, S.PICKING, S.PACKED, S.PARTIALLY_SHIPPED)


class IllegalTransition(OrderError):
    """The order's status does not allow the move (``field_errors`` under ``status``)."""

    def __init__(self, message: str):
        super().__init__(message, field_errors={"status": [message]})


def lock_order(order: Order | int) -> Order:
    """The order, re-read and locked (FOR NO KEY UPDATE)."""
    pk = order.pk if isinstance(order, Order) else order
    return Order.objects.select_for_update(no_key=True).get(pk=pk)


def lock_orders(order_ids: Iterable[int]) -> list[Order]:
    """Orders locked in pk order (so two callers never wait on each other in a cycle)."""
    return list(Order.objects.filter(pk__in=set(order_ids)).order_by("pk").select_for_update(no_key=True))


def lock_lines(order: Order) -> list[OrderLine]:
    """The order's lines, locked in pk order, with their SKUs; call after locking the order."""
    return list(OrderLine.objects.filter(order=order).select_related("sku").order_by("pk")
                .select_for_update(no_key=True, of=("self",)))


def event(order: Order, kind: str, message: str, *, user=None, from_status: str = "", to_status: str = "",
          data: dict | None = None) -> OrderEvent:
    """An unsaved event row; services collect them and write them with one ``bulk_create``."""
    return OrderEvent(order=order, kind=kind, message=message[:500], from_status=from_status,
                      to_status=to_status, data=data or {}, actor=user)


def save_events(events: list[OrderEvent]) -> None:
    """Write the collected events in one statement (their pks keep their order) and empty the list."""
    if events:
        OrderEvent.objects.bulk_create(events)
        events.clear()


def move(order: Order, to_status: str, *, user, reason: str, events: list[OrderEvent]) -> None:
    """Change a locked order's status in memory, with its event and the after-commit notice.

    The caller saves the order (``status`` and ``updated_at``) and the events.
    """
    from_status = order.status
    if to_status not in TRANSITIONS.get(from_status, ()):
        raise IllegalTransition(
            _("An order that is %(current)s cannot become %(new)s.")
            % {"current": S(from_status).label.lower(), "new": S(to_status).label.lower()})
    order.status = to_status
    if to_status == S.PLACED and order.placed_at is None:
        order.placed_at = timezone.now()
    events.append(event(order, OrderEvent.Kind.STATUS, reason or _("%(from)s → %(to)s") % {
        "from": S(from_status).label, "to": S(to_status).label}, user=user, from_status=from_status,
        to_status=to_status))
    order_id = order.pk
    transaction.on_commit(lambda: hooks.status_changed(order_id, from_status, to_status))


def settled_status(*, has_open_hold: bool, lines: Iterable[OrderLine]) -> str:
    """Where a pre-fulfillment order belongs: on hold, allocated (every open unit reserved) or released."""
    if has_open_hold:
        return S.ON_HOLD
    open_units = backordered = 0
    for line in lines:
        open_units += line.quantity - line.quantity_cancelled
        backordered += line.quantity - line.quantity_cancelled - line.quantity_allocated
    return S.ALLOCATED if open_units > 0 and backordered == 0 else S.RELEASED


def settle(order: Order, *, lines: Iterable[OrderLine], has_open_hold: bool, user, reason: str,
           events: list[OrderEvent]) -> None:
    """Move a locked pre-fulfillment order to where it belongs, through released when needed.

    placed → released → allocated; on hold → released → allocated; allocated → released when
    units were left without stock; any of them → on hold while a hold is open.
    """
    if order.status not in PRE_FULFILLMENT_STATUSES:
        return
    target = settled_status(has_open_hold=has_open_hold, lines=lines)
    if target == order.status:
        return
    if target == S.ALLOCATED and order.status in (S.PLACED, S.ON_HOLD):
        move(order, S.RELEASED, user=user, reason=reason, events=events)
    if target == S.ALLOCATED:
        reason = " ".join(part for part in (reason, _("Every unit is reserved: ready to pick.")) if part)
    move(order, target, user=user, reason=reason, events=events)
