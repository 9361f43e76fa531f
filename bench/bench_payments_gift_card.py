"""Payments: gift card redemptions per second on one hot card, from eight processes at once.

Every process redeems 1.00 at a time from the same card until its balance is gone, so they all
queue on one card row: the rate measures how long each redemption holds that row's lock. The
baseline is the floor of that cost: the bare guarded ``UPDATE … WHERE balance >= amount`` in
autocommit from eight raw psycopg connections, on a card with the same balance, in the same run.

The service writes the transaction row and the journal entry first and the guarded UPDATE last,
so the card stays locked only from that UPDATE to COMMIT (with the ledger's deferred balance
check, which runs at commit).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from decimal import Decimal

import psycopg

from bench.common import is_quick, iterations, psycopg_params, scratch_database

WORKERS = 8
TIMEOUT = 300  # seconds one round may take before the benchmark gives up
AMOUNT = Decimal("1.00")

RAW_REDEEM = (
    "UPDATE payments_giftcard SET balance = balance - %s "
    "WHERE id = %s AND balance >= %s AND status = 'active'"
)


# --- the worker processes ---------------------------------------------------------------------

_barrier = None


def _start_worker(database_name: str, barrier) -> None:
    """Pool initializer: Django on the scratch database, with the settings the benchmark runs under."""
    global _barrier
    _barrier = barrier
    os.environ["DATABASE_NAME"] = database_name
    import django

    django.setup()


def _is_deadlock(error: Exception) -> bool:
    return isinstance(error, psycopg.errors.DeadlockDetected) or isinstance(
        error.__cause__, psycopg.errors.DeadlockDetected)


def _redeem_through_service(index: int, card_id: int) -> dict:
    from django.db import connection

    from payments.giftcards.errors import GiftCardError
    from payments.giftcards.models import GiftCard
    from payments.giftcards.services import gift_card_redeem

    card = GiftCard.objects.get(pk=card_id)
    connection.ensure_connection()
    redeemed = deadlocks = 0
    _barrier.wait(timeout=TIMEOUT)
    started = time.monotonic()
    while True:
        try:
            gift_card_redeem(card=card, amount=AMOUNT, user=None, memo=f"bench:{index}:{redeemed}")
        except GiftCardError:
            break
        except Exception as error:
            if not _is_deadlock(error):
                raise
            deadlocks += 1
            continue
        redeemed += 1
    finished = time.monotonic()
    connection.close()
    return {"redeemed": redeemed, "deadlocks": deadlocks, "started": started, "finished": finished}


def _redeem_raw(index: int, card_id: int, params: dict) -> dict:
    redeemed = deadlocks = 0
    with psycopg.connect(**params, autocommit=True) as raw:
        raw.execute("SELECT 1")
        _barrier.wait(timeout=TIMEOUT)
        started = time.monotonic()
        while True:
            try:
                if raw.execute(RAW_REDEEM, (AMOUNT, card_id, AMOUNT)).rowcount != 1:
                    break
            except psycopg.errors.DeadlockDetected:
                deadlocks += 1
                continue
            redeemed += 1
        finished = time.monotonic()
    return {"redeemed": redeemed, "deadlocks": deadlocks, "started": started, "finished": finished}


# --- the benchmark ----------------------------------------------------------------------------


def _loaded_card(*, amount: Decimal):
    """An active card worth ``amount``, sold over the counter (posted like any other)."""
    from payments.giftcards.services import gift_card_sell

    return gift_card_sell(amount=amount, currency="USD", user=None, kind="e_gift", funded_by="cash")


def _service_violations(found: list, *, raw_ids: list[int], raw_taken: Decimal) -> list:
    """The broken invariants, less what the raw baseline breaks on purpose: its UPDATEs take money
    off its cards without a transaction row or a posting. The liability must then exceed the
    cards' balances by exactly what the raw rounds took."""
    from django.db.models import Sum

    from payments.giftcards.invariants import CHECKS
    from payments.giftcards.models import GiftCard
    from payments.models import JournalLine

    per_card, liability = (name for name, _sql in CHECKS)
    broken = [row for row in found if row[0] != liability and not (row[0] == per_card and row[1] in raw_ids)]
    lines = JournalLine.objects.filter(account__code="2200").aggregate(debit=Sum("debit"), credit=Sum("credit"))
    booked = (lines["credit"] or 0) - (lines["debit"] or 0)
    held = GiftCard.objects.aggregate(total=Sum("balance"))["total"] or 0
    if booked != held + raw_taken:
        broken.append((liability, None, None, f"booked={booked} cards={held} raw={raw_taken}"))
    return broken


