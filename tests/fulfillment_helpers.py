"""Helpers for the fulfillment tests: allocated orders at a warehouse, bins, a wave."""

from __future__ import annotations

from orders.fulfillment.services import bin_set
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import ground, line, place


def allocated_orders(count: int, *, warehouse=None, lines_per_order: int = 1, units: int = 1, skus=None,
                     **options):
    """``count`` placed orders allocated at ``warehouse`` (created with stock and bins when not given)."""
    warehouse = warehouse or WarehouseFactory(code="MAIN", priority=1)
    skus = skus or [SkuFactory() for _n in range(lines_per_order)]
    for position, sku in enumerate(skus):
        stock(sku, warehouse, count * units + 10)
        bin_set(sku=sku, warehouse=warehouse, code=f"B-{len(skus) - position:02d}")
    method = options.pop("shipping_method", None) or ground()
    orders = [place(lines=[line(sku, units) for sku in skus], shipping_method=method, **options)
              for _n in range(count)]
    return warehouse, skus, orders
