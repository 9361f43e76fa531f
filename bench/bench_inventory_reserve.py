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

import time
from decimal import Decimal

import psycopg

from bench.common import is_quick, iterations, psycopg_params, scratch_database
from bench.hot_row import WORKERS, is_deadlock, race, rate, wait_for_start

RAW_RESERVE = (
    "UPDATE inventory_stocklevel SET reserved = reserved + 1, updated_at = now() "
    "WHERE sku_id = %s AND warehouse_id = %s AND on_hand - reserved >= 1"
)


# --- the worker processes ---------------------------------------------------------------------


def _reserve_through_service(index: int, sku_id: int, warehouse_id: int) -> dict:
    from django.db import connection

    from catalog.models import Sku
    from inventory.errors import InsufficientStock
    from inventory.models import Warehouse
    from inventory.services import stock_reserve

    sku, warehouse = Sku.objects.get(pk=sku_id), Warehouse.objects.get(pk=warehouse_id)
    connection.ensure_connection()
    reserved = deadlocks = 0
    wait_for_start()
    started = time.monotonic()
    while True:
        try:
            stock_reserve(sku=sku, warehouse=warehouse, quantity=1, reference=f"bench:{index}:{reserved}")
        except InsufficientStock:
            break
        except Exception as error:
            if not is_deadlock(error):
                raise
            deadlocks += 1
            continue
        reserved += 1
    finished = time.monotonic()
    connection.close()
    return {"done": reserved, "deadlocks": deadlocks, "started": started, "finished": finished}


def _reserve_raw(index: int, sku_id: int, warehouse_id: int, params: dict) -> dict:
    reserved = deadlocks = 0
    with psycopg.connect(**params, autocommit=True) as raw:
        raw.execute("SELECT 1")
        wait_for_start()
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
    return {"done": reserved, "deadlocks": deadlocks, "started": started, "finished": finished}


# --- the benchmark ----------------------------------------------------------------------------


def _stocked_sku(*, warehouse, units: int, code: str):
    from catalog.models import Sku, Style
    from inventory.services import stock_receive

    style = Style.objects.create(code=code, name=f"Bench {code}")
    sku = Sku.objects.create(style=style, code=code, name=f"Bench {code}", cost=Decimal("4.00"))
    stock_receive(sku=sku, warehouse=warehouse, quantity=units, unit_cost=Decimal("4.00"), user=None)
    return sku


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
    with scratch_database(migrate=True) as database:
        params = psycopg_params(dbname=database)
        warehouse = Warehouse.objects.create(code="BENCH", name="Bench warehouse")
        service_skus, raw_skus = [], []
        for number in range(rounds):
            service_skus.append(_stocked_sku(warehouse=warehouse, units=units, code=f"HOT-SVC-{number}"))
            raw_skus.append(_stocked_sku(warehouse=warehouse, units=units, code=f"HOT-RAW-{number}"))
        connection.close()

        totals, oversold = race(database, rounds=rounds, units=units, sides_of=lambda number: [
            ("service", _reserve_through_service,
             lambda index, sku=service_skus[number]: (index, sku.pk, warehouse.pk)),
            ("raw", _reserve_raw, lambda index, sku=raw_skus[number]: (index, sku.pk, warehouse.pk, params)),
        ])

        service_ids = [sku.pk for sku in service_skus]
        oversold += StockLevel.objects.filter(sku__in=service_skus + raw_skus, reserved__gt=units).count()
        broken = [row for row in violations() if row[1] in service_ids]
        short = StockLevel.objects.filter(sku__in=service_skus, reserved__lt=units).count()
        connection.ensure_connection()
        server_version = connection.connection.info.server_version

    if short:
        raise RuntimeError(f"{short} service round(s) stopped before the stock was gone")
    service_rate, raw_rate = rate(totals["service"]), rate(totals["raw"])
    return [
        {
            "name": "inventory.reserve_hot_sku",
            "value": round(service_rate, 1),
            "unit": "reservations/s",
            "baseline": round(raw_rate, 1),
            "ratio": round(service_rate / raw_rate, 3),
            "workers": WORKERS,
            "reservations": totals["service"]["done"],
            "oversold": oversold,
            "deadlocks": totals["service"]["deadlocks"] + totals["raw"]["deadlocks"],
            "violations": len(broken),
            "postgres": f"{server_version // 10000}.{server_version % 10000}",
        }
    ]
