"""Ship confirmation: a shipment leaves, in one transaction with its stock and its postings.

:func:`shipment_confirm` is the one way a shipment ships (the pack station, a 3PL's file or
API call, a store's pickup). In one ``atomic(durable=True)``:

- the order row, then the shipment, then its lines are locked (the order is the gate: two
  packers on one order queue there, and the second finds the shipment shipped);
- the units leave through ``inventory.services.stock_ship`` (the shipment's reservations are
  consumed, on hand and reserved go down, ``shipment`` movements at moving average cost; a
  kit's cost is its components');
- the allocations shrink by what shipped (closed when empty), the order lines' ``quantity_shipped``
  grows and the order moves to partially shipped or shipped;
- one entry posts (``order.shipment``, source the shipment, through ``oms.hooks.ledger_post``):
  Dr receivables (or customer deposits: ``orders.hooks.shipment_debit_role``) against revenue
  per line net of its discount, sales tax payable and shipping income; and Dr COGS against
  inventory at the value the movements took out (the lines ``stock_ship`` gives, per warehouse). A line shipped in parts books each part
  as the difference of the rounded shares shipped so far, so the parts add up to the line to the
  cent; the shipping charge and its tax go with the order's first shipment;
- after commit, ``orders.hooks.shipment_confirmed(order id, amount, shipment number)``: payments
  captures that amount, invoices orders on account, activates gift cards.

**Idempotent**: a shipment already shipped is not shipped again; the call returns
``ShipResult(shipped_now=False, ...)`` with a message naming who shipped it and when (a double
click, a retried request, a replayed 3PL file, the second of two packers).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Sku
from catalog.selectors import kit_components
from inventory.postings import business_date
from inventory.services import ShipConsumption, ShippedStock, stock_ship
from oms.db import PreparedStatement, model_columns, model_from_row, model_width
from oms.hooks import PostingLine, ledger_post
from oms.money import round_money
from orders import hooks
from orders.fulfillment.models import Shipment, ShipmentEvent, ShipmentLine, ShipmentStatus
from orders.fulfillment.status import shipment_event, shipment_move
from orders.models import LineAllocation, Order, OrderEvent, OrderLine, OrderStatus
from orders.services.errors import OrderError
from orders.services.status import lock_order, move

ZERO = Decimal("0")
SHIP_KIND = "order.shipment"  # the one entry of a confirmation: revenue and its cost
# The way from an open shipment to shipped (a 3PL's or a store's shipment skips the pack station).
_PATH_TO_SHIPPED = {
    ShipmentStatus.PENDING: (ShipmentStatus.PICKED, ShipmentStatus.PACKED, ShipmentStatus.SHIPPED),
    ShipmentStatus.PICKING: (ShipmentStatus.PICKED, ShipmentStatus.PACKED, ShipmentStatus.SHIPPED),
    ShipmentStatus.PICKED: (ShipmentStatus.PACKED, ShipmentStatus.SHIPPED),
    ShipmentStatus.PACKED: (ShipmentStatus.SHIPPED,),
}
_SHIPPABLE_ORDER_STATUSES = (OrderStatus.RELEASED, OrderStatus.ALLOCATED, OrderStatus.PICKING, OrderStatus.PACKED,
                             OrderStatus.PARTIALLY_SHIPPED)


_SHIPMENT_FIELDS = ("tracking_number", "carrier", "service", "box", "weight_grams", "external_reference")
# A confirmation's writes to orders' rows (all of them locked already) and its order and shipment
# events (in the order given, so their pks keep it), in one round trip.
_SHIP_WRITES = """
WITH closed AS (
    UPDATE orders_lineallocation SET is_open = false WHERE id = ANY(%(closing)s::bigint[])
), shrunk AS (
    UPDATE orders_lineallocation a SET quantity = a.quantity - u.units
    FROM unnest(%(shrunk)s::bigint[], %(shrunk_units)s::integer[]) AS u (id, units) WHERE a.id = u.id
), lines AS (
    UPDATE orders_orderline l SET quantity_shipped = l.quantity_shipped + u.units
    FROM unnest(%(lines)s::bigint[], %(line_units)s::integer[]) AS u (id, units) WHERE l.id = u.id
), moved AS (
    UPDATE orders_order SET status = %(order_status)s, updated_at = %(now)s WHERE id = %(order)s AND %(order_moves)s
), shipment_lines AS (
    UPDATE orders_shipmentline SET picked_quantity = quantity, packed_quantity = quantity
    WHERE shipment_id = %(shipment)s
), order_events AS (
    INSERT INTO orders_orderevent
        (order_id, kind, from_status, to_status, message, data, actor_id, created_at)
    SELECT %(order)s, e.kind, e.from_status, e.to_status, e.message, e.data, e.actor_id, %(now)s
    FROM unnest(%(order_event_kinds)s::text[], %(order_event_from)s::text[], %(order_event_to)s::text[],
                %(order_event_messages)s::text[], %(order_event_data)s::text[]::jsonb[],
                %(order_event_actors)s::bigint[])
         WITH ORDINALITY AS e (kind, from_status, to_status, message, data, actor_id, number)
    ORDER BY e.number
), shipment_events AS (
    INSERT INTO orders_shipmentevent (shipment_id, kind, message, data, actor_id, created_at)
    SELECT %(shipment)s, e.kind, e.message, e.data, e.actor_id, %(now)s
    FROM unnest(%(shipment_event_kinds)s::text[], %(shipment_event_messages)s::text[],
                %(shipment_event_data)s::text[]::jsonb[], %(shipment_event_actors)s::bigint[])
         WITH ORDINALITY AS e (kind, message, data, actor_id, number)
    ORDER BY e.number
)
UPDATE orders_shipment SET status = %(status)s, shipped_by_id = %(shipped_by)s, shipped_at = %(now)s,
    packed_by_id = %(packed_by)s, packed_at = %(packed_at)s, tracking_number = %(tracking_number)s,
    carrier = %(carrier)s, service = %(service)s, box = %(box)s, weight_grams = %(weight_grams)s,
    external_reference = %(external_reference)s
