"""Stock reads: availability (kits included), stock tables, movement history, purchase orders.

Availability of a stocked SKU at a warehouse is ``on_hand - reserved``. A kit holds no stock
of its own: it is expanded to the stocked SKUs it consumes (nested kits resolved, quantities
multiplied, exactly as ``stock_reserve`` would reserve them), and its availability is
``min(floor(available(part) / units per kit))`` over those parts. Totals count active
warehouses only; an inactive warehouse still shows in a stock table while it holds stock.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Sku, Vendor, VendorItem
from catalog.selectors import kit_tree
from inventory.models import PurchaseOrder, PurchaseOrderLine, Reservation, StockLevel, StockMovement, Warehouse

# --- availability ---------------------------------------------------------------------------


def kit_parts(kit_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """{kit id: {stocked SKU id: units one kit consumes}} for each kit, nested kits resolved.

    One query per level of nesting (``kit_tree``), none when ``kit_ids`` is empty.
    """
    kit_ids = set(kit_ids)
    if not kit_ids:
        return {}
    tree = kit_tree(kit_ids)

    def walk(kit_id: int, multiplier: int, totals: dict[int, int], depth: int) -> None:
        if depth > len(tree):  # a cycle in the data (the services refuse them): stop, do not loop
            return
        for component_id, per_kit in tree.get(kit_id, []):
            if component_id in tree:
                walk(component_id, multiplier * per_kit, totals, depth + 1)
            else:
                totals[component_id] += multiplier * per_kit

    parts: dict[int, dict[int, int]] = {}
    for kit_id in kit_ids:
        totals: dict[int, int] = defaultdict(int)
        walk(kit_id, 1, totals, 0)
        parts[kit_id] = dict(totals)
    return parts


def kit_units_available(parts: dict[int, int], available: dict[int, int]) -> int:
    """How many kits the ``available`` units of each part make (0 for a kit without parts)."""
    if not parts:
        return 0
    return max(min(available.get(part_id, 0) // units for part_id, units in parts.items()), 0)


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
    parts = kit_parts(sku.pk for sku in skus if sku.is_kit)
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


def _encode_cursor(movement: StockMovement) -> str:
    raw = f"{movement.created_at.isoformat()}|{movement.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> tuple[dt.datetime, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, pk = raw.rsplit("|", 1)
        moment = dt.datetime.fromisoformat(created)
        if timezone.is_naive(moment):
            return None
        return moment, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def movement_page(*, sku: Sku, after: str | None = None, before: str | None = None,
                  size: int = 25) -> MovementPage:
    """A page of ``sku``'s movements, newest first, by a cursor on (created_at, id).

    ``after`` continues to older movements, ``before`` goes back to newer ones. No COUNT and
    no OFFSET: each page is an index range scan on (sku, -created_at, -id), as cheap with
    millions of movements as with ten. A cursor that cannot be read gives the first page.
    """
    rows = StockMovement.objects.filter(sku=sku).select_related("warehouse", "created_by")
    older_than, newer_than = _decode_cursor(after), _decode_cursor(before)
    if newer_than is not None:
        moment, pk = newer_than
        # created_at >= moment bounds the index scan; the OR picks the exact position.
        page = list(rows.filter(created_at__gte=moment).filter(Q(created_at__gt=moment) | Q(pk__gt=pk))
                    .order_by("created_at", "pk")[: size + 1])
        has_newer = len(page) > size
        page = list(reversed(page[:size]))
        return MovementPage(
            movements=page,
            next_cursor=_encode_cursor(page[-1]) if page else None,
            previous_cursor=_encode_cursor(page[0]) if page and has_newer else None,
        )
    if older_than is not None:
        moment, pk = older_than
        rows = rows.filter(created_at__lte=moment).filter(Q(created_at__lt=moment) | Q(pk__lt=pk))
    page = list(rows.order_by("-created_at", "-pk")[: size + 1])
    has_older = len(page) > size
    page = page[:size]
    return MovementPage(
        movements=page,
        next_cursor=_encode_cursor(page[-1]) if page and has_older else None,
        previous_cursor=_encode_cursor(page[0]) if page and older_than is not None else None,
    )


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
