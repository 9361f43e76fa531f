"""The live dashboard and the rollups on a database of a million orders.

A scratch database is migrated and filled by ``seed_demo`` (the seed of ``bench_orders_pages``:
a million orders over two years with their lines, events and holds), then:

* ``reporting.rollup_rebuild_1m``: every registered rollup rebuilt from scratch (empty tables,
  ``rollups_rebuild()``: the ``DELETE`` + ``INSERT … SELECT`` of every bucket of every day, in
  one transaction). ``baseline``: one raw GROUP BY pass over the same rows, the same SELECTs
  counted without being written (``SELECT count(*) FROM (…)``); ``ratio`` = rebuild ÷ baseline,
  what writing the rollups adds to reading the order tables once. Seconds; ``per_rollup``.
* ``reporting.dashboard_1m``: each dashboard tile's partial, as a manager's htmx poll asks for it
  (Django's test client: middleware, view, queries, template), against the raw aggregate over the
  order tables that the tile would need without the rollups (plain SQL on its own psycopg
  connection). The tiles are first refreshed as the fold task refreshes them after each fold
  (``reporting.dashboard.snapshots.tiles_refresh``: each tile computed from the rollups and
  rendered in each language, once for every viewer); ``refresh_ms`` is what that costs per fold.
  Tiles and their raw aggregates take turns request by request. ``tiles`` holds each tile's
  p50/p95 and its raw p95 and ratio; ``value`` is the slowest tile's p95 (ms) and ``ratio`` the
  whole dashboard's: the sum of the tiles' times ÷ the sum of the raw aggregates' times.
  Goals: every tile's p95 under 50 ms, the dashboard's ratio at most 0.05 (``goals_met``).
  Two floors, measured in the same turns:
  - the very statements each tile's request sends to the database (captured once: the user, the
    permissions, the rollups' state), run on the raw connection with Django taken away:
    ``floor_ms_per_refresh``, each tile's ``floor_p95_ms``, ``value_to_floor`` (the slowest tile's
    p95 ÷ its floor p95) and ``floor_ratio`` (the dashboard's time ÷ the floor's);
  - Django's signed-in request with the tile's work taken away (``bench/floor_urls.py``: the same
    middleware, session, user and permission check, an empty answer), once per tile:
    ``request_floor_ms_per_refresh``, ``request_floor_ratio`` (its time ÷ the raw aggregates':
    the lowest ``ratio`` a tile served by Django can have) and ``value_to_request_floor`` (the
    dashboard's time ÷ the request floor's).

``--quick``: 3,000 orders, a few requests: proves the benchmark works, nothing more.
"""

from __future__ import annotations

import time
import warnings
from datetime import timedelta
from functools import partial

import psycopg
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from bench.bench_orders_pages import (
    FULL_ORDERS,
    QUICK_ORDERS,
    _get,
    _manager_client,
    _percentiles,
    _seed,
    _time_ms,
)
from bench.common import is_quick, iterations, psycopg_params, scratch_database

GOAL_TILE_P95_MS = 50.0
GOAL_RATIO = 0.05


def run() -> list[dict]:
    orders = QUICK_ORDERS if is_quick() else FULL_ORDERS
    storages = {**settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=storages), warnings.catch_warnings(), \
            scratch_database(migrate=True) as database:
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
        seed_seconds = _seed(orders)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) orders_shipment")
            cursor.execute("VACUUM (ANALYZE) inventory_stocklevel")
        rebuild = _rebuild()
        with connection.cursor() as cursor:
            for model in _rollup_models():
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
        with psycopg.connect(**psycopg_params(dbname=database), autocommit=True) as raw:
            dashboard = _dashboard(raw)
    for result in (rebuild, dashboard):
        result.update(orders=orders, seed_seconds=round(seed_seconds, 1))
    return [dashboard, rebuild]


def _rollup_models():
    from reporting.rollups import registry

    return [rollup.model for rollup in registry.all_rollups()]


# --- rebuilding ---------------------------------------------------------------------------------------


