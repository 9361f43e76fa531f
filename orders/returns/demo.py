"""Demo returns (step 60, after the orders, the carriers and the payments' steps): a few delivered
orders come back through the services, so a fresh demo has RMAs received (restocked, scrapped,
exchanged) with their movements, postings and refunds, and one parcel waiting at the dock.

The orders are placed, shipped and delivered here through the services (paid by check, refunded to
it at once), on prepaid demo customers and stocked, returnable SKUs of the first shipping warehouse.
"""

from __future__ import annotations

import random
import uuid

from django.db import transaction
from django.utils import timezone

from inventory.models import StockLevel, Warehouse
from oms.demo import DEFAULT_SEED
from orders.demo import demo_ship_to
from orders.fulfillment.models import Shipment, ShipmentStatus
from orders.fulfillment.shipping import shipment_confirm, shipment_open
from orders.models import Customer, Order, OrderStatus, Rma
from orders.returns.services import RmaLineRequest, return_receive, rma_create, rma_label_buy
from orders.services import LineRequest, order_place
from orders.services.status import lock_order, move, save_events

# (dispositions of the units received; None: the parcel is still on its way; outcome)
PLAN = (
    (("restock", "restock"), Rma.Outcome.REFUND),
    (("scrap",), Rma.Outcome.REFUND),
    (("restock",), Rma.Outcome.EXCHANGE),
    (("vendor",), Rma.Outcome.REFUND),
    (None, Rma.Outcome.REFUND),
)


def _delivered(order: Order, warehouse: Warehouse) -> Order:
    shipment = shipment_open(order=order, warehouse=warehouse, user=None)
    shipment_confirm(shipment=shipment, user=None, tracking_number=f"DEMO{order.number}")
    with transaction.atomic(durable=True):
        locked = lock_order(order)
        Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.DELIVERED, delivered_at=timezone.now())
        events = []
        move(locked, OrderStatus.DELIVERED, user=None, reason="Delivered (demo).", events=events)
        locked.save(update_fields=["status", "updated_at"])
        save_events(events)
    return locked


def seed_returns(*, stdout, options: dict) -> None:
    """Place, ship, deliver and return a few orders (idempotent: nothing when demo RMAs exist)."""
    if options.get("orders") == 0:
        stdout.write("Demo returns: skipped (no demo orders asked for).")
        return
    if Rma.objects.exists():
        stdout.write("Demo returns: already loaded.")
        return
    warehouse = (Warehouse.objects.filter(ships=True, kind=Warehouse.Kind.WAREHOUSE, is_active=True)
                 .order_by("pk").first())
    customers = list(Customer.objects.filter(terms=Customer.Terms.PREPAID).order_by("pk")[:len(PLAN)])
    levels = list(StockLevel.objects.filter(
        warehouse=warehouse, sku__is_returnable=True, sku__is_kit=False, sku__status="active",
        sku__personalization_template__isnull=True, sku__list_price__gt=0,
        on_hand__gte=10).select_related("sku").order_by("sku_id")[:50]) if warehouse else []
    if len(levels) < 2 or len(customers) < len(PLAN):
        stdout.write("Demo returns: skipped (no stocked, returnable SKUs or customers).")
        return
    rng = random.Random(f"{options.get('seed') or DEFAULT_SEED}-returns")
    made = 0
    for customer, (dispositions, outcome) in zip(customers, PLAN, strict=True):
        sku = rng.choice(levels).sku
        units = len(dispositions or (1,))
        order = order_place(user=None, channel="phone", customer=customer, lines=[LineRequest(sku=sku, quantity=units)],
                            ship_to=demo_ship_to(customer), notes="Demo return",
                            payment=[{"kind": "check", "number": f"{9000 + made}"}])
        if order.status != OrderStatus.ALLOCATED:
            continue
        order = _delivered(order, warehouse)
        replacement = rng.choice(levels).sku if outcome == Rma.Outcome.EXCHANGE else None
        rma = rma_create(order=order, user=None, outcome=outcome, lines=[RmaLineRequest(
            order.lines.get().pk, units, rng.choice(("defective", "size_fit", "not_needed", "damaged")),
            replacement_sku_id=replacement.pk if replacement else None)])
        rma_label_buy(rma=rma, user=None)
        for disposition in dispositions or ():
            return_receive(rma_line=rma.lines.get(), token=uuid.uuid4(), disposition=disposition, user=None,
                           condition="Demo inspection")
        made += 1
    stdout.write(f"Demo returns: {made} returned orders ({Rma.objects.filter(status='received').count()} received).")
