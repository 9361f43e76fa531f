"""Allocation: which warehouse serves which units of an order, reserved through inventory.

**Where from.** The candidates are the active warehouses that ship (ship to the customer, and
ship-to-store, which is shipped from a warehouse to the chosen store), or only the pickup
store for store pickup (BOPIS). Then:

1. the one warehouse that can serve every unit still to allocate, the first by priority
   (lower number first, then code) when several can;
2. otherwise fewest shipments, by greedy set cover over units: take the warehouse that can
   serve the most of the units still open (ties: priority, then code), reserve all it can,
   repeat while any warehouse can serve anything. Greedy set cover stays within a factor
   ln(n) of the fewest shipments (finding the fewest is NP-hard); orders have few lines and
   shops few warehouses, where it is almost always exact. A line is split across
   warehouses when no single one has all of it;
3. what no warehouse has stays backordered (never negative), with the date it is expected
   (``orders.availability.expected_dates``).

A kit is allocated as a unit: each kit unit comes whole from one warehouse, and a kit's
availability there is the minimum over its components. The reason for every choice goes into
``LineAllocation.reason`` and an ``allocation`` event.

**Reserving.** The stock rows of every component at every candidate warehouse are locked
first, in (sku id, warehouse id) order, with one ``SELECT … FOR NO KEY UPDATE``
(``inventory.services.stock_lock_and_read``: only inventory locks stock rows); the plan is
made from those locked figures, and ``inventory.services.stock_reserve`` (reference
``order:<order id>:line:<line id>``, its guarded UPDATE) reserves it. Two orders for the same
stock therefore queue instead of deadlocking (their locks come in one global order) and never
oversell (the database CHECK and the guarded UPDATE make sure of it). Locking the rows with no
stock left as well means a receipt cannot slip in between our reading and our commit unseen:
it waits, and its stock-arrived step then finds our backordered line.

**Gift cards** (a SKU with ``Sku.gift_card``) take no stock and never backorder: a physical
card's units are allocated, without a reservation, at the warehouse the order's first stocked
units come from (else the first candidate), so they are picked and shipped with the order; an
electronic card's units count as allocated with no allocation row (nothing to pick), and its
line is fulfilled when payments activates the card (:func:`lines_fulfil_electronically`).

**Backorders** (:func:`backorders_allocate`): when stock arrives (or reservations are
released), open backordered lines of those SKUs, and of kits made of them, are allocated
oldest order first, each order in its own short transaction under its row lock, so two runs
at once (two workers, a retry) only ever allocate each unit once.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from catalog.models import Sku
from catalog.selectors import kits_containing
from inventory.errors import InsufficientStock, InventoryError
from inventory.models import Warehouse
from inventory.selectors import kit_units_available, sku_needs
from inventory.services import (
    ReserveRequest, stock_lock, stock_lock_and_read, stock_release, stock_reserve, stock_reserve_many,
)
from orders.availability import expected_dates, shipping_warehouses
from orders.models import Hold, LineAllocation, Order, OrderEvent, OrderLine, ShippingMethod
from orders.services.status import BACKORDER_STATUSES, event, lock_lines, lock_order, save_events, settle

logger = logging.getLogger(__name__)

FulfillmentType = ShippingMethod.FulfillmentType


def line_reference(line: OrderLine) -> str:
    """The reservation reference of a line: ``order:<order id>:line:<line id>``."""
    return f"order:{line.order_id}:line:{line.pk}"


def candidate_warehouses(order: Order) -> list[Warehouse]:
    """Where the order may be served from, by priority (see the module docstring)."""
    if order.fulfillment_type == FulfillmentType.PICKUP:
        store = order.pickup_warehouse
        return [store] if store is not None and store.is_active else []
    return shipping_warehouses()


# --- the plan (pure) --------------------------------------------------------------------------


@dataclass
class Need:
    key: int  # the line's pk
    units: int  # still to allocate
    per_unit: dict[int, int]  # stocked sku id -> units in one unit of the line


@dataclass
class Planned:
    key: int
    warehouse: Warehouse
    units: int
    reason: str


def _take(warehouse_id: int, needs: list[Need], remaining: dict[int, int],
          available: dict[tuple[int, int], int]) -> dict[int, int]:
    """What ``warehouse_id`` can serve of each need (in order), taking it out of ``available``."""
    taken: dict[int, int] = {}
    for need in needs:
        wanted = remaining[need.key]
        if wanted <= 0:
            continue
        here = {sku_id: available.get((sku_id, warehouse_id), 0) for sku_id in need.per_unit}
        units = min(wanted, kit_units_available(need.per_unit, here))
        if units > 0:
            for sku_id, per in need.per_unit.items():
                available[(sku_id, warehouse_id)] = here[sku_id] - per * units
            taken[need.key] = units
    return taken


def plan_allocation(needs: list[Need], warehouses: list[Warehouse], available: dict[tuple[int, int], int],
                    *, context: str = "") -> tuple[list[Planned], dict[int, int]]:
    """``(allocations, units left per need)`` for ``needs`` from ``warehouses`` (in priority order).

    ``available`` ({(stocked sku id, warehouse id): units}) is consumed as units are planned.
    ``context`` opens every reason (store pickup, ship to store, backorder).
    """
    remaining = {need.key: need.units for need in needs}
    total = sum(remaining.values())
    planned: list[Planned] = []
    prefix = f"{context} " if context else ""
    if total == 0 or not warehouses:
        return planned, remaining

    # 1. One warehouse for everything, the first by priority.
    whole = []
    for warehouse in warehouses:
        trial = dict(available)
        taken = _take(warehouse.pk, needs, remaining, trial)
        if sum(taken.values()) == total:
            whole.append((warehouse, taken, trial))
    if whole:
        warehouse, taken, trial = whole[0]
        available.clear()
        available.update(trial)
        if len(warehouses) == 1:
            reason = _("%(prefix)s%(code)s has every unit.") % {"prefix": prefix, "code": warehouse.code}
        elif len(whole) == 1:
            reason = _("%(prefix)s%(code)s is the one warehouse that ships the whole order.") % {
                "prefix": prefix, "code": warehouse.code}
        else:
            reason = _("%(prefix)s%(code)s ships the whole order; first by priority (%(priority)d) of the "
                       "%(count)d that could.") % {"prefix": prefix, "code": warehouse.code,
                                                   "priority": warehouse.priority, "count": len(whole)}
        for key, units in taken.items():
            planned.append(Planned(key, warehouse, units, reason))
            remaining[key] -= units
        return planned, remaining

    # 2. Fewest shipments: greedy set cover over units.
    shipment = 0
    while sum(remaining.values()) > 0:
        best = None
        open_units = sum(remaining.values())
        tied = 0
        for warehouse in warehouses:  # priority order: the first of equals wins
            trial = dict(available)
            taken = _take(warehouse.pk, needs, remaining, trial)
            units = sum(taken.values())
            if units == 0:
                continue
            if best is None or units > best[1]:
                best, tied = (warehouse, units, taken, trial), 0
            elif units == best[1]:
                tied += 1
        if best is None:
            break
        warehouse, units, taken, trial = best
        shipment += 1
        available.clear()
        available.update(trial)
        if len(warehouses) == 1:
            reason = _("%(prefix)s%(code)s has %(units)d of the %(open)d units.") % {
                "prefix": prefix, "code": warehouse.code, "units": units, "open": open_units}
        else:
            reason = _("%(prefix)sShipment %(n)d: %(code)s can ship %(units)d of the %(open)d units still "
                       "open, the most of any warehouse (fewest shipments)") % {
                "prefix": prefix, "n": shipment, "code": warehouse.code, "units": units, "open": open_units}
            if tied:
                reason += _("; priority %(priority)d breaks a tie.") % {"priority": warehouse.priority}
            else:
                reason += "."
        for key, taken_units in taken.items():
            planned.append(Planned(key, warehouse, taken_units, reason))
            remaining[key] -= taken_units
    return planned, remaining


# --- reserving ------------------------------------------------------------------------------------


@dataclass
class Plan:
    """Where the unallocated units of some lines will come from, made under the stock row locks."""

    wanting: list[OrderLine]  # the lines with units to allocate; Planned.key is an index into it
    warehouses: list[Warehouse]  # the candidates that hold any of the stock, by priority
    planned: list[Planned]
    available: dict[tuple[int, int], int]  # what is left after the plan
    stocked: set[int]
    electronic: list[int] = field(default_factory=list)  # e-gift lines (indexes): allocated, nothing to pick

    def exhausted(self) -> frozenset[int]:
        """Stocked SKUs with nothing left at any candidate warehouse."""
        return frozenset(sku_id for sku_id in self.stocked
                         if all(self.available.get((sku_id, warehouse.pk),
                                                   0) <= 0 for warehouse in self.warehouses))


def plan_lines(*, order: Order, lines: list[OrderLine], warehouse_ids: set[int] | None = None,
               context: str | None = None) -> Plan:
    """Lock the stock the lines could take and plan their allocation (see the module docstring).

    One query (plus kit nesting): the stock rows of every stocked component at every candidate
    warehouse, with the warehouses' priority, locked in (sku id, warehouse id) order by
    ``inventory.services.stock_lock_and_read``. The lines need not be saved yet.
    ``warehouse_ids`` narrows the candidates.
    """
    all_wanting = [line for line in lines if line.quantity_backordered > 0]
    wanting = [line for line in all_wanting if line.sku.is_stocked]
    if not wanting:
        return _plan_gift_cards(order, Plan(wanting, [], [], {}, set()), all_wanting)
    per_unit = sku_needs({line.sku_id: line.sku for line in wanting}.values())
    stocked = {sku_id for line in wanting for sku_id in per_unit[line.sku_id]}
    if order.fulfillment_type == FulfillmentType.PICKUP:
        store_ids = {order.pickup_warehouse_id} - {None}
        if warehouse_ids is not None:
            store_ids &= set(warehouse_ids)
        locked = stock_lock_and_read(sku_ids=stocked, warehouse_ids=store_ids)
    else:
        locked = stock_lock_and_read(sku_ids=stocked, warehouse_ids=warehouse_ids, shipping_only=True)
    available, warehouses = dict(locked.available), locked.warehouses
    candidates = sorted(warehouses.values(), key=lambda warehouse: (warehouse.priority, warehouse.code))
    needs = [Need(index, line.quantity_backordered,
                  per_unit[line.sku_id]) for index, line in enumerate(wanting)]
    planned, _remaining = plan_allocation(needs, candidates, available,
                                          context=_context(order) if context is None else context)
    return _plan_gift_cards(order, Plan(wanting, candidates, planned, available, stocked), all_wanting)


def _plan_gift_cards(order: Order, plan: Plan, all_wanting: list[OrderLine]) -> Plan:
    """Add the gift card lines to ``plan`` (see the module docstring): no stock is read or reserved."""
    cards = [line for line in all_wanting if not line.sku.is_stocked]
    if not cards:
        return plan
    warehouse = plan.planned[0].warehouse if plan.planned else next(iter(candidate_warehouses(order)), None)
    for line in cards:
        plan.wanting.append(line)
        if line.sku.gift_card == Sku.GiftCard.ELECTRONIC:
            plan.electronic.append(len(plan.wanting) - 1)
        elif warehouse is not None:
            plan.planned.append(Planned(len(plan.wanting) - 1, warehouse, line.quantity_backordered, _(
                "A gift card: no stock to reserve; it ships from %(code)s with the order.") % {"code": warehouse.code}))
    return plan


def lock_stock_of(skus: Iterable[Sku]) -> None:
    """Lock every stock row of these SKUs' stocked components, at every warehouse, in (sku, warehouse)
    order (``inventory.services.stock_lock``), before a change that releases some reservations and
    makes others (cancel, edit, substitute)."""
    stock_lock(sku_ids={sku_id for parts in sku_needs({sku.pk: sku for sku in skus}.values()).values()
                        for sku_id in parts})


def count_planned(plan: Plan) -> None:
    """Put the planned units on the lines (in memory) and date what stays backordered."""
    for item in plan.planned:
        plan.wanting[item.key].quantity_allocated += item.units
    for index in plan.electronic:
        line = plan.wanting[index]
        line.quantity_allocated = line.quantity - line.quantity_cancelled
    short = [line for line in plan.wanting if line.quantity_backordered > 0]
    dates = expected_dates(skus=[line.sku for line in short]) if short else {}
    for line in plan.wanting:
        line.expected_on = dates.get(line.sku_id) if line.quantity_backordered > 0 else None


@dataclass(frozen=True)
class _NoReservation:
    group: uuid.UUID


@dataclass
class AllocationResult:
    units: int = 0  # allocated now
    backordered: int = 0  # still open after
    exhausted: frozenset[int] = frozenset()  # stocked SKUs with nothing left at any candidate warehouse


def reserve_plan(*, order: Order, plan: Plan, user, events: list[OrderEvent], backorder_events: bool = True,
                 lines_saved: bool = True) -> AllocationResult:
    """Reserve what :func:`plan_lines` planned (its units already counted on the lines by
    :func:`count_planned`), write the LineAllocation rows and the events.

    ``lines_saved``: the lines are in the database and get their new quantities written here;
    otherwise the caller inserts them with those quantities (placement) and only a failed
    reservation (impossible under the locks, but handled) is written back.
    """
    allocations: list[LineAllocation] = []
    allocated = 0
    failed: list[OrderLine] = []
    stocked = [item for item in plan.planned if plan.wanting[item.key].sku.is_stocked]
    requests = [ReserveRequest(sku=plan.wanting[item.key].sku, warehouse_id=item.warehouse.pk, quantity=item.units,
                               reference=line_reference(plan.wanting[item.key])) for item in stocked]
    try:
        reserved = stock_reserve_many(requests=requests, user=user) if requests else []
    except InventoryError:  # cannot happen under our row locks; then each item on its own, below
        logger.exception("reserving the plan of order %s failed under lock", order.pk)
        reserved = [None] * len(requests)
    by_item = dict(zip(map(id, stocked), reserved, strict=True))
    for item in plan.planned:
        line = plan.wanting[item.key]
        if not line.sku.is_stocked:  # a gift card: its allocation's group names no reservation
            reservations = [_NoReservation(uuid.uuid4())]
        else:
            reservations = by_item[id(item)]
        if reservations is None:
            try:
                reservations = stock_reserve(sku=line.sku, warehouse=item.warehouse, quantity=item.units,
                                             reference=line_reference(line), user=user)
            except InsufficientStock:  # the units stay backordered
                logger.exception("reserving %s for %s failed under lock", item, line_reference(line))
                line.quantity_allocated -= item.units
                failed.append(line)
                continue
        group = reservations[0].group
        allocations.append(LineAllocation(line=line, warehouse_id=item.warehouse.pk, quantity=item.units,
                                          reservation_group=group, reason=item.reason[:200]))
        allocated += item.units
        events.append(event(
            order, OrderEvent.Kind.ALLOCATION,
            _("Line %(line)d: %(units)d × %(sku)s reserved at %(warehouse)s. %(reason)s") % {
                "line": line.line_number, "units": item.units, "sku": line.sku_code,
                "warehouse": item.warehouse.code, "reason": item.reason},
            user=user, data={"line_id": line.pk, "warehouse": item.warehouse.code, "quantity": item.units,
                             "reservation_group": str(group)}))
    if allocations:
        LineAllocation.objects.bulk_create(allocations)
    if backorder_events:
        for line in plan.wanting:
            if line.quantity_backordered > 0:
                events.append(_backorder_event(order, line, user=user))
    to_write = plan.wanting if lines_saved else failed
    if to_write:
        OrderLine.objects.bulk_update(to_write, ["quantity_allocated", "expected_on"])
    return AllocationResult(units=allocated,
                            backordered=sum(line.quantity_backordered for line in plan.wanting),
                            exhausted=plan.exhausted())


def _backorder_event(order: Order, line: OrderLine, *, user) -> OrderEvent:
    day = line.expected_on.isoformat() if line.expected_on else None
    values = {"line": line.line_number, "units": line.quantity_backordered, "sku": line.sku_code, "day": day}
    if day:
        message = _("Line %(line)d: %(units)d × %(sku)s backordered; expected on %(day)s.") % values
    else:
        message = _("Line %(line)d: %(units)d × %(sku)s backordered; no date expected yet.") % values
    return event(order, OrderEvent.Kind.BACKORDER, message, user=user,
                 data={"line_id": line.pk, "quantity": line.quantity_backordered, "expected_on": day})


def allocate_lines(*, order: Order, lines: list[OrderLine], user, events: list[OrderEvent],
                   warehouse_ids: set[int] | None = None, context: str | None = None,
                   backorder_events: bool = True) -> AllocationResult:
    """Reserve what stock allows of the saved lines' unallocated units; inside the caller's transaction.

    Writes the LineAllocation rows and the lines' ``quantity_allocated`` and ``expected_on``,
    adds allocation (and backorder) events to ``events``. The order must be locked by the
    caller (or not yet visible to anyone else).
    """
    plan = plan_lines(order=order, lines=lines, warehouse_ids=warehouse_ids, context=context)
    if not plan.wanting:
        return AllocationResult()
    count_planned(plan)
    return reserve_plan(order=order, plan=plan, user=user, events=events, backorder_events=backorder_events)


def _context(order: Order) -> str:
    if order.fulfillment_type == FulfillmentType.PICKUP and order.pickup_warehouse is not None:
        return _("Store pickup at %(store)s:") % {"store": order.pickup_warehouse.code}
    if order.fulfillment_type == FulfillmentType.SHIP_TO_STORE and order.pickup_warehouse is not None:
        return _("Ship to store %(store)s:") % {"store": order.pickup_warehouse.code}
    return ""


def release_line(line: OrderLine, *, user, keep: int = 0) -> int:
    """Release the line's reservations down to ``keep`` allocated units; returns the units released.

    Newest allocations go first. An allocation that must shrink is released whole and its
    remainder reserved again at the same warehouse (its stock was freed a moment ago, under
    our lock, so that cannot fail). The caller holds the order and line locks.
    """
    excess = line.quantity_allocated - keep
    if excess <= 0:
        return 0
    if line.sku.gift_card == Sku.GiftCard.ELECTRONIC:  # allocated without a row: its unsent units go
        released = min(excess, line.quantity_allocated - line.quantity_shipped)
        line.quantity_allocated -= released
        OrderLine.objects.filter(pk=line.pk).update(quantity_allocated=line.quantity_allocated)
        return released
    released = 0
    for allocation in line.allocations.filter(is_open=True).select_related("warehouse").order_by("-pk"):
        if excess <= 0:
            break
        stock_release(group=allocation.reservation_group, user=user)
        LineAllocation.objects.filter(pk=allocation.pk).update(is_open=False)
        if allocation.quantity > excess:
            kept = allocation.quantity - excess
            group = uuid.uuid4()  # a gift card's: no reservation
            if line.sku.is_stocked:
                group = stock_reserve(sku=line.sku, warehouse=allocation.warehouse, quantity=kept,
                                      reference=line_reference(line), user=user)[0].group
            LineAllocation.objects.create(line=line, warehouse=allocation.warehouse, quantity=kept,
                                          reservation_group=group, reason=allocation.reason)
            released += excess
            excess = 0
        else:
            released += allocation.quantity
            excess -= allocation.quantity
    line.quantity_allocated -= released
    OrderLine.objects.filter(pk=line.pk).update(quantity_allocated=line.quantity_allocated)
    return released


# --- backorders -------------------------------------------------------------------------------------


def _backordered_lines():
    return OrderLine.objects.filter(
        quantity__gt=F("quantity_allocated") + F("quantity_cancelled"), order__status__in=BACKORDER_STATUSES)


def backorders_waiting(*, sku_ids: set[int]) -> bool:
    """Whether any open line waits for these SKUs or for a kit made of them."""
    if not sku_ids:
        return False
    return _backordered_lines().filter(sku_id__in=sku_ids | kits_containing(sku_ids)).exists()


def backorders_allocate(*, sku_ids: set[int], warehouse_id: int | None = None) -> int:
    """Allocate open backordered lines of these SKUs (and of kits made of them), oldest order first.

    ``warehouse_id`` (where the stock arrived) limits allocation to that warehouse. Each order
    is handled in its own transaction, under its row lock, re-read: running this twice at the
    same time allocates every unit once. Stops looking once every SKU concerned is out of
    stock. Returns the units allocated.
    """
    sku_ids = set(sku_ids)
    if not sku_ids:
        return 0
    candidates = sku_ids | kits_containing(sku_ids)
    rows = list(_backordered_lines().filter(sku_id__in=candidates).values_list(
        "order_id", "order__placed_at", "order__fulfillment_type", "sku_id").distinct())
    if not rows:
        return 0
    per_unit = sku_needs(Sku.objects.filter(pk__in={row[3] for row in rows}))
    order_skus: dict[int, set[int]] = defaultdict(set)
    placed: dict[int, tuple] = {}
    pickup_orders = set()
    for order_id, placed_at, fulfillment_type, sku_id in rows:
        order_skus[order_id].add(sku_id)
        placed[order_id] = (placed_at is None, placed_at, order_id)
        if fulfillment_type == FulfillmentType.PICKUP:
            pickup_orders.add(order_id)
    exhausted: set[int] = set()
    total = 0
    for order_id in sorted(order_skus, key=placed.__getitem__):
        blocked = all(exhausted & set(per_unit[sku_id]) for sku_id in order_skus[order_id])
        if blocked and order_id not in pickup_orders:
            continue
        result = _allocate_order_backorders(order_id, candidates, warehouse_id)
        total += result.units
        if order_id not in pickup_orders:
            exhausted |= result.exhausted
    return total


def _allocate_order_backorders(order_id: int, candidates: set[int],
                               warehouse_id: int | None) -> AllocationResult:
    events: list[OrderEvent] = []
    with transaction.atomic():
        order = lock_order(order_id)
        if order.status not in BACKORDER_STATUSES:
            return AllocationResult()
        lines = lock_lines(order)
        wanting = [line for line in lines if line.sku_id in candidates and line.quantity_backordered > 0]
        if not wanting:
            return AllocationResult()
        prefix = _context(order)
        context = (prefix + " " if prefix else "") + _("Backorder filled, oldest order first:")
        result = allocate_lines(order=order, lines=wanting, user=None, events=events,
                                warehouse_ids={warehouse_id} if warehouse_id is not None else None,
                                context=context, backorder_events=False)
        if result.units:
            has_hold = Hold.objects.filter(order=order, released_at__isnull=True).exists()
            settle(order, lines=lines, has_open_hold=has_hold, user=None,
                   reason=_("Backordered units arrived."), events=events)
            order.save(update_fields=["status", "updated_at"])
            save_events(events)
    return result


def backorders_sweep() -> int:
    """Allocate every backordered line that stock could serve now (a beat job behind the event path)."""
    sku_ids = set(_backordered_lines().values_list("sku_id", flat=True).distinct())
    return backorders_allocate(sku_ids=sku_ids) if sku_ids else 0
