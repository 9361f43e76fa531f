"""bench/run.py: runs a benchmark in a scratch database and appends its result as one JSON line."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(*args: str, results: Path, timeout: int = 60, env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, BENCH_RESULTS=str(results), **(env or {}))
    return subprocess.run([sys.executable, "bench/run.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.smoke
def test_quick_run_appends_one_well_formed_result(tmp_path):
    results = tmp_path / "results.jsonl"
    earlier = '{"name": "platform.orm_tx", "value": 1.0}\n'
    results.write_text(earlier)

    outcome = run_bench("--quick", "platform.orm_tx", results=results)

    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    lines = results.read_text().splitlines(keepends=True)
    assert len(lines) == 2
    assert lines[0] == earlier
    result = json.loads(lines[1])
    assert result["name"] == "platform.orm_tx"
    assert result["unit"] == "tx/s"
    assert result["quick"] is True
    assert result["transactions"] > 0
    assert result["value"] > 0 and result["baseline"] > 0
    assert result["ratio"] == pytest.approx(result["value"] / result["baseline"], abs=0.002)
    measured_at = datetime.fromisoformat(result["at"])
    assert measured_at.utcoffset() == timedelta(0)
    assert "platform.orm_tx" in outcome.stdout


def test_unknown_benchmark_is_refused_and_nothing_is_written(tmp_path):
    results = tmp_path / "results.jsonl"

    outcome = run_bench("no_such_thing", results=results)

    assert outcome.returncode == 2
    assert "no benchmark module bench/bench_no_such_thing.py" in outcome.stderr
    assert not results.exists()


def test_order_placement_bench_measures_the_orders_the_baseline_and_the_server_floor(tmp_path):
    results = tmp_path / "results.jsonl"

    outcome = run_bench("--quick", "orders_place", results=results, timeout=300)

    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    result = json.loads(results.read_text())
    assert result["name"] == "orders.place_concurrent"
    assert result["orders"] > 0 and result["value"] > 0 and result["baseline"] > 0
    assert result["violations"] == 0  # the floor's pretend orders went to a copy of the database
    assert result["server_floor"] > 0
    assert result["server_floor_ratio"] == pytest.approx(result["server_floor"] / result["baseline"], abs=0.002)
    assert result["server_floor_prepared_ratio"] > 0
    assert result["python_floor_ratio"] > 0


def server_url(dbname: str) -> str:
    """A DATABASE_URL for ``dbname`` on the server the tests use (the embedded one's host is a socket directory)."""
    from urllib.parse import quote

    from django.db import connection

    settings = connection.settings_dict
    credentials = quote(settings["USER"] or "") + (f":{quote(settings['PASSWORD'])}" if settings["PASSWORD"] else "")
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{credentials}@{quote(settings['HOST'] or '', safe='')}{port}/{dbname}"


def test_a_missing_database_is_created_before_the_benchmarks_run(tmp_path):
    import psycopg

    name = f"oms_bench_missing_{os.getpid()}"
    admin = psycopg.connect(server_url("postgres"), autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    try:
        outcome = run_bench("--quick", "platform.orm_tx", results=tmp_path / "results.jsonl",
                            env={"DATABASE_URL": server_url(name)})

        assert outcome.returncode == 0, outcome.stdout + outcome.stderr
        assert f"Created the database {name} on the server (it did not exist yet)." in outcome.stdout
        assert "Traceback" not in outcome.stderr
        assert admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() == (1,)
        assert json.loads((tmp_path / "results.jsonl").read_text())["name"] == "platform.orm_tx"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_an_unreachable_server_is_one_line_of_what_to_do(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    outcome = run_bench("--quick", "platform.orm_tx", results=tmp_path / "results.jsonl",
                        env={"DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/oms"})

    assert outcome.returncode == 2
    assert outcome.stderr.strip().splitlines() == [
        f"bench: cannot reach or create the database oms (connection failed: connection to server at "
        f'"127.0.0.1", port {port} failed: Connection refused): start PostgreSQL, or create the database '
        f"(createdb oms), or point DATABASE_URL at one that exists"]
    assert not (tmp_path / "results.jsonl").exists()


def test_peak_memory_of_a_child_is_its_own_not_its_parents():
    """A parent grown to 300 MB starts a small child: ``ru_maxrss`` says 300 MB there, ``peak_rss_mb`` not."""
    child = ("import json, resource; from bench.common import peak_rss_mb; "
             "print(json.dumps([peak_rss_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))")
    parent = ("import subprocess, sys; grown = bytearray(300 * 1024 * 1024); "
              f"subprocess.run([sys.executable, '-c', {child!r}], check=True)")

    completed = subprocess.run([sys.executable, "-c", parent], cwd=ROOT, capture_output=True, text=True,
                               timeout=120, env=dict(os.environ, DJANGO_SETTINGS_MODULE="oms.settings_test"))

    assert completed.returncode == 0, completed.stderr
    own, inherited = json.loads(completed.stdout.strip().splitlines()[-1])
    assert inherited >= 300  # what the benchmark reported before: the parent's peak
    assert 5 < own < 150


def test_ledger_export_bench_measures_both_sizes_and_their_memory(tmp_path):
    results = tmp_path / "results.jsonl"

    outcome = run_bench("--quick", "ledger_export", results=results, timeout=300)

    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    result = json.loads(results.read_text())
    assert (result["name"], result["unit"], result["lines"], result["at_100k"]["lines"]) == (
        "ledger.export_1m", "lines/s", 30_000, 3_000)
    for figures in (result, result["at_100k"]):
        assert figures["value"] > 0 and figures["baseline"] > 0 and 0 < figures["peak_rss_mb"] < 1000
        assert figures["ratio"] == pytest.approx(figures["value"] / figures["baseline"], abs=0.002)
        assert figures["file_mb"] == pytest.approx(figures["baseline_file_mb"], rel=0.05)
