"""Steps of the order flow that other apps plug into, so the arrows keep pointing down (DESIGN.md).

Higher apps (payments) register in their ``AppConfig.ready``; orders never imports them.

**Payment instructions.** Order entry (the order-entry page, the REST API, channel adapters)
passes ``order_place(..., payment=[...])``: a list of opaque dicts, each with a ``kind`` and
whatever that kind needs, for example::

    {"kind": "card", "payment_method": "pm_...", "amount": "25.00", "save": True}
    {"kind": "card", "card_id": 12}                       # a saved PaymentCard
    {"kind": "gift_card", "code": "...", "amount": "10.00"}
    {"kind": "check", "number": "1234", "amount": "10.00"}
    {"kind": "on_account"}

Orders does not read them: it carries them in the ``ValidatedBasket`` (``basket.payment``) to
:func:`payment_validate` and :func:`payment_check`. An ``amount`` left out means "the rest of
the order total". ``None`` or ``[]`` means the order came with no payment instructions (an
outside channel that was paid elsewhere, or a test): the checks decide what that means.

**payment_validate(basket, payment).** Called by ``basket_validate`` (quote and placement,
nothing written, no gateway call) once the basket is priced: each registered validator returns
field errors (``{"payment": ["..."]}``; keys are form fields) or ``{}``. Errors refuse the
order like any other basket error (``OrderError``, nothing written): an unknown gift card, a
check without a number, more tendered than the total.

**payment_check(order, payment).** Pre-processing on "placed" asks every registered check
whether the order may go on. A check gets the new order (its lines are written, its totals
final) and the payment instructions, inside the placement transaction, and returns ``None``
to pass or a :class:`PaymentCheckFailure` to put the order on a payment (or fraud) hold.
Payments' check creates the order's tenders here (in the placement transaction). Checks run
in the database transaction, so they must not call a gateway: one that needs to (a card
authorization) fails with a payment hold saying "awaiting authorization", enqueues its work
with ``transaction.on_commit``, and releases the hold with ``order_release_hold(user=None,
...)`` (``None`` is the system) when the gateway says yes. Lifecycle services are
``atomic(durable=True)``: call them outside your own transaction. The order has at most one
open hold per reason, so every payment failure of one placement is one hold (notes joined).
With no check registered, every order passes.

**status_changed(order_id, from_status, to_status).** Called after the commit of every status
change; for notifications and follow-up work in higher apps (capture at shipment, voiding
what is left when an order is cancelled, staff tasks). Keep callbacks quick: enqueue a
Celery task.

**shipment_confirmed(order_id, amount, reference).** For fulfillment (a later issue): called
after the commit of a shipment with the money it ships (``Decimal``, the order's currency) and
the shipment's reference (so a repeated call captures once). Payments captures that amount
from the order's cards (``payment_capture``, on its queue). Keep callbacks quick.

**order_panels / entry_panels.** Higher apps add panels to the order page and to the
order-entry page. A panel function takes keyword arguments and returns ``None`` (nothing to
show to this user: check permissions here, Warehouse must see no payment data) or a dict with
``template`` (included by the page, which passes the dict as ``panel``) and whatever that
template needs. Order page: ``function(*, order, user)``. Order-entry page:
``function(*, user, customer, quote)`` (``customer`` and ``quote`` may be ``None``). Panels are
shown in registration order.

**entry_payment(data).** What the order-entry page's POST says about payment: each registered
reader takes the POSTed form data (a ``QueryDict``) and returns payment instructions (a list of
dicts as above, ``[]`` for none); the page passes their concatenation to ``order_place``. The
entry panel's inputs are the reader's business, not the page's. Entry panels that change with
the customer may name an ``update_template`` (a partial with ``hx-swap-oob``): the page sends it
again, out of band, when the customer changes.

**order_list_flags.** Higher apps register :class:`OrderListFlag` badges for the order list
(payments: authorizations that expire within a day). Each is one boolean annotation of the
list's query, so the list costs the same number of queries with or without them.

This module is the bottom of orders: it imports none of orders' services or tasks, which
call it (``orders.tasks`` → ``orders.services`` → ``orders.hooks``, checked by import-linter).
What orders itself plugs into inventory's ``stock_arrived`` step is
:func:`orders.tasks.stock_arrived`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orders.models import Customer, Order

logger = logging.getLogger(__name__)

PaymentInstructions = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class PaymentCheckFailure:
    """Why an order may not go on yet; ``reason`` is a Hold.Reason (payment, fraud or credit)."""

    note: str
    reason: str = "payment"


PaymentCheck = Callable[["Order", PaymentInstructions], PaymentCheckFailure | None]
# Takes an orders.services.types.ValidatedBasket (not imported here: hooks are below the services).
PaymentValidator = Callable[[Any, PaymentInstructions], Mapping[str, Sequence[str]]]
StatusChanged = Callable[[int, str, str], None]
ShipmentConfirmed = Callable[[int, Decimal, str], None]
OrderPanel = Callable[..., dict | None]
EntryPaymentReader = Callable[[Mapping[str, Any]], list[dict]]

_payment_checks: list[PaymentCheck] = []
_payment_validators: list[PaymentValidator] = []
_status_changed: list[StatusChanged] = []
_shipment_confirmed: list[ShipmentConfirmed] = []
_order_panels: list[OrderPanel] = []
_entry_panels: list[OrderPanel] = []
_entry_payment_readers: list[EntryPaymentReader] = []


def _register(registry: list, function):
    if function not in registry:
        registry.append(function)
    return function


def _remove(registry: list, function) -> None:
    if function in registry:
        registry.remove(function)


# --- payment checks -----------------------------------------------------------------------------


def on_payment_check(check: PaymentCheck) -> PaymentCheck:
    """Register a payment check (usable as a decorator); registering twice has no effect."""
    return _register(_payment_checks, check)


def remove_payment_check(check: PaymentCheck) -> None:
    _remove(_payment_checks, check)


def payment_check(order: Order, payment: PaymentInstructions | None = None) -> list[PaymentCheckFailure]:
    """Run every registered check on ``order``; the failures, in registration order (none: it passes)."""
    failures = []
    instructions = tuple(payment or ())
    for check in list(_payment_checks):
        failure = check(order, instructions)
        if failure is not None:
            failures.append(failure)
    return failures


def on_payment_validate(validator: PaymentValidator) -> PaymentValidator:
    """Register a payment validator (usable as a decorator); registering twice has no effect."""
    return _register(_payment_validators, validator)


def remove_payment_validate(validator: PaymentValidator) -> None:
    _remove(_payment_validators, validator)


def payment_validate(basket, payment: PaymentInstructions | None) -> dict[str, list[str]]:
    """Every registered validator's field errors for the priced ``basket``, merged (empty: none)."""
    errors: dict[str, list[str]] = {}
    instructions = tuple(payment or ())
    for validator in list(_payment_validators):
        for key, messages in (validator(basket, instructions) or {}).items():
            errors.setdefault(key, []).extend(messages)
    return errors


# --- status changes -----------------------------------------------------------------------------


def on_status_changed(callback: StatusChanged) -> StatusChanged:
    return _register(_status_changed, callback)


def remove_status_changed(callback: StatusChanged) -> None:
    _remove(_status_changed, callback)


def status_changed(order_id: int, from_status: str, to_status: str) -> None:
    """Tell the registered callbacks (after commit); one failing callback does not stop the others."""
    for callback in list(_status_changed):
        try:
            callback(order_id, from_status, to_status)
        except Exception:  # a notification must never undo or hide the committed change
            logger.exception("status_changed callback %r failed for order %s", callback, order_id)


def on_shipment_confirmed(callback: ShipmentConfirmed) -> ShipmentConfirmed:
    return _register(_shipment_confirmed, callback)


def remove_shipment_confirmed(callback: ShipmentConfirmed) -> None:
    _remove(_shipment_confirmed, callback)


def shipment_confirmed(order_id: int, amount: Decimal, reference: str) -> None:
    """Tell the registered callbacks a shipment went out (after commit); failures are logged, not raised."""
    for callback in list(_shipment_confirmed):
        try:
            callback(order_id, amount, reference)
        except Exception:  # the shipment is committed; a capture that cannot be enqueued is retried by staff
            logger.exception("shipment_confirmed callback %r failed for order %s", callback, order_id)


# --- panels on the order and order-entry pages --------------------------------------------------