def _round(pool, task, args_of) -> dict:
    pending = [pool.apply_async(task, args_of(index)) for index in range(WORKERS)]
    outcomes = [result.get(timeout=TIMEOUT) for result in pending]
    return {
        "redeemed": sum(outcome["redeemed"] for outcome in outcomes),
        "deadlocks": sum(outcome["deadlocks"] for outcome in outcomes),
        "seconds": max(o["finished"] for o in outcomes) - min(o["started"] for o in outcomes),
    }


def run() -> list[dict]:
    """``payments.gift_card_redeem_hot``: redemptions per second through ``gift_card_redeem``.

    ``value``: redemptions of 1.00 per second by eight processes calling the service on one card,
    from the moment a barrier releases them until the balance is gone. ``baseline``: the same
    race with the bare guarded UPDATE from eight raw psycopg connections. The two alternate over
    a few rounds, each on a fresh card, so a drift of the machine weighs on both alike.
    ``overdrawn`` counts redemptions beyond the balance and cards below zero (must be 0),
    ``deadlocks`` the deadlock errors seen (must be 0), ``violations`` the broken gift card and
    ledger invariants after the rounds (must be 0).
    """
    from django.db import connection

    from payments.giftcards.models import GiftCard, GiftCardTransaction
    from payments.invariants import violations

    rounds = 1 if is_quick() else 3
    units = iterations(full=2000, quick=80)
    balance = AMOUNT * units
    totals = {side: {"redeemed": 0, "deadlocks": 0, "seconds": 0.0} for side in ("service", "raw")}
    overdrawn = 0
    with scratch_database(migrate=True) as database:
        params = psycopg_params(dbname=database)
        service_cards = [_loaded_card(amount=balance) for _ in range(rounds)]
        raw_cards = [_loaded_card(amount=balance) for _ in range(rounds)]
        connection.close()

        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(WORKERS)
        pool = context.Pool(WORKERS, initializer=_start_worker, initargs=(database, barrier))
        try:
            for number in range(rounds):
                sides = [
                    ("service", _redeem_through_service, lambda index, card=service_cards[number]: (index, card.pk)),
                    ("raw", _redeem_raw, lambda index, card=raw_cards[number]: (index, card.pk, params)),
                ]
                for side, task, args_of in (sides if number % 2 == 0 else sides[::-1]):
                    outcome = _round(pool, task, args_of)
                    overdrawn += max(outcome["redeemed"] - units, 0)
                    for key in totals[side]:
                        totals[side][key] += outcome[key]
        finally:
            # The processes exit on their own rather than being terminated: one killed while it
            # exits can cut short the file in which the embedded PostgreSQL counts its users.
            barrier.abort()
            pool.close()
            pool.join()

        service_ids = [card.pk for card in service_cards]
        overdrawn += GiftCard.objects.filter(balance__lt=0).count()
        short = GiftCard.objects.filter(pk__in=service_ids, balance__gt=0).count()
        redemptions = GiftCardTransaction.objects.filter(card__in=service_ids, kind="redeem").count()
        broken = _service_violations(violations(), raw_ids=[card.pk for card in raw_cards],
                                     raw_taken=AMOUNT * totals["raw"]["redeemed"])
        connection.ensure_connection()
        server_version = connection.connection.info.server_version

    if short:
        raise RuntimeError(f"{short} service round(s) stopped before the balance was gone")
    if redemptions != totals["service"]["redeemed"]:
        raise RuntimeError(f"{totals['service']['redeemed']} redemptions counted, {redemptions} written")
    service_rate = totals["service"]["redeemed"] / totals["service"]["seconds"]
    raw_rate = totals["raw"]["redeemed"] / totals["raw"]["seconds"]
    return [
        {
            "name": "payments.gift_card_redeem_hot",
            "value": round(service_rate, 1),
            "unit": "redemptions/s",
            "baseline": round(raw_rate, 1),
            "ratio": round(service_rate / raw_rate, 3),
            "workers": WORKERS,
            "redemptions": totals["service"]["redeemed"],
            "overdrawn": overdrawn,
            "deadlocks": totals["service"]["deadlocks"] + totals["raw"]["deadlocks"],
            "violations": len(broken),
            "postgres": f"{server_version // 10000}.{server_version % 10000}",
        }
    ]
