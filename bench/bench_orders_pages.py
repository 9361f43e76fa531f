"""The order list and the order page on a database of a million orders: server time and queries.

A scratch database (``bench.common.scratch_database``) is migrated and filled by ``seed_demo``:
a small demo catalog and inventory, then a million orders with their lines, events and holds
(``orders.demo``, COPY); then ``VACUUM (ANALYZE)``, as autovacuum would have done on a live
database. A manager, signed in through Django's test client (``force_login``), then asks for:

* ``orders.list_page_1m``: the order list, first page (50 orders), and the 10,000th page,
  reached through its keyset cursor (``?after=``), computed from the data as the page before
  would have linked it; the two take turns. ``deep_page_ratio`` is the deep page's p50 over the
  first page's.
  ``queries_by_size`` counts the queries at every page size the list offers;
* ``orders.detail_page_1m``: the order page of orders spread over the whole table.

``value`` is the p95 of the server time in milliseconds (the test client runs the whole
request in this process: middleware, view, queries, template); ``p50_ms`` beside it.
``baseline`` is the p95 of the same SQL statements (captured with ``CaptureQueriesContext``)
sent straight through psycopg on a connection of their own, so ``ratio`` says what Django and
the template add to the database's work. Goals: p95 under 100 ms, at most 10 queries a page at
any size, and a deep page no slower than twice the first (``goals_met``).

``--quick``: 3,000 orders, a few requests: proves the benchmark works, nothing more.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from functools import partial
from io import StringIO

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from bench.common import is_quick, iterations, psycopg_params, scratch_database

FULL_ORDERS = 1_000_000
QUICK_ORDERS = 3_000
STYLES = 300  # about 2,500 SKUs: small, as the orders are what is measured
DEEP_PAGE = 10_000
PAGE_SIZE = 50
GOAL_P95_MS = 100.0
GOAL_QUERIES = 10
GOAL_DEEP_RATIO = 2.0
HOST = "localhost"  # in the default ALLOWED_HOSTS


def run() -> list[dict]:
    orders = QUICK_ORDERS if is_quick() else FULL_ORDERS
    # Production settings serve static files from collectstatic's manifest; a bench run has none.
    # Its URL lookup is a dict lookup like the plain storage's, so the pages cost the same.
    storages = {**settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=storages), warnings.catch_warnings(), \
            scratch_database(migrate=True) as database:
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)  # WhiteNoise's
        seed_seconds = _seed(orders)
        client = _manager_client()
        with psycopg.connect(**psycopg_params(dbname=database), autocommit=True) as raw:
            list_result = _list_pages(client, raw, orders=orders)
            detail_result = _detail_pages(client, raw)
    list_result.update(orders=orders, seed_seconds=round(seed_seconds, 1))
    detail_result.update(orders=orders)
    return [list_result, detail_result]


# --- the database ---------------------------------------------------------------------------------


def _seed(orders: int) -> float:
    started = time.perf_counter()
    out = StringIO()
    call_command("seed_demo", styles=STYLES, orders=orders, stdout=out)
    seconds = time.perf_counter() - started
    print(f"  seeded {orders:,} orders in {seconds:.0f} s", flush=True)
    with connection.cursor() as cursor:
        for table in ("orders_order", "orders_orderline", "orders_orderevent", "orders_hold",
                      "orders_customer", "orders_address", "orders_lineallocation"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return seconds


def _manager_client() -> Client:
    from django.contrib.auth import get_user_model

    client = Client(HTTP_HOST=HOST)
    client.force_login(get_user_model().objects.get(username="manager"))  # seed_demo's manager
    return client


# --- measuring ---------------------------------------------------------------------------------------


def _get(client: Client, url: str) -> None:
    response = client.get(url, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")


def _captured(client: Client, url: str) -> list[str]:
    """The SQL statements one request sends (with their parameters in place)."""
    with CaptureQueriesContext(connection) as queries:
        _get(client, url)
    return [query["sql"] for query in queries.captured_queries]


def _time_ms(operation: Callable[[], object]) -> float:
    started = time.perf_counter()
    operation()
    return (time.perf_counter() - started) * 1000


def _run_sql(raw: psycopg.Connection, statements: list[str]) -> None:
    with raw.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement.replace("%", "%%"))
            if cursor.description is not None:
                cursor.fetchall()


def _percentiles(samples: list[float]) -> tuple[float, float]:
    if len(samples) < 2:
        return samples[0], samples[0]
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return round(cuts[49], 2), round(cuts[94], 2)


def _measure(client: Client, raw: psycopg.Connection, groups: dict[str, list[str]], *, count: int,
             warmup: int) -> dict[str, dict]:
    """Server time and raw-SQL time of each group of URLs, ``count`` GETs per group after ``warmup``.

    The groups take turns request by request (and within a group its URLs), so that a drift of
    the machine, another process waking up or the disk flushing, weighs on all of them alike.
    """
    statements = {url: _captured(client, url) for urls in groups.values() for url in urls}
    samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in groups}
    for index in range(warmup + count):
        for name, urls in groups.items():
            url = urls[index % len(urls)]
            server = _time_ms(partial(_get, client, url))
            database = _time_ms(partial(_run_sql, raw, statements[url]))
            if index >= warmup:
                samples[name][0].append(server)
                samples[name][1].append(database)
    measured = {}
    for name, urls in groups.items():
        p50, p95 = _percentiles(samples[name][0])
        base_p50, base_p95 = _percentiles(samples[name][1])
        measured[name] = {
            "p50_ms": p50, "p95_ms": p95, "baseline_p50_ms": base_p50, "baseline_p95_ms": base_p95,
            "queries": max(len(statements[url]) for url in urls),
            "statements": {url: statements[url] for url in urls},
        }
    return measured


def _slowest(raw: psycopg.Connection, statements: list[str]) -> tuple[float, str]:
    """The slowest of the statements (ms) and its EXPLAIN ANALYZE, for a goal that was missed."""
    timed = []
    for statement in statements:
        timed.append((_time_ms(partial(_run_sql, raw, [statement])), statement))
    milliseconds, statement = max(timed)
    plan = "\n".join(row[0] for row in raw.execute(
        "EXPLAIN (ANALYZE, BUFFERS) " + statement.replace("%", "%%")).fetchall())
    return round(milliseconds, 2), f"{statement}\n{plan}"


def _result(name: str, measured: dict, **extra) -> dict:
    statements = measured.pop("statements")
    result = {
        "name": name,
        "value": measured["p95_ms"],
        "unit": "ms",
        "baseline": measured["baseline_p95_ms"],
        "ratio": round(measured["p95_ms"] / measured["baseline_p95_ms"], 3) if measured["baseline_p95_ms"]
        else 0.0,
        **measured,
        **extra,
    }
    return result | {"_statements": statements}


def _report_misses(result: dict, raw: psycopg.Connection) -> None:
    """When a goal is missed, say where the time goes: the slowest statement with its plan when the
    SQL is to blame, else how much of the request is spent outside the database."""
    statements = result.pop("_statements")
    if result.get("goals_met", True):
        return
    sql_bound = (result["baseline_p95_ms"] >= GOAL_P95_MS / 2
                 or result.get("deep_page_ratio", 0) > GOAL_DEEP_RATIO)
    if sql_bound:
        milliseconds, explained = _slowest(raw, next(iter(statements.values())))
        result["slowest_query_ms"] = milliseconds
        print(f"\n{result['name']} misses a goal; its slowest statement ({milliseconds} ms):\n{explained}\n",
              file=sys.stderr, flush=True)
    else:
        print(f"\n{result['name']} misses a goal outside the database: p50 {result['p50_ms']} ms, p95 "
              f"{result['p95_ms']} ms for the request, of which its SQL takes p50 "
              f"{result['baseline_p50_ms']} ms, p95 {result['baseline_p95_ms']} ms; the rest is Python "
              "(middleware, view, template).\n", file=sys.stderr, flush=True)


# --- the pages -----------------------------------------------------------------------------------------


def _deep_cursor(*, page: int, size: int) -> tuple[str, int]:
    """The ``after`` cursor that leads to ``page`` (1-based) of the unfiltered list, and the page it reaches.

    The list runs newest first on (placed_at, id) and leaves out unplaced drafts; the cursor of
    page n is the last row of page n - 1, as that page's "older" link carries it.
    """
    from oms.pagination import encode_cursor

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM orders_order WHERE placed_at IS NOT NULL")
        (placed,) = cursor.fetchone()
        page = max(2, min(page, (placed - 1) // size))  # a quick run has fewer pages
        cursor.execute(
            "SELECT placed_at, id FROM orders_order WHERE placed_at IS NOT NULL "
            "ORDER BY placed_at DESC, id DESC OFFSET %s LIMIT 1", [(page - 1) * size - 1])
        placed_at, pk = cursor.fetchone()
    return encode_cursor(placed_at, pk), page


def _list_pages(client: Client, raw: psycopg.Connection, *, orders: int) -> dict:
    from urllib.parse import quote

    count = iterations(full=300, quick=6)
    warmup = iterations(full=30, quick=2)
    cursor, page = _deep_cursor(page=DEEP_PAGE, size=PAGE_SIZE)
    measured = _measure(client, raw, {"first": ["/orders/"], "deep": [f"/orders/?after={quote(cursor)}"]},
                        count=count, warmup=warmup)
    first, deep = measured["first"], measured["deep"]
    queries_by_size = {size: len(_captured(client, f"/orders/?size={size}")) for size in (10, 25, 50, 100)}
    queries_by_size[f"{PAGE_SIZE}_deep"] = deep["queries"]
    deep_ratio = round(deep["p50_ms"] / first["p50_ms"], 3)
    goals_met = (max(first["p95_ms"], deep["p95_ms"]) < GOAL_P95_MS
                 and max(queries_by_size.values()) <= GOAL_QUERIES and deep_ratio <= GOAL_DEEP_RATIO)
    result = _result(
        "orders.list_page_1m", first, page_size=PAGE_SIZE, requests=count, deep_page=page,
        deep_page_p50_ms=deep["p50_ms"], deep_page_p95_ms=deep["p95_ms"],
        deep_page_baseline_p95_ms=deep["baseline_p95_ms"], deep_page_ratio=deep_ratio,
        queries_by_size={str(size): queries for size, queries in queries_by_size.items()},
        goals_met=goals_met,
    )
    if deep_ratio > GOAL_DEEP_RATIO or deep["baseline_p95_ms"] > first["baseline_p95_ms"]:
        result["_statements"] = deep["statements"]  # explain the deep page's SQL when it is the slower
    _report_misses(result, raw)
    return result


def _detail_pages(client: Client, raw: psycopg.Connection) -> dict:
    count = iterations(full=300, quick=6)
    warmup = iterations(full=30, quick=2)
    # Orders spread over the whole table, and the busiest one (most events), so the page is not
    # measured on a single cached order.
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM orders_order")
        low, high = cursor.fetchone()
        cursor.execute("SELECT order_id FROM orders_orderevent GROUP BY order_id "
                       "ORDER BY count(*) DESC LIMIT 1")
        (busiest,) = cursor.fetchone()
        rng = random.Random(1912)
        cursor.execute("SELECT id FROM orders_order WHERE id = ANY(%s)",
                       [[rng.randint(low, high) for _ in range(iterations(full=60, quick=3))]])
        sample = sorted({pk for (pk,) in cursor.fetchall()} | {busiest})
    urls = [f"/orders/{pk}/" for pk in sample]
    measured = _measure(client, raw, {"detail": urls}, count=count, warmup=warmup)["detail"]
    goals_met = measured["p95_ms"] < GOAL_P95_MS and measured["queries"] <= GOAL_QUERIES
    result = _result("orders.detail_page_1m", measured, requests=count, distinct_orders=len(urls),
                     goals_met=goals_met)
    _report_misses(result, raw)
    return result
