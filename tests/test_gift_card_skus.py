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


# --- cancellations, edits, short picks, tax -----------------------------------------------------------


@pytest.fixture
def no_send(monkeypatch):
    """The e-gift task's calls, instead of sending them to a worker."""
    from payments.giftcards import tasks

    queued = []
    monkeypatch.setattr(tasks.gift_cards_send_electronic_task, "delay", lambda **kwargs: queued.append(kwargs))
    return queued


def statuses(line) -> list[str]:
    return list(GiftCard.objects.filter(source_order_line=line).order_by("pk").values_list("status", flat=True))


def gift_card_entries() -> int:
    from payments.ledger.models import JournalEntry

    return JournalEntry.objects.filter(kind__startswith="gift_card.").count()


def test_cancelling_an_order_voids_its_inactive_gift_cards_and_posts_nothing(shirt, plastic, egift, no_send):
    from orders.services import order_cancel

    order = place(lines=[line(shirt, 1), line(plastic, 2), line(egift, 1)])
    assert [len(statuses(card_line)) for card_line in order.lines.order_by("pk")] == [0, 2, 1]
    assert all_violations() == []

    order_cancel(order=order, user=None, reason="Customer changed their mind")

    assert GiftCard.objects.filter(source_order_line__order=order).exclude(status="void").count() == 0
    assert gift_card_entries() == 0 and liability() == 0 and all_violations() == []


def test_a_sent_e_gift_stays_active_when_the_rest_of_its_order_is_cancelled(shirt, egift, no_send):
    from orders.services import order_cancel

    order = place(lines=[line(shirt, 1), line(egift, 1)])
    assert lines_fulfil_electronically(order_id=order.pk, user=None) == Decimal("25.00")

    order_cancel(order=order, user=None, reason="The shirt is not wanted")

    # The e-gift was sent: its unit is shipped, the cancellation leaves it (its refund is a normal refund).
    card = GiftCard.objects.get(source_order_line__order=order)
    assert (card.status, card.balance) == ("active", Decimal("25.00"))
    assert order.lines.get(sku=egift).quantity_shipped == 1
    assert liability() == Decimal("25.00") and all_violations() == []


def test_cancelling_gift_card_units_voids_the_newest_inactive_cards(shirt, plastic):
    from orders.services import order_cancel_lines

    order = place(lines=[line(shirt, 1), line(plastic, 3)])
    card_line = order.lines.get(sku=plastic)
    first = list(GiftCard.objects.filter(source_order_line=card_line).order_by("pk").values_list("pk", flat=True))

    order_cancel_lines(order=order, quantities={card_line.pk: 1}, user=None, reason="Two are enough")

    assert statuses(card_line) == ["inactive", "inactive", "void"]
    assert list(GiftCard.objects.filter(source_order_line=card_line, status="inactive")
                .values_list("pk", flat=True).order_by("pk")) == first[:2]
    assert gift_card_entries() == 0 and all_violations() == []


def test_an_edit_gives_an_added_gift_card_line_its_cards_and_voids_what_it_takes_away(
        warehouse, shirt, plastic, make_user):
    from orders.services import order_edit

    order = place(lines=[line(shirt, 1)])
    order = order_edit(order=order, user=None, add_lines=[line(plastic, 2)])
    card_line = order.lines.get(sku=plastic)
    assert [(card.status, card.initial_amount) for card in GiftCard.objects.filter(source_order_line=card_line)] == [
        ("inactive", Decimal("50.00"))] * 2
    assert LineAllocation.objects.get(line=card_line, is_open=True).quantity == 2 and all_violations() == []

    order_edit(order=order, user=None, quantities={card_line.pk: 3})
    assert statuses(card_line) == ["inactive"] * 3
    order_edit(order=order, user=None, quantities={card_line.pk: 1})
    assert statuses(card_line) == ["inactive", "void", "void"]
    assert all_violations() == []

    # What ships activates the one card left, for its 50.00.
    packer = make_user("Warehouse")
    shipment_confirm(shipment=shipment_open(order=order, warehouse=warehouse, user=packer), user=packer)
    assert statuses(card_line) == ["active", "void", "void"]
    assert liability() == Decimal("50.00") and all_violations() == []


