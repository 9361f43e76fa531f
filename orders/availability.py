"""Availability reads for order entry: what can be sold now, where, and when the rest comes.

Every function takes many SKUs at once and costs a fixed number of queries, whatever their
number (one more per level of kit nesting). Kits hold no stock: a kit's availability at a
warehouse is ``min(floor(available(component) / units per kit))`` over its stocked components
(nested kits resolved), as DESIGN.md says.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Min
from django.utils import timezone

from catalog.models import Sku, VendorItem
from inventory.models import PurchaseOrder, PurchaseOrderLine, Warehouse
from inventory.selectors import sku_needs, units_available


@dataclass(frozen=True)
class SkuAvailability:
    """Units of one SKU free to sell: per warehouse (by code) and in total."""

    by_warehouse: dict[str, int] = field(default_factory=dict)
    total: int = 0


def shop_today() -> dt.date:
    return timezone.now().astimezone(ZoneInfo(settings.SHOP_TIME_ZONE)).date()


# --- stock -----------------------------------------------------------------------------------


def shipping_warehouses() -> list[Warehouse]:
    """Active warehouses that ship orders, by priority: where a shipped order can come from."""
    return list(Warehouse.objects.filter(is_active=True, ships=True).order_by("priority", "code"))


def sku_availability(*, sku_ids: Iterable[int] | None = None, skus: Iterable[Sku] | None = None,
                     warehouses: Iterable[Warehouse] | None = None) -> dict[int, SkuAvailability]:
    """{sku id: SkuAvailability} at ``warehouses`` (default: the active ones that ship).

    Give ``skus`` (instances) to save the query that loads them by ``sku_ids``. Kits are counted
    by ``inventory.selectors.units_available``.
    """
    skus = list(skus) if skus is not None else list(Sku.objects.filter(pk__in=set(sku_ids or ())))
    warehouses = list(warehouses) if warehouses is not None else shipping_warehouses()
    units = units_available(skus=skus, warehouse_ids=[warehouse.pk for warehouse in warehouses])
    result: dict[int, SkuAvailability] = {}
    for sku in skus:
        by_warehouse = {warehouse.code: units[sku.pk][warehouse.pk] for warehouse in warehouses}
        result[sku.pk] = SkuAvailability(by_warehouse=by_warehouse, total=sum(by_warehouse.values()))
    return result


# --- when the rest comes ---------------------------------------------------------------------


def expected_dates(*, skus: Iterable[Sku], today: dt.date | None = None) -> dict[int, dt.date | None]:
    """{sku id: the day more of it is expected}, or None when nobody knows.

    A stocked SKU is expected on the earliest ``expected_on`` of an open purchase order line
    for it (sent or partly received, not all received); without one, today plus the lead
    time of its preferred vendor (else its quickest one); without a vendor, None. A kit is
    expected when its last component is. Two queries (plus kit nesting), whatever the count.
    """
    skus = list(skus)
    today = today or shop_today()
    per_unit = sku_needs(skus)
    stocked = {sku_id for parts in per_unit.values() for sku_id in parts}
    if not stocked:
        return {sku.pk: None for sku in skus}
    on_order = dict(
        PurchaseOrderLine.objects.filter(
            sku_id__in=stocked, purchase_order__status__in=PurchaseOrder.RECEIVABLE_STATUSES,
            quantity_received__lt=F("quantity_ordered"), purchase_order__expected_on__isnull=False,
        ).values("sku_id").annotate(first=Min("purchase_order__expected_on")).values_list("sku_id", "first")
    )
    lead_times: dict[int, tuple[bool, int]] = {}
    for sku_id, own, vendor_days, preferred in VendorItem.objects.filter(
            sku_id__in=stocked - set(on_order), vendor__is_active=True).values_list(
            "sku_id", "lead_time_days", "vendor__lead_time_days", "is_preferred"):
        days = own if own is not None else vendor_days
        rank = (not preferred, days)
        if sku_id not in lead_times or rank < lead_times[sku_id]:
            lead_times[sku_id] = rank
    stocked_dates: dict[int, dt.date | None] = {}
    for sku_id in stocked:
        if sku_id in on_order:
            stocked_dates[sku_id] = max(on_order[sku_id], today)
        elif sku_id in lead_times:
            stocked_dates[sku_id] = today + dt.timedelta(days=lead_times[sku_id][1])
        else:
            stocked_dates[sku_id] = None
    result: dict[int, dt.date | None] = {}
    for sku in skus:
        dates = [stocked_dates[part] for part in per_unit[sku.pk]]
        result[sku.pk] = None if not dates or any(day is None for day in dates) else max(dates)
    return result


def expected_date(*, sku: Sku) -> dt.date | None:
    """The day more of ``sku`` is expected (see :func:`expected_dates`)."""
    return expected_dates(skus=[sku])[sku.pk]


def substitutes(*, short: dict[int, int], warehouses: Iterable[Warehouse],
                limit: int = 3) -> dict[int, list[Sku]]:
    """{sku id: other active SKUs of its style (other sizes, colours...) with ``short[sku id]`` units free}.

    ``short`` maps the SKUs that cannot be had to the units wanted. Fixed number of queries.
    """
    if not short:
        return {}
    wanted = list(Sku.objects.filter(pk__in=short).only("pk", "style_id"))
    style_ids = {sku.style_id for sku in wanted}
    candidates = list(Sku.objects.active().filter(style_id__in=style_ids).exclude(pk__in=short)
                      .order_by("code"))
    availability = sku_availability(skus=candidates, warehouses=warehouses)
    result: dict[int, list[Sku]] = {}
    for sku in wanted:
        result[sku.pk] = [candidate for candidate in candidates if candidate.style_id == sku.style_id
                          and availability[candidate.pk].total >= short[sku.pk]][:limit]
    return result
