"""Report tasks: they run on the reports queue (oms.celery.route_task), never beside a payment."""

from celery import shared_task

from reporting.reports import schedules, services


@shared_task(name="reporting.reports.tasks.report_export_write_task")
def report_export_write_task(*, export_id: int) -> None:
    services.export_write(export_id=export_id)


@shared_task(name="reporting.reports.tasks.schedules_run_due_task")
def schedules_run_due_task() -> None:
    schedules.schedules_run_due()


@shared_task(bind=True, name="reporting.reports.tasks.report_run_task", max_retries=schedules.MAX_ATTEMPTS - 1)
def report_run_task(self, *, run_id: int) -> None:
    """Make and send one scheduled run; a failure (recorded on the run) is retried later."""
    try:
        schedules.run_execute(run_id=run_id)
    except Exception as error:
        raise self.retry(exc=error, countdown=60 * 2 ** self.request.retries) from error
