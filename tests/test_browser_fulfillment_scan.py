"""A picker scans a wave's picks with the keyboard (a scanner types and presses Enter): the field
keeps the focus, a wrong SKU beeps and is refused, the right ones pick until the wave is done."""

from __future__ import annotations

import pytest

from orders.fulfillment.models import PickWave, ShipmentLine
from orders.fulfillment.services import wave_create
from tests.axe import assert_accessible
from tests.factories import SkuFactory, UserFactory
from tests.fulfillment_helpers import allocated_orders

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_a_picker_scans_a_wave_with_the_keyboard(page, sign_in):
    lamp, shade = SkuFactory(code="LAMP-1"), SkuFactory(code="SHADE-1")
    main, _skus, _orders = allocated_orders(1, skus=[lamp, shade])  # LAMP-1 in B-02, SHADE-1 in B-01
    wave = wave_create(warehouse=main, user=UserFactory(role="Warehouse"), limit=1)
    picker = sign_in("Warehouse")

    page.goto(f"/fulfillment/waves/{wave.pk}/scan/")
    assert page.locator("#pick-bin").inner_text() == "B-01"
    page.wait_for_function("document.activeElement && document.activeElement.id === 'scan-code'")
    assert_accessible(page)

    page.keyboard.type("LAMP-1")  # the wrong item for bin B-01
    page.keyboard.press("Enter")
    page.locator('#scan-result [data-accepted="no"]').wait_for()
    assert page.locator("#scan-result").inner_text() == "Wrong item: LAMP-1 scanned, SHADE-1 expected."
    page.wait_for_function("document.body.dataset.beeps === '1'")
    assert focused_id(page) == "scan-code"
    assert_accessible(page)

    page.keyboard.type("SHADE-1")
    page.keyboard.press("Enter")
    page.locator("#pick-bin", has_text="B-02").wait_for()
    assert page.locator("#scan-result").inner_text() == "SHADE-1: 1 of 1 picked."
    page.wait_for_function("document.activeElement && document.activeElement.id === 'scan-code'")

    page.keyboard.type(lamp.barcode)
    page.keyboard.press("Enter")
    page.locator("#wave-done").wait_for()
    assert_accessible(page)

    assert list(ShipmentLine.objects.order_by("order_line__line_number").values_list(
        "order_line__sku_code", "picked_quantity", "picked_by")) == [("LAMP-1", 1, picker.pk), ("SHADE-1", 1, picker.pk)]
    assert PickWave.objects.get(pk=wave.pk).status == "done"
    assert page.evaluate("document.body.dataset.beeps") == "1"
