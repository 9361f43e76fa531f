"""What happens to an order after it is placed: transitions, holds, cancellations, changes.

Every function here locks the order row (then its lines), re-reads the status, refuses what
the status does not allow (:data:`TRANSITIONS`, ``OrderError``), records an ``OrderEvent`` for
each thing it does, and leaves side effects to after the commit (``orders.hooks``). Each runs
in a transaction of its own (``transaction.atomic(durable=True)``): call them outside any
other. Where one needs another's step inside its transaction, it calls a helper that runs in
the caller's transaction (``atomic(savepoint=False)`` or none), as :func:`order_cancel_lines`
and :func:`order_edit` call ``_cancel``; a step payments or fulfillment need inside theirs
gets such a helper, public, in the same way.

**Holds.** An order can carry several holds at once, at most one open per reason (payment,
address, stock, fraud, manual; a database constraint). It is ``on_hold`` exactly while at
least one is open: a second hold only adds to it, and releasing one hold leaves it on hold
while another is open. Releasing the last one moves the order on: it is released, its
backordered lines are allocated again, and it becomes ``allocated`` when every unit is
reserved. Any user may put a hold; releasing needs ``orders.release_hold``, and payment and
fraud holds ``orders.release_fraud_hold`` as well, and credit-limit holds only
``orders.release_credit_hold`` (``PermissionDenied`` otherwise). ``user=None``
is the system (a task acting on a gateway's answer) and may release any hold.

**Changes** (edit, partial cancellation, substitution) are allowed before picking
(placed, on hold, released, allocated). Each re-reserves what changed and re-prices the
order (see :mod:`orders.services.repricing`).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Sku
from catalog.services import personalization_validate
from marketing.services import promotion_release
from orders import hooks
from orders.models import Hold, Order, OrderEvent, OrderLine, OrderStatus, ShippingMethod
from orders.services.addresses import address_check, delivery_problems
from orders.services.allocation import allocate_lines, lock_stock_of, release_line
from orders.services.entry import lines_validate
from orders.services.errors import OrderError
from orders.services.repricing import order_has_open_hold, reprice_order
from orders.services.status import (
    CANCELLABLE_STATUSES,
    HOLDABLE_STATUSES,
    PRE_FULFILLMENT_STATUSES,
    TRANSITIONS,
    IllegalTransition,
    event,
    lock_lines,
    lock_order,
    move,
    save_events,
    settle,
)
from orders.services.types import LineRequest

__all__ = [
    "TRANSITIONS", "order_cancel", "order_cancel_lines", "order_edit", "order_hold", "order_release_hold",
    "order_substitute", "order_transition",
]

S = OrderStatus
FRAUD_LEVEL_REASONS = (Hold.Reason.PAYMENT, Hold.Reason.FRAUD)
ORDER_SAVE_FIELDS = ["status", "placed_at", "updated_at"]
TOTAL_FIELDS = ["currency", "subtotal", "discount_total", "shipping_total", "tax_total", "total", "pricing"]


def _status_label(status: str) -> str:
    return S(status).label.lower()


def _require_status(order: Order, allowed: Sequence[str], action: str) -> None:
    if order.status not in allowed:
        raise IllegalTransition(_("An order that is %(status)s cannot be %(action)s.") % {
            "status": _status_label(order.status), "action": action})


# --- transitions -------------------------------------------------------------------------------------


def order_transition(*, order: Order, to_status: str, user, reason: str = "") -> Order:
    """Move the order to ``to_status`` when :data:`TRANSITIONS` allows it; returns the locked, updated order.

    Moves with more to them go through their own service: to ``cancelled`` through
    :func:`order_cancel`, to ``on_hold`` through :func:`order_hold`; ``released`` needs no
    open hold, ``allocated`` every open unit reserved.
    """
    if to_status == S.CANCELLED:
        return order_cancel(order=order, user=user, reason=reason)
    if to_status == S.ON_HOLD:
        raise OrderError(_("Put a hold on the order, with its reason, to hold it."), field_errors={
            "status": [_("Put a hold on the order, with its reason, to hold it.")]})
    events: list[OrderEvent] = []
    with transaction.atomic(durable=True):
        locked = lock_order(order)
        if to_status == S.RELEASED and order_has_open_hold(locked):
            raise IllegalTransition(_("Release its holds first: the order stays on hold while one is open."))
        if to_status == S.ALLOCATED:
            lines = list(OrderLine.objects.filter(order=locked))
            if any(line.quantity_backordered > 0 for line in lines):
                raise IllegalTransition(_("Some units are not reserved yet."))
        move(locked, to_status, user=user, reason=reason, events=events)
        locked.save(update_fields=ORDER_SAVE_FIELDS)
        save_events(events)
    _refresh(order, locked)
    return locked


def _refresh(stale: Order, fresh: Order) -> None:
    """Bring the caller's instance up to date (they often keep using it)."""
    if stale is not fresh:
        for field in ("status", "subtotal", "discount_total", "shipping_total", "tax_total", "total",
                      "pricing", "ship_to", "shipping_method_id", "updated_at", "currency"):
            setattr(stale, field, getattr(fresh, field))
        if "shipping_method" in stale._state.fields_cache:
            del stale._state.fields_cache["shipping_method"]


