"""A batch above the line limit is written by the real Celery worker, the page showing its progress."""

from __future__ import annotations

import time
from datetime import date

import pytest
from django.urls import reverse

from payments.ledger import export_services
from payments.ledger.models_export import ExportBatch
from tests.ledger_export_helpers import post
from tests.test_ledger_export_formats import parse

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(batch: ExportBatch, *statuses: str, timeout: float = 60) -> ExportBatch:
    deadline = time.monotonic() + timeout
    while True:
        batch.refresh_from_db()
        if batch.status in statuses:
            return batch
        assert time.monotonic() < deadline, f"the batch is still {batch.status}"
        time.sleep(0.2)


def test_a_batch_over_the_limit_is_written_by_the_worker(celery_worker, role_client, make_user, monkeypatch):
    monkeypatch.setattr(export_services, "SYNC_LINE_LIMIT", 5)  # this process decides; the worker writes
    accountant = make_user("Accountant")
    entries = [post(accountant, date(2026, 11, day), f"{day}.00") for day in range(1, 6)]
    client = role_client("Accountant")

    response = client.post(reverse("payments:export_list"), {
        "format": "iif", "scope": "range", "date_from": "2026-11-01", "date_to": "2026-11-30"})

    batch = ExportBatch.objects.get()
    assert response["Location"] == batch.get_absolute_url()
    assert batch.line_count == 10
    page = client.get(batch.get_absolute_url()).content.decode()
    if batch.is_running:  # the worker may already be done; while it is not, the page polls
        assert 'hx-trigger="every 1s"' in page and 'role="progressbar"' in page
    wait_for(batch, ExportBatch.Status.MADE, ExportBatch.Status.FAILED)

    assert (batch.status, batch.processed_lines, batch.progress_percent) == ("made", 10, 100), batch.error
    download = b"".join(client.get(reverse("payments:export_batch_download", args=[batch.pk])).streaming_content)
    assert len(parse("iif", download)) == len(entries)
    assert 'hx-trigger="every 1s"' not in client.get(batch.get_absolute_url()).content.decode()