WHERE id = %(shipment)s
"""


# The hot reads of a confirmation, as plain SQL (the statements the querysets compiled to, without
# compiling them each time). The order is locked first, then the shipment, in one statement: the
# lock clause's order is the order the rows are locked in.
_LOCK_ORDER_AND_SHIPMENT = """
SELECT {order}, {shipment} FROM orders_shipment s JOIN orders_order o ON o.id = s.order_id
WHERE s.id = %(id)s FOR NO KEY UPDATE OF o, s
"""
_LOCK_SHIPMENT_LINES = """
SELECT {line} FROM orders_shipmentline l WHERE l.shipment_id = %(id)s ORDER BY l.id FOR NO KEY UPDATE OF l
"""
_LOCK_ORDER_LINES = """
SELECT {line}, {sku} FROM orders_orderline l JOIN catalog_sku k ON k.id = l.sku_id
WHERE l.order_id = %(id)s ORDER BY l.id FOR NO KEY UPDATE OF l
"""
_OPEN_ALLOCATIONS = """
SELECT {allocation} FROM orders_lineallocation a JOIN orders_orderline l ON l.id = a.line_id
WHERE l.order_id = %(id)s AND a.is_open ORDER BY a.id
"""
# Every confirmation runs each of these statements: prepared once per database session.
_STATEMENTS = {
    "lock_order_and_shipment": (_LOCK_ORDER_AND_SHIPMENT, {"order": (Order, "o"), "shipment": (Shipment, "s")}),
    "lock_shipment_lines": (_LOCK_SHIPMENT_LINES, {"line": (ShipmentLine, "l")}),
    "lock_order_lines": (_LOCK_ORDER_LINES, {"line": (OrderLine, "l"), "sku": (Sku, "k")}),
    "open_allocations": (_OPEN_ALLOCATIONS, {"allocation": (LineAllocation, "a")}),
    "writes": (_SHIP_WRITES, {}),
}


@functools.cache
def _prepared(key: str) -> PreparedStatement:
    statement, models = _STATEMENTS[key]
    columns = {name: model_columns(model, alias) for name, (model, alias) in models.items()}
    return PreparedStatement(f"orders_shipment_confirm_{key}", statement.format(**columns) if columns else statement)


def _fetch(key: str, pk: int) -> list[tuple]:
    with connection.cursor() as cursor:
        _prepared(key).execute(cursor, {"id": pk})
        return cursor.fetchall()


def _lock_order_and_shipment(shipment_id: int) -> tuple[Order, Shipment]:
    """The shipment's order and the shipment, locked (FOR NO KEY UPDATE) in that order."""
    rows = _fetch("lock_order_and_shipment", shipment_id)
    if not rows:
        raise Shipment.DoesNotExist(f"Shipment {shipment_id} does not exist.")
    order = model_from_row(Order, rows[0])
    return order, model_from_row(Shipment, rows[0], model_width(Order))


def _lock_shipment_lines(shipment: Shipment) -> list[ShipmentLine]:
    """The shipment's lines, locked in pk order."""
    return [model_from_row(ShipmentLine, row)
            for row in _fetch("lock_shipment_lines", shipment.pk)]


