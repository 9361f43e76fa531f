from celery import shared_task

from oms.invariants import invariants_check_record


@shared_task
def echo(*, value: str) -> str:
    """Round-trips a value through the broker and a worker (used by the status checks and tests)."""
    return value


@shared_task
def invariants_check_task() -> dict:
    """Check every invariant of DESIGN.md and store the result for the system status page.

    Beat runs it every 15 minutes (``CELERY_BEAT_SCHEDULE``). It only reads, so a retry is harmless.
    """
    result = invariants_check_record()
    return {
        "checked_at": result.checked_at.isoformat(),
        "violation_count": result.violation_count,
        "first_violations": result.first_violations,
    }
