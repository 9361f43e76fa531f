"""Setup shared by the catalog and inventory screen tests (on top of tests/factories.py)."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import PurchaseOrder, StockLevel, StockMovement
from inventory.services import purchase_order_create, purchase_order_send
from tests.factories import SkuFactory, StyleFactory, VendorFactory, WarehouseFactory

ROLES = ("Agent", "Warehouse", "Manager", "Accountant", "Admin")


class VendorItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "catalog.VendorItem"

    vendor = factory.SubFactory(VendorFactory)
    sku = factory.SubFactory(SkuFactory)
    vendor_sku = factory.Sequence(lambda n: f"VS-{n:05d}")
    cost = Decimal("3.250")


def purchase_order(*, lines: list[tuple], sent: bool = True, vendor=None, warehouse=None) -> PurchaseOrder:
    """A purchase order of (sku, quantity[, unit cost]) lines, sent to the vendor unless ``sent`` is false."""
    order = purchase_order_create(
        vendor=vendor or VendorFactory(), warehouse=warehouse or WarehouseFactory(), user=None,
        lines=[(line[0], line[1], line[2] if len(line) > 2 else Decimal("4.000")) for line in lines],
    )
    if sent:
        order = purchase_order_send(purchase_order=order, user=None)
    return order


def styled_skus(axes: list[str], values: list[dict], **style_fields) -> tuple:
    """A style with ``axes`` and one SKU per dict of option values, created in the given order."""
    style = StyleFactory(option_axes=axes, **style_fields)
    skus = [SkuFactory(style=style, option_values=option_values) for option_values in values]
    return style, skus


def on_hand(sku, warehouse) -> int:
    return StockLevel.objects.filter(sku=sku, warehouse=warehouse).values_list("on_hand", flat=True).first() or 0


def movement_count() -> int:
    return StockMovement.objects.count()


def count_queries(client, url: str, **kwargs) -> int:
    """Queries one GET of ``url`` makes (the response must be a 200)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, response.status_code
    return len(captured.captured_queries)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []
