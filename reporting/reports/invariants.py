"""The report framework's invariants (run with reporting's, reporting/invariants.py).

* A made export's stored chunks add up to its recorded size, numbered 0… without a gap.
* An active schedule is not more than a day overdue (the beat job moves every due one on).
* No scheduled run stays "running" for more than an hour (its task died without failing it).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from reporting.reports.models import ReportRun, ReportSchedule


def violations() -> list[tuple[str, int, int | None, str]]:
    found = []
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT e.id, e.file_size, COALESCE(SUM(length(c.data)), 0), COUNT(c.id), COALESCE(MAX(c.sequence), -1)
            FROM reporting_reportexport e LEFT JOIN reporting_reportexportchunk c ON c.export_id = e.id
            WHERE e.status = 'made' GROUP BY e.id
            HAVING e.file_size IS DISTINCT FROM COALESCE(SUM(length(c.data)), 0)
                OR COUNT(c.id) <> COALESCE(MAX(c.sequence), -1) + 1""")
        for export_id, size, stored, chunks, _last in cursor.fetchall():
            found.append(("a made report export's chunks hold its whole file", export_id, None,
                          f"export {export_id}: size {size}, {stored} bytes stored in {chunks} chunks"))
    now = timezone.now()
    for schedule_id, due in ReportSchedule.objects.filter(
            is_active=True, next_run_at__lt=now - timedelta(days=1)).values_list("pk", "next_run_at")[:100]:
        found.append(("an active scheduled report is not a day overdue", schedule_id, None,
                      f"schedule {schedule_id} was due {due:%Y-%m-%d %H:%M}"))
    for run_id, started in ReportRun.objects.filter(
            status=ReportRun.Status.RUNNING, started_at__lt=now - timedelta(hours=1)).values_list(
            "pk", "started_at")[:100]:
        found.append(("a scheduled report run does not stay running", run_id, None,
                      f"run {run_id} started {started:%Y-%m-%d %H:%M}"))
    return found
