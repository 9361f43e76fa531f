"""What staff tasks plug into orders' hooks (``OrdersConfig.ready``): each event enqueues one Celery task
after the commit, quickly; the task finds the rules."""

from __future__ import annotations

from decimal import Decimal

from orders.models import OrderStatus
from orders.stafftasks.models import Trigger

STATUS_TRIGGERS = {
    OrderStatus.PLACED: Trigger.ORDER_PLACED,
    OrderStatus.ON_HOLD: Trigger.ORDER_HELD,
    OrderStatus.SHIPPED: Trigger.ORDER_SHIPPED,
    OrderStatus.CANCELLED: Trigger.ORDER_CANCELLED,
}


def _enqueue(trigger: str, order_id: int) -> None:
    from orders.stafftasks.tasks import event_rules_task

    event_rules_task.delay(trigger=str(trigger), order_id=order_id)


def status_changed(order_id: int, from_status: str, to_status: str) -> None:
    trigger = STATUS_TRIGGERS.get(to_status)
    if trigger is not None:
        _enqueue(trigger, order_id)


def shipment_confirmed(order_id: int, amount: Decimal, reference: str) -> None:
    _enqueue(Trigger.SHIPMENT_CONFIRMED, order_id)


def order_paid(order_id: int) -> None:
    _enqueue(Trigger.ORDER_PAID, order_id)


def register() -> None:
    from orders import hooks

    hooks.on_status_changed(status_changed)
    hooks.on_shipment_confirmed(shipment_confirmed)
    hooks.on_order_paid(order_paid)
