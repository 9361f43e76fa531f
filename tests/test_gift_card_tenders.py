"""Gift cards as a tender at order entry: validated, then redeemed inside the placement transaction."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from inventory.postings import business_date
from orders.models import Hold, OrderStatus
from orders.services import OrderError
from payments.giftcards.models import GiftCard, GiftCardTransaction
from payments.giftcards.services import gift_card_issue, gift_card_redeem, gift_card_sell
from payments.models import JournalEntry
from payments.tenders.models import Tender
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.ledger_helpers import balance, lines_of
from tests.orders_helpers import CustomerFactory, all_violations, line, place, table_counts

pytestmark = pytest.mark.django_db

LIABILITY, DEPOSITS = "2200", "2300"


@pytest.fixture
def shirt():
    sku = SkuFactory(code="SHIRT-M", list_price=Decimal("19.99"))
    stock(sku, WarehouseFactory(code="EAST", priority=10), 10)
    return sku


@pytest.fixture
def card(make_user):
    return gift_card_issue(amount=Decimal("100.00"), currency="USD", user=make_user("Manager"), reason="Goodwill")


def counts() -> dict:
    return table_counts() | {"tenders": Tender.objects.count(), "card rows": GiftCardTransaction.objects.count(),
                             "entries": JournalEntry.objects.count()}


def payment_hold(order):
    return Hold.objects.filter(order=order, reason=Hold.Reason.PAYMENT).first()


def test_a_gift_card_paying_the_whole_order_is_redeemed_at_placement_and_the_order_goes_on(shirt, card):
    order = place(lines=[line(shirt, 2)], customer=CustomerFactory(),
                  payment=[{"kind": "gift_card", "code": card.code}])

    order.refresh_from_db()
    tender = order.tenders.get()
    total = order.total
    assert payment_hold(order) is None and order.status != OrderStatus.ON_HOLD
    assert (tender.kind, tender.status, tender.amount, tender.captured_amount, tender.reference) == (
        "gift_card", "captured", total, total, card.masked_code)
    redemption = GiftCardTransaction.objects.get(card=card, kind="redeem")
    assert (redemption.amount, redemption.order, redemption.tender_id) == (-total, order, tender.pk)
    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("100.00") - total
    entry = JournalEntry.objects.get(source_type="payments.giftcardtransaction", source_id=str(redemption.pk))
    assert lines_of(entry) == [(LIABILITY, total, Decimal("0")), (DEPOSITS, Decimal("0"), total)]
    assert balance(DEPOSITS) == -total
    assert all_violations() == []


def test_a_gift_card_can_pay_part_and_a_second_card_the_rest(shirt, card, make_user):
    other = gift_card_sell(amount=Decimal("50.00"), currency="USD", user=None, kind="e_gift", funded_by="cash")

    order = place(lines=[line(shirt, 3)], customer=CustomerFactory(),
                  payment=[{"kind": "gift_card", "code": card.code, "amount": "10.00"},
                           {"kind": "gift_card", "code": other.code}])

    first, second = order.tenders.order_by("sequence")
    assert (first.amount, second.amount) == (Decimal("10.00"), order.total - Decimal("10.00"))
    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("90.000")
    assert GiftCard.objects.get(pk=other.pk).balance == Decimal("50.00") - (order.total - Decimal("10.00"))
    assert payment_hold(order) is None


@pytest.mark.parametrize("problem, message", [
    ("unknown", "There is no gift card with that code."),
    ("insufficient", "Gift card •••• {last4} has 100.00 left, less than 119.94."),
    ("expired", "Gift card •••• {last4} has expired."),
    ("inactive", "Gift card •••• {last4} is inactive (sold, not yet activated)."),
])
def test_a_card_that_cannot_pay_refuses_the_order_and_nothing_is_written(shirt, card, problem, message):
    target = card
    if problem == "expired":
        GiftCard.objects.filter(pk=card.pk).update(expires_on=business_date() - timedelta(days=1))
    if problem == "inactive":
        target = gift_card_sell(amount=Decimal("100.00"), currency="USD", user=None)
    code = "ZZZZ-ZZZZ-ZZZZ-ZZZZ" if problem == "unknown" else target.code
    quantity = 6 if problem == "insufficient" else 1
    before = counts()

    with pytest.raises(OrderError) as refused:
        place(lines=[line(shirt, quantity)], customer=CustomerFactory(),
              payment=[{"kind": "gift_card", "code": code}])

    assert refused.value.field_errors == {"payment": [message.format(last4=target.last4)]}
    assert counts() == before
    assert GiftCard.objects.get(pk=target.pk).balance == target.balance


def test_one_card_named_twice_must_cover_both_amounts(shirt, card):
    with pytest.raises(OrderError) as refused:
        place(lines=[line(shirt, 6)], customer=CustomerFactory(),
              payment=[{"kind": "gift_card", "code": card.code, "amount": "60.00"},
                       {"kind": "gift_card", "code": card.code}])

    assert refused.value.field_errors == {
        "payment": [f"Gift card •••• {card.last4} has 100.00 left, less than 119.94."]}


def test_a_card_drained_between_validation_and_redemption_puts_the_order_on_a_payment_hold(
        shirt, card, monkeypatch):
    # Validation passed a moment ago; another order took the balance since (simulated: validation
    # sees the card as it was).
    from payments.giftcards import tenders

    monkeypatch.setattr(tenders, "_problem", lambda *args: "")
    gift_card_redeem(card=card, amount=Decimal("95.00"), user=None)
    entries = JournalEntry.objects.count()

    order = place(lines=[line(shirt, 1)], customer=CustomerFactory(),
                  payment=[{"kind": "gift_card", "code": card.code}])

    order.refresh_from_db()
    tender = order.tenders.get()
    hold = payment_hold(order)
    message = f"Gift card {card.masked_code} has 5.00 left, less than 19.99."
    assert (tender.status, tender.captured_amount, tender.failure_message) == ("declined", Decimal("0"), message)
    assert hold is not None and message in hold.note and order.status == OrderStatus.ON_HOLD
    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("5.000")
    assert GiftCardTransaction.objects.filter(card=card, kind="redeem").count() == 1
    assert JournalEntry.objects.count() == entries
    assert all_violations() == []


def test_cancelling_an_order_puts_its_gift_card_payment_back_on_the_card_once(shirt, card, monkeypatch):
    from orders.services import order_cancel
    from payments.giftcards import tasks, tenders

    queued = []
    monkeypatch.setattr(tasks.gift_card_tenders_return_task, "delay", lambda **kwargs: queued.append(kwargs))
    order = place(lines=[line(shirt, 2)], customer=CustomerFactory(),
                  payment=[{"kind": "gift_card", "code": card.code}])
    order_cancel(order=order, user=None, reason="Customer changed their mind")
    tenders.order_cancelled(order.pk, "allocated", "cancelled")

    returned = tenders.gift_card_tenders_return(order=order, user=None)
    again = tenders.gift_card_tenders_return(order=order, user=None)

    assert queued == [{"order_id": order.pk}]
    tender = order.tenders.get()
    assert [t.pk for t in returned] == [tender.pk] and again == []
    assert (tender.captured_amount, tender.refunded_amount) == (Decimal("39.98"), Decimal("39.98"))
    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("100.000")
    refund = GiftCardTransaction.objects.get(card=card, kind="refund")
    assert (refund.amount, refund.tender_id, refund.order) == (Decimal("39.980"), tender.pk, order)
    assert balance(DEPOSITS) == Decimal("0") and balance(LIABILITY) == Decimal("-100.000")
    assert all_violations() == []


# --- the order-entry page ------------------------------------------------------------------------------


def test_the_entry_page_offers_the_gift_card_inputs_to_agents(role_client):
    from django.urls import reverse

    from payments.giftcards.tenders import gift_card_entry_panel

    page = role_client("Agent").get(reverse("orders:order_entry")).content.decode()

    assert 'name="gift_card_code"' in page and 'name="gift_card_amount"' in page
    assert gift_card_entry_panel(user=None) is None


def test_the_entry_reader_turns_the_inputs_into_a_gift_card_instruction():
    from payments.giftcards.tenders import gift_card_entry_payment

    assert gift_card_entry_payment({"gift_card_code": " ab-cd ", "gift_card_amount": ""}) == [
        {"kind": "gift_card", "code": "ab-cd"}]
    assert gift_card_entry_payment({"gift_card_code": "X", "gift_card_amount": "5.00"}) == [
        {"kind": "gift_card", "code": "X", "amount": "5.00"}]
    assert gift_card_entry_payment({"gift_card_code": "  "}) == []


def test_an_agent_places_an_order_paid_by_gift_card_from_the_entry_page(role_client, card):
    from django.urls import reverse

    from orders.models import Order
    from tests.screens_orders_helpers import entry_world

    world = entry_world()
    data = {"customer": world.customer.pk, "source_code": "", "coupons": "", "ship_choice": str(world.home.pk),
            "shipping_method": world.ground.pk, "notes": "", "add_sku": "", "add_quantity": "1",
            "line-1-sku": world.mug.pk, "line-1-quantity": 1, "gift_card_code": card.code.lower()}
    client = role_client("Agent")
    orders_before = set(Order.objects.values_list("pk", flat=True))

    too_much = client.post(reverse("orders:order_entry"), data | {"gift_card_amount": "500.00"})
    unknown = client.post(reverse("orders:order_entry"), data | {"gift_card_code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"})
    refused_orders = set(Order.objects.values_list("pk", flat=True))
    response = client.post(reverse("orders:order_entry"), data)

    assert (too_much.status_code, unknown.status_code) == (422, 422)
    assert "The payments (500.00) add up to more than the order total" in too_much.content.decode()
    assert "There is no gift card with that code." in unknown.content.decode()
    assert refused_orders == orders_before
    assert response.status_code == 302
    order = Order.objects.exclude(pk__in=orders_before).get()
    tender = order.tenders.get()
    assert (tender.kind, tender.status, tender.captured_amount) == ("gift_card", "captured", order.total)
    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("100.00") - order.total
    assert payment_hold(order) is None