# --- holds ----------------------------------------------------------------------------------------------


def order_hold(*, order: Order, reason: str, note: str, user) -> Hold:
    """Put a hold on the order (placed, released, allocated, or already on hold for another reason)."""
    if reason not in Hold.Reason.values:
        raise OrderError(field_errors={"reason": [_("Unknown hold reason.")]})
    note = (note or "").strip()
    events: list[OrderEvent] = []
    with transaction.atomic(durable=True):
        locked = lock_order(order)
        _require_status(locked, HOLDABLE_STATUSES, _("put on hold"))
        if Hold.objects.filter(order=locked, reason=reason, released_at__isnull=True).exists():
            raise OrderError(field_errors={"reason": [_("The order is on %(reason)s hold already.") % {
                "reason": Hold.Reason(reason).label.lower()}]})
        hold = Hold.objects.create(order=locked, reason=reason, note=note[:300], created_by=user)
        events.append(event(locked, OrderEvent.Kind.HOLD, _("On %(reason)s hold: %(note)s") % {
            "reason": Hold.Reason(reason).label.lower(), "note": note}, user=user, data={"hold_id": hold.pk,
                                                                                       "reason": reason}))
        if locked.status != S.ON_HOLD:
            move(locked, S.ON_HOLD, user=user, reason=_("Held: %(reason)s.") % {
                "reason": Hold.Reason(reason).label.lower()}, events=events)
            locked.save(update_fields=ORDER_SAVE_FIELDS)
        save_events(events)
    _refresh(order, locked)
    return hold


def can_release_hold(user, hold: Hold) -> bool:
    """Whether ``user`` may release ``hold`` (``None``, the system, may release any)."""
    if user is None:
        return True
    if hold.reason == Hold.Reason.CREDIT:  # accountants release these, with managers
        return user.has_perm("orders.release_credit_hold")
    if not user.has_perm("orders.release_hold"):
        return False
    return hold.reason not in FRAUD_LEVEL_REASONS or user.has_perm("orders.release_fraud_hold")


def order_release_hold(*, hold: Hold, user, note: str = "") -> Order:
    """Release a hold; when it was the last open one, the order moves on (see the module docstring)."""
    if not can_release_hold(user, hold):
        raise PermissionDenied(_("You may not release %(reason)s holds.") % {
            "reason": Hold.Reason(hold.reason).label.lower()})
    with transaction.atomic(durable=True):
        order = lock_order(hold.order_id)
        locked_hold = Hold.objects.select_for_update().get(pk=hold.pk)
        if not locked_hold.is_open:
            raise OrderError(field_errors={"hold": [_("That hold was released already.")]})
        _release(order, locked_hold, user=user, note=note)
    hold.released_at, hold.released_by_id, hold.release_note = (
        locked_hold.released_at, locked_hold.released_by_id, locked_hold.release_note)
    return order


def _release(order: Order, hold: Hold, *, user, note: str) -> None:
    """Release a locked hold of a locked order and move the order on when it was the last."""
    events: list[OrderEvent] = []
    hold.released_at = timezone.now()
    hold.released_by = user
    hold.release_note = (note or "").strip()[:300]
    hold.save(update_fields=["released_at", "released_by", "release_note"])
    events.append(event(order, OrderEvent.Kind.RELEASE, _("%(reason)s hold released. %(note)s") % {
        "reason": Hold.Reason(hold.reason).label, "note": hold.release_note}, user=user,
        data={"hold_id": hold.pk, "reason": hold.reason}))
    if order.status == S.ON_HOLD and not order_has_open_hold(order):
        lines = lock_lines(order)
        move(order, S.RELEASED, user=user, reason=_("The last hold was released."), events=events)
        allocate_lines(order=order, lines=lines, user=user, events=events, backorder_events=False)
        settle(order, lines=lines, has_open_hold=False, user=user, reason=_("The last hold was released."),
               events=events)
        order.save(update_fields=ORDER_SAVE_FIELDS)
    save_events(events)


