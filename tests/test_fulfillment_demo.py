"""seed_demo's fulfillment: the shipped orders' shipments, movements, ship events and postings; open waves."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from inventory.models import StockLevel, StockMovement
from oms.invariants import all_violations
from orders.fulfillment.models import PickWave, Shipment, ShipmentEvent, ShipmentLine
from orders.models import Order, OrderLine
from payments.ledger.models import JournalEntry, JournalLine

pytestmark = pytest.mark.django_db
D = Decimal
SHIPPED = ("partially_shipped", "shipped", "delivered", "closed", "return_requested", "returned")


def balance(account_type: str) -> Decimal:
    totals = JournalLine.objects.filter(account__type=account_type).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or D(0)) - (totals["credit"] or D(0))


def test_the_demo_ships_its_shipped_orders_with_movements_postings_and_leaves_open_waves():
    out = StringIO()
    call_command("seed_demo", styles=30, orders=500, stdout=out)
    assert "Demo fulfillment:" in out.getvalue() and "Demo shipment postings:" in out.getvalue()
    levels = list(StockLevel.objects.order_by("pk").values_list("on_hand", "value"))
    shipped = Order.objects.filter(status__in=SHIPPED, lines__quantity_shipped__gt=0).distinct()
    assert shipped.count() > 100
    # Every shipped order has its shipment, holding what its lines shipped
    assert Shipment.objects.filter(status__in=("shipped", "delivered")).values("order").distinct().count() == \
        shipped.count()
    assert (ShipmentLine.objects.filter(shipment__wave__isnull=True).aggregate(units=Sum("quantity"))["units"]
            == OrderLine.objects.filter(order__in=shipped).aggregate(units=Sum("quantity_shipped"))["units"])
    assert not Shipment.objects.filter(status="delivered", delivered_at__isnull=True).exists()
    # the units left as shipment movements, and each shipment's revenue and COGS posted
    assert StockMovement.objects.filter(kind="shipment").exists()
    entries = JournalEntry.objects.filter(kind="order.shipment", source_type="orders.shipment")
    assert entries.count() == ShipmentEvent.objects.filter(kind="ship").count()
    assert balance("income") < 0 and balance("expense") > 0  # revenue and COGS are in the trial balance
    assert all_violations() == []
    # Seeding again adds nothing
    counts = (entries.count(), StockMovement.objects.count(), Shipment.objects.count(), PickWave.objects.count())
    call_command("seed_demo", styles=30, orders=500, stdout=StringIO())
    assert (entries.count(), StockMovement.objects.count(), Shipment.objects.count(),
            PickWave.objects.count()) == counts
    assert list(StockLevel.objects.order_by("pk").values_list("on_hand", "value")) == levels


@pytest.mark.django_db(transaction=True)  # the wave service is durable
def test_the_demo_opens_waves_from_half_of_the_allocated_orders():
    from orders.fulfillment.demo import _open_waves
    from tests.fulfillment_helpers import allocated_orders

    warehouse, _skus, orders = allocated_orders(12)
    assert _open_waves(warehouse) == 3
    waves = PickWave.objects.filter(status="open")
    assert waves.count() == 3 and Shipment.objects.filter(wave__in=waves).count() == 6
    assert Order.objects.filter(pk__in=[order.pk for order in orders], status="allocated").count() == 6
    assert _open_waves(warehouse) == 0  # three are open already
    assert all_violations() == []
