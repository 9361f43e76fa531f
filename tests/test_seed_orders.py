"""seed_demo --orders: customers and two years of orders, bulk-loaded, that keep every invariant."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from catalog.models import Sku
from inventory.models import Reservation, StockLevel, Warehouse
from oms.invariants import all_violations
from orders.demo import OrderGenerator, shipping_methods, tax_rates
from orders.models import (
    Address,
    Customer,
    Hold,
    LineAllocation,
    Order,
    OrderEvent,
    OrderLine,
    ShippingMethod,
)
from orders.services import LineRequest, order_place
from orders.services.customers import customer_create
from orders.services.status import TRANSITIONS

pytestmark = pytest.mark.django_db

STYLES = 30
ORDERS = 500
CHANNELS = {"phone", "web", "marketplace:amazon", "marketplace:ebay", "pos", "store"}
# The returns' and gift cards' demo steps (after the orders) place a few orders of their own through
# order entry, and an exchange: these tests are of the generated orders, and count those as more.
DEMO_STEPS = Q(notes__in=("Demo return", "Demo gift card")) | Q(external_id__startswith="exchange:")


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", styles=STYLES, stdout=out, **{"orders": ORDERS, **options})
    return out.getvalue()


@pytest.fixture
def seeded() -> str:
    return seed()


def test_orders_cover_every_channel_two_years_and_a_realistic_mix_of_statuses(seeded):
    assert "Demo orders: 500 orders" in seeded
    orders = Order.objects.exclude(DEMO_STEPS)
    assert orders.count() == ORDERS
    assert Order.objects.count() - ORDERS == Order.objects.filter(DEMO_STEPS).count() > 0
    by_channel = dict(orders.values_list("channel").annotate(n=Count("pk")))
    assert set(by_channel) == CHANNELS
    assert by_channel["web"] > by_channel["marketplace:ebay"]
    # Old orders are finished; open ones are recent.
    statuses = dict(orders.values_list("status").annotate(n=Count("pk")))
    assert statuses["closed"] > ORDERS / 2
    assert {"delivered", "cancelled", "returned"} <= set(statuses)
    month_ago = timezone.now() - dt.timedelta(days=60)
    assert not orders.filter(placed_at__lt=month_ago).exclude(
        status__in=["closed", "cancelled", "returned", "delivered", "return_requested"]).exists()
    recent = orders.filter(placed_at__gt=timezone.now() - dt.timedelta(days=3))
    assert not recent.filter(status="closed").exclude(channel="pos").exists()
    span = orders.aggregate(first=Min("placed_at"), last=Max("placed_at"))
    assert span["last"] - span["first"] > dt.timedelta(days=600)
    assert span["last"] <= timezone.now()
    # Source codes on most phone orders, none on marketplace orders; every outside order has its channel's id.
    phone = orders.filter(channel="phone")
    assert phone.exclude(source_code="").count() > phone.count() / 2
    assert not orders.filter(channel__startswith="marketplace:").exclude(source_code="").exists()
    assert not orders.filter(channel__in=["web", "pos", "marketplace:amazon", "marketplace:ebay"],
                              external_id__isnull=True).exists()
    # Lines: one to five, from active stocked SKUs, at their list prices.
    per_order = orders.annotate(n=Count("lines")).aggregate(low=Min("n"), high=Max("n"))
    assert (per_order["low"], per_order["high"]) == (1, 5)
    lines = OrderLine.objects.filter(order__in=orders).select_related("sku")
    assert not lines.filter(Q(sku__is_kit=True) | ~Q(sku__status=Sku.Status.ACTIVE)).exists()
    assert not lines.exclude(unit_price=F("sku__list_price")).exists()
    # Holds: open exactly on the orders on hold.
    open_holds = Hold.objects.filter(released_at__isnull=True)
    assert set(open_holds.values_list("order__status", flat=True)) <= {"on_hold"}


def test_customers_are_about_a_third_of_the_orders_with_addresses(seeded):
    customers = Customer.objects.all()
    assert customers.count() == round(ORDERS / 3)
    assert not customers.filter(Q(default_ship_address__isnull=True) | Q(number="")).exists()
    assert not customers.exclude(number__startswith="C").exists()
    assert all(email == email.lower() and "@example." in email
               for emails in customers.values_list("emails", flat=True) for email in emails)
    assert customers.filter(orders__isnull=False).distinct().count() > customers.count() / 2
    assert Address.objects.values("country").distinct().count() > 1


def test_amounts_add_up_on_every_order(seeded):
    sums = {row["order"]: row for row in OrderLine.objects.values("order").annotate(
        subtotal=Sum((F("unit_price") + F("personalization_amount")) * F("quantity")),
        discount=Sum("discount_amount"), tax=Sum("tax_amount"), total=Sum("line_total"))}
    for order in Order.objects.all():
        lines = sums[order.pk]
        assert order.subtotal == lines["subtotal"]
        assert order.discount_total == lines["discount"]
        assert order.total == order.subtotal - order.discount_total + order.shipping_total + order.tax_total
        assert order.total == lines["total"] + order.shipping_total + (order.tax_total - lines["tax"])
        assert order.tax_total >= lines["tax"]


def test_every_status_was_reached_through_allowed_transitions(seeded):
    moves = OrderEvent.objects.filter(kind="status").exclude(from_status="")
    steps = moves.values_list("from_status", "to_status")
    assert {(before, after) for before, after in steps if after not in TRANSITIONS[before]} == set()
    assert not OrderEvent.objects.filter(kind="status", from_status="").exclude(to_status="placed").exists()


def test_only_open_allocated_orders_hold_stock_and_every_invariant_holds(seeded):
    holding = Order.objects.filter(lines__allocations__is_open=True).distinct()
    assert set(holding.exclude(DEMO_STEPS).values_list("status", flat=True)) <= {"allocated", "picking", "packed"}
    # (an exchange the customer owes a difference on waits on a payment hold, its stock kept)
    assert set(holding.filter(DEMO_STEPS).values_list("status", flat=True)) <= {"allocated", "on_hold"}
    # Every reservation belongs to a line of an order that holds stock, and every such line has its own.
    reservations = dict(Reservation.objects.values_list("reference", "status"))
    references = {reference for reference, status in reservations.items() if status == "open"}
    # (a gift card's allocation, the demo's "gift cards" step's, holds no stock)
    allocated_lines = set(LineAllocation.objects.filter(is_open=True, line__sku__gift_card="")
                          .values_list("line__order_id", "line_id"))
    assert references == {f"order:{order_id}:line:{line_id}" for order_id, line_id in allocated_lines}
    assert len(allocated_lines) > 0
    # The generated orders keep no reservation but the open ones (the later steps' orders shipped
    # through the services, and their reservations were used).
    placed = set(Order.objects.filter(DEMO_STEPS).values_list("pk", flat=True))
    assert {status for reference, status in reservations.items() if int(reference.split(":")[1]) not in placed
            } == {"open"}
    assert not OrderLine.objects.exclude(order__in=placed).filter(
        order__status__in=["closed", "delivered", "returned", "cancelled"], allocations__isnull=False).exists()
    assert all_violations() == []


def test_sequences_go_on_after_the_generated_numbers(seeded):
    warehouse = Warehouse.objects.get(code="EAST")
    level = StockLevel.objects.filter(warehouse=warehouse, sku__status=Sku.Status.ACTIVE, sku__is_kit=False,
                                      on_hand__gt=F("reserved")).select_related("sku").first()
    customer = customer_create(user=None, first_name="Ada", last_name="Lovelace", emails=["ada@example.com"])

    order = order_place(
        user=None, channel="web", customer=customer, lines=[LineRequest(sku=level.sku, quantity=1)],
        ship_to={"name": "Ada Lovelace", "line1": "350 Fifth Avenue", "city": "New York", "region": "NY",
                 "postal_code": "10118", "country": "US"},
        shipping_method=ShippingMethod.objects.get(code="ground"),
    )

    assert int(order.number) > max(int(number) for number in Order.objects.exclude(pk=order.pk)
                                   .values_list("number", flat=True))
    others = Customer.objects.exclude(pk=customer.pk).values_list("number", flat=True)
    assert int(customer.number[1:]) > max(int(number[1:]) for number in others)
    assert all_violations() == []


def test_seeding_adds_orders_up_to_the_number_asked_for(seeded):
    before = Order.objects.count(), Customer.objects.count(), OrderEvent.objects.count()

    again = seed()

    # (the later steps' orders count: there are a few more than asked for at first)
    assert f"Demo orders: {before[0]} orders already (asked for {ORDERS})" in again
    assert (Order.objects.count(), Customer.objects.count(), OrderEvent.objects.count()) == before

    more = seed(orders=ORDERS + 100)

    assert f"Demo orders: {ORDERS + 100 - before[0]} orders (" in more
    assert Order.objects.count() == ORDERS + 100
    assert Customer.objects.count() == round((ORDERS + 100) / 3)
    assert Order.objects.values("number").distinct().count() == ORDERS + 100
    assert all_violations() == []


def test_a_till_sale_of_seconds_ago_that_finds_no_stock_waits_released(seeded):
    """A sale at the till placed moments ago may stop at picking; without stock it waits, backordered."""
    generator = OrderGenerator(rng=random.Random(7), methods=shipping_methods(), taxes=tax_rates(),
                               faker_seed=7, stdout=StringIO())
    customer = generator._load_customers()[0]
    order = generator._plan(1, "1", "pos", generator.now - 10, customer, generator._lines())
    assert order.status == "picking"

    generator._backorder(order)

    assert order.status == "released"
    assert [step[0] for step in order.steps if step[0]] == ["placed", "released"]
    assert {step[2] for step in order.steps[2:]} == {"backorder"}
    assert all(line.allocated == 0 and line.expected_on for line in order.lines)


def test_no_orders_when_asked_for_none():
    output = seed(orders=0)

    assert not Order.objects.exists()
    assert "Demo orders: 0 orders already" in output