def _lock_order_lines(order: Order) -> dict[int, OrderLine]:
    """The order's lines by pk, locked in pk order, with their SKUs."""
    lines: dict[int, OrderLine] = {}
    for row in _fetch("lock_order_lines", order.pk):
        line = model_from_row(OrderLine, row)
        OrderLine.sku.field.set_cached_value(line, model_from_row(Sku, row, model_width(OrderLine)))
        lines[line.pk] = line
    return lines


def _open_allocations(order: Order) -> dict[int, LineAllocation]:
    """The order's open allocations by pk, in pk order (not locked: the order's lock guards them)."""
    allocations = (model_from_row(LineAllocation, row)
                   for row in _fetch("open_allocations", order.pk))
    return {allocation.pk: allocation for allocation in allocations}


class ShipmentError(OrderError):
    """The shipment cannot ship (cancelled, its order on hold, its units not reserved)."""


@dataclass(frozen=True)
class ShipResult:
    shipment: Shipment
    shipped_now: bool
    amount: Decimal  # what this confirmation shipped (0 when it had shipped already)
    cost: Decimal
    message: str


def _already(shipment: Shipment) -> ShipResult:
    who = shipment.shipped_by.get_username() if shipment.shipped_by_id else _("the system")
    when = timezone.localtime(shipment.shipped_at).strftime("%Y-%m-%d %H:%M") if shipment.shipped_at else ""
    return ShipResult(shipment=shipment, shipped_now=False, amount=ZERO, cost=ZERO, message=_(
        "Shipment %(number)s was already shipped by %(who)s at %(when)s; nothing was shipped again.")
        % {"number": shipment.number, "who": who, "when": when})


def _share(amount: Decimal, part: int, whole: int, currency: str) -> Decimal:
    return round_money(amount * part / whole, currency) if whole else ZERO


def shipment_confirm(*, shipment: Shipment | int, user, tracking_number: str | None = None,
                     carrier: str | None = None, service: str | None = None, box: str | None = None,
                     weight_grams: int | None = None, external_reference: str | None = None) -> ShipResult:
    """Ship ``shipment`` (see the module docstring); idempotent."""
    with transaction.atomic(durable=True):
        return shipment_confirm_in_transaction(
            shipment=shipment, user=user, tracking_number=tracking_number, carrier=carrier, service=service,
            box=box, weight_grams=weight_grams, external_reference=external_reference)