# --- cancellation -------------------------------------------------------------------------------------


def order_cancel(*, order: Order, user, reason: str) -> Order:
    """Cancel the whole order (any state before shipped): every reservation and promotion use is given back.

    The lines keep their amounts, as the record of what was cancelled; their open quantities
    go to ``quantity_cancelled``.
    """
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(field_errors={"reason": [_("Say why the order is cancelled.")]})
    with transaction.atomic(durable=True):
        locked = _cancel(order, user=user, reason=reason)
    _refresh(order, locked)
    return locked


def order_cancel_in_transaction(*, order: Order, user, reason: str) -> Order:
    """:func:`order_cancel` inside the caller's transaction (fulfillment cancels an uncollected pickup
    together with its shipment); the caller takes the order's lock first or lets this take it."""
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(field_errors={"reason": [_("Say why the order is cancelled.")]})
    with transaction.atomic(savepoint=False):
        return _cancel(order, user=user, reason=reason)


def _cancel(order: Order, *, user, reason: str) -> Order:
    """:func:`order_cancel`'s work, inside the caller's transaction (which may hold the order's lock already)."""
    events: list[OrderEvent] = []
    locked = lock_order(order)
    _require_status(locked, CANCELLABLE_STATUSES, _("cancelled"))
    lines = lock_lines(locked)
    lock_stock_of(line.sku for line in lines if line.quantity_allocated)
    units = 0
    for line in lines:
        release_line(line, user=user, keep=0)
        open_units = line.quantity - line.quantity_cancelled - line.quantity_shipped
        line.quantity_cancelled += open_units
        units += open_units
    OrderLine.objects.bulk_update(lines, ["quantity_cancelled"])
    hooks.order_lines_changed(locked, lines)  # payments: the cancelled gift card units' inactive cards void
    now = timezone.now()
    open_holds = list(Hold.objects.filter(order=locked, released_at__isnull=True).select_for_update())
    for hold in open_holds:
        hold.released_at, hold.released_by, hold.release_note = now, user, _("Order cancelled.")
    Hold.objects.bulk_update(open_holds, ["released_at", "released_by", "release_note"])
    promotion_release(order_reference=locked.number, user=user)
    message = (_("Cancelled (%(units)d units): %(reason)s") if units else _("Cancelled: %(reason)s")) % {
        "units": units, "reason": reason}
    events.append(event(locked, OrderEvent.Kind.CANCELLATION, message, user=user, data={"units": units}))
    move(locked, S.CANCELLED, user=user, reason=reason, events=events)
    locked.pricing = {**(locked.pricing or {}), "redeemed": []}
    locked.save(update_fields=ORDER_SAVE_FIELDS + ["pricing"])
    save_events(events)
    return locked


def order_cancel_lines(*, order: Order, quantities: dict[int, int], user, reason: str) -> Order:
    """Cancel some units of some lines ({line id: units}) before picking; re-reserves and re-prices.

    Backordered units are cancelled before reserved ones. Cancelling every open unit cancels
    the order.
    """
    reason = (reason or "").strip()
    if not reason:
        raise OrderError(field_errors={"reason": [_("Say why the units are cancelled.")]})
    events: list[OrderEvent] = []
    with transaction.atomic(durable=True):
        locked = lock_order(order)
        _require_status(locked, PRE_FULFILLMENT_STATUSES, _("changed"))
        lines = lock_lines(locked)
        by_pk = {line.pk: line for line in lines}
        errors: dict[str, list[str]] = {}
        for line_id, units in quantities.items():
            line = by_pk.get(int(line_id))
            if line is None:
                errors.setdefault("quantities",
                                  []).append(_("Line %(id)s is not on this order.") % {"id": line_id})
            elif not isinstance(units,
                                int) or units < 0 or units > line.quantity_open - line.quantity_shipped:
                errors.setdefault(f"quantities-{line.pk}", []).append(
                    _("Line %(line)d: cancel between 0 and %(max)d.") % {
                        "line": line.line_number, "max": line.quantity_open - line.quantity_shipped})
        if errors:
            raise OrderError(field_errors=errors)
        changes = {by_pk[int(line_id)]: units for line_id, units in quantities.items() if units}
        if not changes:
            return locked
        lock_stock_of(line.sku for line in lines)
        for line, units in sorted(changes.items(), key=lambda item: item[0].pk):
            _cancel_units(locked, line, units, user=user, reason=reason, events=events)
        if all(line.quantity_open == 0 for line in lines):
            save_events(events)
            locked.save(update_fields=ORDER_SAVE_FIELDS)
            cancelled = _cancel(locked, user=user, reason=reason)
            _refresh(order, cancelled)
            return cancelled
        _reprice_and_settle(locked, lines, user=user, events=events, reason=reason)
    _refresh(order, locked)
    return locked


