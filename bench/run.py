"""Run the benchmarks and append their results to ``var/bench/results.jsonl``.

    python bench/run.py                      every bench/bench_*.py module
    python bench/run.py platform             the module bench_platform.py
    python bench/run.py platform.orm_tx      only that result of it
    python bench/run.py --quick ...          tiny counts: proves the benchmarks work, figures not comparable

Each result is one JSON line: ``name``, ``value``, ``unit``, ``baseline``, ``ratio`` and whatever
else the benchmark reports, plus ``at`` (UTC), ``database`` (embedded or external) and, in a
quick run, ``quick``. ``BENCH_RESULTS`` names another results file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
REQUIRED_FIELDS = ("name", "value", "unit", "baseline", "ratio")


def available_modules() -> list[str]:
    """Short names of the benchmark modules: ``platform`` for ``bench/bench_platform.py``."""
    return sorted(path.stem.removeprefix("bench_") for path in BENCH_DIR.glob("bench_*.py"))


def selection(names: list[str], available: list[str]) -> dict[str, set[str] | None]:
    """Map each module to run onto the result names wanted from it (``None``: all of them).

    A name is a module (``platform``, ``bench_platform``) or a result (``platform.orm_tx``); no
    names means every module. Raises ``ValueError`` for a name that matches no module.
    """
    if not names:
        return {module: None for module in available}
    chosen: dict[str, set[str] | None] = {}
    for name in names:
        module = name.split(".", 1)[0].removeprefix("bench_")
        if module not in available:
            raise ValueError(
                f"no benchmark module bench/bench_{module}.py (available: {', '.join(available)})"
            )
        wanted = chosen.get(module, set())
        if wanted is None:
            continue  # the whole module is chosen already
        chosen[module] = None if "." not in name else wanted | {name}
    return chosen


def results_path() -> Path:
    """``BENCH_RESULTS`` when set, else ``bench/results.jsonl`` under the project's var directory."""
    from django.conf import settings

    return Path(os.environ.get("BENCH_RESULTS") or Path(settings.VAR_DIR) / "bench" / "results.jsonl")


def run_module(module: str, wanted: set[str] | None) -> list[dict]:
    """Import ``bench.bench_<module>``, call its ``run()`` and stamp the results it returns.

    Raises ``ValueError`` when a result lacks a required field or a wanted name never appears.
    """
    from bench.common import is_quick

    results = importlib.import_module(f"bench.bench_{module}").run()
    for result in results:
        missing = [field for field in REQUIRED_FIELDS if field not in result]
        if missing:
            raise ValueError(f"bench_{module}: result {result!r} lacks {', '.join(missing)}")
    if wanted is not None:
        unknown = wanted - {result["name"] for result in results}
        if unknown:
            raise ValueError(f"bench_{module} reports no {', '.join(sorted(unknown))}")
        results = [result for result in results if result["name"] in wanted]
    stamp = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "external" if os.environ.get("DATABASE_URL") else "embedded",
    }
    if is_quick():
        stamp["quick"] = True
    return [{**result, **stamp} for result in results]


def append_results(results: list[dict], path: Path) -> None:
    """Append one JSON line per result to ``path``, creating its directory if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(result, sort_keys=True) + "\n")


def format_table(results: list[dict]) -> str:
    """The results as an aligned text table: name, value, unit, baseline, ratio."""
    rows = [("name", "value", "unit", "baseline", "ratio")] + [
        (str(r["name"]), f"{r['value']:,}", str(r["unit"]), f"{r['baseline']:,}", f"{r['ratio']:.3f}")
        for r in results
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) if column in (0, 2) else cell.rjust(width)
                 for column, (cell, width) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks; exit status 1 when any of them failed, 2 for a bad argument or server."""
    parser = argparse.ArgumentParser(description="Run the OMS benchmarks.")
    parser.add_argument(
        "names", nargs="*", help="modules (platform) or results (platform.orm_tx); default: all"
    )
    parser.add_argument("--quick", action="store_true", help="tiny counts, to check that the benchmarks run")
    options = parser.parse_args(argv)
    try:
        chosen = selection(options.names, available_modules())
    except ValueError as error:
        parser.error(str(error))

    if options.quick:
        os.environ["BENCH_QUICK"] = "1"
    # Benchmarks measure the production settings: with DEBUG on, Django also logs every query.
    os.environ["DJANGO_SETTINGS_MODULE"] = "oms.settings"
    os.environ["DEBUG"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()  # starts the embedded servers when DATABASE_URL / REDIS_URL are unset
    from bench.common import BenchSetupError, ensure_database

    try:
        created = ensure_database()  # the scratch databases are made from a connection to it
    except BenchSetupError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    if created:
        print(created, flush=True)

    path = results_path()
    all_results: list[dict] = []
    failed: list[str] = []
    for module, wanted in chosen.items():
        print(f"bench_{module} ...", flush=True)
        try:
            results = run_module(module, wanted)
        except Exception:  # one broken benchmark must not lose the results of the others
            traceback.print_exc()
            failed.append(module)
            continue
        append_results(results, path)
        all_results.extend(results)

    if all_results:
        print()
        print(format_table(all_results))
        print(f"\nAppended {len(all_results)} result(s) to {path}")
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
