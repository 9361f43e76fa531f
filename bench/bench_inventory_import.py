"""Bulk data: a 100,000-row SKU file through the app's import path, against PostgreSQL's COPY.

``inventory.import_skus_100k``
    ``value``     rows per second of ``oms.imports.services.import_file(kind="skus",
                  dry_run=False)``: the file is staged with COPY, checked with SQL and written
                  (20,000 new styles, 100,000 new SKUs) in one transaction. It runs in a child
                  process, whose own peak resident memory (``VmHWM``) is ``peak_rss_mb``.
    ``baseline``  rows per second of ``COPY … FROM STDIN (FORMAT csv)`` of the same file into a
                  plain table of text columns, without indexes or checks.
    ``ratio``     value / baseline.
    ``write_floor_rows_per_s``
                  the floor, measured in the same run: rows per second of ``COPY … FROM STDIN``
                  of the SKU rows exactly as the import stored them (exported with ``COPY … TO``
                  after each round's import: typed, valid, their styles already there) into the
                  emptied ``catalog_sku`` with all of its indexes and constraints, then ``SET
                  CONSTRAINTS ALL IMMEDIATE`` for the deferred foreign-key checks, then ROLLBACK.
                  No import that writes into the real table can be faster (this leaves out even
                  the 20,000 styles), so it bounds ``value`` from above.
    ``floor_ratio``
                  write_floor_rows_per_s / baseline: the best ``ratio`` such an import could reach.
    ``value_to_floor``
                  value / write_floor_rows_per_s: how near the app comes to that bound.

Also recorded: ``dry_run_rows_per_s`` (the same file, checked and previewed, nothing written),
``reimport_rows_per_s`` (the file again once imported: every row unchanged),
``dry_run_with_errors_s`` / ``errors_found`` (the file with every 100th row bad),
``rowwise_rows_per_s`` (django-import-export's own row-by-row ``SkuResource.import_data`` on a
5,000-row sample into the same database, measured once) and ``speedup_vs_rowwise``;
``phases_s`` splits the app's commit into its steps (the rest of its time is the commit, where
the deferred foreign-key checks run). The other figures are the median of ``rounds`` runs.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "inventory.import_skus_100k"


def sku_file(rows: int, *, prefix: str = "SKU", bad_every: int = 0) -> bytes:
    """A SKU import file: five SKUs per style, unique codes and barcodes; every ``bad_every``-th row bad."""
    from oms.imports.kinds import get_kind

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(get_kind("skus").column_names)
    sizes = ("XS", "S", "M", "L", "XL")
    for number in range(rows):
        style = number // 5
        cost = "-4.50" if bad_every and number % bad_every == bad_every - 1 else "4.50"
        size = sizes[number % 5]
        writer.writerow([f"{prefix}-ST{style:06d}", f"Style {style}", "Shirts", f"{prefix}{number:07d}",
                         f"Style {style} size {size}", f"{prefix}{number:012d}", f"size={size};colour=Red",
                         "0.250", cost, "12.99", "USD", "active", "standard"])
    return buffer.getvalue().encode()


def _child(path: str, mode: str) -> None:
    """Run in a fresh process: import the file once and print the timings and the peak memory."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench.common import peak_rss_mb
    from oms.imports.services import import_file

    data = Path(path).read_bytes()
    started = time.perf_counter()
    result = import_file(kind="skus", file=data, user=None, dry_run=(mode == "dry"))
    seconds = time.perf_counter() - started
    print(json.dumps({
        "seconds": seconds, "rows": result.total_rows, "new": result.new, "updated": result.updated,
        "unchanged": result.unchanged, "errors": result.error_count, "file_errors": result.file_errors,
        "timings": result.timings, "peak_rss_mb": peak_rss_mb(),
    }))


