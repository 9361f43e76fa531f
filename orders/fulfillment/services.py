"""Fulfillment writes of the pick part: bins, pick waves, scans and short picks.

Every service runs in a transaction of its own (``transaction.atomic(durable=True)``) and
takes keyword-only arguments. Locks follow orders/services/status.py: order rows first (in pk
order), their lines, then shipments and their lines (pk order), then stock (inventory).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Sku
from inventory.models import Warehouse
from inventory.services import stock_missing, stock_release, stock_reserve
from orders import hooks
from orders.fulfillment import selectors
from orders.fulfillment.models import (
    OPEN_SHIPMENT_STATUSES,
    BinLocation,
    PickWave,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    ShipmentStatus,
)
from orders.fulfillment.status import (
    lock_shipment,
    lock_shipment_lines,
    save_shipment_events,
    shipment_event,
    shipment_move,
)
from orders.models import LineAllocation, Order, OrderEvent, OrderLine, OrderStatus
from orders.availability import shipping_warehouses
from orders.services.allocation import allocate_lines, line_reference
from orders.services.errors import OrderError
from orders.services.status import event, lock_lines, lock_order, lock_orders, move, save_events

MAX_WAVE_ORDERS = 500


class FulfillmentError(OrderError):
    """A pick rule was broken; nothing was written."""


# --- bins -------------------------------------------------------------------------------------------


def bin_set(*, sku: Sku, warehouse: Warehouse, code: str, user=None) -> BinLocation | None:
    """Put ``sku`` in bin ``code`` at ``warehouse``; an empty code removes its bin there."""
    code = code.strip().upper()
    if sku.is_kit:
        raise FulfillmentError(_("%(code)s is a kit: its components have the bins.") % {"code": sku.code},
                               field_errors={"code": [_("A kit has no bin of its own.")]})
    with transaction.atomic(durable=True):
        if not code:
            BinLocation.objects.filter(sku=sku, warehouse=warehouse).delete()
            return None
        location, _created = BinLocation.objects.update_or_create(sku=sku, warehouse=warehouse,
                                                                  defaults={"code": code[:40]})
        return location


# --- waves --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaveFilters:
    """Which allocated orders a wave takes, and in which order.

    ``carrier`` narrows to a shipping method's carrier, ``shipping_method_id`` to one method,
    ``promised_by`` to orders promised on or before that day (placed + the method's transit
    days). Priority: the earliest promise first, then (``single_line_first``) orders of one
    line, then the oldest.
    """

    carrier: str = ""
    shipping_method_id: int | None = None
    promised_by: dt.date | None = None
    single_line_first: bool = True


def _lock_candidates(*, warehouse: Warehouse, filters: WaveFilters, limit: int) -> list[Order]:
    """Up to ``limit`` candidates in priority order, locked; an order another wave is taking is skipped.

    Only as many rows as still wanted are locked at a time (SKIP LOCKED never waits, so no lock
    cycle can form), then re-checked in a new statement: a wave that committed meanwhile took them.
    """
    ids = list(selectors.wave_candidates(warehouse=warehouse, filters=filters).values_list("pk", flat=True)
               [:limit * 3 + 20])
    taken: list[Order] = []
    while ids and len(taken) < limit:
        chunk, ids = ids[:limit - len(taken)], ids[limit - len(taken):]
        locked = {order.pk: order for order in Order.objects.filter(pk__in=chunk).order_by("pk")
                  .select_for_update(no_key=True, skip_locked=True)}
        in_wave = set(Shipment.objects.filter(order_id__in=locked, warehouse=warehouse, wave__isnull=False,
                                              status__in=OPEN_SHIPMENT_STATUSES).values_list("order_id", flat=True))
        still = set(Order.objects.filter(pk__in=locked, status__in=WAVE_ORDER_STATUSES)
                    .values_list("pk", flat=True))
        taken += [locked[pk] for pk in chunk if pk in locked and pk not in in_wave and pk in still]
    return taken


WAVE_ORDER_STATUSES = (OrderStatus.ALLOCATED, OrderStatus.PICKING)


def wave_create(*, warehouse: Warehouse, user, limit: int, filters: WaveFilters = WaveFilters()) -> PickWave:
    """A wave of up to ``limit`` orders at ``warehouse``: a shipment per order of its open allocations there.

    Two users creating waves at once never take the same order: candidates are locked with
    SKIP LOCKED and re-checked under the lock (and ``shipment_one_open_per_order_warehouse``
    backs it). Each order taken moves from allocated to picking.
    """
    if not 1 <= limit <= MAX_WAVE_ORDERS:
        raise FulfillmentError(_("A wave takes between 1 and %(max)d orders.") % {"max": MAX_WAVE_ORDERS},
                               field_errors={"limit": [_("Between 1 and %(max)d.") % {"max": MAX_WAVE_ORDERS}]})
    with transaction.atomic(durable=True):
        orders = _lock_candidates(warehouse=warehouse, filters=filters, limit=limit)
        if not orders:
            raise FulfillmentError(_("No allocated orders at %(warehouse)s match these filters.")
                                   % {"warehouse": warehouse.code})
        wave = PickWave.objects.create(warehouse=warehouse, number=f"~{uuid.uuid4().hex[:19]}",
                                       created_by=user)
        wave.number = f"W{wave.pk:06d}"
        PickWave.objects.filter(pk=wave.pk).update(number=wave.number)
        allocations = list(
            LineAllocation.objects.filter(line__order__in=orders, warehouse=warehouse, is_open=True)
            .exclude(Exists(ShipmentLine.objects.filter(allocation=OuterRef("pk"))
                            .exclude(shipment__status=ShipmentStatus.CANCELLED)))
            .select_related("line").order_by("line__order_id", "line__line_number", "pk"))
        per_order: dict[int, list[LineAllocation]] = {}
        for allocation in allocations:
            per_order.setdefault(allocation.line.order_id, []).append(allocation)
        counts = dict(Shipment.objects.filter(order__in=orders).values_list("order_id").annotate(n=Count("pk"))
                      .values_list("order_id", "n"))
        order_events: list[OrderEvent] = []
        shipment_events: list[ShipmentEvent] = []
        lines: list[ShipmentLine] = []
        for order in orders:
            if order.pk not in per_order:
                continue
            shipment = Shipment.objects.create(order=order, warehouse=warehouse, wave=wave,
                                               number=f"{order.number}-{counts.get(order.pk, 0) + 1}")
            shipment_events.append(shipment_event(
                shipment, ShipmentEvent.Kind.CREATED,
                _("In wave %(wave)s at %(warehouse)s.") % {"wave": wave.number, "warehouse": warehouse.code},
                user=user, data={"wave_id": wave.pk}))
            lines += [ShipmentLine(shipment=shipment, order_line=allocation.line, allocation=allocation,
                                   reservation_group=allocation.reservation_group, quantity=allocation.quantity)
                      for allocation in per_order[order.pk]]
            if order.status == OrderStatus.ALLOCATED:
                move(order, OrderStatus.PICKING, user=user, events=order_events,
                     reason=_("In pick wave %(wave)s.") % {"wave": wave.number})
                order.save(update_fields=["status", "updated_at"])
        if not lines:
            raise FulfillmentError(_("No allocated orders at %(warehouse)s match these filters.")
                                   % {"warehouse": warehouse.code})
        try:
            with transaction.atomic():
                ShipmentLine.objects.bulk_create(lines)
        except IntegrityError as error:  # pragma: no cover - the locks above make this a backstop
            raise FulfillmentError(_("Another wave took some of these orders; try again.")) from error
        save_shipment_events(shipment_events)
        save_events(order_events)
    return wave


def wave_cancel(*, wave: PickWave, user) -> PickWave:
    """Put an open wave's unpicked shipments back: their orders can go into another wave."""
    with transaction.atomic(durable=True):
        shipments = list(Shipment.objects.filter(wave=wave).order_by("pk").values_list("order_id", "pk"))
        lock_orders({order_id for order_id, _pk in shipments})
        wave = PickWave.objects.select_for_update().get(pk=wave.pk)
        if wave.status != PickWave.Status.OPEN:
            raise FulfillmentError(_("Only a wave nobody has started picking can be cancelled."))
        events: list[ShipmentEvent] = []
        order_events: list[OrderEvent] = []
        for _order_id, pk in shipments:
            shipment = lock_shipment(pk)
            if shipment.status in (ShipmentStatus.PENDING,):
                shipment_move(shipment, ShipmentStatus.CANCELLED, user=user, events=events,
                              reason=_("Wave %(wave)s cancelled.") % {"wave": wave.number})
                shipment.save(update_fields=["status"])
        for order in Order.objects.filter(pk__in={o for o, _p in shipments}, status=OrderStatus.PICKING):
            if not Shipment.objects.filter(order=order, status__in=OPEN_SHIPMENT_STATUSES).exists():
                move(order, OrderStatus.ALLOCATED, user=user, events=order_events,
                     reason=_("Wave %(wave)s cancelled.") % {"wave": wave.number})
                order.save(update_fields=["status", "updated_at"])
        wave.status = PickWave.Status.CANCELLED
        wave.save(update_fields=["status"])
        save_shipment_events(events)
        save_events(order_events)
    return wave


