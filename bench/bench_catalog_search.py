"""The SKU search that answers as you type, on a catalog of over 100,000 SKUs: server time per keystroke.

``catalog.sku_search_100k``
    A scratch database is migrated and filled by ``seed_demo`` (12,000 styles: about 110,000
    SKUs, with their stock), then ``VACUUM (ANALYZE)``. A warehouse user, signed in through
    Django's test client, types a few searches one keystroke at a time, as htmx sends them to
    the search page (``HX-Request``: the results fragment): a style number growing into a SKU
    code ("1", "10", … "109433-L-S"), a word of a name ("h" … "harbor"), digits in the middle
    of codes ("1094"), a colour code, an exact SKU code and barcode, and a word that matches
    nothing. ``value`` is the p95 of the server time in milliseconds over every keystroke
    (``p50_ms`` beside it, ``slowest`` names the slowest query); ``baseline`` the p95 of the
    same SQL statements sent straight through psycopg, so ``ratio`` says what Django and the
    template add. Goal: p95 under 100 ms (``goal_met``).

``--quick``: a few hundred styles and keystrokes: proves the benchmark works, nothing more.
"""

from __future__ import annotations

import statistics
import warnings
from functools import partial
from io import StringIO

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from bench.bench_orders_pages import _percentiles, _run_sql, _time_ms
from bench.common import iterations, psycopg_params, scratch_database

NAME = "catalog.sku_search_100k"
GOAL_P95_MS = 100.0
HOST = "localhost"  # in the default ALLOWED_HOSTS
HTMX = {"HTTP_HX_REQUEST": "true"}


def run() -> list[dict]:
    styles = iterations(full=12_000, quick=300)
    rounds = iterations(full=5, quick=1)
    storages = {**settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=storages), warnings.catch_warnings(), \
            scratch_database(migrate=True) as database:
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)  # WhiteNoise's
        call_command("seed_demo", styles=styles, orders=0, stdout=StringIO())
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) catalog_sku")
            cursor.execute("VACUUM (ANALYZE) catalog_style")
            cursor.execute("SELECT count(*) FROM catalog_sku")
            skus = cursor.fetchone()[0]
        searches = _searches()
        client = Client(HTTP_HOST=HOST)
        from django.contrib.auth import get_user_model

        client.force_login(get_user_model().objects.get(username="warehouse"))  # seed_demo's
        url = reverse("catalog:sku_search")
        keystrokes = [text[:length] for text in searches for length in range(1, len(text) + 1)]
        statements = {query: _captured(client, url, query) for query in keystrokes}
        server: dict[str, list[float]] = {query: [] for query in keystrokes}
        raw_sql: dict[str, list[float]] = {query: [] for query in keystrokes}
        with psycopg.connect(**psycopg_params(dbname=database), autocommit=True) as raw:
            for _round in range(rounds):  # server and raw SQL take turns keystroke by keystroke
                for query in keystrokes:
                    server[query].append(_time_ms(partial(_get, client, url, query)))
                    raw_sql[query].append(_time_ms(partial(_run_sql, raw, statements[query])))
    everything = [ms for samples in server.values() for ms in samples]
    baseline = [ms for samples in raw_sql.values() for ms in samples]
    p50, p95 = _percentiles(everything)
    base_p50, base_p95 = _percentiles(baseline)
    slowest = max(keystrokes, key=lambda query: statistics.median(server[query]))
    return [{
        "name": NAME,
        "value": p95,
        "unit": "ms",
        "baseline": base_p95,
        "ratio": round(p95 / base_p95, 3) if base_p95 else None,
        "p50_ms": p50,
        "baseline_p50_ms": base_p50,
        "skus": skus,
        "keystrokes": len(keystrokes),
        "rounds": rounds,
        "queries": max(len(found) for found in statements.values()),
        "slowest": {"query": slowest, "median_ms": round(statistics.median(server[slowest]), 2)},
        "goal_met": p95 < GOAL_P95_MS,
    }]


def _searches() -> list[str]:
    """What the agents type: a code growing from the style number, name words, colour, barcode, nothing."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT code, barcode FROM catalog_sku WHERE barcode IS NOT NULL AND NOT is_kit "
                       "ORDER BY id DESC LIMIT 1")
        code, barcode = cursor.fetchone()
        cursor.execute("SELECT split_part(name, ' ', 1) FROM catalog_sku ORDER BY id LIMIT 1")
        word = cursor.fetchone()[0]
    return [code, word.lower(), "1094", "blk", "shirt", barcode, "zzqx"]


def _get(client: Client, url: str, query: str) -> None:
    response = client.get(url, {"q": query}, secure=True, **HTMX)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}?q={query} answered {response.status_code}")


def _captured(client: Client, url: str, query: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        _get(client, url, query)
    return [captured["sql"] for captured in queries.captured_queries]
