"""A packer at the pack station, keyboard first (a scanner types and presses Enter): the order is
scanned, each item scanned (a wrong SKU beeps and is refused), the box closed, the shipment confirmed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import F

from inventory.models import StockMovement
from orders.fulfillment.models import Shipment, ShipmentLine
from orders.fulfillment.shipping import shipment_open
from tests.axe import assert_accessible
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import line, place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_a_packer_packs_and_ships_with_the_keyboard(page, sign_in):
    warehouse = WarehouseFactory(code="EAST")
    lamp = SkuFactory(code="LAMP-1", list_price=Decimal("40.00"))
    stock(lamp, warehouse, 3)
    order = place(lines=[line(lamp, 2)])
    shipment = shipment_open(order=order, warehouse=warehouse, user=None)
    ShipmentLine.objects.filter(shipment=shipment).update(picked_quantity=F("quantity"))
    Shipment.objects.filter(pk=shipment.pk).update(status="picked")
    sign_in("Warehouse")

    page.goto("/fulfillment/pack/")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_code'")
    assert_accessible(page)
    page.keyboard.type(order.number)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/fulfillment/pack/{shipment.pk}/")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'pack-code'")
    assert_accessible(page)

    page.keyboard.type("MUG-9")
    page.keyboard.press("Enter")
    page.locator('#pack-result [data-accepted="no"]').wait_for()
    assert page.locator("#pack-result").inner_text() == "MUG-9 is not in this shipment. Put it aside."
    page.wait_for_function("document.body.dataset.beeps === '1'")
    assert focused_id(page) == "pack-code"

    for count in (1, 2):
        page.keyboard.type("LAMP-1")
        page.keyboard.press("Enter")
        page.locator("#pack-result", has_text=f"LAMP-1: {count} of 2 packed.").wait_for()
    assert page.locator("#pack-code").count() == 0  # everything is in the box
    assert_accessible(page)

    page.locator("#id_box").focus()
    page.keyboard.press("ArrowDown")  # Small
    page.locator("#id_weight_grams").focus()
    page.keyboard.type("900")
    page.keyboard.press("Enter")
    page.locator("#pack-ship-form").wait_for()
    assert_accessible(page)
    page.locator("#pack-ship-form button").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/fulfillment/pack/")
    assert f"Shipment {shipment.number} shipped." in page.content()

    shipment.refresh_from_db()
    assert (shipment.status, shipment.box, shipment.weight_grams) == ("shipped", "S", 900)
    assert StockMovement.objects.filter(kind="shipment", reference=shipment.number).count() == 1
