"""What the benchmarks share: a scratch database on the configured server, counts, and timing.

Benchmarks never touch the development data: each works in a database of its own that
:func:`scratch_database` creates on the same PostgreSQL server and drops afterwards.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from django.core.management import call_command
from django.db import connections
from psycopg import sql

# Keys of DATABASES[...]["OPTIONS"] that Django consumes itself; every other key is a libpq parameter.
_DJANGO_ONLY_OPTIONS = frozenset({"assume_role", "isolation_level", "pool", "server_side_binding"})


def is_quick() -> bool:
    """True when the run was started with ``--quick`` (or ``BENCH_QUICK=1``): tiny counts, a smoke check."""
    return os.environ.get("BENCH_QUICK", "") == "1"


def iterations(*, full: int, quick: int) -> int:
    """The number of repetitions a benchmark should make: ``quick`` in a quick run, else ``full``."""
    return quick if is_quick() else full


def psycopg_params(*, dbname: str) -> dict[str, str]:
    """libpq connection parameters for ``dbname`` on the server of Django's default database.

    The embedded server's ``HOST`` is a Unix socket directory, which libpq takes as a host.
    """
    settings = connections["default"].settings_dict
    params = {
        key: str(value)
        for key, value in settings.get("OPTIONS", {}).items()
        if key not in _DJANGO_ONLY_OPTIONS
    }
    params.update(
        dbname=dbname,
        user=str(settings.get("USER") or ""),
        password=str(settings.get("PASSWORD") or ""),
        host=str(settings.get("HOST") or ""),
        port=str(settings.get("PORT") or ""),
    )
    return {key: value for key, value in params.items() if value}


class BenchSetupError(Exception):
    """The benchmarks cannot start; the message says in one line what to do."""


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def ensure_database() -> str | None:
    """Create the configured database when its server has none of that name; None when it exists.

    Returns the line to print after creating it. Raises :class:`BenchSetupError` with what to do
    when the server cannot be reached or the database can be neither opened nor created.
    """
    name = connections["default"].settings_dict["NAME"]
    try:
        psycopg.connect(**psycopg_params(dbname=name), connect_timeout=10).close()
        return None
    except psycopg.OperationalError as error:
        opening_error = error
    # Not by the error's text (the server words it in its own language): ask the server.
    try:
        with psycopg.connect(**psycopg_params(dbname="postgres"), autocommit=True, connect_timeout=10) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists:
                raise BenchSetupError(f"cannot open the database {name} ({_first_line(opening_error)}): "
                                      "check DATABASE_URL's user and password")
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise BenchSetupError(
            f"cannot reach or create the database {name} ({_first_line(error)}): start PostgreSQL, or create "
            f"the database (createdb {name}), or point DATABASE_URL at one that exists") from None
    return f"Created the database {name} on the server (it did not exist yet)."


def peak_rss_mb() -> float:
    """This process's own peak resident memory, in MB.

    ``VmHWM`` of ``/proc/self/status``, not ``getrusage``: Linux carries ``ru_maxrss`` over fork
    and exec, so a child started by a big parent would report the parent's peak as its own.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource  # not Linux: the best there is

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_outside_transaction(params: dict[str, str], *statements: sql.Composable) -> None:
    with psycopg.connect(**params, autocommit=True) as admin:
        for statement in statements:
            admin.execute(statement)


@contextmanager
def scratch_database(*, migrate: bool = False) -> Iterator[str]:
    """Point Django's default connection at a new, empty database on the same server; yield its name.

    With ``migrate=True`` the project's migrations are applied to it first, so the benchmark can
    use every model. On exit Django's connections are closed, the default database is restored
    and the scratch database is dropped, also when the benchmark failed. The name carries this
    process's id, so that two runs at once (``make bench`` and the test suite) never share one.
    """
    settings = connections["default"].settings_dict
    original_name = settings["NAME"]
    name = f"oms_bench_{os.getpid()}"
    admin_params = psycopg_params(dbname=original_name)
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))

    connections.close_all()
    _run_outside_transaction(admin_params, drop, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    settings["NAME"] = name
    try:
        if migrate:
            call_command("migrate", interactive=False, verbosity=0)
        yield name
    finally:
        connections.close_all()
        settings["NAME"] = original_name
        _run_outside_transaction(admin_params, drop)


@contextmanager
def database_copy(source: str) -> Iterator[str]:
    """A copy of the scratch database ``source`` (``CREATE DATABASE ... TEMPLATE``), dropped on exit.

    Nobody may be connected to ``source`` while it is copied. For a baseline that writes rows the
    benchmark's own checks must not see.
    """
    name = f"{source}_copy"
    admin_params = psycopg_params(dbname="postgres")  # not the source: nobody may be connected to it
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    _run_outside_transaction(admin_params, drop, sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
        sql.Identifier(name), sql.Identifier(source)))
    try:
        yield name
    finally:
        _run_outside_transaction(admin_params, drop)


def elapsed(operation: Callable[[], object], *, count: int) -> float:
    """Seconds that ``count`` calls of ``operation``, one after another, take."""
    started = time.perf_counter()
    for _ in range(count):
        operation()
    return time.perf_counter() - started


def compare_rates(
    candidate: Callable[[], object],
    baseline: Callable[[], object],
    *,
    count: int,
    warmup: int,
    rounds: int = 5,
) -> tuple[float, float]:
    """Calls per second of ``candidate`` and of ``baseline``, each called ``count`` times after ``warmup``.

    The measured calls run in ``rounds`` alternating slices, so that a drift of the machine
    (another process, the disk flushing) weighs on both sides alike, not on whichever ran second.
    """
    elapsed(candidate, count=warmup)
    elapsed(baseline, count=warmup)
    slices = [count // rounds + (1 if index < count % rounds else 0) for index in range(rounds)]
    candidate_seconds = baseline_seconds = 0.0
    for size in slices:
        candidate_seconds += elapsed(candidate, count=size)
        baseline_seconds += elapsed(baseline, count=size)
    return count / candidate_seconds, count / baseline_seconds