def shipment_confirm_in_transaction(*, shipment: Shipment | int, user, tracking_number: str | None = None,
                                    carrier: str | None = None, service: str | None = None, box: str | None = None,
                                    weight_grams: int | None = None,
                                    external_reference: str | None = None) -> ShipResult:
    """:func:`shipment_confirm` in the caller's transaction (an import confirming a file of them; the
    caller confirms them in order pk order, as the locks are taken)."""
    shipment_id = shipment.pk if isinstance(shipment, Shipment) else shipment
    with transaction.atomic(savepoint=False):
        order, locked = _lock_order_and_shipment(shipment_id)
        order_id = order.pk
        if locked.status in (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED):
            return _already(locked)
        if locked.status == ShipmentStatus.CANCELLED:
            raise ShipmentError(_("Shipment %(number)s was cancelled and cannot ship.") % {"number": locked.number})
        if order.status not in _SHIPPABLE_ORDER_STATUSES:  # on hold, cancelled: nothing leaves
            raise ShipmentError(_("Order %(number)s is %(status)s: its shipment cannot ship now.")
                                % {"number": order.number, "status": OrderStatus(order.status).label.lower()})
        lines = _lock_shipment_lines(locked)
        if not lines:
            raise ShipmentError(_("Shipment %(number)s has no lines.") % {"number": locked.number})
        order_lines = _lock_order_lines(order)
        allocations = _open_allocations(order)
        kits = kit_components({order_lines[line.order_line_id].sku_id for line in lines
                               if order_lines[line.order_line_id].sku.is_kit})
        consumptions: list[ShipConsumption] = []
        shipped_per_line: dict[int, int] = {}
        shrink: dict[int, int] = {}
        for line in lines:
            order_line = order_lines[line.order_line_id]
            allocation = allocations.get(line.allocation_id) if line.allocation_id else None
            if allocation is None:  # not pinned to an allocation: the line's open ones at this warehouse
                candidates = [a for a in allocations.values() if a.line_id == order_line.pk
                              and a.warehouse_id == locked.warehouse_id
                              and a.quantity - shrink.get(a.pk, 0) >= line.quantity]
                allocation = candidates[0] if candidates else None
            if allocation is None or allocation.quantity - shrink.get(allocation.pk, 0) < line.quantity:
                raise ShipmentError(_("Line %(line)d (%(sku)s) of shipment %(number)s has no reserved units to ship.")
                                    % {"line": order_line.line_number, "sku": order_line.sku_code,
                                       "number": locked.number})
            shrink[allocation.pk] = shrink.get(allocation.pk, 0) + line.quantity
            shipped_per_line[order_line.pk] = shipped_per_line.get(order_line.pk, 0) + line.quantity
            parts = kits[order_line.sku_id].items() if order_line.sku.is_kit else ((order_line.sku_id, 1),)
            if order_line.sku.is_stocked:  # a gift card takes no stock
                consumptions += [ShipConsumption(group=allocation.reservation_group, sku_id=sku_id,
                                                 warehouse_id=allocation.warehouse_id, units=per_unit * line.quantity)
                                 for sku_id, per_unit in parts]
        memo = _("Shipment %(number)s of order %(order)s") % {"number": locked.number, "order": order.number}
        stocked = stock_ship(consumptions=consumptions, user=user, reference=locked.number, memo=memo, post=False) \
            if consumptions else ShippedStock(movements=[], value=ZERO, posting_lines=[])
        # Revenue, line by line.
        currency = order.currency
        first_shipment = all(line.quantity_shipped == 0 for line in order_lines.values()
                             if line.sku.gift_card != line.sku.GiftCard.ELECTRONIC)  # e-gifts ship alone
        # Gift card lines: their cards are activated now, their money is a liability, not revenue.
        stored_value = hooks.stored_value_shipped(order, {pk: units for pk, units in shipped_per_line.items()
                                                          if not order_lines[pk].sku.is_stocked}, user)
        posting: list[PostingLine] = []
        revenue = tax = ZERO
        for line_id, units in sorted(shipped_per_line.items()):
            line = order_lines[line_id]
            whole = line.quantity - line.quantity_cancelled
            before, after = line.quantity_shipped, line.quantity_shipped + units
            if after > line.quantity_allocated:
                raise ShipmentError(_("Line %(line)d would ship more than is allocated.") % {"line": line.line_number})
            net = line.line_total - line.tax_amount
            line_revenue = _share(net, after, whole, currency) - _share(net, before, whole, currency)
            tax += _share(line.tax_amount, after, whole, currency) - _share(line.tax_amount, before, whole, currency)
            revenue += line_revenue
            for role, value in stored_value.get(line_id, ()):
                posting.append(PostingLine(role=role, credit=value, memo=f"{line.line_number}: {line.sku_code}"))
                line_revenue -= value
            if line_revenue:
                posting.append(PostingLine.signed(-line_revenue, role="revenue",
                                                  memo=f"{line.line_number}: {units} × {line.sku_code}"[:200]))
            line.quantity_shipped = after
        shipping = ZERO
        if first_shipment:
            shipping = order.shipping_total
            tax += order.tax_total - sum((line.tax_amount for line in order_lines.values()), ZERO)
        if shipping:
            posting.append(PostingLine(role="shipping_income", credit=shipping))
        if tax:
            posting.append(PostingLine.signed(-tax, role="sales_tax_payable"))
        shipping, tax = round_money(shipping, currency), round_money(tax, currency)
        amount = round_money(revenue + shipping + tax, currency)
        if amount:
            posting.insert(0, PostingLine.signed(amount, role=hooks.shipment_debit_role(order)))
        posting += stocked.posting_lines  # COGS against inventory, at what the movements took out
        if posting:
            ledger_post(source=locked, kind=SHIP_KIND, lines=posting, on_date=business_date(), user=user,
                        memo=memo)
        # The order moves.
        events: list[OrderEvent] = []
        everything = all(line.quantity_shipped >= line.quantity - line.quantity_cancelled
                         for line in order_lines.values())
        target = OrderStatus.SHIPPED if everything else OrderStatus.PARTIALLY_SHIPPED
        now = timezone.now()
        order_moves = order.status != target
        if order_moves:
            move(order, target, user=user, events=events, reason=_("Shipment %(number)s shipped.")
                 % {"number": locked.number})
            order.updated_at = now
        else:
            events.append(OrderEvent(order=order, kind=OrderEvent.Kind.NOTE, actor=user, message=_(
                "Shipment %(number)s shipped.") % {"number": locked.number}))
        # The shipment.
        shipment_events: list[ShipmentEvent] = []
        for status in _PATH_TO_SHIPPED[locked.status]:
            shipment_move(locked, status, user=user, events=shipment_events)
        locked.shipped_by, locked.shipped_at = user, now
        if locked.packed_at is None:
            locked.packed_by, locked.packed_at = user, now
        for field, value in (("tracking_number", tracking_number), ("carrier", carrier), ("service", service),
                             ("box", box), ("weight_grams", weight_grams),
                             ("external_reference", external_reference)):
            if value is not None:
                setattr(locked, field, value)
        shipment_events.append(shipment_event(
            locked, ShipmentEvent.Kind.SHIP, _("Shipped %(units)d units.") % {
                "units": sum(line.quantity for line in lines)}, user=user, data={
                "amount": str(amount), "cost": str(stocked.value), "tracking_number": locked.tracking_number}))
        # Allocations (what shipped is no longer reserved), lines, order, shipment and its lines, and the
        # events: one statement.
        closing = sorted(pk for pk, units in shrink.items() if allocations[pk].quantity == units)
        shrunk = sorted(pk for pk in shrink if pk not in closing)
        line_ids = sorted(shipped_per_line)
        with connection.cursor() as cursor:
            _prepared("writes").execute(cursor, {
                "closing": closing, "shrunk": shrunk, "shrunk_units": [shrink[pk] for pk in shrunk],
                "lines": line_ids, "line_units": [shipped_per_line[pk] for pk in line_ids],
                "order": order.pk, "order_moves": order_moves, "order_status": order.status, "now": now,
                "shipment": locked.pk, "status": locked.status, "shipped_by": locked.shipped_by_id,
                "packed_by": locked.packed_by_id, "packed_at": locked.packed_at,
                **{field: getattr(locked, field) for field in _SHIPMENT_FIELDS},
                "order_event_kinds": [event.kind for event in events],
                "order_event_from": [event.from_status for event in events],
                "order_event_to": [event.to_status for event in events],
                "order_event_messages": [event.message for event in events],
                "order_event_data": [json.dumps(event.data) for event in events],
                "order_event_actors": [event.actor_id for event in events],
                "shipment_event_kinds": [event.kind for event in shipment_events],
                "shipment_event_messages": [event.message for event in shipment_events],
                "shipment_event_data": [json.dumps(event.data) for event in shipment_events],
                "shipment_event_actors": [event.actor_id for event in shipment_events]})
        number = locked.number
        transaction.on_commit(lambda: hooks.shipment_confirmed(order_id, amount, number))
    return ShipResult(shipment=locked, shipped_now=True, amount=amount, cost=stocked.value,
                      message=_("Shipment %(number)s shipped.") % {"number": locked.number})


