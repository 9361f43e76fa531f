"""What the live dashboard's tiles show, read from the rollups (``reporting.rollups``).

Each function returns plain data for one tile and sends one to three queries over narrow
tables; none of them reads the order tables. ``late_order_days`` is the one place that says
when an order is late.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from catalog.models import Sku
from inventory.models import StockLevel
from orders.models import Hold, OrderStatus
from reporting.models import (
    BackorderFact,
    DailyReturns,
    DailySkuSales,
    HourlyChannelSales,
    OpenHoldFact,
    OpenOrderFact,
    RollupState,
)
from reporting.rollups.definitions import day_start, shop_zone

ZERO = Decimal("0")
TOP = 10


def late_order_days() -> int:
    """Days after placement by which an order must have shipped, else it is late (``LATE_ORDER_DAYS``)."""
    return settings.LATE_ORDER_DAYS


def data_as_of() -> datetime | None:
    """When the rollups were last folded (what the tiles' numbers are as of)."""
    return RollupState.objects.aggregate(last=Max("folded_at"))["last"]


def _local_now() -> datetime:
    return timezone.now().astimezone(shop_zone())


@dataclass
class ChannelSales:
    channel: str
    currency: str
    orders_placed: int = 0
    revenue_placed: Decimal = ZERO
    orders_shipped: int = 0
    revenue_shipped: Decimal = ZERO
    orders_last_week: int = 0
    revenue_last_week: Decimal = ZERO
    orders_last_year: int = 0
    revenue_last_year: Decimal = ZERO


def sales_today(*, now: datetime | None = None) -> dict:
    """Today so far, by channel and by hour, against the same weekday last week and last year
    (364 days back: the same weekday), up to the end of the same hour of the day (hourly rollups)."""
    now = (now or timezone.now()).astimezone(shop_zone())
    today = now.date()
    elapsed = now - day_start(today)
    periods = {"today": today, "last_week": today - timedelta(days=7), "last_year": today - timedelta(days=364)}
    condition = Q()
    for day in periods.values():
        start = day_start(day)
        condition |= Q(hour__gte=start, hour__lt=start + elapsed)
    rows = HourlyChannelSales.objects.filter(condition).values_list(
        "hour", "channel", "currency", "orders_placed", "revenue_placed", "orders_shipped", "revenue_shipped")
    by_channel: dict[tuple[str, str], ChannelSales] = {}
    hours = {name: [ZERO] * 24 for name in periods}
    starts = {name: day_start(day) for name, day in periods.items()}
    for hour, channel, currency, placed, revenue, shipped, revenue_shipped in rows:
        sales = by_channel.setdefault((channel, currency), ChannelSales(channel, currency))
        local_hour = hour.astimezone(shop_zone())
        period = next((name for name, day in periods.items() if local_hour.date() == day), None)
        if period is None:  # an hour that a change of clocks moved across midnight
            continue
        if period == "today":
            sales.orders_placed += placed
            sales.revenue_placed += revenue
            sales.orders_shipped += shipped
            sales.revenue_shipped += revenue_shipped
        elif period == "last_week":
            sales.orders_last_week += placed
            sales.revenue_last_week += revenue
        else:
            sales.orders_last_year += placed
            sales.revenue_last_year += revenue
        if currency == settings.DEFAULT_CURRENCY:
            index = int((hour - starts[period]).total_seconds() // 3600)
            if 0 <= index < 24:
                hours[period][index] += revenue
    channels = sorted(by_channel.values(), key=lambda sales: (-sales.revenue_placed, sales.channel, sales.currency))
    totals = ChannelSales("", settings.DEFAULT_CURRENCY)
    for sales in channels:
        if sales.currency == settings.DEFAULT_CURRENCY:
            for field in ("orders_placed", "revenue_placed", "orders_shipped", "revenue_shipped",
                          "orders_last_week", "revenue_last_week", "orders_last_year", "revenue_last_year"):
                setattr(totals, field, getattr(totals, field) + getattr(sales, field))
    shown = max(1, min(24, int(elapsed.total_seconds() // 3600) + 1))
    hourly = [{"hour": index, "today": hours["today"][index], "last_week": hours["last_week"][index],
               "last_year": hours["last_year"][index]} for index in range(shown)]
    return {"day": today, "last_week": periods["last_week"], "last_year": periods["last_year"],
            "channels": channels, "totals": totals, "hourly": hourly, "currency": settings.DEFAULT_CURRENCY}


def open_orders_by_status() -> dict:
    """Open orders by status, in the lifecycle's order, with their value (in the shop's currency)."""
    rows = {status: (count, value) for status, count, value in OpenOrderFact.objects.values("status").annotate(
        count=Count("order_id"), value=Sum("total", filter=Q(currency=settings.DEFAULT_CURRENCY)))
        .values_list("status", "count", "value")}
    statuses = [{"status": status.value, "label": status.label, "count": rows[status][0],
                 "value": rows[status][1] or ZERO} for status in OrderStatus if status in rows]
    return {"statuses": statuses, "total": sum(row["count"] for row in statuses),
            "currency": settings.DEFAULT_CURRENCY}


AGE_BUCKETS = ((timedelta(days=1), "days_0_1"), (timedelta(days=2), "days_1_2"),
               (timedelta(days=7), "days_2_7"), (None, "days_over_7"))


def held_orders() -> dict:
    """Open holds by reason and by how long they have been open."""
    now = timezone.now()
    aggregates = {}
    lower = None
    for upper, key in AGE_BUCKETS:
        condition = Q()
        if upper is not None:
            condition &= Q(held_since__gt=now - upper)
        if lower is not None:
            condition &= Q(held_since__lte=now - lower)
        aggregates[key] = Count("hold_id", filter=condition)
        lower = upper
    rows = OpenHoldFact.objects.values("reason").annotate(total=Count("hold_id"), **aggregates).order_by("reason")
    labels = dict(Hold.Reason.choices)
    reasons = [{**row, "label": labels.get(row["reason"], row["reason"])} for row in rows]
    return {"reasons": reasons, "total": sum(row["total"] for row in reasons),
            "orders": OpenHoldFact.objects.values("order_id").distinct().count() if reasons else 0}


def late_orders() -> dict:
    days = late_order_days()
    cutoff = timezone.now() - timedelta(days=days)
    late = OpenOrderFact.objects.filter(is_shipped=False, placed_at__lt=cutoff)
    summary = late.aggregate(count=Count("order_id"))
    oldest = list(late.order_by("placed_at", "order_id").values(
        "order_id", "number", "status", "channel", "placed_at")[:TOP])
    now = timezone.now()
    for row in oldest:
        row["days"] = (now - row["placed_at"]).days
        row["status_label"] = OrderStatus(row["status"]).label
    return {"days": days, "count": summary["count"], "oldest": oldest}


def backorders_by_sku() -> dict:
    rows = list(BackorderFact.objects.values("sku_id", "sku_code").annotate(
        units=Sum("quantity"), lines=Count("line_id"), oldest=Min("placed_at")).order_by("-units", "sku_code")[:TOP])
    totals = BackorderFact.objects.aggregate(units=Sum("quantity"), skus=Count("sku_id", distinct=True))
    return {"skus": rows, "units": totals["units"] or 0, "sku_count": totals["skus"]}


def low_stock() -> dict:
    """Active stocked SKUs with ``LOW_STOCK_UNITS`` or fewer available across their warehouses
    (inventory's stock levels: one row per SKU and warehouse, already the current state)."""
    threshold = settings.LOW_STOCK_UNITS
    rows = list(StockLevel.objects.filter(sku__status=Sku.Status.ACTIVE, sku__is_kit=False)
                .values("sku_id", "sku__code", "sku__name")
                .annotate(units=Sum("on_hand"), available=Sum(F("on_hand") - F("reserved")))
                .filter(available__lte=threshold).order_by("available", "sku__code")[:TOP])
    return {"threshold": threshold, "skus": rows}


def returns_this_week(*, today: date | None = None) -> dict:
    """Returns requested and received since Monday (shop days), by channel and by day."""
    today = today or _local_now().date()
    monday = today - timedelta(days=today.weekday())
    rows = DailyReturns.objects.filter(day__gte=monday, day__lte=today)
    by_channel = list(rows.values("channel").annotate(
        requested=Sum("requested"), returned=Sum("returned"), units=Sum("units_returned"),
        value=Sum("value_returned", filter=Q(currency=settings.DEFAULT_CURRENCY))).order_by("channel"))
    per_day = defaultdict(lambda: {"requested": 0, "returned": 0})
    for day, requested, returned in rows.values_list("day", "requested", "returned"):
        per_day[day]["requested"] += requested
        per_day[day]["returned"] += returned
    days = [{"day": monday + timedelta(days=offset), **per_day[monday + timedelta(days=offset)]}
            for offset in range((today - monday).days + 1)]
    totals = {key: sum(row[key] or 0 for row in by_channel) for key in ("requested", "returned", "units")}
    return {"since": monday, "channels": by_channel, "days": days, "totals": totals,
            "currency": settings.DEFAULT_CURRENCY}


def top_skus_today(*, today: date | None = None) -> dict:
    today = today or _local_now().date()
    rows = list(DailySkuSales.objects.filter(day=today, currency=settings.DEFAULT_CURRENCY)
                .order_by("-revenue", "-units", "sku_id").values("sku_id", "units", "revenue")[:TOP])
    names = {sku.pk: sku for sku in Sku.objects.filter(pk__in=[row["sku_id"] for row in rows]).only("code", "name")}
    for row in rows:
        sku = names.get(row["sku_id"])
        row["code"], row["name"] = (sku.code, sku.name) if sku else (str(row["sku_id"]), "")
    return {"day": today, "skus": rows, "currency": settings.DEFAULT_CURRENCY}
