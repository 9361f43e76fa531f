"""Importing a file in a real browser: see the bad row, fix the file, commit it."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Sku
from tests.factories import SkuFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose_file(page, kind_label: str, name: str, data: bytes) -> None:
    page.get_by_label("The file holds").select_option(label=kind_label)
    page.get_by_label("File", exact=True).set_input_files(files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name="Check the file").click()


def test_manager_sees_the_bad_row_fixes_the_file_and_commits(page, sign_in):
    SkuFactory(code="MUG", list_price=Decimal("8.000"))
    SkuFactory(code="CUP", list_price=Decimal("3.000"))
    sign_in("Manager")

    page.goto("/imports/")
    choose_file(page, "Prices", "prices.csv", b"sku_code,list_price,cost,currency\nMUG,9.50,,\nCUP,-3,,\n")

    bad_row = page.locator("#row-errors tbody tr")
    expect(bad_row).to_have_count(1)
    expect(bad_row).to_contain_text("3")
    expect(bad_row).to_contain_text("list_price")
    expect(bad_row).to_contain_text("“-3” is negative; it must be zero or more.")
    expect(page.get_by_role("button", name="Commit import")).to_have_count(0)

    page.get_by_role("link", name="Upload another file").click()
    choose_file(page, "Prices", "prices-fixed.csv", b"sku_code,list_price,cost,currency\nMUG,9.50,,\nCUP,3.25,,\n")
    expect(page.locator('#summary [data-count="updated"]')).to_have_text("2")
    assert Sku.objects.get(code="MUG").list_price == Decimal("8.000")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Commit import").click()

    expect(page.locator("#job")).to_contain_text("Imported: all 2 rows were written.")
    assert list(Sku.objects.order_by("code").values_list("code", "list_price")) == [
        ("CUP", Decimal("3.250")), ("MUG", Decimal("9.500"))]


def test_manager_imports_a_price_list_file_from_the_price_list_page(page, sign_in):
    from marketing.models import PriceListEntry
    from tests.test_pricing_service import make_price_list

    SkuFactory(code="MUG")
    price_list = make_price_list("CAT26")
    sign_in("Manager")

    page.goto(price_list.get_absolute_url())
    page.get_by_label("CSV or XLSX file").set_input_files(
        files=[{"name": "cat26.csv", "mimeType": "text/csv", "buffer": b"sku_code,price\nMUG,4.75\n"}])
    page.get_by_role("button", name="Check the file").click()

    expect(page.locator('#summary [data-count="new"]')).to_have_text("1")
    assert not PriceListEntry.objects.exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Commit import").click()

    expect(page.locator("#job")).to_contain_text("Imported: the 1 row was written.")
    assert list(PriceListEntry.objects.values_list("price_list__code", "sku__code", "price")) == [
        ("CAT26", "MUG", Decimal("4.750"))]
    page.locator("#return-link").click()
    expect(page.locator("body")).to_contain_text("MUG")
