import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

app = Celery("oms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery router: payments' tasks go to the payments queue (settings.CELERY_PAYMENTS_QUEUE), reports'
    to the reports queue (settings.CELERY_REPORTS_QUEUE), so a long report never delays a payment."""
    from django.conf import settings

    if name.startswith("payments.tasks."):
        return {"queue": settings.CELERY_PAYMENTS_QUEUE}
    if name.startswith("reporting.reports.tasks."):
        return {"queue": settings.CELERY_REPORTS_QUEUE}
    return None
