"""GL export batches: make one, write its file, void it, read its file back.

::

    export_batch_create ─▶ making ─▶ export_batch_write ─▶ made ─▶ export_batch_void ─▶ voided
                                              │
                                              └▶ failed (its entries released, the reason kept)

``export_batch_create`` claims the entries (each entry at most once per target among live
batches: a partial unique index, and a per-target advisory lock so that two accountants
exporting at once wait for each other instead of colliding). The file is then written:
within the request for up to ``SYNC_LINE_LIMIT`` lines, else by a Celery task that reports
its progress in the batch. The file is kept in the database, in order, and never rewritten.
"""

from __future__ import annotations

import logging
from datetime import date

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from oms.filestore import ChunkedFile, chunks_store
from payments.ledger.export_selectors import batch_entries, batch_summary
from payments.ledger.exports import FORMATS, ExportRefused, get_format
from payments.ledger.models_export import ExportBatch, ExportBatchChunk, ExportedEntry

logger = logging.getLogger(__name__)

SYNC_LINE_LIMIT = 50_000  # batches of more lines than this are written in Celery, with a progress bar
_TARGET_LOCK = 7_301_001  # advisory lock class: making a batch for a target
_WRITE_LOCK = 7_301_002  # advisory lock class: writing one batch's file


class ExportError(Exception):
    """The batch cannot be made or changed as asked; the message is for the accountant."""


def _lock_target(target: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_TARGET_LOCK, target])


def _claim_entries(*, batch: ExportBatch) -> tuple[int, int]:
    """Claim every entry of the batch's range not live in another batch of its target: (entries, lines)."""
    conditions, params = ["TRUE"], [batch.pk, batch.target]
    if not batch.unexported_only:
        conditions.append("e.entry_date BETWEEN %s AND %s")
        params += [batch.date_from, batch.date_to]
    params.append(batch.target)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payments_exportedentry (batch_id, entry_id, target, is_active) "
            "SELECT %s, e.id, %s, TRUE FROM payments_journalentry e WHERE " + " AND ".join(conditions)
            + " AND NOT EXISTS (SELECT 1 FROM payments_exportedentry x WHERE x.target = %s AND x.entry_id = e.id "
            "AND x.is_active) ORDER BY e.id", params)
        entries = cursor.rowcount
        cursor.execute("SELECT count(*) FROM payments_journalline l JOIN payments_exportedentry x "
                       "ON x.entry_id = l.entry_id WHERE x.batch_id = %s", [batch.pk])
        lines = cursor.fetchone()[0]
    return entries, lines


def export_batch_create(*, format: str, user, date_from: date | None = None, date_to: date | None = None,
                        unexported: bool = False, summary: bool = False,
                        in_background: bool | None = None) -> ExportBatch:
    """Make a batch of the entries dated ``date_from``..``date_to`` (or of everything, with
    ``unexported``) not yet exported to the format's target, and write its file.

    The file is written here unless the batch has more than ``SYNC_LINE_LIMIT`` lines (or
    ``in_background`` says otherwise): then a Celery task writes it and the batch shows its
    progress. A batch whose file cannot be written (an account code that does not fit the
    format, say) ends ``failed`` with the reason, and its entries are free again.
    """
    from payments.ledger.export_tasks import export_batch_write_task

    spec = get_format(format)
    if unexported:
        date_from = date_to = None
    elif date_from is None or date_to is None:
        raise ExportError(_("Choose a date range, or everything not yet exported."))
    elif date_to < date_from:
        raise ExportError(_("The end of the range is before its start."))
    with transaction.atomic(durable=True):
        _lock_target(spec.target)
        batch = ExportBatch.objects.create(
            target=spec.target, format=spec.key, date_from=date_from, date_to=date_to, unexported_only=unexported,
            detail=ExportBatch.Detail.SUMMARY if summary else ExportBatch.Detail.DETAIL, created_by=user,
            language=translation.get_language() or "en")
        entries, lines = _claim_entries(batch=batch)
        if not entries:
            raise ExportError(_("There is nothing to export: every entry in that range is already in a batch "
                                "for %(target)s.") % {"target": spec.target_label})
        batch.entry_count, batch.line_count = entries, lines
        batch.file_name = f"gl-{batch.pk:06d}-{spec.key}{'-summary' if summary else ''}.{spec.extension}"
        batch.save(update_fields=["entry_count", "line_count", "file_name"])
        background = lines > SYNC_LINE_LIMIT if in_background is None else in_background
        if background:
            transaction.on_commit(lambda: export_batch_write_task.delay(batch_id=batch.pk))
    if background:
        return batch
    return export_batch_write(batch_id=batch.pk)