def _raw_pass_seconds() -> dict[str, float]:
    """Each rollup's SELECT over every day, counted but not written: the raw GROUP BY pass."""
    from reporting.rollups.customers import REPORT_ROLLUPS, CustomerRollup
    from reporting.rollups.definitions import BUILT_IN, BucketRollup, day_start
    from reporting.rollups.engine import data_days

    first, last = data_days()
    params = {"start": day_start(first), "end": day_start(last + timedelta(days=1)),
              "zone": settings.SHOP_TIME_ZONE}
    seconds = {}
    with connection.cursor() as cursor:
        for definition in (*BUILT_IN, *REPORT_ROLLUPS):
            if isinstance(definition, CustomerRollup):
                select = definition.compute_sql.format(customers=definition.DAY_CUSTOMERS)
            elif isinstance(definition, BucketRollup):
                select = definition.compute_sql
            else:
                select = definition.select_sql.format(orders="o.placed_at >= %(start)s AND o.placed_at < %(end)s")
            started = time.perf_counter()
            cursor.execute(f"SELECT count(*) FROM ({select}) AS raw_pass", params)
            cursor.fetchone()
            seconds[definition.name] = time.perf_counter() - started
    return seconds


def _rebuild() -> dict:
    from reporting.models import RollupState
    from reporting.rollups.engine import rollups_rebuild

    raw = _raw_pass_seconds()  # first, so that the rebuild does not get a warmer cache than it
    with connection.cursor() as cursor:
        for model in _rollup_models():
            cursor.execute(f"TRUNCATE {model._meta.db_table}")
    RollupState.objects.all().delete()
    started = time.perf_counter()
    written = rollups_rebuild()
    seconds = time.perf_counter() - started
    baseline = sum(raw.values())
    print(f"  rebuilt the rollups in {seconds:.1f} s (raw pass {baseline:.1f} s)", flush=True)
    return {
        "name": "reporting.rollup_rebuild_1m", "value": round(seconds, 2), "unit": "s",
        "baseline": round(baseline, 2), "ratio": round(seconds / baseline, 3) if baseline else 0.0,
        "rows_written": written, "raw_pass_seconds": {name: round(value, 3) for name, value in raw.items()},
    }


# --- the dashboard ---------------------------------------------------------------------------------------