def register_order_panel(panel: OrderPanel) -> OrderPanel:
    """Register a panel of the order page, ``panel(*, order, user) -> dict | None``."""
    return _register(_order_panels, panel)


def remove_order_panel(panel: OrderPanel) -> None:
    _remove(_order_panels, panel)


def order_panels(*, order: Order, user) -> list[dict]:
    """The panels the registered functions offer ``user`` on ``order``'s page, in registration order."""
    return [panel for panel in (function(order=order, user=user) for function in list(_order_panels)) if panel]


def register_entry_panel(panel: OrderPanel) -> OrderPanel:
    """Register a panel of the order-entry page, ``panel(*, user, customer, quote) -> dict | None``."""
    return _register(_entry_panels, panel)


def remove_entry_panel(panel: OrderPanel) -> None:
    _remove(_entry_panels, panel)


def entry_panels(*, user, customer: Customer | None = None, quote=None) -> list[dict]:
    """The panels the registered functions offer ``user`` on the order-entry page."""
    return [panel for panel in (function(user=user, customer=customer, quote=quote)
                                for function in list(_entry_panels)) if panel]


def on_entry_payment(reader: EntryPaymentReader) -> EntryPaymentReader:
    """Register a reader of the order-entry POST's payment inputs (see the module docstring)."""
    return _register(_entry_payment_readers, reader)


def remove_entry_payment(reader: EntryPaymentReader) -> None:
    _remove(_entry_payment_readers, reader)


def entry_payment(data: Mapping[str, Any]) -> list[dict]:
    """The payment instructions the registered readers find in the order-entry POST ``data``."""
    instructions: list[dict] = []
    for reader in list(_entry_payment_readers):
        instructions.extend(reader(data) or ())
    return instructions


# --- flags on the order list ----------------------------------------------------------------------


@dataclass(frozen=True)
class OrderListFlag:
    """A badge on the order list, worked out in the list's own query (no query per row).

    ``annotation()`` returns a boolean expression on ``Order`` (an ``Exists`` subquery on the
    higher app's table, served by an index); a row shows ``label`` when it is true and the user
    holds ``permission`` (``None``: everyone who sees the list). ``key`` names the annotation
    (``flag_<key>``) and the badge's ``data-flag``; ``row_class``, if any, colours the row.
    """

    key: str
    annotation: Callable[[], Any]
    label: Any
    permission: str | None = None
    css_class: str = "text-bg-danger"
    title: Any = ""
    row_class: str = ""  # a class of the whole row when the flag shows (staff tasks' late orders: red)


_order_list_flags: list[OrderListFlag] = []


def register_order_list_flag(flag: OrderListFlag) -> OrderListFlag:
    """Register a flag of the order list (one per key: registering the key again replaces it)."""
    _order_list_flags[:] = [known for known in _order_list_flags if known.key != flag.key] + [flag]
    return flag


def remove_order_list_flag(flag: OrderListFlag) -> None:
    _remove(_order_list_flags, flag)


def order_list_flags() -> list[OrderListFlag]:
    """The registered flags, in registration order."""
    return list(_order_list_flags)


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


# --- order paid (staff tasks) ----------------------------------------------------------------------------
#
# **order_paid(order_id).** Called by payments after the commit that makes an order's payment good
# in full (its card authorized and nothing else holding it: the payment hold released). Staff tasks
# open their "order paid" rules' tasks (a packing task). A repeated call is harmless: a rule opens
# at most one open task per order. Keep callbacks quick: enqueue a Celery task.

OrderPaid = Callable[[int], None]
_order_paid: list[OrderPaid] = []


def on_order_paid(callback: OrderPaid) -> OrderPaid:
    return _register(_order_paid, callback)


def remove_order_paid(callback: OrderPaid) -> None:
    _remove(_order_paid, callback)


def order_paid(order_id: int) -> None:
    """Tell the registered callbacks (after commit) that the order is paid; failures are logged, not raised."""
    for callback in list(_order_paid):
        try:
            callback(order_id)
        except Exception:  # a notification must never undo or hide the committed change
            logger.exception("order_paid callback %r failed for order %s", callback, order_id)


