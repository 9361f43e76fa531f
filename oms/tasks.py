from celery import shared_task


@shared_task
def echo(*, value: str) -> str:
    """Round-trips a value through the broker and a worker (used by the status checks and tests)."""
    return value
