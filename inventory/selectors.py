"""Stock reads: availability (kits included), stock tables, movement history, purchase orders.

Availability of a stocked SKU at a warehouse is ``on_hand - reserved``. A kit holds no stock
of its own: it is expanded to the stocked SKUs it consumes (nested kits resolved, quantities
multiplied, exactly as ``stock_reserve`` would reserve them), and its availability is
``min(floor(available(part) / units per kit))`` over those parts. Totals count active
warehouses only; an inactive warehouse still shows in a stock table while it holds stock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Sku, Vendor, VendorItem
from catalog.selectors import kit_components
from inventory.models import PurchaseOrder, PurchaseOrderLine, Reservation, StockLevel, StockMovement, Warehouse
from oms.pagination import keyset_page

# --- availability ---------------------------------------------------------------------------


def sku_needs(skus: Iterable[Sku]) -> dict[int, dict[int, int]]:
    """{sku id: {stocked SKU id: units one unit of it takes}}: a stocked SKU takes itself, a kit
    its components (``catalog.selectors.kit_components``), as ``stock_reserve`` would reserve them.

    One query per level of kit nesting for all the kits together, none without kits.
    """
    skus = list(skus)
    parts = kit_components(sku.pk for sku in skus if sku.is_kit)
    return {sku.pk: parts[sku.pk] if sku.is_kit else {sku.pk: 1} for sku in skus}


def kit_units_available(parts: dict[int, int], available: dict[int, int]) -> int:
    """How many units the ``available`` units of each part make (0 for a kit without parts).

    ``parts`` is one entry of :func:`sku_needs`: for a stocked SKU, itself once.
    """
    if not parts:
        return 0
    return max(min(available.get(part_id, 0) // units for part_id, units in parts.items()), 0)


def stock_available(*, sku_ids: Iterable[int], warehouse_ids: Iterable[int]) -> dict[tuple[int, int], int]:
    """{(stocked sku id, warehouse id): on hand - reserved}; missing rows mean 0. One query, no lock."""
    sku_ids, warehouse_ids = set(sku_ids), set(warehouse_ids)
    if not sku_ids or not warehouse_ids:
        return {}
    rows = StockLevel.objects.filter(sku_id__in=sku_ids, warehouse_id__in=warehouse_ids).values_list(
        "sku_id", "warehouse_id", "on_hand", "reserved")
    return {(sku_id, warehouse_id): on_hand - reserved for sku_id, warehouse_id, on_hand, reserved in rows}


def units_available(*, skus: Sequence[Sku], warehouse_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """{sku id: {warehouse id: units that can be sold there}} for stocked SKUs and kits alike.

    One query for the stock (plus one per level of kit nesting), whatever the number of SKUs.
    """
    warehouse_ids = list(dict.fromkeys(warehouse_ids))
    needs = sku_needs(skus)
    available = stock_available(sku_ids={part_id for parts in needs.values() for part_id in parts},
                                warehouse_ids=warehouse_ids)
    return {
        sku.pk: {warehouse_id: kit_units_available(needs[sku.pk], {
            part_id: available.get((part_id, warehouse_id), 0) for part_id in needs[sku.pk]})
            for warehouse_id in warehouse_ids}
        for sku in skus
    }


@dataclass
class StockTable:
    """Stock of some SKUs across warehouses, read in a constant number of queries.

    ``levels`` holds the stock rows of stocked SKUs; ``available`` holds units available for
    every SKU asked about, kits included, by warehouse; ``totals`` sums ``available`` over the
    active warehouses.
    """

    warehouses: list[Warehouse]
    levels: dict[tuple[int, int], StockLevel] = field(default_factory=dict)
    available: dict[int, dict[int, int]] = field(default_factory=dict)
    totals: dict[int, int] = field(default_factory=dict)
    kit_parts: dict[int, dict[int, int]] = field(default_factory=dict)

    def rows(self, sku: Sku) -> list[dict]:
        """One row per warehouse for ``sku``: warehouse, on hand, reserved, available."""
        rows = []
        for warehouse in self.warehouses:
            level = self.levels.get((sku.pk, warehouse.pk))
            rows.append({
                "warehouse": warehouse,
                "on_hand": None if sku.is_kit else (level.on_hand if level else 0),
                "reserved": None if sku.is_kit else (level.reserved if level else 0),
                "available": self.available.get(sku.pk, {}).get(warehouse.pk, 0),
            })
        return rows


def stock_table(skus: Sequence[Sku], *, with_warehouses: bool = True) -> StockTable:
    """Availability of ``skus`` (stocked SKUs and kits) per warehouse and in total.

    Queries: one for the warehouses (skipped when ``with_warehouses`` is false, then only
    totals are meaningful), one per level of kit nesting when there are kits, one for the
    stock rows. The count does not depend on how many SKUs are asked about.
    """
    sku_ids = [sku.pk for sku in skus]
    parts = kit_components(sku.pk for sku in skus if sku.is_kit)
    stocked_ids = {sku.pk for sku in skus if not sku.is_kit}
    needed_ids = stocked_ids | {part_id for kit in parts.values() for part_id in kit}
    table = StockTable(warehouses=[], kit_parts=parts)
    if not sku_ids:
        return table
    if with_warehouses:
        holding = StockLevel.objects.filter(sku_id__in=needed_ids or [0]).exclude(on_hand=0).values("warehouse_id")
        table.warehouses = list(Warehouse.objects.filter(Q(is_active=True) | Q(pk__in=holding)))
    levels = StockLevel.objects.filter(sku_id__in=needed_ids).select_related("warehouse") if needed_ids else []
    per_sku: dict[int, dict[int, int]] = defaultdict(dict)
    active: set[int] = set()
    for level in levels:
        table.levels[(level.sku_id, level.warehouse_id)] = level
        per_sku[level.sku_id][level.warehouse_id] = level.available
        if level.warehouse.is_active:
            active.add(level.warehouse_id)
    if with_warehouses:
        active |= {warehouse.pk for warehouse in table.warehouses if warehouse.is_active}
    for sku_id in stocked_ids:
        table.available[sku_id] = dict(per_sku.get(sku_id, {}))
    for kit_id, kit in parts.items():
        warehouse_ids = {warehouse_id for part_id in kit for warehouse_id in per_sku.get(part_id, {})}
        table.available[kit_id] = {
            warehouse_id: kit_units_available(kit, {part_id: per_sku.get(part_id, {}).get(warehouse_id, 0)
                                                     for part_id in kit})
            for warehouse_id in warehouse_ids
        }
    for sku_id in sku_ids:
        table.totals[sku_id] = sum(units for warehouse_id, units in table.available.get(sku_id, {}).items()
                                   if warehouse_id in active)
    return table


def available_totals(skus: Sequence[Sku]) -> dict[int, int]:
    """{sku id: units available over the active warehouses}, kits included."""
    return stock_table(skus, with_warehouses=False).totals


def kit_availability(*, kit: Sku) -> dict[int, int]:
    """{warehouse id: kits available there} for one kit (warehouses holding none are left out)."""
    return {warehouse_id: units
            for warehouse_id, units in stock_table([kit], with_warehouses=False).available.get(kit.pk, {}).items()
            if units}


# --- warehouses -----------------------------------------------------------------------------


def warehouse_summaries() -> QuerySet[Warehouse]:
    """Every warehouse with the number of SKUs it holds and its units on hand (one query)."""
    return Warehouse.objects.annotate(
        sku_count=Count("stock_levels", filter=Q(stock_levels__on_hand__gt=0)),
        units_on_hand=Coalesce(Sum("stock_levels__on_hand"), 0),
    ).order_by("priority", "code")


# --- movements and reservations -------------------------------------------------------------


@dataclass
class MovementPage:
    movements: list[StockMovement]
    next_cursor: str | None
    previous_cursor: str | None


def movement_page(*, sku: Sku, after: str | None = None, before: str | None = None,
                  size: int = 25) -> MovementPage:
    """A page of ``sku``'s movements, newest first, by a cursor on (created_at, id).

    ``after`` continues to older movements, ``before`` goes back to newer ones. No COUNT and
    no OFFSET: each page is an index range scan on (sku, -created_at, -id), as cheap with
    millions of movements as with ten. A cursor that cannot be read gives the first page.
    """
    rows = StockMovement.objects.filter(sku=sku).select_related("warehouse", "created_by")
    page = keyset_page(rows, key="created_at", after=after, before=before, size=size)
    return MovementPage(movements=page.rows, next_cursor=page.next_cursor, previous_cursor=page.previous_cursor)


def open_reservations(*, sku: Sku, limit: int = 50) -> list[Reservation]:
    """Open reservations holding ``sku`` (directly or as part of a kit), newest first."""
    return list(
        Reservation.objects.filter(sku=sku, status=Reservation.Status.OPEN)
        .select_related("warehouse", "requested_sku").order_by("-created_at", "-pk")[:limit]
    )


# --- purchase orders ------------------------------------------------------------------------

RECEIVABLE = "receivable"


def purchase_order_list(*, status: str = "", vendor: Vendor | None = None) -> QuerySet[PurchaseOrder]:
    """Purchase orders, newest first, with their line totals; ``status`` may be ``receivable``."""
    orders = PurchaseOrder.objects.select_related("vendor", "warehouse")
    if status == RECEIVABLE:
        orders = orders.filter(status__in=PurchaseOrder.RECEIVABLE_STATUSES)
    elif status:
        orders = orders.filter(status=status)
    if vendor is not None:
        orders = orders.filter(vendor=vendor)
    line_value = ExpressionWrapper(F("lines__quantity_ordered") * F("lines__unit_cost"),
                                   output_field=DecimalField(max_digits=20, decimal_places=3))
    return orders.annotate(
        line_count=Count("lines"),
        units_ordered=Coalesce(Sum("lines__quantity_ordered"), 0),
        units_received=Coalesce(Sum("lines__quantity_received"), 0),
        total_cost=Coalesce(Sum(line_value), Value(Decimal("0")), output_field=DecimalField()),
    ).order_by("-created_at", "-pk")


def purchase_order_lines(purchase_order: PurchaseOrder) -> list[PurchaseOrderLine]:
    return list(purchase_order.lines.select_related("sku").order_by("pk"))


def purchase_order_receipts(purchase_order: PurchaseOrder) -> list[StockMovement]:
    """The receipt movements posted against the order's lines, newest first."""
    return list(
        StockMovement.objects.filter(purchase_order_line__purchase_order=purchase_order)
        .select_related("sku", "warehouse", "created_by").order_by("-created_at", "-pk")
    )