def _import_in_child(path: Path, mode: str, database: str) -> dict:
    env = dict(os.environ, DATABASE_NAME=database, DJANGO_SETTINGS_MODULE="oms.settings", DEBUG="false")
    completed = subprocess.run([sys.executable, "-m", "bench.bench_inventory_import", str(path), mode],
                               cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _copy_baseline(raw, data: bytes) -> float:
    """Seconds of one COPY of the file into the plain table (autocommit: the COPY is its transaction)."""
    raw.execute("TRUNCATE bench_import_plain")
    started = time.perf_counter()
    statement = "COPY bench_import_plain FROM STDIN (FORMAT csv, HEADER true)"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for offset in range(0, len(data), 1 << 20):
            copy.write(data[offset:offset + (1 << 20)])
    return time.perf_counter() - started


def _sku_columns() -> list[str]:
    """The columns of catalog_sku that an import fills (the id comes from its identity column)."""
    from catalog.models import Sku

    return [field.column for field in Sku._meta.concrete_fields if not field.primary_key]


def _export_skus(raw, path: Path) -> None:
    """Write the SKU rows as the import stored them to ``path`` as COPY text, in the order it
    inserted them. To a file, not into memory: 100,000 rows need not sit in this process."""
    columns = ", ".join(_sku_columns())
    statement = f"COPY (SELECT {columns} FROM catalog_sku ORDER BY id) TO STDOUT"
    with path.open("wb") as file, raw.cursor() as cursor, cursor.copy(statement) as copy:
        for chunk in copy:
            file.write(chunk)


def _write_floor(raw, path: Path) -> float:
    """Seconds to COPY the stored SKU rows of ``path`` into an emptied catalog_sku and check their
    foreign keys, in a transaction that is rolled back: the catalog is as it was afterwards.

    The table is emptied by a TRUNCATE in that transaction, which gives it and its indexes new,
    empty files, as the import found them. (With ``wal_level = minimal`` PostgreSQL would not
    write the WAL for a table truncated in the same transaction, and the floor would be too low;
    the default, ``replica``, logs it like any other write.)
    """
    statement = f"COPY catalog_sku ({', '.join(_sku_columns())}) FROM STDIN"
    with raw.transaction(force_rollback=True):
        raw.execute("TRUNCATE catalog_sku CASCADE")
        started = time.perf_counter()
        with path.open("rb") as file, raw.cursor() as cursor, cursor.copy(statement) as copy:
            while chunk := file.read(1 << 20):
                copy.write(chunk)
        raw.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks, as at commit
        return time.perf_counter() - started


def _rowwise(rows: int, prefix: str) -> float:
    """Seconds of django-import-export's own import (row by row, in one transaction) of ``rows`` new SKUs."""
    import tablib

    from catalog.imports.resources import SkuResource

    text = sku_file(rows, prefix=prefix).decode()
    started = time.perf_counter()
    dataset = tablib.Dataset().load(text, format="csv")
    result = SkuResource().import_data(dataset, dry_run=False, use_transactions=True, raise_errors=True)
    seconds = time.perf_counter() - started
    assert result.totals["new"] == rows, result.totals
    return seconds


def run() -> list[dict]:
    import psycopg

    from bench.common import is_quick, iterations, psycopg_params, scratch_database

    rows = iterations(full=100_000, quick=2_000)
    rowwise_rows = iterations(full=5_000, quick=200)
    rounds = 1 if is_quick() else 3
    data = sku_file(rows)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "skus.csv"
        path.write_bytes(data)
        bad_path = Path(directory) / "skus-with-errors.csv"
        bad_path.write_bytes(sku_file(rows, bad_every=100))
        with scratch_database(migrate=True) as database, \
                psycopg.connect(**psycopg_params(dbname=database), autocommit=True) as raw:
            columns = ", ".join(f"{name} text" for name in data.split(b"\n", 1)[0].decode().split(","))
            raw.execute(f"CREATE TABLE bench_import_plain ({columns})")
            copies, dry_runs, commits, reimports, floors = [], [], [], [], []
            stored_path = Path(directory) / "stored-skus.copy"
            for _round in range(rounds):
                raw.execute("TRUNCATE catalog_sku, catalog_style CASCADE")
                raw.execute("VACUUM ANALYZE catalog_sku")
                raw.execute("VACUUM ANALYZE catalog_style")
                dry_runs.append(_import_in_child(path, "dry", database))
                copies.append(_copy_baseline(raw, data))
                commits.append(_import_in_child(path, "commit", database))
                _export_skus(raw, stored_path)  # each round: its SKUs point to this round's styles
                reimports.append(_import_in_child(path, "commit", database))
                floors.append(_write_floor(raw, stored_path))
            with_errors = _import_in_child(bad_path, "dry", database)
            rowwise_seconds = _rowwise(rowwise_rows, "RW")  # once: minutes at its speed, and only for scale
            server_version = raw.info.server_version

    assert all(run["new"] == rows for run in commits), commits
    assert all(run["unchanged"] == rows for run in reimports), reimports
    assert with_errors["errors"] == rows // 100, with_errors
    commit_seconds = statistics.median(run["seconds"] for run in commits)
    value = rows / commit_seconds
    baseline = rows / statistics.median(copies)
    floor = rows / statistics.median(floors)
    rowwise_rate = rowwise_rows / rowwise_seconds
    middle = sorted(commits, key=lambda run: run["seconds"])[len(commits) // 2]
    return [{
        "name": NAME,
        "value": round(value, 1),
        "unit": "rows/s",
        "baseline": round(baseline, 1),
        "ratio": round(value / baseline, 3),
        "write_floor_rows_per_s": round(floor, 1),
        "floor_ratio": round(floor / baseline, 3),
        "value_to_floor": round(value / floor, 3),
        "rows": rows,
        "rounds": rounds,
        "peak_rss_mb": round(max(run["peak_rss_mb"] for run in commits + dry_runs + [with_errors]), 1),
        "dry_run_rows_per_s": round(rows / statistics.median(run["seconds"] for run in dry_runs), 1),
        "reimport_rows_per_s": round(rows / statistics.median(run["seconds"] for run in reimports), 1),
        "dry_run_with_errors_s": round(with_errors["seconds"], 3),
        "errors_found": with_errors["errors"],
        "rowwise_rows": rowwise_rows,
        "rowwise_rows_per_s": round(rowwise_rate, 1),
        "speedup_vs_rowwise": round(value / rowwise_rate, 1),
        "phases_s": middle["timings"],
        "postgres": f"{server_version // 10000}.{server_version % 10000}",
    }]


if __name__ == "__main__":
    _child(*sys.argv[1:3])