# --- scanning ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    line: ShipmentLine
    accepted: bool
    message: str


def _sku_matches(sku: Sku, code: str) -> bool:
    code = code.strip()
    return bool(code) and code.upper() in {sku.code.upper(), (sku.barcode or "").upper()}


def _lock_line(line_id: int) -> tuple[Order, Shipment, ShipmentLine]:
    """The order, shipment and shipment line of ``line_id``, locked in that order."""
    shipment_id, order_id = ShipmentLine.objects.filter(pk=line_id).values_list(
        "shipment_id", "shipment__order_id").get()
    order = lock_order(order_id)
    shipment = lock_shipment(shipment_id)
    lines = {line.pk: line for line in lock_shipment_lines(shipment)}
    return order, shipment, lines[line_id]


def _settle_shipment(shipment: Shipment, *, user, events: list[ShipmentEvent]) -> None:
    """picking → picked when every line has all the units it still asks for; the wave follows."""
    remaining = ShipmentLine.objects.filter(shipment=shipment, picked_quantity__lt=F("quantity")).exists()
    if shipment.status == ShipmentStatus.PENDING:
        shipment_move(shipment, ShipmentStatus.PICKING, user=user, events=events)
    if not remaining and shipment.status == ShipmentStatus.PICKING:
        shipment_move(shipment, ShipmentStatus.PICKED, user=user, events=events, reason=_("Every unit picked."))
    shipment.save(update_fields=["status"])
    if shipment.wave_id:
        _settle_wave(shipment.wave_id)


