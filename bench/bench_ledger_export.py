"""GL export: a million journal lines as a Sage 50 General Journal file, against PostgreSQL's COPY.

``ledger.export_1m``
    ``value``     journal lines per second of ``export_batch_create(format="sage50")`` over
                  1,000,000 lines (333,334 entries of 2 or 4 lines): it claims the entries for
                  the target, reads them in keyset pages, writes the Sage 50 CSV and stores it
                  in the batch (the file every later download streams back). It runs in a fresh
                  child process, whose peak resident memory is ``peak_rss_mb``.
    ``baseline``  lines per second of ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` of the same
                  lines and columns (date as MM/DD/YY, reference, number of distributions, the
                  Sage 50 account, description, signed amount), written to a file: PostgreSQL
                  making the same file with no application at all.
    ``ratio``     value / baseline.
    ``at_100k``   the same three figures, and ``peak_rss_mb``, at 100,000 lines: the export's
                  memory must not grow with the batch.

The lines are seeded set-based (``INSERT … SELECT`` over ``generate_series``, the journal's
triggers disabled while seeding, then every entry checked to balance in one query), not through
the posting service, which the ledger's own benchmarks measure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "ledger.export_1m"
FULL_LINES, SMALL_LINES = 1_000_000, 100_000


def _peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM; ru_maxrss would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(mode: str) -> None:
    """Run in a fresh process: export every unexported entry as Sage 50 once; print timings and memory."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from payments.ledger.export_services import export_batch_create

    started = time.perf_counter()
    batch = export_batch_create(format=mode, unexported=True, user=None, in_background=False)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "status": batch.status, "error": batch.error, "lines": batch.line_count,
                      "entries": batch.entry_count, "bytes": batch.file_size, "batch": batch.pk,
                      "peak_rss_mb": _peak_rss_mb()}))


