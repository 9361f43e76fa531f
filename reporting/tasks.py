"""Celery tasks of reporting: thin; the beat job folds the rollups (and refreshes the tiles), the nightly one proves them."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from reporting.dashboard.snapshots import tiles_refresh
from reporting.rollups.engine import rollups_fold, rollups_verify


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def rollups_fold_task() -> dict[str, int] | None:
    """Fold the changes since the watermarks into every rollup (None: another fold was running),
    then compute the dashboard's tiles from them once for every viewer."""
    written = rollups_fold()
    if written is not None:
        tiles_refresh()
    return written


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def rollups_verify_task(sample: int = 3) -> int:
    """Recompute a sample of days from the raw tables; returns the number of differences found."""
    return rollups_verify(sample=sample).differences
