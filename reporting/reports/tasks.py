"""Report tasks: they run on the reports queue (oms.celery.route_task), never beside a payment."""

from celery import shared_task

from reporting.reports import services


@shared_task(name="reporting.reports.tasks.report_export_write_task")
def report_export_write_task(*, export_id: int) -> None:
    services.export_write(export_id=export_id)
