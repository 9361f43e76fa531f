"""/healthz: 200 when the web process reaches PostgreSQL and Redis, 503 otherwise; no session, no write.

The failures are real: Redis at a port where nothing listens, and PostgreSQL the same in a
process of its own (the test's own database connection must stay up).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    """A local port where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthy_answers_200_without_a_session_and_reads_nothing(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response.cookies == {}  # no session, no CSRF cookie
    assert [query["sql"] for query in queries] == ["SELECT 1"]


def test_head_and_a_trailing_slash_answer_too(client):
    assert client.head("/healthz").status_code == 200
    assert client.get("/healthz/").status_code == 200


def test_a_probe_with_any_host_over_plain_http_is_answered_not_redirected(client, settings):
    # Production settings: HTTPS redirect on, one allowed host; the container's probe asks 127.0.0.1.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["oms.example.com"]

    response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")

    assert response.status_code == 200
    assert client.get("/login/", HTTP_HOST="oms.example.com").status_code == 301  # the rest still redirects


def test_unreachable_redis_answers_503(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "redis": "unreachable"}


def test_the_answer_names_no_host_port_or_error(client, settings):
    port = closed_port()
    settings.REDIS_URL = f"redis://:hunter2@127.0.0.1:{port}/0"

    body = client.get("/healthz").content.decode()

    assert str(port) not in body and "hunter2" not in body and "127.0.0.1" not in body


def test_unreachable_database_answers_503(db):
    """A web process whose DATABASE_URL points at a closed port, asked through Django's test client."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="oms.settings_test",
               DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port()}/oms")
    env.pop("DATABASE_NAME", None)
    script = ("import django, json; django.setup(); from django.test import Client; "
              "r = Client().get('/healthz'); print(json.dumps([r.status_code, r.json()]))")

    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)

    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body == {"status": "unavailable", "database": "unreachable", "redis": "ok"}


def test_compose_uses_healthz_as_the_web_healthcheck():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    check = compose["services"]["web"]["healthcheck"]

    assert "/healthz" in " ".join(check["test"])
    assert {"interval", "timeout", "retries", "start_period"} <= set(check)