# --- gift cards sold as SKUs (catalog's ``Sku.gift_card``) --------------------------------------------
#
# **order_lines_placed(order, lines).** Inside the placement transaction, once the lines and
# their allocations are written: payments creates the (inactive) gift cards of gift card lines.
# An edit that adds lines calls it too, for the added lines, once they are priced.
#
# **order_lines_changed(order, lines).** Inside the transaction of a cancellation (of the order,
# of some units) or an edit, once the lines' quantities and amounts are written: payments voids
# the inactive cards of gift card units no longer wanted and makes those of a grown line.
#
# **stored_value_shipped(order, units_by_line, user) -> {line id: [(role, amount), ...]}.** Inside
# a shipment's (or an e-gift fulfilment's) transaction, for the gift card lines among what ships
# (``{order line id: units}``): payments activates those units' cards *without posting* and says
# which role each line's money is credited to instead of revenue (``gift_card_liability``). The
# shipment's entry credits that; whatever of a line's share is not named stays revenue.

OrderLinesPlaced = Callable[["Order", Sequence[Any]], None]
StoredValueShipped = Callable[["Order", Mapping[int, int], Any], Mapping[int, Sequence[tuple[str, Decimal]]]]
_order_lines_placed: list[OrderLinesPlaced] = []
_order_lines_changed: list[OrderLinesPlaced] = []
_stored_value_shipped: list[StoredValueShipped] = []


def on_order_lines_placed(callback: OrderLinesPlaced) -> OrderLinesPlaced:
    return _register(_order_lines_placed, callback)


def remove_order_lines_placed(callback: OrderLinesPlaced) -> None:
    _remove(_order_lines_placed, callback)


def order_lines_placed(order: Order, lines: Sequence[Any]) -> None:
    """Tell the registered callbacks, in the placement transaction (their errors refuse the order)."""
    for callback in list(_order_lines_placed):
        callback(order, lines)


def on_order_lines_changed(callback: OrderLinesPlaced) -> OrderLinesPlaced:
    return _register(_order_lines_changed, callback)


def remove_order_lines_changed(callback: OrderLinesPlaced) -> None:
    _remove(_order_lines_changed, callback)


def order_lines_changed(order: Order, lines: Sequence[Any]) -> None:
    """Tell the registered callbacks, in the change's transaction (their errors undo the change)."""
    for callback in list(_order_lines_changed):
        callback(order, lines)


def on_stored_value_shipped(callback: StoredValueShipped) -> StoredValueShipped:
    return _register(_stored_value_shipped, callback)


def remove_stored_value_shipped(callback: StoredValueShipped) -> None:
    _remove(_stored_value_shipped, callback)


def stored_value_shipped(order: Order, units_by_line: Mapping[int, int], user) -> dict[int, list[tuple[str, Decimal]]]:
    """The credits instead of revenue per line (see above); ``{}`` with nothing registered."""
    credits: dict[int, list[tuple[str, Decimal]]] = {}
    if not units_by_line:
        return credits
    for callback in list(_stored_value_shipped):
        for line_id, items in (callback(order, units_by_line, user) or {}).items():
            credits.setdefault(line_id, []).extend(items)
    return credits
# --- returns: the refund of what came back (orders/returns) ---------------------------------------
#
# **return_refund(order_id, amount, reference).** Called after the commit of an RMA whose units are
# all received (or of an exchange that leaves money to give back), with the amount the customer is
# owed (``Decimal``, the order's currency) and the RMA's number. Payments refunds it to the tenders
# that paid, newest first (its approval threshold applies). Called once per RMA: the RMA records
# the request in the transaction that completes it.

ReturnRefund = Callable[[int, Decimal, str], None]
_return_refund: list[ReturnRefund] = []


def on_return_refund(callback: ReturnRefund) -> ReturnRefund:
    return _register(_return_refund, callback)


def remove_return_refund(callback: ReturnRefund) -> None:
    _remove(_return_refund, callback)


def return_refund(order_id: int, amount: Decimal, reference: str) -> None:
    """Tell the registered callbacks a return is owed ``amount`` (after commit); failures are logged."""
    for callback in list(_return_refund):
        try:
            callback(order_id, amount, reference)
        except Exception:  # the return is committed; staff can still refund from the order page
            logger.exception("return_refund callback %r failed for order %s", callback, order_id)
