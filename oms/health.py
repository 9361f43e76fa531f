"""Health of the parts the app needs: the database, Redis and a Celery worker.

``system_checks`` feeds the admin's status page (versions, timings, errors). ``HealthzMiddleware``
answers ``/healthz`` for load balancers and ``docker compose``'s healthcheck: 200 when this web
process reaches PostgreSQL and Redis, else 503, with no session, no write and nothing secret.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

HEALTHZ_PATH = "/healthz"
PROBE_TIMEOUT_SECONDS = 2


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


def _active_queues(timeout: float) -> dict:
    from oms.celery import app

    return app.control.inspect(timeout=timeout).active_queues() or {}


def _worker(replies: dict, queue: str) -> str:
    # Only workers that serve the app's own queue count: a worker of another deployment (or of a
    # parallel test run) on the same broker must not make a missing one look present.
    names = sorted(name for name, queues in replies.items()
                   if any(served.get("name") == queue for served in queues or ()))
    if not names:
        raise RuntimeError(f"no worker answered the ping on the queue {queue}")
    return ", ".join(names)


def system_checks(*, worker_timeout: float = 1.0) -> list[Check]:
    """The database, Redis, and a worker on each queue (the default one, payments', reports'):
    docker-compose runs a worker per queue, so each can be missing on its own."""
    from oms.celery import app

    replies: dict = {}
    asked: list[bool] = []

    def worker(queue: str) -> str:
        if not asked:  # one broadcast for the three checks
            asked.append(True)
            replies.update(_active_queues(worker_timeout))
        return _worker(replies, queue)

    return [
        _timed("database", _database),
        _timed("redis", _redis),
        _timed("worker", lambda: worker(app.conf.task_default_queue)),
        _timed("payments_worker", lambda: worker(settings.CELERY_PAYMENTS_QUEUE)),
        _timed("reports_worker", lambda: worker(settings.CELERY_REPORTS_QUEUE)),
    ]


def _database_reachable() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # reads nothing, writes nothing


def _redis_reachable() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
                                  socket_timeout=PROBE_TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


def healthz_answer() -> tuple[int, dict[str, str]]:
    """``(status code, body)`` of the probe: each part "ok" or "unreachable", never why (no host, no error)."""
    parts = {}
    for name, probe in (("database", _database_reachable), ("redis", _redis_reachable)):
        try:
            probe()
            parts[name] = "ok"
        except Exception:  # a probe reports an unreachable part, whatever the error, rather than raising
            parts[name] = "unreachable"
    healthy = all(state == "ok" for state in parts.values())
    return (200 if healthy else 503), {"status": "ok" if healthy else "unavailable", **parts}


class HealthzMiddleware:
    """Answers ``GET``/``HEAD /healthz`` before anything else runs.

    First in ``MIDDLEWARE`` so that a probe needs no session, no sign-in and no CSRF cookie, is not
    redirected to HTTPS (it talks to the container's plain port) and need not send a host of
    ``ALLOWED_HOSTS`` (a container's healthcheck asks 127.0.0.1; an orchestrator asks the pod's
    address). The answer names no host and no version, so it is safe to serve to anyone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.rstrip("/") != HEALTHZ_PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        status, body = healthz_answer()
        response = JsonResponse(body, status=status)
        response["Cache-Control"] = "no-store"
        return response
