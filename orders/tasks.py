"""Celery tasks of orders: thin, idempotent, enqueued on commit."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def backorders_allocate_task(*, sku_ids: list[int], warehouse_id: int | None = None) -> int:
    """Allocate backordered lines waiting for these SKUs, oldest order first; returns the units allocated."""
    from orders.services.allocation import backorders_allocate

    return backorders_allocate(sku_ids=set(sku_ids), warehouse_id=warehouse_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def backorders_sweep_task() -> int:
    """Allocate every backordered line that stock could serve now (the beat job behind the event path)."""
    from orders.services.allocation import backorders_sweep

    return backorders_sweep()