def _progress(batch_id: int):
    def report(lines: int) -> None:
        ExportBatch.objects.filter(pk=batch_id, status=ExportBatch.Status.MAKING).update(processed_lines=lines)

    return report


def _fail(batch: ExportBatch, message: str) -> None:
    with transaction.atomic(durable=True):
        ExportBatchChunk.objects.filter(batch=batch).delete()
        ExportedEntry.objects.filter(batch=batch, is_active=True).update(is_active=False)
        ExportBatch.objects.filter(pk=batch.pk, status=ExportBatch.Status.MAKING).update(
            status=ExportBatch.Status.FAILED, error=message, finished_at=timezone.now())


def _write_file(batch: ExportBatch) -> tuple[int, str]:
    """Write the batch's file into its chunks (each committed on its own): (size, sha256)."""
    spec = FORMATS[batch.format]
    if batch.is_summary:
        entries = batch_summary(batch_id=batch.pk, format_key=spec.key)
    else:
        entries = batch_entries(batch_id=batch.pk, format_key=spec.key, progress=_progress(batch.pk))
    return chunks_store(model=ExportBatchChunk, owner_field="batch", owner_id=batch.pk,
                        chunks=spec.write(entries, batch_number=batch.batch_number))


def export_batch_write(*, batch_id: int) -> ExportBatch:
    """Write a batch's file, once: the batch becomes made, or failed with its entries released.
    Safe to repeat: a batch that is no longer being made, or is being written elsewhere, is left alone."""
    batch = ExportBatch.objects.get(pk=batch_id)
    if batch.status != ExportBatch.Status.MAKING:
        return batch
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_WRITE_LOCK, batch.pk])
        if not cursor.fetchone()[0]:
            return batch  # a second delivery of the task, while the first is still writing
    try:
        with translation.override(batch.language):
            try:
                size, sha256 = _write_file(batch)
            except ExportRefused as error:
                _fail(batch, str(error))
            except Exception:
                logger.exception("export batch %s: the file could not be written", batch.pk)
                _fail(batch, _("The file could not be written because of an unexpected error."))
                raise
            else:
                ExportBatch.objects.filter(pk=batch.pk, status=ExportBatch.Status.MAKING).update(
                    status=ExportBatch.Status.MADE, file_size=size, file_sha256=sha256,
                    processed_lines=batch.line_count, finished_at=timezone.now())
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_WRITE_LOCK, batch.pk])
    batch.refresh_from_db()
    return batch


def export_batch_void(*, batch: ExportBatch, reason: str, user) -> ExportBatch:
    """Void a made batch: its entries can be exported to its target again. Recorded with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ExportError(_("Say why the batch is voided."))
    with transaction.atomic(durable=True):
        locked = ExportBatch.objects.select_for_update(no_key=True).get(pk=batch.pk)
        if locked.status != ExportBatch.Status.MADE:
            raise ExportError(_("This batch is “%(status)s”, so it cannot be voided.")
                              % {"status": locked.get_status_display()})
        ExportedEntry.objects.filter(batch=locked, is_active=True).update(is_active=False)
        locked.status = ExportBatch.Status.VOIDED
        locked.void_reason, locked.voided_by, locked.voided_at = reason, user, timezone.now()
        locked.save(update_fields=["status", "void_reason", "voided_by", "voided_at"])
    return locked


class BatchFile(ChunkedFile):
    """A made batch's file, read back from its stored chunks one at a time (for FileResponse)."""

    def __init__(self, batch: ExportBatch) -> None:
        super().__init__(model=ExportBatchChunk, owner_field="batch", owner_id=batch.pk, name=batch.file_name)


def export_batch_file(*, batch: ExportBatch) -> BatchFile:
    if not batch.can_download:
        raise ExportError(_("This batch has no file: it is “%(status)s”.") % {"status": batch.get_status_display()})
    return BatchFile(batch)