def _cancel_units(order: Order, line: OrderLine, units: int, *, user, reason: str,
                  events: list[OrderEvent]) -> None:
    keep = min(line.quantity_allocated, line.quantity_open - units)
    release_line(line, user=user, keep=keep)
    line.quantity_cancelled += units
    OrderLine.objects.filter(pk=line.pk).update(quantity_cancelled=line.quantity_cancelled)
    events.append(event(order, OrderEvent.Kind.CANCELLATION,
                        _("Line %(line)d: %(units)d × %(sku)s cancelled: "
                                                               "%(reason)s") % {
        "line": line.line_number, "units": units, "sku": line.sku_code, "reason": reason}, user=user,
        data={"line_id": line.pk, "units": units}))


def _reprice_and_settle(order: Order, lines: list[OrderLine], *, user, events: list[OrderEvent],
                        reason: str, added: Sequence[OrderLine] = ()) -> None:
    reprice_order(order, lines=lines, user=user, events=events, reason=reason)
    # Payments: gift card lines added get their cards as at placement; the others follow their units.
    if added:
        hooks.order_lines_placed(order, added)
    hooks.order_lines_changed(order, [line for line in lines if line not in added])
    settle(order, lines=lines, has_open_hold=order_has_open_hold(order), user=user, reason=reason,
           events=events)
    order.save(update_fields=ORDER_SAVE_FIELDS + TOTAL_FIELDS)
    save_events(events)


# --- substitution -----------------------------------------------------------------------------------------


def order_substitute(*, line: OrderLine, substitute: Sku, user, reason: str = "") -> OrderLine:
    """Ship ``substitute`` instead of the line's SKU (one that cannot be had): at the line's price.

    The customer pays what they agreed to, so the line's amounts stay; ``substituted_from``
    keeps the SKU first ordered. The line's reservations are released and the substitute
    reserved (or backordered).
    """
    events: list[OrderEvent] = []
    with transaction.atomic(durable=True):
        order = lock_order(line.order_id)
        _require_status(order, PRE_FULFILLMENT_STATUSES, _("changed"))
        lines = lock_lines(order)
        locked = next((candidate for candidate in lines if candidate.pk == line.pk), None)
        if locked is None:
            raise OrderError(field_errors={"line": [_("That line is not on the order.")]})
        errors: dict[str, list[str]] = {}
        if substitute.pk == locked.sku_id:
            errors["substitute"] = [_("Choose another SKU than the one ordered.")]
        elif substitute.status != Sku.Status.ACTIVE:
            errors["substitute"] = [_("%(sku)s is not for sale.") % {"sku": substitute.code}]
        if locked.quantity_shipped or locked.quantity_open == 0:
            errors["line"] = [_("Line %(line)d has nothing left to substitute.")
                              % {"line": locked.line_number}]
        personalization = dict(locked.personalization or {})
        if not errors and (personalization or substitute.personalization_template_id):
            if substitute.personalization_template_id is None:
                errors["substitute"] = [_("%(sku)s cannot be personalized as the line is.")
                                        % {"sku": substitute.code}]
            else:
                try:
                    personalization = personalization_validate(template=substitute.personalization_template,
                                                               values=personalization)
                except Exception as error:  # ValidationError: the values do not fit the substitute
                    errors["substitute"] = [_("%(sku)s needs other personalization: %(detail)s") % {
                        "sku": substitute.code, "detail": " ".join(getattr(error, "messages", [str(error)]))}]
        if errors:
            raise OrderError(field_errors=errors)
        lock_stock_of([locked.sku, substitute])
        release_line(locked, user=user, keep=0)
        original = locked.sku
        locked.substituted_from_id = locked.substituted_from_id or original.pk
        locked.sku, locked.sku_code, locked.description = substitute, substitute.code, substitute.name[:200]
        locked.personalization = personalization
        locked.save(update_fields=["sku", "sku_code", "description", "substituted_from", "personalization"])
        events.append(event(order, OrderEvent.Kind.SUBSTITUTION,
                            _("Line %(line)d: %(new)s instead of %(old)s. "
                                                                   "%(reason)s") % {
            "line": locked.line_number, "new": substitute.code, "old": original.code, "reason": reason},
            user=user,
            data={"line_id": locked.pk, "from_sku": original.code, "to_sku": substitute.code}))
        allocate_lines(order=order, lines=[locked], user=user, events=events)
        settle(order, lines=lines, has_open_hold=order_has_open_hold(order), user=user,
               reason=_("Substitution."), events=events)
        order.save(update_fields=ORDER_SAVE_FIELDS)
        save_events(events)
    return locked


