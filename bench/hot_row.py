"""What the hot-row races share (``bench_inventory_reserve``, ``bench_payments_gift_card``).

Eight spawned processes (Django set up on the scratch database) race on one row. Each round
runs one *side* (the service, the raw baseline, a floor) on a fresh row: a barrier releases the
workers at once and each works until the row is spent. The sides take turns leading the rounds
(round n starts with side n mod k), so a drift of the machine weighs on all of them alike.
A worker task returns ``{"done", "deadlocks", "started", "finished"}`` and may add ``"cpu"``
(its process's CPU seconds over the same span).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import psycopg

WORKERS = 8
TIMEOUT = 300  # seconds one round may take before the benchmark gives up

_barrier = None

# (side name, worker task, index -> the task's arguments)
Side = tuple[str, Callable[..., dict], Callable[[int], tuple]]


def _start_worker(database_name: str, barrier) -> None:
    """Pool initializer: Django on the scratch database, with the settings the benchmark runs under."""
    global _barrier
    _barrier = barrier
    os.environ["DATABASE_NAME"] = database_name
    import django

    django.setup()


def wait_for_start() -> None:
    """In a worker task, once it is ready: wait until every worker is, so that they start together."""
    _barrier.wait(timeout=TIMEOUT)


def is_deadlock(error: Exception) -> bool:
    return isinstance(error, psycopg.errors.DeadlockDetected) or isinstance(
        error.__cause__, psycopg.errors.DeadlockDetected)


@contextmanager
def worker_pool(database: str) -> Iterator:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    pool = context.Pool(WORKERS, initializer=_start_worker, initargs=(database, barrier))
    try:
        yield pool
    finally:
        # The processes exit on their own rather than being terminated: one killed while it
        # exits can cut short the file in which the embedded PostgreSQL counts its users.
        barrier.abort()
        pool.close()
        pool.join()


def _round(pool, task, args_of) -> dict:
    pending = [pool.apply_async(task, args_of(index)) for index in range(WORKERS)]
    outcomes = [result.get(timeout=TIMEOUT) for result in pending]
    return {
        "done": sum(outcome["done"] for outcome in outcomes),
        "deadlocks": sum(outcome["deadlocks"] for outcome in outcomes),
        "cpu": sum(outcome.get("cpu", 0.0) for outcome in outcomes),
        "seconds": max(o["finished"] for o in outcomes) - min(o["started"] for o in outcomes),
    }


def race(database: str, *, rounds: int, units: int, sides_of: Callable[[int], Sequence[Side]]) -> tuple[dict, int]:
    """Run ``rounds`` rounds of every side (``sides_of(round number)``, each on its own fresh row of
    ``units``); ``({side: {"done", "deadlocks", "cpu", "seconds"}}, units done beyond the rows' units)``."""
    totals: dict[str, dict] = {}
    beyond = 0
    with worker_pool(database) as pool:
        for number in range(rounds):
            sides = list(sides_of(number))
            turn = number % len(sides)
            for side, task, args_of in sides[turn:] + sides[:turn]:
                outcome = _round(pool, task, args_of)
                beyond += max(outcome["done"] - units, 0)
                total = totals.setdefault(side, {"done": 0, "deadlocks": 0, "cpu": 0.0, "seconds": 0.0})
                for key in total:
                    total[key] += outcome[key]
    return totals, beyond


def rate(total: dict) -> float:
    return total["done"] / total["seconds"]
