"""Inventory: reservations per second on one hot SKU, from eight processes at once.

Every process reserves one unit at a time of the same SKU at the same warehouse until the stock
runs out, so they all queue on one stock row: the rate measures how long each reservation holds
that row's lock, which is what limits a flash sale. The baseline is the floor of that cost: the
bare guarded ``UPDATE`` in autocommit from eight raw psycopg connections, on a row with the same
stock, in the same run.

Nothing slow happens while the row is locked: for one stock row the service's reservation is a
single statement (guarded UPDATE and reservation INSERT) that commits on its own, and for a kit
the guarded UPDATEs are the last statements before COMMIT (tests/test_stock_concurrency.py
checks both).
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

RAW_RESERVE = (
    "UPDATE inventory_stocklevel SET reserved = reserved + 1, updated_at = now() "
    "WHERE sku_id = %s AND warehouse_id = %s AND on_hand - reserved >= 1"
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


def _reserve_through_service(index: int, sku_id: int, warehouse_id: int) -> dict:
    from django.db import connection

    from catalog.models import Sku
    from inventory.errors import InsufficientStock
    from inventory.models import Warehouse
    from inventory.services import stock_reserve

    sku, warehouse = Sku.objects.get(pk=sku_id), Warehouse.objects.get(pk=warehouse_id)
    connection.ensure_connection()
    reserved = deadlocks = 0
    _barrier.wait(timeout=TIMEOUT)
    started = time.monotonic()
    while True:
        try:
            stock_reserve(sku=sku, warehouse=warehouse, quantity=1, reference=f"bench:{index}:{reserved}")
        except InsufficientStock:
            break
        except Exception as error:
            if not _is_deadlock(error):
                raise
            deadlocks += 1
            continue
        reserved += 1
    finished = time.monotonic()
    connection.close()
    return {"reserved": reserved, "deadlocks": deadlocks, "started": started, "finished": finished}


def _reserve_raw(index: int, sku_id: int, warehouse_id: int, params: dict) -> dict:
    reserved = deadlocks = 0
    with psycopg.connect(**params, autocommit=True) as raw:
        raw.execute("SELECT 1")
        _barrier.wait(timeout=TIMEOUT)
        started = time.monotonic()
        while True:
            try:
                if raw.execute(RAW_RESERVE, (sku_id, warehouse_id)).rowcount != 1:
                    break
            except psycopg.errors.DeadlockDetected:
                deadlocks += 1
                continue
            reserved += 1
        finished = time.monotonic()
    return {"reserved": reserved, "deadlocks": deadlocks, "started": started, "finished": finished}


# --- the benchmark ----------------------------------------------------------------------------


def _stocked_sku(*, warehouse, units: int, code: str):
    from catalog.models import Sku, Style
    from inventory.services import stock_receive

    style = Style.objects.create(code=code, name=f"Bench {code}")
    sku = Sku.objects.create(style=style, code=code, name=f"Bench {code}", cost=Decimal("4.00"))
    stock_receive(sku=sku, warehouse=warehouse, quantity=units, unit_cost=Decimal("4.00"), user=None)
    return sku


def _round(pool, task, args_of) -> dict:
    pending = [pool.apply_async(task, args_of(index)) for index in range(WORKERS)]
    outcomes = [result.get(timeout=TIMEOUT) for result in pending]
    return {
        "reserved": sum(outcome["reserved"] for outcome in outcomes),
        "deadlocks": sum(outcome["deadlocks"] for outcome in outcomes),
        "seconds": max(o["finished"] for o in outcomes) - min(o["started"] for o in outcomes),
    }


def run() -> list[dict]:
    """``inventory.reserve_hot_sku``: reservations per second through ``stock_reserve``.

    ``value``: units reserved per second by eight processes calling the service on one SKU,
    from the moment a barrier releases them until the stock is gone. ``baseline``: the same
    race with the bare guarded UPDATE from eight raw psycopg connections. The two alternate
    over a few rounds, each on a fresh row, so a drift of the machine weighs on both alike.
    ``oversold`` counts units reserved beyond the stock (must be 0) and ``deadlocks`` the
    deadlock errors the processes saw (must be 0); ``violations`` the broken invariants after
    the service's rounds (must be 0).
    """
    from django.db import connection

    from inventory.invariants import violations
    from inventory.models import StockLevel, Warehouse

    rounds = 1 if is_quick() else 3
    units = iterations(full=2000, quick=80)
    totals = {side: {"reserved": 0, "deadlocks": 0, "seconds": 0.0} for side in ("service", "raw")}
    oversold = 0
    with scratch_database(migrate=True) as database:
        params = psycopg_params(dbname=database)
        warehouse = Warehouse.objects.create(code="BENCH", name="Bench warehouse")
        service_skus, raw_skus = [], []
        for number in range(rounds):
            service_skus.append(_stocked_sku(warehouse=warehouse, units=units, code=f"HOT-SVC-{number}"))
            raw_skus.append(_stocked_sku(warehouse=warehouse, units=units, code=f"HOT-RAW-{number}"))
        connection.close()

        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(WORKERS)
        pool = context.Pool(WORKERS, initializer=_start_worker, initargs=(database, barrier))
        try:
            for number in range(rounds):
                sides = [
                    ("service", _reserve_through_service,
                     lambda index, sku=service_skus[number]: (index, sku.pk, warehouse.pk)),
                    ("raw", _reserve_raw,
                     lambda index, sku=raw_skus[number]: (index, sku.pk, warehouse.pk, params)),
                ]
                for side, task, args_of in (sides if number % 2 == 0 else sides[::-1]):
                    outcome = _round(pool, task, args_of)
                    oversold += max(outcome["reserved"] - units, 0)
                    for key in totals[side]:
                        totals[side][key] += outcome[key]
        finally:
            # The processes exit on their own rather than being terminated: one killed while it
            # exits can cut short the file in which the embedded PostgreSQL counts its users.
            barrier.abort()
            pool.close()
            pool.join()

        service_ids = [sku.pk for sku in service_skus]
        oversold += StockLevel.objects.filter(sku__in=service_skus + raw_skus, reserved__gt=units).count()
        broken = [row for row in violations() if row[1] in service_ids]
        short = StockLevel.objects.filter(sku__in=service_skus, reserved__lt=units).count()
        connection.ensure_connection()
        server_version = connection.connection.info.server_version

    if short:
        raise RuntimeError(f"{short} service round(s) stopped before the stock was gone")
    service_rate = totals["service"]["reserved"] / totals["service"]["seconds"]
    raw_rate = totals["raw"]["reserved"] / totals["raw"]["seconds"]
    return [
        {
            "name": "inventory.reserve_hot_sku",
            "value": round(service_rate, 1),
            "unit": "reservations/s",
            "baseline": round(raw_rate, 1),
            "ratio": round(service_rate / raw_rate, 3),
            "workers": WORKERS,
            "reservations": totals["service"]["reserved"],
            "oversold": oversold,
            "deadlocks": totals["service"]["deadlocks"] + totals["raw"]["deadlocks"],
            "violations": len(broken),
            "postgres": f"{server_version // 10000}.{server_version % 10000}",
        }
    ]
