"""Scheduled reports: the page, the beat job (one run per due time), email through locmem and through a
real local SMTP server (aiosmtpd), a failed run's error and its retry, and the whole path through a worker."""

from __future__ import annotations

import datetime as dt
import socket
import time
from email import message_from_bytes
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from reporting.reports import schedules
from reporting.reports.models import ReportRun, ReportSchedule
from tests.reports_helpers import rollups_current, sale, stocked_sku

DAY = dt.date(2026, 3, 2)


class Recorder:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd) that keeps what it is sent."""
    from aiosmtpd.controller import Controller

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, recorder
    finally:
        controller.stop()


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5


def make_schedule(user, **fields) -> ReportSchedule:
    values = {"report_key": "sales-by-channel", "filters": {"period": "month"}, "sort": "oldest",
              "format": "csv", "frequency": "daily", "recipients": "boss@example.com, cfo@example.com",
              "next_run_at": timezone.now() - dt.timedelta(minutes=1), "created_by": user} | fields
    return ReportSchedule.objects.create(**values)


def test_the_next_run_is_six_in_the_morning_of_the_next_day_week_or_month():
    zone = ZoneInfo(django_settings.SHOP_TIME_ZONE)
    wednesday = dt.datetime(2026, 3, 4, 9, 30, tzinfo=zone)
    assert schedules.next_run_after(wednesday, "daily") == dt.datetime(2026, 3, 5, 6, tzinfo=zone)
    assert schedules.next_run_after(wednesday, "weekly") == dt.datetime(2026, 3, 9, 6, tzinfo=zone)
    assert schedules.next_run_after(wednesday, "monthly") == dt.datetime(2026, 4, 1, 6, tzinfo=zone)
    assert schedules.next_run_after(dt.datetime(2026, 12, 31, 23, tzinfo=zone), "monthly") == dt.datetime(
        2027, 1, 1, 6, tzinfo=zone)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [("Manager", 200), ("Accountant", 403), ("Warehouse", 403),
                                              ("Agent", 403)])
def test_only_managers_schedule(role_client, role, status):
    client = role_client(role)
    assert client.get(reverse("reporting:schedule_list")).status_code == status
    url = reverse("reporting:schedule_create") + "?report=sales-by-channel&period=week"
    assert client.get(url).status_code == status
    response = client.post(url, {"frequency": "weekly", "file_format": "xlsx", "recipients": "a@example.com"})
    assert response.status_code == (302 if status == 200 else 403)
    assert ReportSchedule.objects.count() == (1 if status == 200 else 0)


@pytest.mark.django_db
def test_a_manager_schedules_a_report_with_its_filters(role_client):
    client = role_client("Manager")
    page = client.get(reverse("reporting:report", args=["sales-by-channel"]), {"period": "week"}).content.decode()
    assert 'id="schedule-link"' in page
    url = reverse("reporting:schedule_create") + "?report=sales-by-channel&period=week&sort=revenue"
    assert "By: Week" in client.get(url).content.decode()
    refused = client.post(url, {"frequency": "weekly", "file_format": "csv", "recipients": "not an address"})
    assert refused.status_code == 200 and not ReportSchedule.objects.exists()
    client.post(url, {"frequency": "weekly", "file_format": "csv", "recipients": "a@example.com; b@example.com"})
    schedule = ReportSchedule.objects.get()
    assert (schedule.filters, schedule.sort, schedule.recipients) == ({"period": "week"}, "revenue",
                                                                      "a@example.com, b@example.com")
    assert schedule.next_run_at > timezone.now()
    assert "sales-by-channel" in client.get(reverse("reporting:schedule_list")).content.decode() or \
        "Sales by channel" in client.get(reverse("reporting:schedule_list")).content.decode()


@pytest.mark.django_db
def test_the_beat_job_opens_one_run_per_due_time_and_moves_the_schedule_on(make_user, django_capture_on_commit_callbacks):
    schedule = make_schedule(make_user("Manager"))
    due = schedule.next_run_at
    with django_capture_on_commit_callbacks() as callbacks:
        first = schedules.schedules_run_due()
    assert len(first) == 1 and len(callbacks) == 1
    assert schedules.schedules_run_due() == []  # run twice: still one run
    schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now()
    assert list(ReportRun.objects.values_list("schedule_id", "due_at")) == [(schedule.pk, due)]
    # Even were the schedule's move lost, the same due time would not open a second run.
    ReportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=due)
    assert schedules.schedules_run_due() == []
    assert ReportRun.objects.count() == 1


@pytest.mark.django_db
def test_a_run_is_emailed_with_its_file_through_the_mail_backend(make_user, mailoutbox):
    shirt = stocked_sku("SHIRT")
    order = sale(sku=shirt, day=DAY)
    rollups_current()
    schedule = make_schedule(make_user("Manager"))
    [run_id] = schedules.schedules_run_due()
    run = schedules.run_execute(run_id=run_id)
    assert run.status == ReportRun.Status.SENT and run.attempts == 1 and run.export.status == "made"
    [message] = mailoutbox
    assert message.to == ["boss@example.com", "cfo@example.com"]
    assert "Sales by channel" in message.subject and "daily" in message.subject
    assert "By: Month" in message.body
    [(name, content, mimetype)] = message.attachments
    assert name.startswith("sales-by-channel-") and name.endswith(".csv") and mimetype.startswith("text/csv")
    lines = content.decode("utf-8-sig").splitlines() if isinstance(content, bytes) else content.splitlines()
    assert lines[1].split(",")[:3] == ["2026-03-01", "phone", "1"]
    assert lines[1].split(",")[3] == str(order.total)
    schedules.run_execute(run_id=run_id)  # already sent: not sent twice
    assert len(mailoutbox) == 1
    assert schedule.pk == run.schedule_id


@pytest.mark.django_db
def test_a_run_the_smtp_server_refuses_keeps_its_error_and_a_retry_sends_it(make_user, settings, smtp_server,
                                                                          role_client):
    controller, recorder = smtp_server
    make_schedule(make_user("Manager"), format="xlsx")
    [run_id] = schedules.schedules_run_due()

    use_smtp(settings, free_port())  # nothing listens there
    with pytest.raises(ConnectionRefusedError):
        schedules.run_execute(run_id=run_id)
    run = ReportRun.objects.get(pk=run_id)
    assert run.status == ReportRun.Status.FAILED and run.attempts == 1
    assert run.error.startswith("ConnectionRefusedError")
    page = role_client("Manager").get(reverse("reporting:schedule_list")).content.decode()
    assert 'data-run-status="failed"' in page and "ConnectionRefusedError" in page and "Try again now" in page

    use_smtp(settings, controller.port)
    run = schedules.run_execute(run_id=run_id)
    assert run.status == ReportRun.Status.SENT and run.attempts == 2 and run.error == ""
    [(recipients, message)] = recorder.messages
    assert recipients == ["boss@example.com", "cfo@example.com"]
    [attachment] = [part for part in message.walk() if part.get_filename()]
    assert attachment.get_filename().endswith(".xlsx")
    assert attachment.get_payload(decode=True)[:2] == b"PK"  # a zip: the workbook


def test_the_beat_task_makes_and_sends_through_a_worker_on_the_reports_queue(
        transactional_db, smtp_server, monkeypatch, make_user, settings, request):
    controller, recorder = smtp_server
    for name, value in {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(controller.port)}.items():
        monkeypatch.setenv(name, value)
    request.getfixturevalue("celery_worker")  # started now, so that it sends to this server
    from reporting.reports.tasks import schedules_run_due_task

    make_schedule(make_user("Manager"), report_key="inventory-valuation", format="pdf")
    schedules_run_due_task.delay()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not recorder.messages:
        time.sleep(0.2)
    assert recorder.messages, list(ReportRun.objects.values("status", "error"))
    [(_recipients, message)] = recorder.messages
    assert "Inventory valuation" in message["Subject"]
    run = ReportRun.objects.get()
    assert run.status == ReportRun.Status.SENT and run.export.format == "pdf"
