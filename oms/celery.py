import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

app = Celery("oms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery router: payments' tasks go to the payments queue (settings.CELERY_PAYMENTS_QUEUE)."""
    if name.startswith("payments.tasks."):
        from django.conf import settings

        return {"queue": settings.CELERY_PAYMENTS_QUEUE}
    return None
