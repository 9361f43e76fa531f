"""Staff tasks' Celery tasks: thin, idempotent (one open task per rule and subject)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from orders.stafftasks import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def event_rules_task(*, trigger: str, order_id: int) -> int:
    """Open the tasks of the event rules of ``trigger`` for the order (enqueued by orders' hooks after commit)."""
    return services.tasks_open_for_event(trigger=trigger, order_id=order_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def time_rules_evaluate_task() -> int:
    """The beat's: open the tasks the time rules call for now (late orders, long holds, low stock)."""
    return services.time_rules_evaluate()
