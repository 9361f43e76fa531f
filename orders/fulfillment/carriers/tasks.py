"""Celery tasks of the carriers: thin, safe to retry."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from orders.fulfillment.carriers.services import labels_track


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def tracking_poll_task() -> int:
    """The beat job: poll tracking of every label in transit; returns how many were delivered."""
    return labels_track()
