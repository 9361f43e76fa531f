"""The catalog and inventory screens in a real browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from inventory.models import PurchaseOrder, StockLevel
from tests.factories import SkuFactory, WarehouseFactory, kit, stock
from tests.screens_helpers import purchase_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_shows_the_sku_as_you_type(page, sign_in):
    sign_in("Agent")
    warehouse = WarehouseFactory()
    lamp = SkuFactory(code="LAMP-ORBIT-7", name="Orbit desk lamp")
    SkuFactory(code="CHAIR-1", name="Chair")
    stock(lamp, warehouse, 12)
    page.goto(reverse("catalog:sku_search"))

    page.get_by_label("Search SKUs").press_sequentially("orbit", delay=30)

    row = page.locator('#results tr[data-sku="LAMP-ORBIT-7"]')
    expect(row).to_be_visible()
    expect(row.locator("td").last).to_have_text("12")
    expect(page.locator('#results tr[data-sku="CHAIR-1"]')).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/catalog/\?q=orbit$"))
    # The keyboard: ↓ reaches the first result, Enter opens it.
    page.get_by_label("Search SKUs").press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{reverse('catalog:sku_detail', args=[lamp.pk])}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("LAMP-ORBIT-7")


def test_warehouse_user_receives_part_of_a_purchase_order_by_scanning(page, sign_in):
    sign_in("Warehouse")
    warehouse = WarehouseFactory(code="MAIN")
    mug = SkuFactory(code="MUG-1", barcode="4006381333931")
    plate = SkuFactory(code="PLATE-1")
    order = purchase_order(lines=[(mug, 6), (plate, 4)], warehouse=warehouse)
    mug_line, plate_line = order.lines.order_by("pk")
    page.goto(reverse("inventory:po_receive", args=[order.pk]))

    scan = page.get_by_label(re.compile("Scan a barcode"))
    scan.fill("4006381333931")
    scan.press("Enter")
    scan.fill("4006381333931")
    scan.press("Enter")
    expect(page.locator(f"#id_line_{mug_line.pk}")).to_have_value("2")
    # Enter in the scan box did not submit the receipt.
    expect(page).to_have_url(re.compile(rf"{reverse('inventory:po_receive', args=[order.pk])}$"))
    scan.fill("NOT-ON-ORDER")
    scan.press("Enter")
    expect(page.locator("#scan-feedback")).to_have_text("NOT-ON-ORDER is not an open line on this purchase order.")
    page.get_by_label("Units of PLATE-1 received now").fill("1")
    page.get_by_role("button", name="Receive", exact=True).click()

    page.wait_for_url(f"**{reverse('inventory:po_detail', args=[order.pk])}")
    expect(page.locator("#po-status")).to_have_text("Partially received")
    expect(page.locator("#toasts .toast.show")).to_contain_text(f"Received 3 units on purchase order {order.number}.")
    expect(page.locator('#po-lines tr[data-sku="MUG-1"] [data-col="open"]')).to_have_text("4")
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.PARTIALLY_RECEIVED


def test_warehouse_user_adjusts_stock_and_sees_the_toast(page, sign_in):
    sign_in("Warehouse")
    warehouse = WarehouseFactory(code="MAIN", name="Main")
    vase = SkuFactory(code="VASE-9", name="Vase")
    stock(vase, warehouse, 3)
    page.goto(reverse("inventory:adjust"))

    page.get_by_label("SKU").fill("VASE-9")
    expect(page.locator("#sku-total")).to_have_text("3")  # the stock panel answered the typed code
    page.get_by_label("Warehouse").select_option(label="MAIN Main")
    page.get_by_label("Quantity").fill("5")
    page.get_by_label("Reason").fill("Found in aisle 4")
    page.get_by_role("button", name="Post adjustment").click()

    expect(page.locator("#toasts .toast.show")).to_contain_text("Adjusted VASE-9 at MAIN by +5.")
    expect(page.locator("#sku-total")).to_have_text("8")
    expect(page.get_by_label("SKU")).to_have_value("")
    assert StockLevel.objects.get(sku=vase, warehouse=warehouse).on_hand == 8


def test_manager_adds_a_component_and_sees_a_cycle_refused(page, sign_in):
    sign_in("Manager")
    cap, scarf = SkuFactory(code="CAP-1"), SkuFactory(code="SCARF-1")
    inner = kit((cap, 1), code="INNER-KIT")
    kit((inner, 1), code="OUTER-KIT")
    page.goto(reverse("catalog:kit_edit", args=[inner.pk]))

    page.get_by_label("Component", exact=True).fill("SCARF-1")
    page.get_by_label("Quantity", exact=True).fill("2")
    page.get_by_role("button", name="Add to kit").click()
    expect(page.locator('#kit-components tr[data-sku="SCARF-1"]')).to_be_visible()
    expect(page.locator("#toasts .toast.show")).to_contain_text("2 × SCARF-1 is in kit INNER-KIT.")

    page.get_by_label("Component", exact=True).fill("OUTER-KIT")
    page.get_by_label("Quantity", exact=True).fill("1")
    page.get_by_role("button", name="Add to kit").click()

    expect(page.locator("#add-component-form [role=alert]")).to_have_text(
        "OUTER-KIT already contains INNER-KIT, so adding it to INNER-KIT would make a cycle.")
    expect(page.locator('#kit-components tr[data-sku="OUTER-KIT"]')).to_have_count(0)
    assert sorted(inner.components.values_list("component__code", flat=True)) == ["CAP-1", "SCARF-1"]
    assert scarf.used_in.count() == 1