def vendor_costs(*, vendor: Vendor, sku_ids: Iterable[int]) -> dict[int, Decimal]:
    """{sku id: the vendor's cost} for the SKUs the vendor supplies."""
    return dict(VendorItem.objects.filter(vendor=vendor, sku_id__in=set(sku_ids)).values_list("sku_id", "cost"))


@dataclass(frozen=True)
class ReceivingSummary:
    to_receive: int
    overdue: int


def receiving_summary() -> ReceivingSummary:
    """Purchase orders waiting to be received, and how many of them are past their date (one query)."""
    today = timezone.localdate()
    counts = PurchaseOrder.objects.filter(status__in=PurchaseOrder.RECEIVABLE_STATUSES).aggregate(
        to_receive=Count("pk"), overdue=Count("pk", filter=Q(expected_on__lt=today)))
    return ReceivingSummary(to_receive=counts["to_receive"], overdue=counts["overdue"])


def home_panel(*, user) -> dict | None:
    """The receiving panel of the home page, for people who receive purchase orders."""
    if not user.has_perm("inventory.receive_purchaseorder"):
        return None
    return {"template": "inventory/_home_panel.html", "summary": receiving_summary()}


# --- low stock (staff tasks' "stock below the reorder point" rules) -----------------------------------


def skus_available_below(*, units: int) -> QuerySet[Sku]:
    """Active stocked SKUs with stock rows whose units available over the active warehouses are fewer than
    ``units``; one grouped query over stock levels (callers narrow and slice it)."""
    below = (StockLevel.objects.filter(warehouse__is_active=True).values("sku_id")
             .annotate(available=Sum(F("on_hand") - F("reserved"))).filter(available__lt=units)
             .values("sku_id"))
    return Sku.objects.active().stocked().filter(pk__in=below)