def test_an_e_gift_added_by_an_edit_to_a_released_order_is_sent(shirt, egift, no_send,
                                                                django_capture_on_commit_callbacks):
    from orders.services import order_edit

    order = place(lines=[line(shirt, 1)])
    assert order.status == OrderStatus.ALLOCATED
    with django_capture_on_commit_callbacks(execute=True):
        order = order_edit(order=order, user=None, add_lines=[line(egift, 1)])
    assert no_send == [{"order_id": order.pk}]
    assert lines_fulfil_electronically(order_id=order.pk, user=None) == Decimal("25.00")
    assert statuses(order.lines.get(sku=egift)) == ["active"]

    # Removing a line whose e-gift was sent cancels nothing of it.
    egift_line = order.lines.get(sku=egift)
    order = order_edit(order=order, user=None, remove_line_ids=[egift_line.pk])
    assert statuses(egift_line) == ["active"] and liability() == Decimal("25.00") and all_violations() == []


def test_removing_a_gift_card_line_voids_its_cards(shirt, plastic):
    from orders.services import order_edit

    order = place(lines=[line(shirt, 1), line(plastic, 2)])
    card_line = order.lines.get(sku=plastic)

    order_edit(order=order, user=None, remove_line_ids=[card_line.pk])

    assert statuses(card_line) == ["void", "void"] and all_violations() == []


def test_a_short_pick_of_a_physical_gift_card_keeps_it_to_ship_from_the_same_warehouse(
        warehouse, shirt, plastic, make_user, django_capture_on_commit_callbacks):
    from inventory.models import StockMovement
    from orders import hooks
    from orders.fulfillment.models import ShipmentLine
    from orders.fulfillment.selectors import short_picks_open
    from orders.fulfillment.services import pick_short

    WarehouseFactory(code="WEST", priority=50)
    packer = make_user("Warehouse")
    order = place(lines=[line(shirt, 1), line(plastic, 2)])
    card_line = order.lines.get(sku=plastic)
    shipment = shipment_open(order=order, warehouse=warehouse, user=packer)
    pick = ShipmentLine.objects.get(shipment=shipment, order_line=card_line)
    notices = []
    hooks.on_short_pick_notify(notices.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert pick_short(line=pick, reason="No cards at the bench", user=packer, route="other_warehouse") == 2
    finally:
        hooks.remove_short_pick_notify(notices.append)

    # No stock was touched; the units stay allocated at EAST, outside the shipment; nothing to ask.
    card_line.refresh_from_db()
    assert (card_line.quantity_allocated, card_line.quantity_backordered) == (2, 0)
    assert list(LineAllocation.objects.filter(line=card_line, is_open=True).values_list(
        "warehouse__code", "quantity")) == [("EAST", 2)]
    assert not StockMovement.objects.filter(sku=plastic).exists()
    assert not ShipmentLine.objects.filter(shipment=shipment, order_line=card_line).exists()
    assert notices == [] and short_picks_open(order) == []
    assert all_violations() == []

    # The shirt ships; the cards go in the next shipment from EAST, and only then become active.
    shipment_confirm(shipment=shipment, user=packer)
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_SHIPPED and statuses(card_line) == ["inactive"] * 2
    shipment_confirm(shipment=shipment_open(order=order, warehouse=warehouse, user=packer), user=packer)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and statuses(card_line) == ["active"] * 2
    assert liability() == Decimal("100.00") and all_violations() == []


def test_a_new_gift_card_sku_is_tax_exempt_unless_given_another_class():
    assert SkuFactory(gift_card="physical").tax_class == "exempt"
    assert SkuFactory(gift_card="electronic", tax_class="zero").tax_class == "zero"
    assert SkuFactory().tax_class == "standard"
    sku = SkuFactory(gift_card="physical")
    sku.tax_class = "standard"  # a later change stands (a jurisdiction that taxes the sale)
    sku.save()
    sku.refresh_from_db()
    assert sku.tax_class == "standard"
