"""Celery tasks of orders: thin, idempotent, enqueued on commit.

The top of orders: tasks call services, services call hooks, never the other way round.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError, transaction

from inventory.models import Warehouse
from orders.fulfillment.pickup import pickups_expire
from orders.fulfillment.tpl import tpl_shipments_release
from orders.services.allocation import backorders_allocate, backorders_sweep, backorders_waiting


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def backorders_allocate_task(*, sku_ids: list[int], warehouse_id: int | None = None) -> int:
    """Allocate backordered lines waiting for these SKUs, oldest order first; returns the units allocated."""
    return backorders_allocate(sku_ids=set(sku_ids), warehouse_id=warehouse_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def backorders_sweep_task() -> int:
    """Allocate every backordered line that stock could serve now (the beat job behind the event path)."""
    return backorders_sweep()


def stock_arrived(sku_ids: set[int], warehouse_id: int) -> None:
    """inventory's stock-arrived step (``OrdersConfig.ready`` registers it): allocate backorders in a
    Celery task, after commit.

    Only when some open line waits for these SKUs (or for kits made of them), so that the
    everyday receipts and releases do not fill the queue with tasks that have nothing to do.
    ``robust``: a broker that is down must not turn the stock change, committed already, into
    an error; the ``backorders_sweep_task`` beat job catches up.
    """
    if not backorders_waiting(sku_ids=set(sku_ids)):
        return
    wanted = sorted(sku_ids)
    transaction.on_commit(lambda: backorders_allocate_task.delay(sku_ids=wanted, warehouse_id=warehouse_id),
                          robust=True)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def pickups_expire_task() -> int:
    """The beat's: cancel store pickups not collected in time (orders.fulfillment.pickup)."""
    return pickups_expire()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def tpl_release_task() -> int:
    """The beat's: a shipment for every order allocated at an active 3PL warehouse (orders.fulfillment.tpl)."""
    return sum(len(tpl_shipments_release(warehouse=warehouse)) for warehouse in
               Warehouse.objects.filter(kind=Warehouse.Kind.THIRD_PARTY, is_active=True).order_by("pk"))


# Celery's autodiscovery reads orders.tasks only: the carriers' tasks are registered through it.
from orders.fulfillment.carriers.tasks import tracking_poll_task  # noqa: E402,F401
from orders.stafftasks.tasks import event_rules_task, time_rules_evaluate_task  # noqa: E402,F401
