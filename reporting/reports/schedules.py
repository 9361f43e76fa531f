"""Scheduled reports: a manager has a report emailed daily, weekly or monthly.

A beat job (:func:`schedules_run_due`) opens one run per schedule and due time (unique: running the
job twice, or on two workers at once, opens one) and moves the schedule on; the run's task makes the
file (a ReportExport, kept for download) and emails it through Django's mail backend. A failed run
keeps its error and is retried by Celery (a few times, further apart), and by hand from its page.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reporting.reports import files, registry, services
from reporting.reports.models import ReportExport, ReportRun, ReportSchedule

logger = logging.getLogger(__name__)

SEND_HOUR = 6  # shop time: a scheduled report goes out at 06:00 of its day
ATTACHMENT_LIMIT = 15 * 1024 * 1024  # bytes; a bigger file is linked to, not attached
MAX_ATTEMPTS = 4


def next_run_after(moment: dt.datetime, frequency: str) -> dt.datetime:
    """The next 06:00 (shop time) after ``moment``: tomorrow's, next Monday's or the next 1st's."""
    zone = ZoneInfo(settings.SHOP_TIME_ZONE)
    local = moment.astimezone(zone)
    day = local.date()
    if frequency == ReportSchedule.Frequency.WEEKLY:
        day += dt.timedelta(days=7 - day.weekday())
    elif frequency == ReportSchedule.Frequency.MONTHLY:
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    else:
        day += dt.timedelta(days=1)
    candidate = dt.datetime.combine(day, dt.time(SEND_HOUR), tzinfo=zone)
    return candidate


def clean_recipients(text: str) -> str:
    addresses = [address.strip() for address in (text or "").replace(";", ",").split(",") if address.strip()]
    if not addresses:
        raise services.ReportError(_("Give at least one email address."))
    for address in addresses:
        validate_email(address)
    return ", ".join(addresses)


def schedule_create(*, report_key: str, filters: dict, sort: str, file_format: str, frequency: str,
                    recipients: str, user) -> ReportSchedule:
    report = registry.get(report_key)
    services.cleaned_filters(report, filters)  # refuses filters the report would not take
    with transaction.atomic(durable=True):
        return ReportSchedule.objects.create(
            report_key=report.key, filters=filters, sort=report.sort_option(sort).key, format=file_format,
            frequency=frequency, recipients=clean_recipients(recipients), created_by=user,
            next_run_at=next_run_after(timezone.now(), frequency))


def schedule_stop(*, schedule: ReportSchedule, user) -> ReportSchedule:
    with transaction.atomic(durable=True):
        ReportSchedule.objects.filter(pk=schedule.pk).update(is_active=False)
    schedule.refresh_from_db()
    return schedule


def schedules_run_due(*, now: dt.datetime | None = None) -> list[int]:
    """Open a run for every schedule that is due and move the schedule to its next time; the runs'
    tasks are sent after commit. Idempotent: a second call (or a concurrent one) opens no second run."""
    from reporting.reports.tasks import report_run_task

    now = now or timezone.now()
    opened = []
    with transaction.atomic(durable=True):
        due = list(ReportSchedule.objects.filter(is_active=True, next_run_at__lte=now)
                   .order_by("pk").select_for_update(skip_locked=True, no_key=True))
        for schedule in due:
            try:
                with transaction.atomic():
                    run = ReportRun.objects.create(schedule=schedule, due_at=schedule.next_run_at)
            except IntegrityError:
                run = None  # opened already (the schedule's move was lost): nothing more to do
            following = next_run_after(max(now, schedule.next_run_at), schedule.frequency)
            ReportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=following)
            if run is not None:
                opened.append(run.pk)
        for run_id in opened:
            transaction.on_commit(lambda run_id=run_id: report_run_task.delay(run_id=run_id))
    return opened


def run_execute(*, run_id: int) -> ReportRun:
    """Make the run's file and email it. Raises (after recording the error) when it fails, so that the
    task is retried; a run already sent is left alone."""
    with transaction.atomic(durable=True):
        run = ReportRun.objects.select_for_update(no_key=True).select_related("schedule").get(pk=run_id)
        if run.status == ReportRun.Status.SENT:
            return run
        ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.RUNNING, attempts=run.attempts + 1)
    schedule = run.schedule
    try:
        with translation.override(settings.LANGUAGE_CODE):
            export = _export_of(run)
            _send(schedule, export)
    except Exception as error:
        logger.exception("scheduled report run %s failed", run.pk)
        ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.FAILED,
                                                   error=f"{error.__class__.__name__}: {error}",
                                                   finished_at=timezone.now())
        raise
    ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.SENT, error="", finished_at=timezone.now())
    run.refresh_from_db()
    return run


def _export_of(run: ReportRun) -> ReportExport:
    """The run's file: made once (a retry that only failed to send reuses it)."""
    schedule = run.schedule
    if run.export_id and run.export.status == ReportExport.Status.MADE:
        return run.export
    report = registry.get(schedule.report_key)
    export = ReportExport.objects.create(
        report_key=report.key, format=schedule.format, filters=schedule.filters, sort=schedule.sort,
        created_by=schedule.created_by, file_name=files.file_name(report, schedule.format))
    ReportRun.objects.filter(pk=run.pk).update(export=export)
    export = services.export_write(export_id=export.pk)
    if export.status != ReportExport.Status.MADE:
        raise services.ReportError(export.error or _("The file could not be made."))
    return export


def _send(schedule: ReportSchedule, export: ReportExport) -> None:
    report = registry.get(schedule.report_key)
    described = files.describe_filters(report, services.cleaned_filters(report, schedule.filters))
    lines = [str(report.title), ""] + [f"{label}: {value}" for label, value in described]
    message = EmailMessage(
        subject=_("%(report)s (%(frequency)s report, %(day)s)") % {
            "report": report.title, "frequency": schedule.get_frequency_display().lower(),
            "day": timezone.localdate().isoformat()},
        body="\n".join(lines) + "\n", to=schedule.recipient_list)
    if (export.file_size or 0) <= ATTACHMENT_LIMIT:
        message.attach(export.file_name, services.export_file(export=export).read(),
                       files.CONTENT_TYPES[export.format])
    else:
        message.body += "\n" + _("The file is too big to attach: download it from the back office "
                                 "(Reports, scheduled reports).") + "\n"
    message.send(fail_silently=False)
