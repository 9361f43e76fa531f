"""Gift cards sold as SKUs: a card per unit at placement, activated by the shipment (physical) or
at release (e-gift), the money booked as a liability instead of revenue, the code shown once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.fulfillment.electronic import lines_fulfil_electronically
from orders.fulfillment.shipping import shipment_confirm, shipment_open
from orders.models import LineAllocation, OrderStatus
from payments.giftcards import sold
from payments.giftcards.models import GiftCard
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.ledger_helpers import balance
from tests.orders_helpers import all_violations, line, place

pytestmark = pytest.mark.django_db

LIABILITY, REVENUE, RECEIVABLES, DEPOSITS = "2200", "4000", "1100", "2300"


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="EAST", priority=10)


@pytest.fixture
def shirt(warehouse):
    sku = SkuFactory(code="SHIRT-M", list_price=Decimal("20.00"))
    stock(sku, warehouse, 10)
    return sku


@pytest.fixture
def plastic():
    return SkuFactory(code="GC-50", list_price=Decimal("50.00"), gift_card="physical", tax_class="exempt")


@pytest.fixture
def egift():
    return SkuFactory(code="EGC-25", list_price=Decimal("25.00"), gift_card="electronic", tax_class="exempt")


def revenue() -> Decimal:
    return -balance(REVENUE)


def liability() -> Decimal:
    return -balance(LIABILITY)


def test_a_physical_gift_card_ships_with_the_order_and_becomes_a_liability_not_revenue(
        warehouse, shirt, plastic, make_user, django_capture_on_commit_callbacks):
    packer = make_user("Warehouse")
    with django_capture_on_commit_callbacks(execute=True):
        order = place(lines=[line(shirt, 1), line(plastic, 2)])
    # No stock for the cards, nothing backordered: the order is allocated whole.
    assert order.status == OrderStatus.ALLOCATED
    card_line = order.lines.get(sku=plastic)
    assert (card_line.quantity_allocated, card_line.quantity_backordered) == (2, 0)
    allocation = LineAllocation.objects.get(line=card_line)
    assert allocation.warehouse == warehouse and allocation.quantity == 2
    cards = list(GiftCard.objects.filter(source_order_line=card_line).order_by("pk"))
    assert [(card.status, card.kind, card.initial_amount, card.balance) for card in cards] == [
        ("inactive", "sold", Decimal("50.00"), Decimal("0"))] * 2
    assert liability() == 0 and all_violations() == []

    shipment = shipment_open(order=order, warehouse=warehouse, user=packer)
    with django_capture_on_commit_callbacks(execute=True):
        result = shipment_confirm(shipment=shipment, user=packer)

    assert result.shipped_now and result.amount == order.total
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert [(card.status, card.balance) for card in GiftCard.objects.filter(pk__in=[c.pk for c in cards])] == [
        ("active", Decimal("50.00"))] * 2
    # The shirt is revenue; the cards' 100.00 is the liability, booked once (by the shipment).
    assert revenue() == Decimal("20.00") and liability() == Decimal("100.00")
    assert balance(RECEIVABLES) + balance(DEPOSITS) == order.total  # whichever the order is booked against
    assert all_violations() == []


def test_an_e_gift_card_is_sent_at_release_without_a_shipment_and_then_pays_another_order(
        shirt, egift, role_client, django_capture_on_commit_callbacks, monkeypatch):
    from payments.giftcards import tasks

    queued = []
    monkeypatch.setattr(tasks.gift_cards_send_electronic_task, "delay", lambda **kwargs: queued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        order = place(lines=[line(egift, 1)])
    # Released (no hold): the task that sends it is queued; nothing is picked for it.
    assert order.status == OrderStatus.ALLOCATED and queued == [{"order_id": order.pk}]
    assert not LineAllocation.objects.filter(line__order=order).exists()
    card = GiftCard.objects.get(source_order_line__order=order)
    assert (card.kind, card.status) == ("e_gift", "inactive")

    with django_capture_on_commit_callbacks(execute=True):
        assert lines_fulfil_electronically(order_id=order.pk, user=None) == Decimal("25.00")
    assert lines_fulfil_electronically(order_id=order.pk, user=None) == 0  # once

    order.refresh_from_db()
    card.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.lines.get().quantity_shipped == 1
    assert (card.status, card.balance) == ("active", Decimal("25.00"))
    assert liability() == Decimal("25.00") and revenue() == 0 and all_violations() == []

    # The agent sees the full code once on the order page, then only its last four.
    client = role_client("Agent")
    first = client.get(order.get_absolute_url()).content.decode()
    assert "full-code" in first
    code = first.split('full-code">', 1)[1].split("<", 1)[0].strip()
    assert GiftCard.objects.get(code_hash=__import__("payments.giftcards.codes", fromlist=["x"]).code_hash(code)) == card
    again = client.get(order.get_absolute_url()).content.decode()
    assert "full-code" not in again and code not in again and card.masked_code in again

    # It pays for a shirt on another order.
    other = place(lines=[line(shirt, 1)], payment=[{"kind": "gift_card", "code": code}])
    card.refresh_from_db()
    assert card.balance == Decimal("25.00") - other.total and other.status != OrderStatus.ON_HOLD
    assert all_violations() == []


def test_warehouse_sees_no_gift_card_panel(shirt, egift, role_client):
    order = place(lines=[line(egift, 1)])
    page = role_client("Warehouse").get(order.get_absolute_url())
    assert page.status_code == 200 and b"gift-cards-sold-panel" not in page.content
    assert sold.gift_card_order_panel(order=order, user=order.created_by or _anonymous()) is None


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def test_the_sku_page_shows_the_flag(plastic, role_client):
    page = role_client("Manager").get(reverse("catalog:sku_detail", args=[plastic.pk]))
    assert b"Physical gift card" in page.content


def test_an_order_of_a_shirt_and_an_e_gift_books_its_shipping_with_the_shirt(
        warehouse, shirt, egift, make_user, django_capture_on_commit_callbacks, monkeypatch):
    from payments.giftcards import tasks
    from tests.orders_helpers import ground

    monkeypatch.setattr(tasks.gift_cards_send_electronic_task, "delay", lambda **kwargs: None)
    order = place(lines=[line(shirt, 2), line(egift, 1)], shipping_method=ground())
    assert order.shipping_total > 0 and order.status == OrderStatus.ALLOCATED
    assert lines_fulfil_electronically(order_id=order.pk, user=None) == Decimal("25.00")
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED  # the shirts are still to ship
    assert liability() == Decimal("25.00") and revenue() == 0

    packer = make_user("Warehouse")
    result = shipment_confirm(shipment=shipment_open(order=order, warehouse=warehouse, user=packer), user=packer)

    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert result.amount == order.total - Decimal("25.00")  # the shirts, their shipping and tax
    assert revenue() == Decimal("40.00") and liability() == Decimal("25.00") and -balance("4100") == order.shipping_total
    assert all_violations() == []


def test_an_order_on_hold_sends_no_e_gift_until_it_is_released(egift):
    from orders.models import Hold

    order = place(lines=[line(egift, 1)])
    Hold.objects.create(order=order, reason=Hold.Reason.MANUAL, note="check")
    type(order).objects.filter(pk=order.pk).update(status=OrderStatus.ON_HOLD)
    assert lines_fulfil_electronically(order_id=order.pk, user=None) == 0
    assert GiftCard.objects.get(source_order_line__order=order).status == "inactive"
    assert liability() == 0