def _raw_aggregates() -> dict[str, list[tuple[str, dict]]]:
    """Per tile, the SQL it would need over the order tables without rollups (same answers)."""
    from reporting.dashboard.selectors import late_order_days
    from reporting.rollups.definitions import BACKORDER_STATUSES, CLOSED, day_start, shop_zone

    now = timezone.now()
    local = now.astimezone(shop_zone())
    today = local.date()
    elapsed = local - day_start(today)
    ranges = [(day_start(day), day_start(day) + elapsed)
              for day in (today, today - timedelta(days=7), today - timedelta(days=364))]
    in_periods = " OR ".join(f"(t >= %(s{index})s AND t < %(e{index})s)" for index in range(len(ranges)))
    periods = {f"s{index}": start for index, (start, _end) in enumerate(ranges)} | {
        f"e{index}": end for index, (_start, end) in enumerate(ranges)}
    monday = day_start(today - timedelta(days=today.weekday()))
    unshipped = ("('placed', 'on_hold', 'released', 'allocated', 'picking', 'packed', 'partially_shipped')")
    return {
        "sales": [
            ("SELECT date_trunc('hour', placed_at, 'UTC'), channel, currency, count(*), sum(total) "
             f"FROM orders_order WHERE {in_periods.replace('t >=', 'placed_at >=').replace('t <', 'placed_at <')} "
             "GROUP BY 1, 2, 3", periods),
            ("SELECT date_trunc('hour', e.created_at, 'UTC'), o.channel, o.currency, count(*), sum(o.total) "
             "FROM orders_orderevent e JOIN orders_order o ON o.id = e.order_id WHERE e.to_status = 'shipped' "
             f"AND e.created_at >= %(s0)s AND e.created_at < %(e0)s GROUP BY 1, 2, 3", periods),
        ],
        "open_orders": [(f"SELECT status, count(*), sum(total) FILTER (WHERE currency = %(currency)s) "
                         f"FROM orders_order WHERE placed_at IS NOT NULL AND status NOT IN {CLOSED} "
                         "GROUP BY status", {"currency": settings.DEFAULT_CURRENCY})],
        "held": [(f"SELECT h.reason, count(*), count(*) FILTER (WHERE h.created_at > %(day)s), "
                  "count(*) FILTER (WHERE h.created_at <= %(day)s AND h.created_at > %(two)s), "
                  "count(*) FILTER (WHERE h.created_at <= %(two)s AND h.created_at > %(week)s), "
                  "count(*) FILTER (WHERE h.created_at <= %(week)s), count(DISTINCT h.order_id) "
                  "FROM orders_hold h JOIN orders_order o ON o.id = h.order_id "
                  f"WHERE h.released_at IS NULL AND o.placed_at IS NOT NULL AND o.status NOT IN {CLOSED} "
                  "GROUP BY h.reason",
                  {"day": now - timedelta(days=1), "two": now - timedelta(days=2), "week": now - timedelta(days=7)})],
        "late": [
            (f"SELECT count(*) FROM orders_order WHERE status IN {unshipped} AND placed_at < %(cutoff)s",
             {"cutoff": now - timedelta(days=late_order_days())}),
            (f"SELECT id, number, status, channel, placed_at FROM orders_order WHERE status IN {unshipped} "
             "AND placed_at < %(cutoff)s ORDER BY placed_at, id LIMIT 10",
             {"cutoff": now - timedelta(days=late_order_days())}),
        ],
        "backorders": [
            ("SELECT l.sku_id, l.sku_code, sum(l.quantity - l.quantity_cancelled - l.quantity_allocated), "
             "count(*), min(o.placed_at) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id "
             f"WHERE l.quantity > l.quantity_allocated + l.quantity_cancelled AND o.status IN {BACKORDER_STATUSES} "
             "GROUP BY 1, 2 ORDER BY 3 DESC, 2 LIMIT 10", {}),
            ("SELECT sum(l.quantity - l.quantity_cancelled - l.quantity_allocated), count(DISTINCT l.sku_id) "
             "FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id "
             f"WHERE l.quantity > l.quantity_allocated + l.quantity_cancelled AND o.status IN {BACKORDER_STATUSES}",
             {}),
        ],
        "low_stock": [
            ("SELECT s.sku_id, k.code, k.name, sum(s.on_hand), sum(s.on_hand - s.reserved) AS available "
             "FROM inventory_stocklevel s JOIN catalog_sku k ON k.id = s.sku_id "
             "WHERE k.status = 'active' AND NOT k.is_kit GROUP BY 1, 2, 3 "
             "HAVING sum(s.on_hand - s.reserved) <= %(threshold)s ORDER BY 5, 2 LIMIT 10",
             {"threshold": settings.LOW_STOCK_UNITS}),
        ],
        "returns": [
            ("SELECT (e.created_at AT TIME ZONE %(zone)s)::date, o.channel, "
             "count(*) FILTER (WHERE e.to_status = 'return_requested'), "
             "count(*) FILTER (WHERE e.to_status = 'returned'), sum(x.units) "
             "FROM orders_orderevent e JOIN orders_order o ON o.id = e.order_id "
             "LEFT JOIN LATERAL (SELECT sum(l.quantity_returned) AS units FROM orders_orderline l "
             "WHERE l.order_id = e.order_id AND e.to_status = 'returned') x ON true "
             "WHERE e.to_status IN ('return_requested', 'returned') AND e.created_at >= %(monday)s GROUP BY 1, 2",
             {"zone": settings.SHOP_TIME_ZONE, "monday": monday}),
        ],
        "top_skus": [
            ("SELECT l.sku_id, sum(l.quantity), sum(l.line_total - l.tax_amount) AS revenue "
             "FROM orders_order o JOIN orders_orderline l ON l.order_id = o.id "
             "WHERE o.placed_at >= %(start)s AND o.currency = %(currency)s GROUP BY 1 ORDER BY 3 DESC, 2 DESC LIMIT 10",
             {"start": day_start(today), "currency": settings.DEFAULT_CURRENCY}),
        ],
    }


def _run_raw(raw: psycopg.Connection, statements: list[tuple[str, dict]]) -> None:
    with raw.cursor() as cursor:
        for statement, params in statements:
            cursor.execute(statement, params)
            cursor.fetchall()


def _tile_statements(client, url: str) -> list[str]:
    """The SQL a tile's request sends, as sent (parameters bound), for the floor to run again."""
    with CaptureQueriesContext(connection) as captured:
        _get(client, url)
    return [query["sql"] for query in captured.captured_queries
            if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))]


