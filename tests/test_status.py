"""The system status page and Celery, with a real worker on the real broker."""

import pytest
from django.urls import reverse


@pytest.mark.smoke
def test_task_round_trips_through_a_real_worker(celery_worker):
    from oms.tasks import echo

    result = echo.delay(value="ping-42")

    assert result.get(timeout=20) == "ping-42"


@pytest.mark.smoke
def test_status_page_shows_every_part_alive_with_a_worker(celery_worker, role_client):
    client = role_client("Admin")

    response = client.get(reverse("system_status"))

    body = response.content.decode()
    for part in ("database", "redis", "worker", "payments_worker", "reports_worker"):
        assert f'data-check="{part}" data-ok="true"' in body, part
    assert "All systems are working." in body


def test_status_page_reports_a_missing_worker(role_client):
    # No worker runs for this test (the fixture's worker stops after each test that uses it).
    client = role_client("Admin")

    response = client.get(reverse("system_status"), headers={"HX-Request": "true"})

    body = response.content.decode()
    assert 'data-check="worker" data-ok="false"' in body
    assert 'data-check="reports_worker" data-ok="false"' in body
    assert "no worker answered the ping" in body
    assert 'data-check="database" data-ok="true"' in body
    assert "<html" not in body  # the htmx refresh gets only the fragment
