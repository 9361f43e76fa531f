"""Folding, rebuilding and proving the registered rollups (``reporting.rollups``).

Every run takes the rollups' advisory lock inside one REPEATABLE READ transaction, so that two
workers never fold at once and every statement of a run sees the same snapshot.
"""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from reporting.rollups import registry
from reporting.rollups.definitions import day_start, shop_today, shop_zone
from reporting.rollups.models import RollupCheck, RollupState

# pg_advisory_xact_lock key of the rollups ("RLUP").
LOCK_KEY = 0x524C5550


def safe_watermark() -> datetime:
    """A moment before which every change is committed and visible to a snapshot taken after now.

    The oldest start of a transaction open now on this database (any later commit carries
    timestamps no earlier than its start), or now, less ``ROLLUP_CLOCK_MARGIN_SECONDS`` for the
    application servers' clocks (``updated_at`` is their time, ``xact_start`` the database's).
    Read in a statement of its own, before the fold's snapshot is taken.
    """
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT least(now(), min(xact_start)) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL
              AND backend_type = 'client backend'""")
        oldest = cursor.fetchone()[0]
    return oldest - timedelta(seconds=settings.ROLLUP_CLOCK_MARGIN_SECONDS)


def _begin(*, wait: bool) -> bool:
    """Start the run's snapshot and take the lock; False when another run holds it (``wait=False``)."""
    with connection.cursor() as cursor:
        if len(connection.atomic_blocks) == 1:  # not inside a test's transaction, which has its own snapshot
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return cursor.fetchone()[0]


def data_days() -> tuple[date, date]:
    """The first shop day with an order placed, and today (a full rebuild covers them)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(placed_at) FROM orders_order")
        first = cursor.fetchone()[0]
    today = shop_today()
    return (first.astimezone(shop_zone()).date() if first else today), today


def _save_state(name: str, watermark: datetime, written: int) -> None:
    RollupState.objects.update_or_create(name=name, defaults={
        "watermark": watermark, "folded_at": timezone.now(), "rows_written": written})


def _fold_all(bound: datetime) -> dict[str, int]:
    states = {state.name: state for state in RollupState.objects.all()}
    written = {}
    for rollup in registry.all_rollups():
        state = states.get(rollup.name)
        if state is None:  # new: built whole once, then folded
            written[rollup.name] = rollup.rebuild(*data_days())
        else:
            written[rollup.name] = rollup.fold(state.watermark, None)
        _save_state(rollup.name, bound, written[rollup.name])
    return written


def rollups_fold() -> dict[str, int] | None:
    """Fold every change since each rollup's watermark; None when another fold is running.

    The watermark moves to :func:`safe_watermark` taken before the snapshot, so the changes
    between it and the snapshot are folded again next time: harmless, as a fold recomputes.
    """
    bound = safe_watermark()
    with transaction.atomic(durable=True):
        if not _begin(wait=False):
            return None
        return _fold_all(bound)


def rollups_rebuild(*, day_from: date | None = None, day_to: date | None = None) -> dict[str, int]:
    """Recompute every rollup for those days (default: all of them, and the watermarks move)."""
    full = day_from is None and day_to is None
    bound = safe_watermark()
    with transaction.atomic(durable=True):
        _begin(wait=True)
        first, last = data_days()
        written = {}
        for rollup in registry.all_rollups():
            written[rollup.name] = rollup.rebuild(day_from or first, day_to or last)
            if full:
                _save_state(rollup.name, bound, written[rollup.name])
        return written


def sample_days(count: int, *, rng: random.Random | None = None) -> list[date]:
    """Today, yesterday and ``count`` other days drawn from the days with orders."""
    first, today = data_days()
    rng = rng or random.Random()
    days = {today, today - timedelta(days=1)}
    span = (today - first).days
    for _ in range(count):
        days.add(first + timedelta(days=rng.randint(0, max(span, 0))))
    return sorted(days)


def rollups_verify(*, days: list[date] | None = None, sample: int = 3) -> RollupCheck:
    """Prove the rollups equal the raw totals on ``days`` (default: a sample), and repair any difference.

    In one snapshot: fold, then compare each rollup's rows of each day with the same rows computed
    from the raw tables. A difference means a change the fold missed (a write that did not save
    its order): it is recorded (the status page shows it through ``reporting.invariants``) and the
    day is rebuilt.
    """
    started = time.perf_counter()
    days = sorted(days) if days else sample_days(sample)
    bound = safe_watermark()
    with transaction.atomic(durable=True):
        _begin(wait=True)
        _fold_all(bound)
        found: list[str] = []
        for day in days:
            for rollup in registry.all_rollups():
                if rollup.compare is None:
                    continue
                differences = rollup.compare(day, day)
                if differences:
                    found += [f"{day}: {text}" for text in differences]
                    rollup.rebuild(day, day)
        return RollupCheck.objects.create(
            checked_at=timezone.now(), days=[day.isoformat() for day in days], differences=len(found),
            details=found[:20], milliseconds=round((time.perf_counter() - started) * 1000, 1))


def last_check() -> RollupCheck | None:
    return RollupCheck.objects.order_by("-checked_at", "-pk").first()


__all__ = ["day_start", "rollups_fold", "rollups_rebuild", "rollups_verify", "safe_watermark", "last_check"]
