"""Report files made in the background: create the export, write its file (in Celery), read it back."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oms.filestore import ChunkedFile, chunks_store
from reporting.reports import files, registry
from reporting.reports.models import ReportExport, ReportExportChunk

logger = logging.getLogger(__name__)

_WRITE_LOCK = 7_401_001  # advisory lock class: writing one report export's file


class ReportError(Exception):
    pass


def sync_row_limit() -> int:
    """Exports of more rows than this are made in Celery, on the reports queue, with a progress bar."""
    return getattr(settings, "REPORT_SYNC_ROW_LIMIT", 100_000)


def cleaned_filters(report, data: dict) -> dict:
    """The report's filters from the stored form data; ReportError when they no longer validate."""
    form = report.form(data or None)
    if data and not form.is_valid():
        raise ReportError(_("The filters are not valid: %(errors)s") % {"errors": form.errors.as_text()})
    return form.cleaned_data if data else {}


def export_create(*, report_key: str, file_format: str, filters: dict, sort: str, user,
                  rows_expected: int | None = None) -> ReportExport:
    """A background export of the report (the file is written by a task on the reports queue)."""
    from reporting.reports.tasks import report_export_write_task

    report = registry.get(report_key)
    with transaction.atomic(durable=True):
        export = ReportExport.objects.create(
            report_key=report.key, format=file_format, filters=filters, sort=sort, created_by=user,
            rows_expected=rows_expected, language=translation.get_language() or settings.LANGUAGE_CODE,
            file_name=files.file_name(report, file_format))
        transaction.on_commit(lambda: report_export_write_task.delay(export_id=export.pk))
    return export


def export_write(*, export_id: int) -> ReportExport:
    """Write the export's file once: it becomes made, or failed with its error. Safe to repeat."""
    export = ReportExport.objects.get(pk=export_id)
    if export.status != ReportExport.Status.MAKING:
        return export
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_WRITE_LOCK, export.pk])
        if not cursor.fetchone()[0]:
            return export  # a second delivery of the task while the first is still writing
    try:
        with translation.override(export.language):
            report = registry.get(export.report_key)

            def progress(rows: int) -> None:
                ReportExport.objects.filter(pk=export.pk).update(rows_written=rows)

            try:
                filters = cleaned_filters(report, export.filters)
                size, sha256 = chunks_store(
                    model=ReportExportChunk, owner_field="export", owner_id=export.pk,
                    chunks=files.file_chunks(report, export.format, filters, sort=export.sort, progress=progress))
            except Exception as error:
                logger.exception("report export %s failed", export.pk)
                ReportExportChunk.objects.filter(export_id=export.pk).delete()
                ReportExport.objects.filter(pk=export.pk).update(
                    status=ReportExport.Status.FAILED, error=str(error) or error.__class__.__name__,
                    finished_at=timezone.now())
                raise
            ReportExport.objects.filter(pk=export.pk).update(
                status=ReportExport.Status.MADE, file_size=size, file_sha256=sha256, finished_at=timezone.now())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_WRITE_LOCK, export.pk])
    export.refresh_from_db()
    return export


def export_file(*, export: ReportExport) -> ChunkedFile:
    if export.status != ReportExport.Status.MADE:
        raise ReportError(_("This export has no file yet."))
    return ChunkedFile(model=ReportExportChunk, owner_field="export", owner_id=export.pk, name=export.file_name)
