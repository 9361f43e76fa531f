"""Steps of the order flow that other apps plug into, so the arrows keep pointing down (DESIGN.md).

**payment_check.** Pre-processing on "placed" asks every registered check whether the order
may go on. Payments plugs in card authorization results and credit checks (terms, credit
limit) here. A check gets the new order (its lines are written, its totals final) inside the
placement transaction and returns ``None`` to pass or a :class:`PaymentCheckFailure` to put
the order on a payment (or fraud) hold. Checks run in the database transaction, so they must
not call a gateway: one that needs to (a card authorization) fails with a payment hold saying
"awaiting authorization", does its work in a task after commit, and releases the hold with
``order_release_hold(user=None, ...)`` (``None`` is the system) when the gateway says yes. With
no check registered, every order passes.

**status_changed.** Called after the commit of every status change with
``(order id, from status, to status)``; for notifications and follow-up work in higher apps
(capture at shipment, staff tasks). Keep callbacks quick: enqueue a Celery task.

This module is the bottom of orders: it imports none of orders' services or tasks, which
call it (``orders.tasks`` → ``orders.services`` → ``orders.hooks``, checked by import-linter).
What orders itself plugs into inventory's ``stock_arrived`` step is
:func:`orders.tasks.stock_arrived`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orders.models import Order

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentCheckFailure:
    """Why an order may not go on yet; ``reason`` is a Hold.Reason (payment or fraud)."""

    note: str
    reason: str = "payment"


PaymentCheck = Callable[["Order"], PaymentCheckFailure | None]
StatusChanged = Callable[[int, str, str], None]
ShipmentConfirmed = Callable[[int, Decimal, str], None]

_payment_checks: list[PaymentCheck] = []
_status_changed: list[StatusChanged] = []
_shipment_confirmed: list[ShipmentConfirmed] = []


def on_payment_check(check: PaymentCheck) -> PaymentCheck:
    """Register a payment check (usable as a decorator); registering twice has no effect."""
    if check not in _payment_checks:
        _payment_checks.append(check)
    return check


def remove_payment_check(check: PaymentCheck) -> None:
    if check in _payment_checks:
        _payment_checks.remove(check)


def payment_check(order: Order) -> list[PaymentCheckFailure]:
    """Run every registered check on ``order``; the failures, in registration order (none: it passes)."""
    failures = []
    for check in list(_payment_checks):
        failure = check(order)
        if failure is not None:
            failures.append(failure)
    return failures


def on_status_changed(callback: StatusChanged) -> StatusChanged:
    if callback not in _status_changed:
        _status_changed.append(callback)
    return callback


def remove_status_changed(callback: StatusChanged) -> None:
    if callback in _status_changed:
        _status_changed.remove(callback)


def status_changed(order_id: int, from_status: str, to_status: str) -> None:
    """Tell the registered callbacks (after commit); one failing callback does not stop the others."""
    for callback in list(_status_changed):
        try:
            callback(order_id, from_status, to_status)
        except Exception:  # a notification must never undo or hide the committed change
            logger.exception("status_changed callback %r failed for order %s", callback, order_id)



def on_shipment_confirmed(callback: ShipmentConfirmed) -> ShipmentConfirmed:
    if callback not in _shipment_confirmed:
        _shipment_confirmed.append(callback)
    return callback


def remove_shipment_confirmed(callback: ShipmentConfirmed) -> None:
    if callback in _shipment_confirmed:
        _shipment_confirmed.remove(callback)


def shipment_confirmed(order_id: int, amount: Decimal, reference: str) -> None:
    """Tell the registered callbacks a shipment went out (after commit); failures are logged, not raised."""
    for callback in list(_shipment_confirmed):
        try:
            callback(order_id, amount, reference)
        except Exception:  # the shipment is committed; a capture that cannot be enqueued is retried by staff
            logger.exception("shipment_confirmed callback %r failed for order %s", callback, order_id)


# --- fulfillment: who is owed, and the customer's notices ---------------------------------------
#
# **shipment_debit_role(order).** What a shipment's revenue is booked against: ``"receivables"``
# (the default: the customer owes it, an invoice follows) or ``"customer_deposits"`` (money taken
# before the shipment). Payments answers from the order's tenders; the first registered answer
# that is not ``None`` wins. Called inside the ship transaction: no gateway calls.
#
# **pickup_ready(order_id, warehouse_id).** After the commit of an order made ready for pickup at
# a store: the customer's notice (payments' or a messaging app's business).

ShipmentDebitRole = Callable[["Order"], str | None]
PickupReady = Callable[[int, int], None]
_shipment_debit_roles: list[ShipmentDebitRole] = []
_pickup_ready: list[PickupReady] = []
DEFAULT_SHIPMENT_DEBIT_ROLE = "receivables"


def on_shipment_debit_role(answer: ShipmentDebitRole) -> ShipmentDebitRole:
    if answer not in _shipment_debit_roles:
        _shipment_debit_roles.append(answer)
    return answer


def remove_shipment_debit_role(answer: ShipmentDebitRole) -> None:
    if answer in _shipment_debit_roles:
        _shipment_debit_roles.remove(answer)


def shipment_debit_role(order: Order) -> str:
    for answer in list(_shipment_debit_roles):
        role = answer(order)
        if role:
            return role
    return DEFAULT_SHIPMENT_DEBIT_ROLE


def on_pickup_ready(callback: PickupReady) -> PickupReady:
    if callback not in _pickup_ready:
        _pickup_ready.append(callback)
    return callback


def remove_pickup_ready(callback: PickupReady) -> None:
    if callback in _pickup_ready:
        _pickup_ready.remove(callback)


def pickup_ready(order_id: int, warehouse_id: int) -> None:
    for callback in list(_pickup_ready):
        try:
            callback(order_id, warehouse_id)
        except Exception:  # a notice must never undo the committed change
            logger.exception("pickup_ready callback %r failed for order %s", callback, order_id)


# --- short picks (fulfillment) ------------------------------------------------------------------------
#
# **short_pick_notify.** Called after the commit of a short pick with ``(order id, order line id,
# units short)``: a notification app tells the customer and offers the choices of
# ``SHORT_PICK_CHOICES`` (wait for stock, take a substitute, cancel the line), which an agent
# records from the order page (``orders.fulfillment.services.short_pick_answer``).

SHORT_PICK_CHOICES = ("wait", "substitute", "cancel")
ShortPickNotify = Callable[[int, int, int], None]
_short_pick_notify: list[ShortPickNotify] = []


def on_short_pick_notify(callback: ShortPickNotify) -> ShortPickNotify:
    if callback not in _short_pick_notify:
        _short_pick_notify.append(callback)
    return callback


def remove_short_pick_notify(callback: ShortPickNotify) -> None:
    if callback in _short_pick_notify:
        _short_pick_notify.remove(callback)


def short_pick_notify(order_id: int, line_id: int, units: int) -> None:
    """Tell the registered callbacks (after commit) that ``units`` of a line were short at the pick."""
    for callback in list(_short_pick_notify):
        try:
            callback(order_id, line_id, units)
        except Exception:  # a notification must never undo or hide the committed change
            logger.exception("short_pick_notify callback %r failed for order %s", callback, order_id)
