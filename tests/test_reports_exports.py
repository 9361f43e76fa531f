"""Report exports over the sync limit: made by a real Celery worker on the reports queue, kept for download."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time

import pytest
from django.urls import reverse

from reporting.reports.models import ReportExport, ReportExportChunk
from tests.reports_helpers import rollups_current, sale, stocked_sku

DAY = dt.date(2026, 3, 2)


def wait_for(export_id: int, timeout: float = 60) -> ReportExport:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        export = ReportExport.objects.get(pk=export_id)
        if export.status != ReportExport.Status.MAKING:
            return export
        time.sleep(0.2)
    raise AssertionError("the export was not made in time")


def test_route_sends_report_tasks_to_the_reports_queue(settings):
    from oms.celery import route_task

    assert route_task("reporting.reports.tasks.report_export_write_task", (), {}, {}) == {
        "queue": settings.CELERY_REPORTS_QUEUE}
    assert route_task("payments.tasks.x", (), {}, {}) == {"queue": settings.CELERY_PAYMENTS_QUEUE}
    assert route_task("orders.tasks.x", (), {}, {}) is None


def test_an_export_over_the_limit_is_made_in_celery_with_progress_and_kept(celery_worker, role_client, settings):
    settings.REPORT_SYNC_ROW_LIMIT = 2
    shirt = stocked_sku("SHIRT")
    for offset in range(3):
        sale(sku=shirt, day=DAY + dt.timedelta(days=offset))
    rollups_current()
    client = role_client("Manager")
    response = client.get(reverse("reporting:report_file", args=["sales-by-channel", "csv"]), {"sort": "oldest"})
    export = ReportExport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reporting:export", args=[export.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Making the file" in page or "The file is ready" in page

    export = wait_for(export.pk)
    assert export.status == ReportExport.Status.MADE, export.error
    assert export.rows_written == 3
    assert ReportExportChunk.objects.filter(export=export).exists()
    partial = client.get(reverse("reporting:export", args=[export.pk]), headers={"HX-Request": "true"})
    assert 'id="download"' in partial.content.decode() and "hx-trigger" not in partial.content.decode()
    download = client.get(reverse("reporting:export_download", args=[export.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [(DAY + dt.timedelta(days=offset)).isoformat() for offset in range(3)]

    # Another user without the report's permission gets no file; an accountant cannot see sales.
    assert role_client("Accountant").get(reverse("reporting:export_download", args=[export.pk])).status_code == 403


@pytest.mark.django_db
def test_a_failed_export_keeps_its_error(role_client, monkeypatch):
    from reporting.reports import files, services

    def broken(*args, **kwargs):
        raise RuntimeError("the reporting database went away")
        yield b""

    monkeypatch.setattr(files, "file_chunks", broken)
    export = ReportExport.objects.create(report_key="sales-by-channel", format="csv")
    with pytest.raises(RuntimeError):
        services.export_write(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == ReportExport.Status.FAILED
    assert export.error == "the reporting database went away"
    assert not ReportExportChunk.objects.filter(export=export).exists()


@pytest.mark.django_db
def test_the_invariants_catch_a_broken_export_an_overdue_schedule_and_a_stuck_run(make_user):
    import datetime as dt

    from django.utils import timezone

    from reporting.invariants import violations
    from reporting.reports.models import ReportRun, ReportSchedule
    from reporting.reports.services import export_write

    export = ReportExport.objects.create(report_key="inventory-valuation", format="csv")
    export = export_write(export_id=export.pk)
    assert export.status == ReportExport.Status.MADE
    assert violations() == []

    ReportExport.objects.filter(pk=export.pk).update(file_size=export.file_size + 1)
    user = make_user("Manager")
    schedule = ReportSchedule.objects.create(report_key="refunds", frequency="daily", recipients="a@example.com",
                                             next_run_at=timezone.now() - dt.timedelta(days=2), created_by=user)
    run = ReportRun.objects.create(schedule=schedule, due_at=schedule.next_run_at)
    ReportRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - dt.timedelta(hours=2))
    found = {(name, key) for name, key, _second, _detail in violations()}
    assert found == {("a made report export's chunks hold its whole file", export.pk),
                     ("an active scheduled report is not a day overdue", schedule.pk),
                     ("a scheduled report run does not stay running", run.pk)}