def pick_scan(*, line: ShipmentLine, code: str, user, quantity: int = 1) -> ScanResult:
    """Confirm ``quantity`` units of a shipment line by scanning its SKU (code or barcode).

    A scan of another SKU is refused (and recorded as a refused scan); so is one more unit
    than the line asks for. Each accepted scan records who picked and when, and an event.
    """
    if quantity < 1:
        raise FulfillmentError(_("Scan at least one unit."))
    with transaction.atomic(durable=True):
        order, shipment, line = _lock_line(line.pk)
        events: list[ShipmentEvent] = []
        sku = line.order_line.sku
        if shipment.status not in (ShipmentStatus.PENDING, ShipmentStatus.PICKING):
            raise FulfillmentError(_("Shipment %(number)s is %(status)s: nothing is left to pick.")
                                   % {"number": shipment.number, "status": shipment.get_status_display().lower()})
        if not _sku_matches(sku, code):
            message = _("Wrong item: %(scanned)s scanned, %(expected)s expected.") % {
                "scanned": code.strip()[:60] or _("nothing"), "expected": sku.code}
            events.append(shipment_event(shipment, ShipmentEvent.Kind.REFUSED_SCAN, message, user=user,
                                         data={"line_id": line.pk, "scanned": code.strip()[:60]}))
            save_shipment_events(events)
            return ScanResult(line=line, accepted=False, message=message)
        if line.picked_quantity + quantity > line.quantity:
            message = _("%(code)s: all %(quantity)d units are already picked.") % {
                "code": sku.code, "quantity": line.quantity}
            events.append(shipment_event(shipment, ShipmentEvent.Kind.REFUSED_SCAN, message, user=user,
                                         data={"line_id": line.pk, "scanned": code.strip()[:60]}))
            save_shipment_events(events)
            return ScanResult(line=line, accepted=False, message=message)
        line.picked_quantity += quantity
        line.picked_by = user
        line.picked_at = timezone.now()
        line.save(update_fields=["picked_quantity", "picked_by", "picked_at"])
        message = _("%(code)s: %(picked)d of %(quantity)d picked.") % {
            "code": sku.code, "picked": line.picked_quantity, "quantity": line.quantity}
        events.append(shipment_event(shipment, ShipmentEvent.Kind.PICK, message, user=user,
                                     data={"line_id": line.pk, "sku": sku.code, "quantity": quantity}))
        _settle_shipment(shipment, user=user, events=events)
        save_shipment_events(events)
    return ScanResult(line=line, accepted=True, message=message)


