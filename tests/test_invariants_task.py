"""The invariants in operation: a beat job checks them and the system status page shows the result."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockLevel
from oms.invariants import invariants_forget, invariants_last_result
from tests.factories import SkuFactory, WarehouseFactory, stock


@pytest.fixture(autouse=True)
def no_stored_result(django_db_setup):
    """The result lives in Redis, outside the test database: start and end each test without one."""
    invariants_forget()
    yield
    invariants_forget()


def test_beat_checks_the_invariants_every_15_minutes(settings):
    from oms.celery import app

    entries = [entry for entry in settings.CELERY_BEAT_SCHEDULE.values()
               if entry["task"] == "oms.tasks.invariants_check_task"]

    assert len(entries) == 1
    assert timedelta(seconds=entries[0]["schedule"]) == timedelta(minutes=15)
    assert "oms.tasks.invariants_check_task" in app.tasks


def test_worker_stores_the_result_and_the_status_page_shows_it(celery_worker, role_client):
    from oms.tasks import invariants_check_task

    client = role_client("Admin")
    sku, warehouse = SkuFactory(), WarehouseFactory()
    stock(sku, warehouse, 5)

    # Given a consistent database, the check finds nothing and the page says so.
    clean = invariants_check_task.delay().get(timeout=30)

    assert clean["violation_count"] == 0
    body = client.get(reverse("system_status")).content.decode()
    assert 'data-check="invariants" data-ok="true"' in body
    assert "all hold" in body

    # When a stock row drifts from its movements, the next check reports it.
    StockLevel.objects.filter(sku=sku).update(on_hand=7)  # bypasses the services on purpose
    broken = invariants_check_task.delay().get(timeout=30)

    assert broken["violation_count"] == 1
    assert len(broken["first_violations"]) == 1
    assert broken["first_violations"][0].startswith("[inventory] on_hand equals the sum of movements: ")
    assert broken["first_violations"][0].endswith(" on_hand=7 movements=5")
    stored = invariants_last_result()
    assert stored.violation_count == 1
    assert timezone.now() - stored.checked_at < timedelta(minutes=1)
    body = client.get(reverse("system_status"), headers={"HX-Request": "true"}).content.decode()
    assert 'data-check="invariants" data-ok="false"' in body
    assert "1 violation" in body
    assert "on_hand equals the sum of movements" in body
    assert "Something needs attention." in body


@pytest.mark.django_db
def test_status_page_says_when_the_invariants_were_not_checked_yet(role_client):
    client = role_client("Admin")

    body = client.get(reverse("system_status"), headers={"HX-Request": "true"}).content.decode()

    assert invariants_last_result() is None
    assert 'data-check="invariants" data-ok="unknown"' in body
    assert "not checked yet" in body


@pytest.mark.django_db
def test_task_lists_only_the_first_violations_but_counts_them_all():
    from oms.tasks import invariants_check_task

    warehouse = WarehouseFactory()
    skus = [SkuFactory() for _ in range(7)]
    for sku in skus:
        stock(sku, warehouse, 5)
    StockLevel.objects.filter(sku__in=skus).update(on_hand=9)

    summary = invariants_check_task.apply().get()

    assert summary["violation_count"] == 7
    assert len(summary["first_violations"]) == 5
    assert invariants_last_result().violation_count == 7
