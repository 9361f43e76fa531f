"""Store pickup and ship-to-store: ready for pickup, collected with the name checked, or cancelled
when not collected in time.

- :func:`pickup_ready`: the order's units at the store (a pickup order's own stock there, or a
  ship-to-store order's units arrived) are set aside as a shipment that is ``packed`` (on the
  shelf behind the counter) since now; after commit ``orders.hooks.pickup_ready`` tells the
  customer.
- :func:`pickup_confirm`: the person at the counter gives their name; it must be the order's
  (ship-to, bill-to or customer name, case and spacing aside). Then the shipment ships through
  ``shipment_confirm`` (stock, revenue, COGS, capture), so a second click collects nothing more.
- :func:`pickups_expire` (the beat's ``orders.tasks.pickups_expire_task``): an order ready for
  more than ``settings.PICKUP_HOLD_DAYS`` days and not collected is cancelled (its stock released
  by ``order_cancel_in_transaction``) and its shipment cancelled, in one transaction each.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Warehouse
from orders import hooks
from orders.fulfillment.models import Shipment, ShipmentEvent, ShipmentStatus
from orders.fulfillment.shipping import ShipmentError, ShipResult, shipment_confirm, shipment_open
from orders.fulfillment.status import lock_shipment, save_shipment_events, shipment_event, shipment_move
from orders.models import LineAllocation, Order, ShippingMethod
from orders.services.lifecycle import order_cancel_in_transaction
from orders.services.status import lock_order

PICKUP_TYPES = (ShippingMethod.FulfillmentType.PICKUP, ShippingMethod.FulfillmentType.SHIP_TO_STORE)
PICKUP_CARRIER = "pickup"


def _normal(name: str) -> str:
    return " ".join((name or "").split()).casefold()


def _names(order: Order) -> set[str]:
    names = {_normal((order.ship_to or {}).get("name", "")), _normal((order.bill_to or {}).get("name", ""))}
    customer = order.customer
    names.add(_normal(f"{customer.first_name} {customer.last_name}"))
    return names - {""}


def pickup_ready(*, order: Order, user) -> Shipment:
    """Set the order's units aside at its store, ready to collect (a packed shipment); tells the customer."""
    if order.fulfillment_type not in PICKUP_TYPES or order.pickup_warehouse_id is None:
        raise ShipmentError(_("Order %(number)s is not collected at a store.") % {"number": order.number})
    warehouse_ids = set(LineAllocation.objects.filter(line__order=order, is_open=True)
                        .values_list("warehouse_id", flat=True))
    if not warehouse_ids:
        raise ShipmentError(_("Order %(number)s has nothing reserved to hand over.") % {"number": order.number})
    warehouse = order.pickup_warehouse if order.pickup_warehouse_id in warehouse_ids else None
    if warehouse is None:
        # Ship to store: the units travel from where they are reserved; they are handed over from there.
        warehouse = Warehouse.objects.get(pk=min(warehouse_ids))
    shipment = shipment_open(order=order, warehouse=warehouse, user=user)
    with transaction.atomic(durable=True):
        lock_order(order)
        locked = lock_shipment(shipment)
        events: list[ShipmentEvent] = []
        for status in (ShipmentStatus.PICKED, ShipmentStatus.PACKED):
            shipment_move(locked, status, user=user, events=events)
        locked.packed_by, locked.packed_at, locked.carrier = user, timezone.now(), PICKUP_CARRIER
        locked.save(update_fields=["status", "packed_by", "packed_at", "carrier"])
        events.append(shipment_event(locked, ShipmentEvent.Kind.PACK, _("Ready for pickup at %(store)s.")
                                     % {"store": order.pickup_warehouse.code}, user=user))
        save_shipment_events(events)
        order_id, store_id = order.pk, order.pickup_warehouse_id
        transaction.on_commit(lambda: hooks.pickup_ready(order_id, store_id))
    return locked


def pickup_confirm(*, shipment: Shipment, name: str, user) -> ShipResult:
    """Hand the order over to ``name`` (checked against the order's names); ships it, once."""
    order = Order.objects.select_related("customer").get(pk=shipment.order_id)
    if shipment.status not in (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED) and _normal(name) not in _names(order):
        raise ShipmentError(_("“%(name)s” is not the name on order %(number)s; check the customer's ID.")
                            % {"name": name.strip(), "number": order.number},
                            field_errors={"name": [_("Not the name on the order.")]})
    return shipment_confirm(shipment=shipment, user=user, carrier=PICKUP_CARRIER)


def pickups_expire(*, now: dt.datetime | None = None, user=None) -> int:
    """Cancel the pickup orders ready for longer than ``PICKUP_HOLD_DAYS`` and not collected; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.PICKUP_HOLD_DAYS)
    expired = list(Shipment.objects.filter(status=ShipmentStatus.PACKED, carrier=PICKUP_CARRIER,
                                           packed_at__lt=cutoff, order__fulfillment_type__in=PICKUP_TYPES)
                   .order_by("order_id", "pk").values_list("pk", "order_id"))
    cancelled = 0
    for shipment_id, order_id in expired:
        with transaction.atomic(durable=True):
            order = lock_order(order_id)
            shipment = lock_shipment(shipment_id)
            if shipment.status != ShipmentStatus.PACKED:  # collected meanwhile
                continue
            events: list[ShipmentEvent] = []
            shipment_move(shipment, ShipmentStatus.CANCELLED, user=user, events=events,
                          reason=_("Not collected within %(days)d days.") % {"days": settings.PICKUP_HOLD_DAYS})
            shipment.save(update_fields=["status"])
            save_shipment_events(events)
            order_cancel_in_transaction(order=order, user=user, reason=_("Not collected within %(days)d days.")
                                        % {"days": settings.PICKUP_HOLD_DAYS})
            cancelled += 1
    return cancelled