# --- short picks --------------------------------------------------------------------------------------


class ShortPickRoute:
    BACKORDER = "backorder"
    OTHER_WAREHOUSE = "other_warehouse"
    CHOICES = (BACKORDER, OTHER_WAREHOUSE)


def pick_short(*, line: ShipmentLine, reason: str, user, route: str = ShortPickRoute.BACKORDER) -> int:
    """The units of ``line`` not found (its quantity less what was picked) leave the shipment.

    Their reservation is released through inventory and the missing units are taken off the
    warehouse's stock (``stock_missing``); the order line stays open. ``route`` backorder leaves
    them to wait for stock; other_warehouse re-allocates them at once where stock is free
    (anything still missing is backordered). An order event records who and why, and
    ``hooks.short_pick_notify`` (after commit) offers the customer wait / substitute / cancel.
    A gift card's units (``Sku.is_stocked`` false) have no stock to release or miss: they leave the
    shipment but stay allocated at its warehouse, for its next shipment (whatever ``route``), and
    there is nothing to ask the customer. Returns the units short.
    """
    if not reason.strip():
        raise FulfillmentError(_("Say why the units are short."), field_errors={"reason": [_("Required.")]})
    if route not in ShortPickRoute.CHOICES:
        raise FulfillmentError(_("Choose backorder or another warehouse."), field_errors={"route": [_("Invalid.")]})
    with transaction.atomic(durable=True):
        order, shipment, line = _lock_line(line.pk)
        if shipment.status not in (ShipmentStatus.PENDING, ShipmentStatus.PICKING):
            raise FulfillmentError(_("Shipment %(number)s is %(status)s: it can no longer be short.")
                                   % {"number": shipment.number, "status": shipment.get_status_display().lower()})
        short = line.quantity - line.picked_quantity
        if short <= 0:
            raise FulfillmentError(_("Every unit of this line is picked: nothing is short."))
        order_line = {row.pk: row for row in lock_lines(order)}[line.order_line_id]
        warehouse = shipment.warehouse
        allocation = LineAllocation.objects.select_for_update().get(pk=line.allocation_id)
        stocked = order_line.sku.is_stocked  # a gift card has no stock to release, reserve or miss
        if stocked:
            stock_release(group=allocation.reservation_group, user=user)
        LineAllocation.objects.filter(pk=allocation.pk).update(is_open=False)
        kept = allocation.quantity - short
        if kept > 0:
            group = uuid.uuid4()  # a gift card's allocation names no reservation
            if stocked:
                group = stock_reserve(sku=order_line.sku, warehouse=warehouse, quantity=kept,
                                      reference=line_reference(order_line), user=user)[0].group
            allocation = LineAllocation.objects.create(line=order_line, warehouse=warehouse, quantity=kept,
                                                       reservation_group=group, reason=allocation.reason)
        if stocked:
            stock_missing(sku=order_line.sku, warehouse=warehouse, quantity=short, user=user,
                          reason=_("Short pick: %(reason)s") % {"reason": reason.strip()},
                          reference=f"shipment:{shipment.pk}")
            order_line.quantity_allocated -= short
            OrderLine.objects.filter(pk=order_line.pk).update(quantity_allocated=order_line.quantity_allocated)
        else:
            # A gift card not found at the bench: its units stay allocated at this warehouse,
            # outside the shipment, for the next shipment from there to take.
            LineAllocation.objects.create(line=order_line, warehouse=warehouse, quantity=short,
                                          reservation_group=uuid.uuid4(), reason=allocation.reason)
        events: list[ShipmentEvent] = []
        values = {"units": short, "sku": order_line.sku_code, "line": order_line.line_number,
                  "warehouse": warehouse.code, "reason": reason.strip()}
        events.append(shipment_event(shipment, ShipmentEvent.Kind.SHORT_PICK,
                                     _("%(units)d × %(sku)s short: %(reason)s") % values, user=user,
                                     data={"line_id": line.pk, "short": short, "route": route}))
        if kept > 0:
            line.quantity = kept
            line.allocation = allocation
            line.reservation_group = allocation.reservation_group
            line.save(update_fields=["quantity", "allocation", "reservation_group"])
        else:
            line.delete()
        order_events: list[OrderEvent] = []
        moved_to = ""
        if route == ShortPickRoute.OTHER_WAREHOUSE and stocked:
            others = {w.pk for w in shipping_warehouses() if w.pk != warehouse.pk}
            result_before = order_line.quantity_allocated
            allocate_lines(order=order, lines=[order_line], user=user, events=order_events, warehouse_ids=others)
            if order_line.quantity_allocated > result_before:
                moved_to = ", ".join(sorted(LineAllocation.objects.filter(
                    line=order_line, is_open=True).exclude(warehouse=warehouse)
                    .values_list("warehouse__code", flat=True).distinct()))
        if not stocked:
            message = _("Line %(line)d: %(units)d × %(sku)s short at %(warehouse)s (%(reason)s); a gift "
                        "card takes no stock: it stays to ship from %(warehouse)s.") % values
        elif moved_to:
            message = _("Line %(line)d: %(units)d × %(sku)s short at %(warehouse)s (%(reason)s); "
                        "allocated again at %(others)s.") % {**values, "others": moved_to}
        else:
            message = _("Line %(line)d: %(units)d × %(sku)s short at %(warehouse)s (%(reason)s); "
                        "back to backorder.") % values
        order_events.insert(0, event(order, OrderEvent.Kind.SHORT_PICK, message, user=user, data={
            "line_id": order_line.pk, "shipment_id": shipment.pk, "short": short, "route": route,
            "reason": reason.strip(), "reallocated_to": moved_to, "choice": "",
            "answered": not stocked}))  # a gift card's units still ship: nothing to ask the customer
        if not ShipmentLine.objects.filter(shipment=shipment).exists():
            shipment_move(shipment, ShipmentStatus.CANCELLED, user=user, events=events,
                          reason=_("Nothing left to pick."))
            shipment.save(update_fields=["status"])
            if shipment.wave_id:
                _settle_wave(shipment.wave_id)
        else:
            _settle_shipment(shipment, user=user, events=events)
        save_shipment_events(events)
        save_events(order_events)
        order.save(update_fields=["updated_at"])
        order_id, line_id = order.pk, order_line.pk
        if stocked:
            transaction.on_commit(lambda: hooks.short_pick_notify(order_id, line_id, short))
    return short