def _run_statements(raw: psycopg.Connection, statements: list[str]) -> None:
    with raw.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
            if cursor.description is not None:
                cursor.fetchall()


def _refresh_ms() -> float:
    """What the fold task adds to each fold: every tile computed from the rollups and rendered (p50)."""
    from reporting.dashboard.snapshots import tiles_refresh

    times = [_time_ms(tiles_refresh) for _ in range(iterations(full=7, quick=1))]
    return round(sorted(times)[len(times) // 2], 1)


@override_settings(ROOT_URLCONF="bench.floor_urls")
def _dashboard(raw: psycopg.Connection) -> dict:
    from bench.floor_urls import TILE_FLOOR_URL
    from reporting.dashboard.tiles import TILES

    client = _manager_client()
    aggregates = _raw_aggregates()
    count = iterations(full=200, quick=5)
    warmup = iterations(full=10, quick=1)
    refresh_ms = _refresh_ms()  # as the fold task leaves them: the tiles' requests read the snapshots
    samples = {tile.key: ([], [], [], []) for tile in TILES}
    urls = {tile.key: tile.url() for tile in TILES}
    with raw.cursor() as cursor:  # the statements were written for Django's session
        cursor.execute("SET TIME ZONE 'UTC'")
    floors = {tile.key: _tile_statements(client, urls[tile.key]) for tile in TILES}
    for index in range(warmup + count):
        for tile in TILES:
            server = _time_ms(partial(_get, client, urls[tile.key]))
            database = _time_ms(partial(_run_raw, raw, aggregates[tile.key]))
            floor = _time_ms(partial(_run_statements, raw, floors[tile.key]))
            request_floor = _time_ms(partial(_get, client, TILE_FLOOR_URL))
            if index >= warmup:
                for sample, value in zip(samples[tile.key], (server, database, floor, request_floor), strict=True):
                    sample.append(value)
    tiles = {}
    for key, (server, database, floor, _request_floor) in samples.items():
        p50, p95 = _percentiles(server)
        raw_p50, raw_p95 = _percentiles(database)
        _floor_p50, floor_p95 = _percentiles(floor)
        tiles[key] = {"p50_ms": p50, "p95_ms": p95, "raw_p50_ms": raw_p50, "raw_p95_ms": raw_p95,
                      "ratio": round(p95 / raw_p95, 4) if raw_p95 else 0.0, "floor_p95_ms": floor_p95,
                      "statements": len(floors[key])}
    tile_total = sum(sum(server) for server, _database, _floor, _request in samples.values())
    raw_total = sum(sum(database) for _server, database, _floor, _request in samples.values())
    floor_total = sum(sum(floor) for _server, _database, floor, _request in samples.values())
    request_total = sum(sum(request) for _server, _database, _floor, request in samples.values())
    slowest_key = max(tiles, key=lambda key: tiles[key]["p95_ms"])
    slowest = tiles[slowest_key]["p95_ms"]
    ratio = round(tile_total / raw_total, 4) if raw_total else 0.0
    return {
        "name": "reporting.dashboard_1m", "value": slowest, "unit": "ms",
        "baseline": round(raw_total / count, 2), "ratio": ratio, "requests_per_tile": count,
        "dashboard_ms_per_refresh": round(tile_total / count, 2), "raw_ms_per_refresh": round(raw_total / count, 2),
        "floor_ms_per_refresh": round(floor_total / count, 2), "slowest_tile": slowest_key,
        "value_to_floor": round(slowest / tiles[slowest_key]["floor_p95_ms"], 2)
        if tiles[slowest_key]["floor_p95_ms"] else 0.0,
        "floor_ratio": round(tile_total / floor_total, 2) if floor_total else 0.0,
        "request_floor_ms_per_refresh": round(request_total / count, 2),
        "request_floor_ratio": round(request_total / raw_total, 4) if raw_total else 0.0,
        "value_to_request_floor": round(tile_total / request_total, 2) if request_total else 0.0,
        "refresh_ms": refresh_ms,
        "tiles": tiles, "goals_met": slowest < GOAL_TILE_P95_MS and ratio <= GOAL_RATIO,
    }
