"""Helpers for the report tests: orders placed on given days through the real service."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import ground, line, place


def shop_moment(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo(settings.SHOP_TIME_ZONE))


def sale(*, sku, quantity: int = 1, day: dt.date, channel: str = "phone", hour: int = 12, source_code: str = "",
         **options):
    """An order of ``quantity`` × ``sku`` placed (then dated) at noon of ``day`` in the shop's time zone;
    ``source_code`` is written on it as it stands (any text, as an imported order might carry)."""
    from orders.models import Order

    order = place(lines=[line(sku, quantity)], channel=channel, shipping_method=ground(), **options)
    Order.objects.filter(pk=order.pk).update(placed_at=shop_moment(day, hour), source_code=source_code)
    order.refresh_from_db()
    return order


def stocked_sku(code: str, *, price: str = "10.00", units: int = 100, warehouse=None, **fields):
    warehouse = warehouse or WarehouseFactory(code="EAST", priority=10)
    sku = SkuFactory(code=code, list_price=Decimal(price), **fields)
    stock(sku, warehouse, units)
    return sku


def rollups_current() -> None:
    """Rebuild every rollup from the raw tables (what the fold job would have done by now)."""
    from reporting.rollups.engine import rollups_rebuild

    rollups_rebuild()
