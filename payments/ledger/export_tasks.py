"""Celery task for large GL export batches: thin, idempotent, enqueued on commit by the service."""

from celery import shared_task

from payments.ledger import export_services


@shared_task
def export_batch_write_task(*, batch_id: int) -> str:
    """Write a large batch's file (the batch reports its progress as it goes)."""
    return export_services.export_batch_write(batch_id=batch_id).status
