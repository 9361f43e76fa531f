"""A manager sets up a catalog campaign in a real browser, then tries it in the pricing simulator."""

from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect

from marketing.models import Promotion, SourceCode
from tests.factories import SkuFactory, StyleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_sets_up_a_campaign_and_prices_a_basket_in_the_simulator(page, sign_in):
    shoes = StyleFactory(category="shoes", name="Walking shoe")
    SkuFactory(style=shoes, code="SHOE-1", list_price=Decimal("60.00"))
    SkuFactory(style=shoes, code="SHOE-2", list_price=Decimal("40.00"))
    SkuFactory(code="SOCK-1", list_price=Decimal("10.00"), style=StyleFactory(category="socks"))
    sign_in("Manager")

    # A campaign.
    page.locator("#main-nav").get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Code", exact=True).fill("SPRING26")
    page.get_by_label("Name", exact=True).fill("Spring catalog")
    page.get_by_label("Medium").select_option(label="Catalog mailing")
    page.get_by_label("Starts on").fill("2026-03-01")
    page.get_by_label("Cost", exact=True).fill("12000")
    page.get_by_label("Quantity mailed or circulated").fill("100000")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="SPRING26 Spring catalog").wait_for()

    # A price list with a price for SHOE-1.
    page.get_by_role("link", name="Price lists").first.click()
    page.get_by_role("link", name="New price list").click()
    page.get_by_label("Code", exact=True).fill("CAT26")
    page.get_by_label("Name", exact=True).fill("Spring catalog prices")
    page.get_by_role("button", name="Save").click()
    page.get_by_label("SKU code").fill("SHOE-1")
    page.get_by_label("Price", exact=True).fill("50")
    page.get_by_role("button", name="Save price").click()
    page.locator("#results").get_by_role("cell", name="SHOE-1", exact=True).wait_for()

    # A BOGO on shoes; the kind decides which fields show.
    page.goto("/marketing/promotions/new/")
    page.get_by_label("Name", exact=True).fill("Shoes: buy one get one")
    page.get_by_label("Kind").select_option(label="Buy X get Y")
    assert page.get_by_label("Tiers").is_hidden()
    page.get_by_label("Buy quantity").fill("1")
    page.get_by_label("Get quantity (free)").fill("1")
    page.get_by_label("Only categories").fill("shoes")
    page.get_by_label("Priority").fill("10")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Shoes: buy one get one").wait_for()

    # A tiered spend promotion.
    page.goto("/marketing/promotions/new/")
    page.get_by_label("Name", exact=True).fill("Spend more, save more")
    page.get_by_label("Kind").select_option(label="Tiered spend")
    assert page.get_by_label("Buy quantity").is_hidden()
    page.get_by_label("Tiers").fill("100: 10%\n150: 25")
    page.get_by_label("Priority").fill("20")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Spend more, save more").wait_for()

    # The source code brings the price list and both promotions.
    page.goto("/marketing/campaigns/")
    page.get_by_role("link", name="SPRING26").click()
    page.get_by_role("link", name="New source code").click()
    page.get_by_label("Source code", exact=True).fill("k26a")
    page.get_by_label("Price list").select_option(label="CAT26 Spring catalog prices")
    page.get_by_label("Promotions").select_option(label=["Shoes: buy one get one", "Spend more, save more"])
    page.get_by_role("button", name="Save").click()
    page.locator("table").get_by_role("link", name="K26A").wait_for()
    source_code = SourceCode.objects.get(code="K26A")
    assert set(source_code.promotions.values_list("kind", flat=True)) == {
        Promotion.Kind.BUY_X_GET_Y, Promotion.Kind.TIERED}

    # The simulator prices a basket as the manager types.
    page.locator("#main-nav").get_by_role("link", name="Pricing simulator").click()
    page.get_by_label("SKU code, row 1").fill("SHOE-1")
    page.get_by_label("Quantity, row 1").fill("2")
    page.get_by_label("SKU code, row 2").fill("SHOE-2")
    page.get_by_label("Quantity, row 2").fill("1")
    page.get_by_label("SKU code, row 3").fill("SOCK-1")
    page.get_by_label("Quantity, row 3").fill("3")
    page.get_by_label("Source code", exact=True).fill("K26A")

    # 2 × 50 (price list) + 40 + 30 = 170; BOGO frees the cheapest shoe (-40): 130, tier 100 gives 10 % (-13).
    total = page.locator("#order-total")
    total.wait_for()
    page.wait_for_function("document.querySelector('#order-total').innerText.trim() === '$117.00'")
    discounts = page.locator("#discounts").inner_text()
    assert "Shoes: buy one get one: −$40.00" in discounts
    assert "Spend more, save more: −$13.00" in discounts
    assert "Price list CAT26: $50.00 each (list price $60.00)." in page.locator("#priced-lines").inner_text()

    # One more row, from the keyboard: the new row takes the focus. On a busy machine htmx may take
    # its time to settle new content; what is typed into the new row must count all the same.
    page.evaluate("htmx.config.defaultSettleDelay = 1000")
    page.get_by_role("button", name="Add a row").click()
    expect(page.get_by_label("SKU code, row 6")).to_be_focused()  # as the manager sees the cursor there
    def prices_the_new_row(response) -> bool:
        form = parse_qs(response.request.post_data or "") if response.request.method == "POST" else {}
        return form.get("lines-5-sku_code") == ["SOCK-1"]

    with page.expect_response(prices_the_new_row):  # the answer to what was typed, not an earlier one
        page.keyboard.type("SOCK-1")
    expect(page.locator("#order-total")).to_have_text("$126.00")
