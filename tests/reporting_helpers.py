"""Helpers for the report tests: orders as the reports read them, at chosen moments."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

NEW_YORK_ZONE = zoneinfo.ZoneInfo("America/New_York")


def at(day: str, hour: int = 12) -> dt.datetime:
    """Noon (or ``hour``) of an ISO day in the shop's zone (America/New_York in the tests)."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=NEW_YORK_ZONE)


def sale(customer, day: str, total: str, *, status: str = "shipped", channel: str = "phone", source_code: str = "",
         tax: str = "0", ship_to: dict | None = None, hour: int = 12):
    """An order row as placed on ``day``: the reports read these columns only."""
    from orders.models import Order

    return Order.objects.create(customer=customer, channel=channel, status=status, source_code=source_code,
                                subtotal=Decimal(total) - Decimal(tax), tax_total=Decimal(tax), total=Decimal(total),
                                placed_at=None if status == "draft" else at(day, hour), ship_to=ship_to or {})
