"""Payments: gift card redemptions per second on one hot card, from eight processes at once.

Every process redeems 1.00 at a time from the same card until its balance is gone, so they all
queue on one card row: the rate measures how long each redemption holds that row's lock. The
baseline is the floor of that cost: the bare guarded ``UPDATE … WHERE balance >= amount`` in
autocommit from eight raw psycopg connections, on a card with the same balance, in the same run.

The service writes the journal entry first and the guarded UPDATE with the transaction row last,
so the card stays locked only from that UPDATE to COMMIT (which travel in one message).

The raw UPDATE does a fraction of a redemption's work (no transaction row, no journal entry, no
transaction block), so the ratio to it is bounded well below 1. ``floor`` measures that bound
in the same run: the same writes as the service's, in the same two messages, from raw psycopg
connections, prepared, with nothing looked up and no Python between them (``FLOOR_*``).
``value_to_floor`` is how near the service comes to it; ``floor_ratio`` is the best ``ratio``
any implementation of these writes could show on this machine.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal

import psycopg

from bench.common import is_quick, iterations, psycopg_params, scratch_database
from bench.hot_row import WORKERS, is_deadlock, race, rate, wait_for_start

AMOUNT = Decimal("1.00")
REFUSED_SQLSTATE = "GC001"  # payments.giftcards.services.REFUSED_SQLSTATE

RAW_REDEEM = (
    "UPDATE payments_giftcard SET balance = balance - %s "
    "WHERE id = %s AND balance >= %s AND status = 'active'"
)


# --- the worker processes ---------------------------------------------------------------------


def _redeem_through_service(index: int, card_id: int) -> dict:
    from django.db import connection

    from payments.giftcards.errors import GiftCardError
    from payments.giftcards.models import GiftCard
    from payments.giftcards.services import gift_card_redeem

    card = GiftCard.objects.get(pk=card_id)
    connection.ensure_connection()
    redeemed = deadlocks = 0
    wait_for_start()
    started, cpu_started = time.monotonic(), time.process_time()
    while True:
        try:
            gift_card_redeem(card=card, amount=AMOUNT, user=None, memo=f"bench:{index}:{redeemed}")
        except GiftCardError:
            break
        except Exception as error:
            if not is_deadlock(error):
                raise
            deadlocks += 1
            continue
        redeemed += 1
    finished, cpu = time.monotonic(), time.process_time() - cpu_started
    connection.close()
    return {"done": redeemed, "deadlocks": deadlocks, "started": started, "finished": finished, "cpu": cpu}


def _redeem_raw(index: int, card_id: int, params: dict) -> dict:
    redeemed = deadlocks = 0
    with psycopg.connect(**params, autocommit=True) as raw:
        raw.execute("SELECT 1")
        wait_for_start()
        started, cpu_started = time.monotonic(), time.process_time()
        while True:
            try:
                if raw.execute(RAW_REDEEM, (AMOUNT, card_id, AMOUNT)).rowcount != 1:
                    break
            except psycopg.errors.DeadlockDetected:
                deadlocks += 1
                continue
            redeemed += 1
        finished, cpu = time.monotonic(), time.process_time() - cpu_started
    return {"done": redeemed, "deadlocks": deadlocks, "started": started, "finished": finished, "cpu": cpu}


# The floor: what one redemption must write, sent as the service sends it (BEGIN with the journal
# entry and its lines in the first message; the guarded UPDATE with the transaction row, and
# COMMIT, in the second), both statements prepared once per connection as the service's are,
# from a raw psycopg connection with the accounts and the period known: the service less its
# Python, its read (posting map and period) and Django.
FLOOR_PREPARE_ENTRY = """
PREPARE floor_entry (bigint, text, text, bigint, bigint, numeric, text) AS
WITH entry AS (
    INSERT INTO payments_journalentry (entry_date, period_id, kind, source_type, source_id, memo, currency,
                                       created_at)
    VALUES (current_date, $1, 'gift_card.redeem', 'bench.floor', $2, $3, 'USD', now())
    RETURNING id
)
INSERT INTO payments_journalline (entry_id, account_id, entry_date, debit, credit, currency, memo)
SELECT entry.id, line.account_id, current_date, line.debit, line.credit, 'USD', $7
FROM entry CROSS JOIN (VALUES ($4, $6, 0::numeric), ($5, 0::numeric, $6)) AS line (account_id, debit, credit)
"""
FLOOR_PREPARE_REDEEM = """
PREPARE floor_redeem (numeric, bigint, text) AS
WITH debited AS (
    UPDATE payments_giftcard SET balance = balance - $1
    WHERE id = $2 AND balance >= $1 AND status = 'active' AND (expires_on IS NULL OR expires_on >= current_date)
    RETURNING id, balance
), written AS (
    INSERT INTO payments_giftcardtransaction (card_id, kind, amount, memo, created_at)
    SELECT id, 'redeem', -$1, $3, now() FROM debited
)
SELECT balance FROM debited
UNION ALL
SELECT payments_gift_card_refuse($2) WHERE NOT EXISTS (SELECT 1 FROM debited)
"""
FLOOR_ENTRY = "BEGIN; EXECUTE floor_entry ({period}, {source}, {memo}, {liability}, {deposits}, {amount}, {masked})"
FLOOR_REDEEM = ("SET CONSTRAINTS journal_entry_balanced, journal_line_balanced IMMEDIATE; "
                "EXECUTE floor_redeem ({amount}, {card}, {memo}); COMMIT")


def _floor_ids(card) -> dict:
    """The accounts and the period a redemption posts to, looked up once (the floor does no reads)."""
    from payments.models import FiscalPeriod, PostingRule

    accounts = dict(PostingRule.objects.filter(role__in=["gift_card_liability", "customer_deposits"],
                                               warehouse__isnull=True).values_list("role", "account_id"))
    period = FiscalPeriod.objects.filter(starts_on__lte=time.strftime("%Y-%m-%d"),
                                         ends_on__gte=time.strftime("%Y-%m-%d")).values_list("pk", flat=True).first()
    return {"liability": accounts["gift_card_liability"], "deposits": accounts["customer_deposits"],
            "period": period, "masked": card.masked_code}


def _redeem_floor(index: int, card_id: int, params: dict, ids: dict) -> dict:
    from psycopg import sql

    redeemed = deadlocks = 0
    literal = {"card": sql.Literal(card_id), "amount": sql.Literal(AMOUNT), "period": sql.Literal(ids["period"]),
               "liability": sql.Literal(ids["liability"]), "deposits": sql.Literal(ids["deposits"]),
               "masked": sql.Literal(ids["masked"])}
    with psycopg.connect(**params, autocommit=True) as raw:
        raw.execute(FLOOR_PREPARE_ENTRY)
        raw.execute(FLOOR_PREPARE_REDEEM)
        wait_for_start()
        started, cpu_started = time.monotonic(), time.process_time()
        while True:
            memo = sql.Literal(f"bench:{index}:{redeemed}")
            source = sql.Literal(f"{card_id}:{index}:{redeemed}")
            try:
                with raw.cursor() as cursor:
                    cursor.execute(sql.SQL(FLOOR_ENTRY).format(memo=memo, source=source, **literal))
                    cursor.execute(sql.SQL(FLOOR_REDEEM).format(memo=memo, **literal))
            except psycopg.errors.DeadlockDetected:
                raw.execute("ROLLBACK")
                deadlocks += 1
                continue
            except psycopg.Error as error:  # the card is spent (payments_gift_card_refuse)
                if error.sqlstate != REFUSED_SQLSTATE:
                    raise
                raw.execute("ROLLBACK")
                break
            redeemed += 1
        finished, cpu = time.monotonic(), time.process_time() - cpu_started
    return {"done": redeemed, "deadlocks": deadlocks, "started": started, "finished": finished, "cpu": cpu}


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


def run() -> list[dict]:
    """``payments.gift_card_redeem_hot``: redemptions per second through ``gift_card_redeem``.

    ``value``: redemptions of 1.00 per second by eight processes calling the service on one card,
    from the moment a barrier releases them until the balance is gone. ``baseline``: the same
    race with the bare guarded UPDATE from eight raw psycopg connections; ``floor``: the service's
    writes without the service (see the module docstring). The three take turns over a few
    rounds, each on a fresh card, so a drift of the machine weighs on all alike.
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
    with scratch_database(migrate=True) as database:
        params = psycopg_params(dbname=database)
        service_cards = [_loaded_card(amount=balance) for _ in range(rounds)]
        raw_cards = [_loaded_card(amount=balance) for _ in range(rounds)]
        floor_cards = [_loaded_card(amount=balance) for _ in range(rounds)]
        connection.close()

        floor_ids = _floor_ids(service_cards[0])
        totals, overdrawn = race(database, rounds=rounds, units=units, sides_of=lambda number: [
            ("service", _redeem_through_service, lambda index, card=service_cards[number]: (index, card.pk)),
            ("raw", _redeem_raw, lambda index, card=raw_cards[number]: (index, card.pk, params)),
            ("floor", _redeem_floor, lambda index, card=floor_cards[number]: (index, card.pk, params, floor_ids)),
        ])

        service_ids = [card.pk for card in service_cards]
        overdrawn += GiftCard.objects.filter(balance__lt=0).count()
        short = GiftCard.objects.filter(pk__in=service_ids, balance__gt=0).count()
        redemptions = GiftCardTransaction.objects.filter(card__in=service_ids, kind="redeem").count()
        broken = _service_violations(violations(), raw_ids=[card.pk for card in raw_cards],
                                     raw_taken=AMOUNT * totals["raw"]["done"])
        connection.ensure_connection()
        server_version = connection.connection.info.server_version

    if short:
        raise RuntimeError(f"{short} service round(s) stopped before the balance was gone")
    if redemptions != totals["service"]["done"]:
        raise RuntimeError(f"{totals['service']['done']} redemptions counted, {redemptions} written")
    service_rate, raw_rate, floor_rate = rate(totals["service"]), rate(totals["raw"]), rate(totals["floor"])
    return [
        {
            "name": "payments.gift_card_redeem_hot",
            "value": round(service_rate, 1),
            "unit": "redemptions/s",
            "baseline": round(raw_rate, 1),
            "ratio": round(service_rate / raw_rate, 3),
            "floor": round(floor_rate, 1),
            "floor_ratio": round(floor_rate / raw_rate, 3),
            "value_to_floor": round(service_rate / floor_rate, 3),
            # What each redemption costs this process's Python (the service's) or psycopg (the floor's),
            # against what the machine has per redemption at the floor's rate (every core, server included).
            "python_cpu_ms_per_redemption": round(totals["service"]["cpu"] * 1000 / totals["service"]["done"], 3),
            "floor_client_cpu_ms_per_redemption": round(totals["floor"]["cpu"] * 1000 / totals["floor"]["done"], 3),
            "machine_cpu_ms_per_redemption_at_floor": round((os.cpu_count() or 1) * 1000 / floor_rate, 3),
            "workers": WORKERS,
            "redemptions": totals["service"]["done"],
            "overdrawn": overdrawn,
            "deadlocks": sum(total["deadlocks"] for total in totals.values()),
            "violations": len(broken),
            "postgres": f"{server_version // 10000}.{server_version % 10000}",
        }
    ]
