"""Health of the parts the app needs: the database, Redis and a Celery worker."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    milliseconds: float


def _timed(name: str, probe) -> Check:
    started = time.perf_counter()
    try:
        detail = probe()
        ok = True
    except Exception as error:  # a health page reports every failure rather than raising
        detail, ok = f"{type(error).__name__}: {error}", False
    return Check(name, ok, detail, round((time.perf_counter() - started) * 1000, 1))


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        return cursor.fetchone()[0].split(" on ")[0]


def _redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    client.ping()
    return "Redis " + client.info("server")["redis_version"]


def _worker(timeout: float) -> str:
    from oms.celery import app

    replies = app.control.ping(timeout=timeout)
    if not replies:
        raise RuntimeError("no worker answered the ping")
    return ", ".join(sorted(name for reply in replies for name in reply))


def system_checks(*, worker_timeout: float = 1.0) -> list[Check]:
    return [
        _timed("database", _database),
        _timed("redis", _redis),
        _timed("worker", lambda: _worker(worker_timeout)),
    ]