def shipment_open(*, order, warehouse, user, external_reference: str | None = None) -> Shipment:
    """A shipment of every open allocated unit of ``order`` at ``warehouse`` not yet in an open shipment.

    For shipments made outside a pick wave: a 3PL's, a store's pickup. Raises ShipmentError when
    nothing is left to ship from there.
    """
    with transaction.atomic(durable=True):
        locked_order = lock_order(order)
        taken: dict[int, int] = {}
        for allocation_id, quantity in ShipmentLine.objects.filter(
                shipment__order=locked_order, shipment__status__in=["pending", "picking", "picked", "packed"],
                allocation__isnull=False).values_list("allocation_id", "quantity"):
            taken[allocation_id] = taken.get(allocation_id, 0) + quantity
        allocations = list(LineAllocation.objects.filter(line__order=locked_order, warehouse=warehouse, is_open=True)
                           .order_by("line_id", "pk"))
        wanted = [(allocation, allocation.quantity - taken.get(allocation.pk, 0)) for allocation in allocations]
        wanted = [(allocation, units) for allocation, units in wanted if units > 0]
        if not wanted:
            raise ShipmentError(_("Order %(number)s has nothing reserved at %(warehouse)s left to ship.")
                                % {"number": locked_order.number, "warehouse": warehouse.code})
        count = Shipment.objects.filter(order=locked_order).count()
        shipment = Shipment.objects.create(order=locked_order, warehouse=warehouse,
                                           number=f"S{locked_order.number}-{count + 1}",
                                           external_reference=external_reference)
        ShipmentLine.objects.bulk_create([
            ShipmentLine(shipment=shipment, order_line_id=allocation.line_id, allocation=allocation,
                         reservation_group=allocation.reservation_group, quantity=units)
            for allocation, units in wanted])
        ShipmentEvent.objects.create(shipment=shipment, kind=ShipmentEvent.Kind.CREATED, actor=user,
                                     message=_("Shipment of %(units)d units from %(warehouse)s.")
                                     % {"units": sum(units for _a, units in wanted), "warehouse": warehouse.code})
    return shipment