def _settle_wave(wave_id: int) -> None:
    open_left = Shipment.objects.filter(wave_id=wave_id, status__in=(ShipmentStatus.PENDING,
                                                                     ShipmentStatus.PICKING)).exists()
    PickWave.objects.filter(pk=wave_id).exclude(status=PickWave.Status.CANCELLED).update(
        status=PickWave.Status.PICKING if open_left else PickWave.Status.DONE)


# --- the customer's answer to a short pick ------------------------------------------------------------


class ShortPickChoice:
    WAIT = "wait"
    SUBSTITUTE = "substitute"
    CANCEL = "cancel"
    CHOICES = (WAIT, SUBSTITUTE, CANCEL)


def short_pick_answer(*, order_event: OrderEvent, choice: str, user, substitute: Sku | None = None,
                      note: str = "") -> OrderEvent:
    """Record the customer's choice for a short pick, as an agent took it, and carry it out.

    wait: the units stay backordered. cancel: the line's backordered units are cancelled and
    the order re-priced (every unit gone cancels the order). substitute: the line ships
    ``substitute`` at its price, for a line none of whose units are reserved or shipped.
    """
    from orders.services.lifecycle import ORDER_SAVE_FIELDS, TOTAL_FIELDS
    from orders.services.repricing import reprice_order

    if choice not in ShortPickChoice.CHOICES:
        raise FulfillmentError(_("Choose wait, substitute or cancel."), field_errors={"choice": [_("Invalid.")]})
    with transaction.atomic(durable=True):
        order = lock_order(order_event.order_id)
        lines = lock_lines(order)
        short = OrderEvent.objects.select_for_update().get(pk=order_event.pk, kind=OrderEvent.Kind.SHORT_PICK)
        if short.data.get("answered"):
            raise FulfillmentError(_("This short pick has already been answered."))
        line = next(row for row in lines if row.pk == short.data["line_id"])
        events: list[OrderEvent] = []
        values = {"line": line.line_number, "sku": line.sku_code, "note": note.strip()}
        if choice == ShortPickChoice.WAIT:
            message = _("Line %(line)d: the customer waits for %(sku)s.") % values
        elif choice == ShortPickChoice.CANCEL:
            units = line.quantity_backordered
            if units <= 0:
                raise FulfillmentError(_("Line %(line)d has nothing backordered to cancel.") % values)
            line.quantity_cancelled += units
            OrderLine.objects.filter(pk=line.pk).update(quantity_cancelled=line.quantity_cancelled)
            message = _("Line %(line)d: the customer cancels %(units)d × %(sku)s.") % {**values, "units": units}
            events.append(event(order, OrderEvent.Kind.CANCELLATION, message, user=user,
                                data={"line_id": line.pk, "units": units}))
            if reprice_order(order, lines=lines, user=user, events=events, reason=message) is None:
                move(order, OrderStatus.CANCELLED, user=user, events=events, reason=message)
            order.save(update_fields=ORDER_SAVE_FIELDS + TOTAL_FIELDS)
        else:
            if substitute is None or substitute.pk == line.sku_id or substitute.status != Sku.Status.ACTIVE:
                raise FulfillmentError(_("Choose an active SKU other than the one ordered."),
                                       field_errors={"substitute": [_("Choose another SKU.")]})
            if line.quantity_allocated or line.quantity_shipped:
                raise FulfillmentError(_("Line %(line)d still has units reserved or shipped: cancel the short "
                                         "units and add the substitute as a new line instead.") % values)
            original = line.sku
            line.substituted_from = line.substituted_from or original
            line.sku, line.sku_code = substitute, substitute.code
            line.description = substitute.name[:200]
            line.save(update_fields=["substituted_from", "sku", "sku_code", "description"])
            message = _("Line %(line)d: the customer takes %(substitute)s instead of %(sku)s.") % {
                **values, "substitute": substitute.code}
            events.append(event(order, OrderEvent.Kind.SUBSTITUTION, message, user=user,
                                data={"line_id": line.pk, "from": original.code, "to": substitute.code}))
            allocate_lines(order=order, lines=[line], user=user, events=events)
        if note.strip():
            message = f"{message} {note.strip()}"
        short.data = {**short.data, "answered": True, "choice": choice, "answered_by": user.pk if user else None,
                      "answered_at": timezone.now().isoformat()}
        short.save(update_fields=["data"])
        answer = event(order, OrderEvent.Kind.SHORT_PICK, message, user=user,
                       data={"answer_to": short.pk, "choice": choice, "line_id": line.pk})
        events.append(answer)
        save_events(events)
    return answer
