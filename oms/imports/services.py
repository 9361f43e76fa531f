"""Bulk data: importing a file of any registered kind, and the jobs around it.

``import_file`` is the whole operation on one file (dry run or commit). The ``import_job_*``
services keep an uploaded file in an ImportJob and move it along::

    import_job_start ─▶ validating ─▶ ready ─▶ import_job_commit ─▶ committing ─▶ done
                             │           │                             │
                             │           └▶ cancelled (import_job_cancel)
                             └▶ invalid (row or file errors)          └▶ failed (nothing written)

Files of more than ``SYNC_ROW_LIMIT`` rows are checked and written by Celery tasks, which
report their progress in the job; smaller ones are handled within the request. Once a job
ends (done, invalid, failed or cancelled) its file is deleted. A job that stops moving while
checking or writing (its worker was lost) is failed by ``import_jobs_fail_stalled``, which a
beat job runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oms.imports.engine import ImportConflict, ImportResult, ImportRun, violated_constraint
from oms.imports.kinds import get_kind
from oms.imports.models import ImportJob
from oms.imports.reader import CONTROL_CHARACTERS, FileError, detect_format, estimate_rows

logger = logging.getLogger(__name__)

SYNC_ROW_LIMIT = 5_000  # files with more rows than this are checked and written in Celery
# A running job whose progress has not moved for this long lost its worker (or web process). It is
# well above the Celery task time limit, after which no task of a job can still be at work.
STALLED_AFTER_SECONDS = 30 * 60


class ImportJobError(Exception):
    """The job cannot do what was asked (e.g. commit a file that has errors); the message is for the user."""


def _content(file: bytes | IO[bytes]) -> bytes:
    if isinstance(file, (bytes, bytearray, memoryview)):
        return bytes(file)
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read()


def _refusal(error: Exception) -> str:
    """The message for a write the database refused or that met a concurrent change."""
    if isinstance(error, ImportConflict):
        return _("%(problem)s Nothing was written; upload the file again to check it against the current "
                 "data.") % {"problem": error}
    constraint = violated_constraint(error)
    if "barcode" in constraint:
        return _("A barcode in the file was given to another SKU while the file was being imported. "
                 "Nothing was written; check the file again.")
    return _("The database refused the import (%(constraint)s). Nothing was written.") % {
        "constraint": constraint or _("a rule was broken")}


def _check_into(run: ImportRun, result: ImportResult) -> bool:
    """Run the checks and record the first errors; True when the file is clean."""
    result.error_count = run.check()
    result.row_errors = run.first_errors()
    return not result.error_count


def _write_into(run: ImportRun, result: ImportResult) -> None:
    """Lock, check and, only when the file is clean, write (inside the caller's transaction)."""
    run.lock()
    if _check_into(run, result):
        run.build_typed()
        result.new, result.updated, result.unchanged, result.details = run.write()


def import_file(*, kind: str, file: bytes | IO[bytes], user, dry_run: bool, reference: str = "",
                progress: Callable[[int], None] | None = None, options: dict | None = None) -> ImportResult:
    """Check a CSV or XLSX file of ``kind`` and, unless ``dry_run``, write it: all rows or none.

    The result lists the file's problems (file errors, or each bad row's number, column and
    message, the first ``ERROR_LIMIT`` of them with the total count) and, for a clean file,
    how many rows are new, updated and unchanged. A commit with any error writes nothing.
    """
    spec = get_kind(kind)
    result = ImportResult(kind=spec.key, dry_run=dry_run)
    with ImportRun(spec, user=user, reference=reference or "import", progress=progress, options=options) as run:
        try:
            result.total_rows = run.load(_content(file))
        except FileError as error:
            result.file_errors = error.messages
            return result
        result.encoding, result.missing_columns = run.encoding, run.missing
        if dry_run:
            if _check_into(run, result):
                run.build_typed()
                result.new, result.updated, result.unchanged, result.details = run.preview()
        else:
            try:
                with transaction.atomic(durable=True):
                    _write_into(run, result)
            except (ImportConflict, IntegrityError) as error:
                result.file_errors = [_refusal(error)]
                result.new = result.updated = result.unchanged = 0
        result.timings = run.timings
    return result


# --- jobs ----------------------------------------------------------------------------------------


def _progress(job_id: int) -> Callable[[int], None]:
    def report(rows: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(processed_rows=rows, updated_at=timezone.now())

    return report


def _finish(job_id: int, *, expected: str, status: str, result: ImportResult) -> None:
    """Move the job from ``expected`` to ``status`` with its result; a job that ends loses its file."""
    ended = {"content": b""} if status in ImportJob.FINISHED_STATUSES else {}
    ImportJob.objects.filter(pk=job_id, status=expected).update(
        status=status, result=result.to_json(), total_rows=result.total_rows, processed_rows=result.total_rows,
        finished_at=timezone.now(), updated_at=timezone.now(), **ended)


def import_job_start(*, kind: str, file: IO[bytes], user, file_name: str = "",
                     options: dict | None = None) -> ImportJob:
    """Keep an uploaded file as a job and check it (a dry run): here, or in Celery when it is large.

    ``options`` are the kind's (e.g. the price list a file of entries imports into).
    """
    from oms.imports.tasks import import_job_check_task

    spec = get_kind(kind)
    content = _content(file)
    try:
        file_format, rows = detect_format(content), estimate_rows(content)
    except FileError:  # an old .xls: the check, run here, says so
        file_format, rows = "xls", 0
    with transaction.atomic(durable=True):
        name = CONTROL_CHARACTERS.sub("", file_name or getattr(file, "name", "") or "") or "upload"
        job = ImportJob.objects.create(
            kind=spec.key, file_name=name[:255], options=options or {},
            file_format=file_format, file_size=len(content), content=content, total_rows=rows,
            language=translation.get_language() or "en", created_by=user,
        )
        if rows > SYNC_ROW_LIMIT:
            transaction.on_commit(lambda: import_job_check_task.delay(job_id=job.pk))
    if rows <= SYNC_ROW_LIMIT:
        job = import_job_check(job_id=job.pk)
    return job


def import_job_check(*, job_id: int) -> ImportJob:
    """The dry run of a job's file: the job becomes ready (clean) or invalid. Safe to repeat."""
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if job.status != ImportJob.Status.VALIDATING:
        return job
    try:
        with translation.override(job.language):
            result = import_file(kind=job.kind, file=bytes(job.content), user=job.created_by, dry_run=True,
                                 progress=_progress(job.pk), options=job.options)
    except Exception:
        logger.exception("import job %s: the check failed", job.pk)
        _finish(job.pk, expected=ImportJob.Status.VALIDATING, status=ImportJob.Status.FAILED,
                result=ImportResult(kind=job.kind, dry_run=True, file_errors=[
                    _("The file could not be checked because of an unexpected error.")]))
        raise
    status = ImportJob.Status.READY if result.ok else ImportJob.Status.INVALID
    _finish(job.pk, expected=ImportJob.Status.VALIDATING, status=status, result=result)
    job.refresh_from_db()
    return job


def import_job_commit(*, job: ImportJob, user) -> ImportJob:
    """Ask for a checked, clean job to be written: here, or in Celery when the file is large."""
    from oms.imports.tasks import import_job_write_task

    with transaction.atomic(durable=True):
        locked = ImportJob.objects.select_for_update(no_key=True).defer("content").get(pk=job.pk)
        if locked.status != ImportJob.Status.READY:
            raise ImportJobError(_("This import is “%(status)s”, so it cannot be committed.")
                                 % {"status": locked.get_status_display()})
        locked.status = ImportJob.Status.COMMITTING
        locked.processed_rows = 0
        locked.committed_by = user
        locked.save(update_fields=["status", "processed_rows", "committed_by", "updated_at"])
        in_background = locked.total_rows > SYNC_ROW_LIMIT
        if in_background:
            transaction.on_commit(lambda: import_job_write_task.delay(job_id=locked.pk))
    if in_background:
        return locked
    return import_job_write(job_id=locked.pk)


def import_job_write(*, job_id: int) -> ImportJob:
    """Write a committing job's file in one transaction; the job becomes done, or failed with
    nothing written. Safe to repeat: a job that is no longer committing is left alone."""
    job = ImportJob.objects.select_related("committed_by").get(pk=job_id)
    if job.status != ImportJob.Status.COMMITTING:
        return job
    spec = get_kind(job.kind)
    result = ImportResult(kind=spec.key, dry_run=False)
    try:
        with translation.override(job.language), ImportRun(
                spec, user=job.committed_by, reference=f"import:{job.pk}", progress=_progress(job.pk),
                options=job.options) as run:
            try:
                result.total_rows = run.load(bytes(job.content))
            except FileError as error:
                result.file_errors = error.messages
            else:
                result.encoding, result.missing_columns = run.encoding, run.missing
                with transaction.atomic(durable=True):
                    # The job row, locked, decides: a second delivery of the task waits here and then
                    # finds the job done.
                    locked = ImportJob.objects.select_for_update(no_key=True).defer("content").get(pk=job.pk)
                    if locked.status != ImportJob.Status.COMMITTING:
                        return locked
                    _write_into(run, result)
                    result.timings = run.timings
                    _finish(job.pk, expected=ImportJob.Status.COMMITTING,
                            status=ImportJob.Status.DONE if result.ok else ImportJob.Status.FAILED, result=result)
                job.refresh_from_db()
                return job
    except (ImportConflict, IntegrityError) as error:
        with translation.override(job.language):
            result = ImportResult(kind=spec.key, dry_run=False, total_rows=result.total_rows,
                                  file_errors=[_refusal(error)])
    except Exception:
        logger.exception("import job %s: the write failed", job.pk)
        with translation.override(job.language):
            result = ImportResult(kind=spec.key, dry_run=False, total_rows=result.total_rows, file_errors=[
                _("The file could not be imported because of an unexpected error. Nothing was written.")])
        _finish(job.pk, expected=ImportJob.Status.COMMITTING, status=ImportJob.Status.FAILED, result=result)
        raise
    _finish(job.pk, expected=ImportJob.Status.COMMITTING, status=ImportJob.Status.FAILED, result=result)
    job.refresh_from_db()
    return job


def import_job_cancel(*, job: ImportJob, user) -> ImportJob:
    """Drop a checked job that will not be committed: nothing is written and its file is deleted."""
    with transaction.atomic(durable=True):
        locked = ImportJob.objects.select_for_update(no_key=True).defer("content").get(pk=job.pk)
        if locked.status != ImportJob.Status.READY:
            raise ImportJobError(_("This import is “%(status)s”, so it cannot be cancelled.")
                                 % {"status": locked.get_status_display()})
        ImportJob.objects.filter(pk=locked.pk).update(
            status=ImportJob.Status.CANCELLED, content=b"", finished_at=timezone.now(), updated_at=timezone.now())
    locked.refresh_from_db(fields=["status", "finished_at", "updated_at"])
    logger.info("import job %s cancelled by %s", locked.pk, getattr(user, "pk", None))
    return locked


def import_jobs_fail_stalled(*, stalled_after_seconds: int | None = None) -> int:
    """Fail every job left checking or writing whose progress has not moved for ``stalled_after_seconds``
    (``STALLED_AFTER_SECONDS``, or twice the Celery task time limit if that is longer).

    The worker (or web process) that held it is gone: a job still at work reports its progress
    well within that time, and the Celery time limit ends any task before it. Nothing was
    written (a write is one transaction, which died with its connection); the job page says so.
    Returns how many jobs were failed.
    """
    if stalled_after_seconds is None:
        stalled_after_seconds = max(STALLED_AFTER_SECONDS, 2 * int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 0) or 0))
    cutoff = timezone.now() - timedelta(seconds=stalled_after_seconds)
    failed = 0
    stalled = ImportJob.objects.filter(status__in=ImportJob.RUNNING_STATUSES, updated_at__lt=cutoff)
    for job_id, status, kind, language, total_rows in stalled.values_list(
            "pk", "status", "kind", "language", "total_rows"):
        with translation.override(language):
            minutes = stalled_after_seconds // 60
            if status == ImportJob.Status.VALIDATING:
                message = _("The check stopped: the worker doing it was lost, and nothing has happened for "
                            "%(minutes)d minutes. Nothing was written; upload the file again.") % {"minutes": minutes}
            else:
                message = _("The import stopped: the worker doing it was lost, and nothing has happened for "
                            "%(minutes)d minutes. Nothing was written; upload the file again.") % {"minutes": minutes}
            result = ImportResult(kind=kind, dry_run=status == ImportJob.Status.VALIDATING, total_rows=total_rows,
                                  file_errors=[message])
        with transaction.atomic(durable=True):
            # Only if it is still stalled: a job that moved since the query keeps going.
            failed += ImportJob.objects.filter(pk=job_id, status=status, updated_at__lt=cutoff).update(
                status=ImportJob.Status.FAILED, result=result.to_json(), content=b"",
                finished_at=timezone.now(), updated_at=timezone.now())
        logger.warning("import job %s failed: stalled while %s", job_id, status)
    return failed
