"""Celery tasks of the import jobs: thin, idempotent, enqueued on commit by the services."""

from celery import shared_task

from oms.imports import services


@shared_task
def import_job_check_task(*, job_id: int) -> str:
    """The dry run of a large file (the job reports its progress as it goes)."""
    return services.import_job_check(job_id=job_id).status


@shared_task
def import_job_write_task(*, job_id: int) -> str:
    """The commit of a large, clean file: all rows in one transaction, or none."""
    return services.import_job_write(job_id=job_id).status


@shared_task
def import_jobs_fail_stalled_task() -> int:
    """Fail the jobs whose worker was lost while checking or writing (beat runs it; safe to repeat)."""
    return services.import_jobs_fail_stalled()
