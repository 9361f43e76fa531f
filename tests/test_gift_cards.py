"""Gift card services: issue, sell, activate, redeem, refund, expire; their postings and invariants."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from inventory.postings import business_date
from payments.giftcards.codes import ALPHABET, code_generate, code_hash, code_normalize
from payments.giftcards.errors import GiftCardError
from payments.giftcards.invariants import CHECKS
from payments.giftcards.models import GiftCard, GiftCardTransaction
from payments.giftcards.selectors import gift_card_balance, gift_card_search
from payments.giftcards.services import (
    gift_card_activate, gift_card_expire, gift_card_issue, gift_card_redeem, gift_card_redeem_in_transaction,
    gift_card_refund, gift_card_sell, gift_cards_activate_for_order_lines, gift_cards_expire_due,
)
from payments.invariants import violations as payments_violations
from payments.models import JournalEntry
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.ledger_helpers import balance, lines_of
from tests.orders_helpers import line, place

pytestmark = pytest.mark.django_db

LIABILITY, DEPOSITS, GOODWILL, BREAKAGE, CASH = "2200", "2300", "6100", "4400", "1000"


@pytest.fixture
def manager(make_user):
    return make_user("Manager")


@pytest.fixture
def agent(make_user):
    return make_user("Agent")


@pytest.fixture
def order():
    warehouse = WarehouseFactory()
    sku = SkuFactory(list_price=Decimal("30.00"))
    stock(sku, warehouse, 5)
    return place(lines=[line(sku)])


def goodwill(manager, amount: str = "50.00", **fields) -> GiftCard:
    return gift_card_issue(amount=Decimal(amount), currency="USD", user=manager, reason="Late parcel", **fields)


def counts() -> dict[str, int]:
    return {"cards": GiftCard.objects.count(), "transactions": GiftCardTransaction.objects.count(),
            "entries": JournalEntry.objects.count()}


def gift_card_violations() -> list:
    names = {name for name, _sql in CHECKS}
    return [row for row in payments_violations() if row[0] in names]


def entry_of(transaction_row: GiftCardTransaction) -> JournalEntry:
    return JournalEntry.objects.get(source_type="payments.giftcardtransaction", source_id=str(transaction_row.pk))


# --- codes -------------------------------------------------------------------------------------


def test_codes_are_sixteen_symbols_of_the_alphabet_in_groups_and_all_different():
    codes = {code_generate() for _ in range(500)}

    assert len(codes) == 500
    for code in codes:
        groups = code.split("-")
        assert [len(group) for group in groups] == [4, 4, 4, 4]
        assert set("".join(groups)) <= set(ALPHABET)


def test_a_code_is_found_whatever_its_case_and_separators():
    assert code_normalize(" abcd-efgh jkmn-pqrs ") == "ABCDEFGHJKMNPQRS"
    assert code_hash("abcd efgh-jkmn pqrs") == code_hash("ABCD-EFGH-JKMN-PQRS")
    assert code_hash("ABCD-EFGH-JKMN-PQRS") != code_hash("ABCD-EFGH-JKMN-PQRT")


# --- goodwill ----------------------------------------------------------------------------------


def test_a_manager_issues_a_goodwill_card_posted_as_goodwill_expense_against_the_liability(manager):
    card = goodwill(manager, "50.00")

    card.refresh_from_db()
    assert (card.status, card.kind, card.balance, card.initial_amount) == (
        "active", "goodwill", Decimal("50.000"), Decimal("50.000"))
    assert card.last4 == code_normalize(card.code)[-4:]
    assert card.masked_code == f"•••• {card.last4}"
    assert card.issued_by == manager
    issue = card.transactions.get()
    assert (issue.kind, issue.amount) == ("issue", Decimal("50.000"))
    assert lines_of(entry_of(issue)) == [(GOODWILL, Decimal("50.000"), Decimal("0")),
                                        (LIABILITY, Decimal("0"), Decimal("50.000"))]
    assert gift_card_violations() == []


def test_the_full_code_is_returned_once_and_only_its_hash_and_last_four_are_stored(manager):
    card = goodwill(manager)
    code = card.code

    stored = GiftCard.objects.get(pk=card.pk)
    assert not hasattr(stored, "code")
    assert stored.code_hash == code_hash(code) and stored.last4 == code_normalize(code)[-4:]
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(c)::text FROM payments_giftcard c WHERE id = %s", [card.pk])
        row = cursor.fetchone()[0]
    assert code_normalize(code) not in code_normalize(row)
    assert gift_card_balance(code=code.lower()) == stored


def test_an_agent_may_not_issue_goodwill_and_nothing_is_written(agent):
    before = counts()

    with pytest.raises(GiftCardError) as refused:
        gift_card_issue(amount=Decimal("10.00"), currency="USD", user=agent, reason="Because")

    assert refused.value.reason == "permission"
    assert counts() == before


@pytest.mark.parametrize("amount, reason", [(Decimal("0"), "amount"), (Decimal("-5"), "amount"),
                                            (Decimal("0.004"), "amount")])
def test_goodwill_of_nothing_is_refused(manager, amount, reason):
    before = counts()

    with pytest.raises(GiftCardError) as refused:
        goodwill(manager, str(amount))

    assert refused.value.reason == reason
    assert counts() == before


def test_goodwill_needs_a_reason(manager):
    with pytest.raises(GiftCardError):
        gift_card_issue(amount=Decimal("10.00"), currency="USD", user=manager, reason="  ")
    assert GiftCard.objects.count() == 0


# --- sale and activation -----------------------------------------------------------------------


def test_a_sold_card_is_inactive_with_nothing_on_it_and_posts_nothing_until_activated(agent):
    card = gift_card_sell(amount=Decimal("25.00"), currency="USD", user=agent)

    card.refresh_from_db()
    assert (card.status, card.balance, card.initial_amount) == ("inactive", Decimal("0"), Decimal("25.000"))
    assert card.transactions.count() == 0
    assert JournalEntry.objects.filter(kind__startswith="gift_card").count() == 0
    with pytest.raises(GiftCardError) as refused:
        gift_card_redeem(card=card, amount=Decimal("1.00"), user=agent)
    assert refused.value.reason == "status"


def test_activation_loads_the_card_from_the_orders_deposits_not_revenue(agent):
    card = gift_card_sell(amount=Decimal("25.00"), currency="USD", user=agent)

    gift_card_activate(card=card, user=agent)

    card.refresh_from_db()
    assert (card.status, card.balance) == ("active", Decimal("25.000"))
    activation = card.transactions.get()
    assert (activation.kind, activation.amount) == ("activate", Decimal("25.000"))
    assert lines_of(entry_of(activation)) == [(DEPOSITS, Decimal("25.000"), Decimal("0")),
                                             (LIABILITY, Decimal("0"), Decimal("25.000"))]
    assert balance("4000") == Decimal("0")  # no revenue
    assert gift_card_violations() == []


def test_a_card_is_activated_once(agent):
    card = gift_card_sell(amount=Decimal("25.00"), currency="USD", user=agent)
    gift_card_activate(card=card, user=agent)
    before = counts()

    with pytest.raises(GiftCardError) as refused:
        gift_card_activate(card=card, user=agent)

    assert refused.value.reason == "status"
    assert counts() == before
    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("25.000")


def test_an_e_gift_card_sold_over_the_counter_is_active_at_once_against_cash(agent):
    card = gift_card_sell(amount=Decimal("40.00"), currency="USD", user=agent, kind="e_gift", funded_by="cash")

    card.refresh_from_db()
    assert (card.status, card.balance) == ("active", Decimal("40.000"))
    assert lines_of(entry_of(card.transactions.get())) == [(CASH, Decimal("40.000"), Decimal("0")),
                                                          (LIABILITY, Decimal("0"), Decimal("40.000"))]
    assert balance(LIABILITY) == Decimal("-40.000")


def test_shipment_activates_the_cards_sold_on_its_lines(agent, order):
    order_line = order.lines.get()
    sold = gift_card_sell(amount=Decimal("30.00"), user=agent, order_line=order_line)
    elsewhere = gift_card_sell(amount=Decimal("10.00"), currency="USD", user=agent)

    with transaction.atomic():
        activated = gift_cards_activate_for_order_lines(order_line_ids=[order_line.pk], user=None)

    assert [card.pk for card in activated] == [sold.pk]
    assert GiftCard.objects.get(pk=sold.pk).status == "active"
    assert GiftCard.objects.get(pk=elsewhere.pk).status == "inactive"


# --- redemption --------------------------------------------------------------------------------


def test_redeeming_by_code_takes_the_amount_off_and_posts_liability_against_the_orders_deposits(
        manager, agent, order):
    card = goodwill(manager, "50.00")

    redemption = gift_card_redeem(code=card.code, amount=Decimal("20.15"), order=order, user=agent, tender_id=7)

    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("29.850")
    assert (redemption.kind, redemption.amount, redemption.order, redemption.tender_id) == (
        "redeem", Decimal("-20.150"), order, 7)
    assert lines_of(entry_of(redemption)) == [(LIABILITY, Decimal("20.150"), Decimal("0")),
                                             (DEPOSITS, Decimal("0"), Decimal("20.150"))]
    assert balance(LIABILITY) == Decimal("-29.850")
    assert gift_card_violations() == []


def test_the_whole_balance_can_be_redeemed_but_not_a_cent_more(manager, agent):
    card = goodwill(manager, "50.00")
    gift_card_redeem(card=card, amount=Decimal("50.00"), user=agent)
    before = counts()

    with pytest.raises(GiftCardError) as refused:
        gift_card_redeem(card=card, amount=Decimal("0.01"), user=agent)

    assert refused.value.reason == "insufficient"
    assert refused.value.balance == Decimal("0")
    assert "•••• " in str(refused.value)
    assert counts() == before
    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("0")


def test_an_insufficient_balance_refuses_the_redemption_and_nothing_changes(manager, agent):
    card = goodwill(manager, "50.00")
    before = counts()

    with pytest.raises(GiftCardError) as refused:
        gift_card_redeem(card=card, amount=Decimal("50.01"), user=agent)

    assert refused.value.reason == "insufficient"
    assert refused.value.balance == Decimal("50.000")
    assert str(refused.value) == f"Gift card {card.masked_code} has 50.00 left, less than 50.01."
    assert counts() == before
    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("50.000")
    assert balance(LIABILITY) == Decimal("-50.000")


def test_an_unknown_code_is_refused(agent):
    with pytest.raises(GiftCardError) as refused:
        gift_card_redeem(code="AAAA-BBBB-CCCC-DDDD", amount=Decimal("1.00"), user=agent)

    assert refused.value.reason == "unknown"
    assert str(refused.value) == "There is no gift card with that code."


def test_a_card_past_its_expiry_date_cannot_be_redeemed_even_before_the_sweep(manager, agent):
    card = goodwill(manager, "50.00", expires_on=business_date() - timedelta(days=1))
    before = counts()

    with pytest.raises(GiftCardError) as refused:
        gift_card_redeem(card=card, amount=Decimal("1.00"), user=agent)

    assert refused.value.reason == "expired"
    assert counts() == before


def test_a_card_expiring_today_can_still_be_redeemed(manager, agent):
    card = goodwill(manager, "50.00", expires_on=business_date())

    gift_card_redeem(card=card, amount=Decimal("1.00"), user=agent)

    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("49.000")


def test_a_card_in_another_currency_than_the_order_is_refused(manager, agent, order):
    card = gift_card_issue(amount=Decimal("50.00"), currency="EUR", user=manager, reason="Late")

    with pytest.raises(GiftCardError) as refused:
        gift_card_redeem(card=card, amount=Decimal("1.00"), order=order, user=agent)

    assert refused.value.reason == "currency"


def test_a_refused_redemption_inside_placement_leaves_the_callers_transaction_usable(manager, agent):
    card = goodwill(manager, "10.00")

    with transaction.atomic():
        with pytest.raises(GiftCardError):
            gift_card_redeem_in_transaction(card=card, amount=Decimal("10.01"), user=agent)
        gift_card_redeem_in_transaction(card=card, amount=Decimal("10.00"), user=agent)

    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("0")
    assert card.transactions.filter(kind="redeem").count() == 1
    assert gift_card_violations() == []


def test_the_balance_can_never_go_below_zero_even_by_sql(manager):
    card = goodwill(manager, "5.00")

    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCard.objects.filter(pk=card.pk).update(balance=Decimal("-0.01"))


def test_transactions_are_never_edited_or_deleted(manager):
    card = goodwill(manager, "5.00")
    issue = card.transactions.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCardTransaction.objects.filter(pk=issue.pk).update(amount=Decimal("500"))
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCardTransaction.objects.filter(pk=issue.pk).delete()


# --- refund ------------------------------------------------------------------------------------


def test_a_refund_to_the_card_credits_it_back_and_reverses_the_redemptions_posting(manager, agent, order):
    card = goodwill(manager, "50.00")
    gift_card_redeem(card=card, amount=Decimal("30.00"), order=order, user=agent)

    refund = gift_card_refund(card=card, amount=Decimal("12.34"), order=order, user=agent)

    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("32.340")
    assert (refund.kind, refund.amount) == ("refund", Decimal("12.340"))
    assert lines_of(entry_of(refund)) == [(DEPOSITS, Decimal("12.340"), Decimal("0")),
                                         (LIABILITY, Decimal("0"), Decimal("12.340"))]
    assert balance(DEPOSITS) == Decimal("-17.660")
    assert gift_card_violations() == []


def test_a_refund_to_an_expired_card_is_refused_and_nothing_changes(manager, agent):
    card = goodwill(manager, "50.00")
    gift_card_expire(card=card, user=None)
    before = counts()

    with pytest.raises(GiftCardError) as refused:
        gift_card_refund(card=card, amount=Decimal("5.00"), user=agent)

    assert refused.value.reason == "expired"
    assert counts() == before


# --- expiry ------------------------------------------------------------------------------------


def test_expiry_turns_what_is_left_into_breakage(manager, agent):
    card = goodwill(manager, "50.00")
    gift_card_redeem(card=card, amount=Decimal("20.00"), user=agent)

    gift_card_expire(card=card, user=None)

    card.refresh_from_db()
    assert (card.status, card.balance) == ("expired", Decimal("0"))
    expiry = card.transactions.get(kind="expire")
    assert expiry.amount == Decimal("-30.000")
    assert lines_of(entry_of(expiry)) == [(LIABILITY, Decimal("30.000"), Decimal("0")),
                                         (BREAKAGE, Decimal("0"), Decimal("30.000"))]
    assert balance(LIABILITY) == Decimal("0")
    assert gift_card_violations() == []


def test_expiring_twice_changes_nothing_the_second_time(manager):
    card = goodwill(manager, "50.00")
    gift_card_expire(card=card, user=None)
    before = counts()

    gift_card_expire(card=card, user=None)

    assert counts() == before


def test_the_sweep_expires_only_cards_past_their_date(manager, agent):
    today = date(2026, 12, 1)
    past = goodwill(manager, "10.00", expires_on=date(2026, 11, 30))
    due_today = goodwill(manager, "10.00", expires_on=today)
    never = goodwill(manager, "10.00")
    unsold = gift_card_sell(amount=Decimal("10.00"), currency="USD", user=agent, expires_on=date(2026, 1, 1))

    assert gift_cards_expire_due(today=today) == 2

    statuses = dict(GiftCard.objects.values_list("pk", "status"))
    assert statuses == {past.pk: "expired", due_today.pk: "active", never.pk: "active", unsold.pk: "expired"}
    assert GiftCard.objects.get(pk=unsold.pk).transactions.count() == 0
    assert balance(BREAKAGE) == Decimal("-10.000")
    assert gift_card_violations() == []


# --- reads and invariants ----------------------------------------------------------------------


def test_search_by_last_four_finds_only_those_cards(manager):
    first, second = goodwill(manager), goodwill(manager)

    assert [card.pk for card in gift_card_search(last4=first.last4.lower())] == (
        [first.pk] if first.last4 != second.last4 else [second.pk, first.pk])
    assert [card.pk for card in gift_card_search()] == [second.pk, first.pk]


def test_the_invariants_catch_a_balance_off_its_transactions_and_the_liability(manager):
    card = goodwill(manager, "50.00")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE payments_giftcard SET balance = 49 WHERE id = %s", [card.pk])

    found = {row[0]: row for row in gift_card_violations()}

    assert found["a gift card's balance equals the sum of its transactions"][1] == card.pk
    assert "booked=50.000 cards=49.000" in found["the gift card liability account equals the sum of gift card balances"][3]


def test_shipping_an_order_activates_as_many_of_its_cards_as_have_shipped_once(agent, monkeypatch):
    from orders.models import OrderLine
    from payments.giftcards import tasks, tenders
    from payments.giftcards.services import gift_cards_activate_shipped

    warehouse = WarehouseFactory()
    sku = SkuFactory(list_price=Decimal("25.00"))
    stock(sku, warehouse, 5)
    order = place(lines=[line(sku, 3)])
    order_line = order.lines.get()
    cards = [gift_card_sell(amount=Decimal("25.00"), user=agent, order_line=order_line) for _ in range(3)]
    queued = []
    monkeypatch.setattr(tasks.gift_cards_activate_shipped_task, "delay", lambda **kwargs: queued.append(kwargs))

    OrderLine.objects.filter(pk=order_line.pk).update(quantity_shipped=2)
    tenders.shipment_confirmed(order.pk, Decimal("50.00"), "shipment-1")
    first = gift_cards_activate_shipped(order_id=order.pk, user=None)
    again = gift_cards_activate_shipped(order_id=order.pk, user=None)

    assert queued == [{"order_id": order.pk}]
    assert [card.pk for card in first] == [cards[0].pk, cards[1].pk] and again == []
    assert [GiftCard.objects.get(pk=card.pk).status for card in cards] == ["active", "active", "inactive"]
    assert balance(LIABILITY) == Decimal("-50.000") and balance(DEPOSITS) == Decimal("50.000")
    assert gift_card_violations() == []