def _export_in_child(database: str) -> dict:
    env = dict(os.environ, DATABASE_NAME=database, DJANGO_SETTINGS_MODULE="oms.settings", DEBUG="false")
    completed = subprocess.run([sys.executable, "-m", "bench.bench_ledger_export", "sage50"],
                               cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


SEED_ENTRIES = """
INSERT INTO payments_journalentry (id, entry_date, period_id, kind, source_type, source_id, memo, currency, created_at)
SELECT n, d.day, p.id, 'bench.receipt', 'inventory.stockmovement', n::text,
       'Receipt of purchase order PO-' || lpad((n %% 99991)::text, 5, '0') || ' from vendor ' || (n %% 37),
       'USD', now()
FROM generate_series(%(first)s::bigint, %(last)s::bigint) n
CROSS JOIN LATERAL (SELECT date '2026-01-01' + (n %% 365)::int AS day) d
JOIN payments_fiscalperiod p ON d.day BETWEEN p.starts_on AND p.ends_on
"""

# Entries alternate between two and four lines; each pair is a debit and a credit of one amount.
SEED_LINES = """
INSERT INTO payments_journalline (entry_id, account_id, entry_date, debit, credit, currency, memo)
SELECT e.id, accounts.ids[(1 + (e.id + j) %% array_length(accounts.ids, 1))::int], e.entry_date,
       CASE WHEN j %% 2 = 0 THEN amount ELSE 0 END, CASE WHEN j %% 2 = 1 THEN amount ELSE 0 END, 'USD',
       CASE WHEN j = 0 THEN '' ELSE 'Line ' || j || ' of entry ' || e.id END
FROM payments_journalentry e
CROSS JOIN (SELECT array_agg(id ORDER BY code) AS ids FROM payments_account) accounts
CROSS JOIN LATERAL generate_series(0, CASE WHEN e.id %% 2 = 0 THEN 1 ELSE 3 END) j
CROSS JOIN LATERAL (SELECT ((e.id * 7919 + (j / 2) * 104729) %% 1000000 + 1) / 100.0 AS amount) a
WHERE e.id BETWEEN %(first)s::bigint AND %(last)s::bigint
ORDER BY e.id, j
"""

UNBALANCED = """
SELECT count(*) FROM (SELECT entry_id FROM payments_journalline GROUP BY entry_id
                      HAVING sum(debit) <> sum(credit) OR count(*) < 2) unbalanced
"""

# The floor: PostgreSQL writing the same file itself, from the same lines, in the same order.
BASELINE = """
COPY (
  SELECT to_char(e.entry_date, 'MM/DD/YY'), 'OMS-' || e.id, count(*) OVER (PARTITION BY l.entry_id),
         COALESCE(NULLIF(a.sage50_account_id, ''), a.code), COALESCE(NULLIF(l.memo, ''), e.memo),
         (l.debit - l.credit)::numeric(14, 2)
  FROM payments_journalline l JOIN payments_journalentry e ON e.id = l.entry_id
  JOIN payments_account a ON a.id = l.account_id
  ORDER BY l.entry_id, l.id
) TO STDOUT (FORMAT csv, HEADER false)
"""


def _entries_for(lines: int) -> int:
    """Entries of 2 and 4 lines alternately (odd ids have 4) that make at least ``lines`` lines."""
    return (lines // 3) + (1 if lines % 3 else 0)


def _line_count(entries: int) -> int:
    return entries // 2 * 2 + (entries - entries // 2) * 4


def _seed(raw, *, first: int, last: int) -> None:
    raw.execute("ALTER TABLE payments_journalentry DISABLE TRIGGER USER")
    raw.execute("ALTER TABLE payments_journalline DISABLE TRIGGER USER")
    try:
        raw.execute(SEED_ENTRIES, {"first": first, "last": last})
        raw.execute(SEED_LINES, {"first": first, "last": last})
    finally:
        raw.execute("ALTER TABLE payments_journalentry ENABLE TRIGGER USER")
        raw.execute("ALTER TABLE payments_journalline ENABLE TRIGGER USER")
    raw.execute("SELECT setval(pg_get_serial_sequence('payments_journalentry', 'id'), %s)", [last])
    raw.execute("VACUUM ANALYZE payments_journalentry")
    raw.execute("VACUUM ANALYZE payments_journalline")
    assert raw.execute(UNBALANCED).fetchone()[0] == 0, "a seeded entry does not balance"


def _copy_baseline(raw, path: Path) -> float:
    started = time.perf_counter()
    with path.open("wb") as file, raw.cursor() as cursor, cursor.copy(BASELINE) as copy:
        for chunk in copy:
            file.write(chunk)
    return time.perf_counter() - started


def _measure(raw, database: str, directory: Path, lines: int, rounds: int) -> dict:
    """The export (fresh child each round, each exporting everything after voiding the batches
    before it) and the COPY baseline, alternately; the medians."""
    from payments.ledger.export_services import export_batch_void
    from payments.ledger.models_export import ExportBatch

    exports, copies = [], []
    for _round in range(rounds):
        for batch in ExportBatch.objects.filter(status=ExportBatch.Status.MADE):
            export_batch_void(batch=batch, reason="benchmark round", user=None)
        raw.execute("DELETE FROM payments_exportbatchchunk")  # the stored files of earlier rounds
        raw.execute("VACUUM payments_exportedentry")
        exports.append(_export_in_child(database))
        copies.append(_copy_baseline(raw, directory / "baseline.csv"))
    for run in exports:
        assert run["status"] == "made" and run["lines"] == lines, run
    export = sorted(exports, key=lambda run: run["seconds"])[len(exports) // 2]
    copy_seconds = sorted(copies)[len(copies) // 2]
    value, baseline = lines / export["seconds"], lines / copy_seconds
    return {"value": round(value, 1), "baseline": round(baseline, 1), "ratio": round(value / baseline, 3),
            "peak_rss_mb": round(max(run["peak_rss_mb"] for run in exports), 1), "lines": lines,
            "entries": export["entries"], "file_mb": round(export["bytes"] / 1e6, 1),
            "baseline_file_mb": round((directory / "baseline.csv").stat().st_size / 1e6, 1)}


def run() -> list[dict]:
    import psycopg
    from django.db import connection

    from bench.common import is_quick, psycopg_params, scratch_database

    full_lines = 30_000 if is_quick() else FULL_LINES
    small_lines = 3_000 if is_quick() else SMALL_LINES
    rounds = 1 if is_quick() else 3
    small_entries, full_entries = _entries_for(small_lines), _entries_for(full_lines)
    with tempfile.TemporaryDirectory() as directory, scratch_database(migrate=True) as database, \
            psycopg.connect(**psycopg_params(dbname=database), autocommit=True) as raw:
        from payments.ledger.services import fiscal_year_ensure

        fiscal_year_ensure(2026)
        connection.close()
        _seed(raw, first=1, last=small_entries)
        small = _measure(raw, database, Path(directory), _line_count(small_entries), rounds)
        _seed(raw, first=small_entries + 1, last=full_entries)
        full = _measure(raw, database, Path(directory), _line_count(full_entries), rounds)
        connection.close()
        server_version = raw.info.server_version
    return [{
        "name": NAME,
        "value": full["value"],
        "unit": "lines/s",
        "baseline": full["baseline"],
        "ratio": full["ratio"],
        "peak_rss_mb": full["peak_rss_mb"],
        "lines": full["lines"],
        "entries": full["entries"],
        "file_mb": full["file_mb"],
        "baseline_file_mb": full["baseline_file_mb"],
        "rounds": rounds,
        "at_100k": small,
        "rss_growth_mb": round(full["peak_rss_mb"] - small["peak_rss_mb"], 1),
        "postgres": f"{server_version // 10000}.{server_version % 10000}",
    }]


if __name__ == "__main__":
    _child(sys.argv[1])
