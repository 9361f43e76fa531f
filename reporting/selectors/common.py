"""Pieces the report selectors share: the shop's days as time ranges, the orders that count."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings

# Orders that count as sales: placed and not cancelled (the segments' rule, orders.services.pricing).
COUNTED_ORDER = "o.placed_at IS NOT NULL AND o.status NOT IN ('draft', 'cancelled')"
PERIODS = ("day", "week", "month")


def shop_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.SHOP_TIME_ZONE)


def day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the shop's time zone, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=shop_zone())


def window(column: str, date_from: dt.date | None, date_to: dt.date | None) -> tuple[list[str], list]:
    """SQL conditions and parameters for ``column`` within the shop days ``date_from``..``date_to`` (both kept)."""
    conditions, params = [], []
    if date_from:
        conditions.append(f"{column} >= %s")
        params.append(day_start(date_from))
    if date_to:
        conditions.append(f"{column} < %s")
        params.append(day_start(date_to + dt.timedelta(days=1)))
    return conditions, params


def where(conditions: list[str]) -> str:
    return " AND ".join(conditions) if conditions else "TRUE"