# --- edit ---------------------------------------------------------------------------------------------------


def order_edit(
    *,
    order: Order,
    user,
    add_lines: Sequence[LineRequest] = (),
    remove_line_ids: Sequence[int] = (),
    quantities: dict[int, int] | None = None,
    ship_to: dict | None = None,
    shipping_method: ShippingMethod | None = None,
) -> Order:
    """Change an order before picking: add and remove lines, change quantities, the address, the method.

    Validates everything before changing anything (``OrderError``), then re-reserves what
    changed, re-prices (and re-taxes, for a new address) and records each change as an event.
    Removing a line cancels its open units (the row stays, as history). A system-made address
    hold is released when the new address passes the checks.
    """
    quantities = {int(key): value for key, value in (quantities or {}).items()}
    remove_line_ids = [int(line_id) for line_id in remove_line_ids]
    events: list[OrderEvent] = []
    with transaction.atomic(durable=True):
        locked = lock_order(order)
        _require_status(locked, PRE_FULFILLMENT_STATUSES, _("edited"))
        lines = lock_lines(locked)
        by_pk = {line.pk: line for line in lines}
        errors: dict[str, list[str]] = {}

        for line_id in remove_line_ids:
            if line_id not in by_pk:
                errors.setdefault("remove_line_ids", []).append(
                    _("Line %(id)s is not on this order.") % {"id": line_id})
        for line_id, wanted in quantities.items():
            line = by_pk.get(line_id)
            if line is None:
                errors.setdefault("quantities",
                                  []).append(_("Line %(id)s is not on this order.") % {"id": line_id})
            elif isinstance(wanted, bool) or not isinstance(wanted, int) or wanted < 1:
                errors.setdefault(f"quantities-{line_id}", []).append(
                    _("Line %(line)d: order at least one, or remove the line.") % {"line": line.line_number})
            elif wanted < line.quantity_shipped:
                errors.setdefault(f"quantities-{line_id}", []).append(
                    _("Line %(line)d: %(shipped)d are shipped already.") % {"line": line.line_number,
                                                                           "shipped": line.quantity_shipped})
        added = lines_validate(add_lines)
        for key, messages in added.errors.items():
            errors.setdefault(key.replace("lines-", "add_lines-", 1), []).extend(messages)
        new_address = None
        method = shipping_method if shipping_method is not None else locked.shipping_method
        if ship_to is not None and locked.fulfillment_type == ShippingMethod.FulfillmentType.SHIP:
            new_address, problems = address_check(ship_to)
            for key, message in problems.items():
                errors.setdefault(f"ship_{key}", []).append(message)
        if ship_to is not None or shipping_method is not None:
            for message in delivery_problems(method=method, address=new_address or locked.ship_to,
                                             fulfillment_type=locked.fulfillment_type):
                errors.setdefault("shipping_method", []).append(message)
        if errors:
            raise OrderError(field_errors=errors)

        # Now change: cancellations first, so that freed stock can serve what is added.
        lock_stock_of([line.sku for line in lines] + [added_line.sku for added_line in added.lines])
        for line_id in remove_line_ids:
            line = by_pk[line_id]
            units = line.quantity_open - line.quantity_shipped
            if units:
                _cancel_units(locked, line, units, user=user, reason=_("line removed"), events=events)
        for line_id, wanted in sorted(quantities.items()):
            line = by_pk[line_id]
            if line_id in remove_line_ids or wanted == line.quantity_open:
                continue
            old = line.quantity_open
            if wanted < old:
                release_line(line, user=user, keep=min(line.quantity_allocated, wanted))
            line.quantity = wanted + line.quantity_cancelled
            OrderLine.objects.filter(pk=line.pk).update(quantity=line.quantity)
            events.append(event(locked, OrderEvent.Kind.EDIT,
                                _("Line %(line)d: quantity %(old)d → %(new)d.") % {
                "line": line.line_number, "old": old, "new": wanted}, user=user,
                data={"line_id": line.pk, "old": old, "new": wanted}))
        new_lines = []
        number = max((line.line_number for line in lines), default=0)
        for added_line in added.lines:
            number += 1
            new_lines.append(OrderLine(order=locked, line_number=number, sku=added_line.sku,
                                       sku_code=added_line.sku.code,
                                       description=added_line.sku.name[:200], quantity=added_line.quantity,
                                       personalization=dict(added_line.personalization), unit_price=0))
        if new_lines:
            OrderLine.objects.bulk_create(new_lines)
            lines.extend(new_lines)
            for line in new_lines:
                events.append(event(locked, OrderEvent.Kind.EDIT,
                                    _("Line %(line)d added: %(units)d × %(sku)s.") % {
                    "line": line.line_number, "units": line.quantity, "sku": line.sku_code}, user=user,
                    data={"line_id": line.pk}))
        if new_address is not None and new_address != locked.ship_to:
            events.append(event(locked, OrderEvent.Kind.EDIT, _("Ship-to address changed."), user=user,
                                data={"old": locked.ship_to, "new": new_address}))
            locked.ship_to = new_address
        if shipping_method is not None and shipping_method.pk != locked.shipping_method_id:
            events.append(event(locked, OrderEvent.Kind.EDIT, _("Delivery method: %(old)s → %(new)s.") % {
                "old": locked.shipping_method.name if locked.shipping_method else "—",
                "new": shipping_method.name},
                user=user))
            locked.shipping_method = shipping_method
        locked.save(update_fields=["ship_to", "shipping_method", "updated_at"])

        if all(line.quantity_open == 0 for line in lines):
            save_events(events)
            cancelled = _cancel(locked, user=user, reason=_("Every line was removed."))
            _refresh(order, cancelled)
            return cancelled
        # Added and grown lines get their allocation (or backorder) events; the others only a new chance.
        changed = {line.pk for line in new_lines} | {
            line_id for line_id, wanted in quantities.items() if line_id not in remove_line_ids}
        for with_events in (True, False):
            allocate_lines(order=locked, lines=[line for line in lines if line.quantity_open > 0
                                                and (line.pk in changed) == with_events],
                           user=user, events=events, backorder_events=with_events)
        if ship_to is not None or shipping_method is not None:
            # The address and the method pass every check now (else OrderError above, or here for an
            # address left as it was): the hold pre-processing put for them has no reason left.
            is_shipped = locked.fulfillment_type == ShippingMethod.FulfillmentType.SHIP
            if not is_shipped or not address_check(locked.ship_to)[1]:
                _release_address_hold(locked, user=user, events=events)
        _reprice_and_settle(locked, lines, user=user, events=events, reason=_("order edited"), added=new_lines)
    _refresh(order, locked)
    return locked


def _release_address_hold(order: Order, *, user, events: list[OrderEvent]) -> None:
    """The address and method are good now: release the address hold that pre-processing (the system) put."""
    hold = Hold.objects.filter(order=order, reason=Hold.Reason.ADDRESS, released_at__isnull=True,
                               created_by__isnull=True).select_for_update().first()
    if hold is None:
        return
    hold.released_at, hold.released_by = timezone.now(), user
    hold.release_note = _("Address or method corrected.")
    hold.save(update_fields=["released_at", "released_by", "release_note"])
    events.append(event(order, OrderEvent.Kind.RELEASE,
                        _("Address hold released: the address or method was corrected."),
                        user=user, data={"hold_id": hold.pk, "reason": hold.reason}))
    if order.status == S.ON_HOLD and not order_has_open_hold(order):
        move(order, S.RELEASED, user=user, reason=_("The last hold was released."), events=events)
