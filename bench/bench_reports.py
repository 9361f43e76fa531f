"""Report pages on a database of a million orders (``reports.pages_1m``).

A scratch database is migrated and filled by ``seed_demo`` (the seed of ``bench_orders_pages``), the
rollups rebuilt, then each report's page is asked for as a manager's browser asks (Django's test
client: middleware, view, queries, template), taking turns with the raw SQL that the same numbers
would need without the rollups (plain SQL on its own psycopg connection):

* ``sales-by-channel`` (the hourly × channel rollup) against a GROUP BY over ``orders_order``;
* ``sales-by-sku`` (the daily × SKU rollup) against a GROUP BY over the order lines;
* ``sales-by-customer-type`` and ``tax-collected`` read the orders themselves; their baseline is
  their own aggregate over the orders, so their ratio says what the page adds to it;
* ``movement-journal``: its first page against a page 20 pages in (keyset: the same cost).

``value``: the slowest report page's p95 (ms); ``ratio``: the sum of the rollup-backed pages'
times ÷ the sum of their raw aggregates' times; ``reports`` holds each page's p50/p95.
``--quick``: 3,000 orders, a few requests: proves the benchmark works, nothing more.
"""

from __future__ import annotations

import warnings

import psycopg
from django.conf import settings
from django.db import connection
from django.test.utils import override_settings

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

RAW = {
    "sales-by-channel": "SELECT date_trunc('day', placed_at AT TIME ZONE %(zone)s)::date, channel, currency, "
                        "count(*), sum(total) FROM orders_order WHERE placed_at IS NOT NULL "
                        "GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2 DESC LIMIT 51",
    "sales-by-sku": "SELECT date_trunc('day', o.placed_at AT TIME ZONE %(zone)s)::date, l.sku_id, o.currency, "
                    "sum(l.quantity), sum(l.line_total - l.tax_amount) FROM orders_order o "
                    "JOIN orders_orderline l ON l.order_id = o.id WHERE o.placed_at IS NOT NULL "
                    "GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2 DESC LIMIT 51",
}


def run() -> list[dict]:
    orders = QUICK_ORDERS if is_quick() else FULL_ORDERS
    storages = {**settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=storages), warnings.catch_warnings(), \
            scratch_database(migrate=True) as database:
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
        seed_seconds = _seed(orders)
        from reporting.rollups.engine import rollups_rebuild

        rollups_rebuild()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        with psycopg.connect(**psycopg_params(dbname=database), autocommit=True) as raw:
            result = _pages(raw)
    result.update(orders=orders, seed_seconds=round(seed_seconds, 1))
    return [result]


def _journal_deep_url(client, pages: int) -> str:
    """The URL of the movement journal's page ``pages`` pages in (following the next-page cursors)."""
    url = "/reports/movement-journal/?sort=newest"
    for _page in range(pages):
        response = client.get(url, secure=True)
        cursor = response.context["next_cursor"] if response.context else None
        if not cursor:
            break
        url = f"/reports/movement-journal/?sort=newest&after={cursor}"
    return url


def _pages(raw: psycopg.Connection) -> dict:
    client = _manager_client()
    count = iterations(full=40, quick=3)
    urls = {key: f"/reports/{key}/" for key in ("sales-by-channel", "sales-by-sku", "sales-by-customer-type",
                                                "tax-collected")}
    urls["movement-journal"] = "/reports/movement-journal/?sort=newest"
    urls["movement-journal (page 20)"] = _journal_deep_url(client, 20)
    samples: dict[str, list[float]] = {name: [] for name in urls}
    raw_samples: dict[str, list[float]] = {name: [] for name in RAW}
    zone = {"zone": settings.SHOP_TIME_ZONE}
    for name, url in urls.items():  # warm up
        _get(client, url)
    for _turn in range(count):
        for name, url in urls.items():
            samples[name].append(_time_ms(lambda url=url: _get(client, url)))
            if name in RAW:
                with raw.cursor() as cursor:
                    raw_samples[name].append(_time_ms(lambda: cursor.execute(RAW[name], zone).fetchall()))
    reports = {}
    for name, times in samples.items():
        p50, p95 = _percentiles(times)
        reports[name] = {"p50_ms": p50, "p95_ms": p95}
        if name in raw_samples:
            raw_p50, raw_p95 = _percentiles(raw_samples[name])
            reports[name].update(raw_p95_ms=raw_p95, ratio=round(p95 / raw_p95, 4) if raw_p95 else 0.0)
    rollup_total = sum(sum(samples[name]) for name in RAW)
    raw_total = sum(sum(raw_samples[name]) for name in RAW)
    first, deep = reports["movement-journal"]["p95_ms"], reports["movement-journal (page 20)"]["p95_ms"]
    return {
        "name": "reports.pages_1m", "value": max(report["p95_ms"] for report in reports.values()), "unit": "ms",
        "baseline": round(raw_total / count, 2), "ratio": round(rollup_total / raw_total, 4) if raw_total else 0.0,
        "journal_deep_over_first": round(deep / first, 3) if first else 0.0,
        "requests_per_page": count, "reports": reports,
    }
