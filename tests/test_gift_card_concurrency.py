"""Gift card redemptions under real concurrency: eight processes redeeming one card at once.

Separate processes (each with its own Django and database connection) interleave their
statements the way web and worker processes do; the data is committed (``transaction=True``)
so they see it, and a barrier releases them at the same moment. The module imports no models at
the top: spawned processes import it before Django is set up in them.
"""

from __future__ import annotations

import multiprocessing
import os
from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PROCESSES = 8
TIMEOUT = 120

_barrier = None


def _start_process(database_name: str, barrier) -> None:
    global _barrier
    _barrier = barrier
    os.environ["DJANGO_SETTINGS_MODULE"] = "oms.settings_test"
    os.environ["DATABASE_NAME"] = database_name
    import django

    django.setup()


def _redeem_until_refused(index: int, card_id: int, amounts: list[str]) -> dict:
    """For each amount in turn, redeem it until the card refuses it; what happened."""
    from django.db import connection

    from payments.giftcards.errors import GiftCardError
    from payments.giftcards.models import GiftCard
    from payments.giftcards.services import gift_card_redeem

    card = GiftCard.objects.get(pk=card_id)
    connection.ensure_connection()
    outcome = {"redeemed": [], "errors": []}
    _barrier.wait(timeout=TIMEOUT)
    try:
        for amount in map(Decimal, amounts):
            for attempt in range(10_000):
                try:
                    gift_card_redeem(card=card, amount=amount, user=None, memo=f"race:{index}:{attempt}")
                except GiftCardError as refused:
                    if refused.reason != "insufficient" or refused.balance >= amount:
                        outcome["errors"].append(f"{refused.reason}: {refused}")
                    break
                except Exception as error:  # anything else is reported, never hidden
                    outcome["errors"].append(f"{type(error).__name__}: {error}")
                    return outcome
                outcome["redeemed"].append(str(amount))
        return outcome
    finally:
        connection.close()


@pytest.fixture(scope="module")
def race_pool(django_db_setup):
    from django.db import connection

    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    pool = context.Pool(PROCESSES, initializer=_start_process, initargs=(connection.settings_dict["NAME"], barrier))
    pool.barrier = barrier
    yield pool
    barrier.abort()
    pool.close()
    pool.join()


def _race(pool, card_id: int, amounts: list[str]) -> list[dict]:
    pool.barrier.reset()
    pending = [pool.apply_async(_redeem_until_refused, (index, card_id, amounts)) for index in range(PROCESSES)]
    return [result.get(timeout=TIMEOUT) for result in pending]


def _card(amount: str):
    from payments.giftcards.services import gift_card_sell

    return gift_card_sell(amount=Decimal(amount), currency="USD", user=None, kind="e_gift", funded_by="cash")


def _checks_hold(card) -> None:
    from payments.giftcards.invariants import CHECKS
    from payments.invariants import violations

    names = {name for name, _sql in CHECKS}
    assert [row for row in violations() if row[0] in names or row[0].startswith("every journal")] == []


def test_eight_processes_redeeming_one_card_take_exactly_its_balance_and_never_overdraw(race_pool):
    from django.db.models import Sum

    from payments.giftcards.models import GiftCard, GiftCardTransaction
    from payments.models import JournalEntry

    card = _card("150.00")  # 150 redemptions of 1.00 among eight processes

    outcomes = _race(race_pool, card.pk, ["1.00"])

    assert [error for outcome in outcomes for error in outcome["errors"]] == []
    redeemed = [Decimal(amount) for outcome in outcomes for amount in outcome["redeemed"]]
    assert len(redeemed) == 150 and sum(redeemed) == Decimal("150.00")
    card.refresh_from_db()
    assert card.balance == Decimal("0")
    redemptions = GiftCardTransaction.objects.filter(card=card, kind="redeem")
    assert redemptions.count() == 150
    assert redemptions.aggregate(total=Sum("amount"))["total"] == Decimal("-150.000")
    assert JournalEntry.objects.filter(kind="gift_card.redeem").count() == 150
    assert GiftCard.objects.filter(balance__lt=0).count() == 0
    _checks_hold(card)


def test_mixed_amounts_racing_leave_a_balance_no_one_could_take_and_exact_totals(race_pool):
    from payments.giftcards.models import GiftCard, GiftCardTransaction

    card = _card("100.00")

    # Each process tries 7.35 until refused, then 0.65 until refused.
    outcomes = _race(race_pool, card.pk, ["7.35", "0.65"])

    assert [error for outcome in outcomes for error in outcome["errors"]] == []
    redeemed = sum((Decimal(amount) for outcome in outcomes for amount in outcome["redeemed"]), Decimal("0"))
    left = GiftCard.objects.get(pk=card.pk).balance
    assert redeemed + left == Decimal("100.00")
    assert Decimal("0") <= left < Decimal("0.65")
    assert GiftCardTransaction.objects.filter(card=card).count() == 1 + sum(
        len(outcome["redeemed"]) for outcome in outcomes)
    _checks_hold(card)


def test_a_redemption_in_its_own_transaction_commits_with_its_update_and_runs_on_commit_callbacks():
    """Outside any transaction the UPDATE and COMMIT go in one message; Django's side stays consistent."""
    from django.db import connection, transaction

    from payments.giftcards.errors import GiftCardError
    from payments.giftcards.models import GiftCard, GiftCardTransaction
    from payments.giftcards.services import gift_card_redeem
    from payments.models import JournalEntry

    card = _card("10.00")
    called = []

    gift_card_redeem(card=card, amount=Decimal("4.00"), user=None)
    with transaction.atomic():
        transaction.on_commit(lambda: called.append("after"))
    before = (GiftCardTransaction.objects.count(), JournalEntry.objects.count())
    with pytest.raises(GiftCardError) as refused:
        gift_card_redeem(card=card, amount=Decimal("6.01"), user=None)

    assert refused.value.reason == "insufficient" and refused.value.balance == Decimal("6.000")
    assert (GiftCardTransaction.objects.count(), JournalEntry.objects.count()) == before
    assert GiftCard.objects.get(pk=card.pk).balance == Decimal("6.000")
    assert called == ["after"]
    assert not connection.in_atomic_block
    _checks_hold(card)
