"""Bad input in a real browser: a control character typed into an htmx search box says so in a toast."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_control_character_in_a_search_box_is_refused_with_a_toast(page, sign_in):
    sign_in("Manager")
    page.goto(reverse("catalog:sku_search"))

    with page.expect_response(lambda response: "/catalog/?q=" in response.url) as answer:
        page.get_by_label("Search SKUs").fill("lamp\x01")

    assert answer.value.status == 400
    toast = page.locator("#toasts .toast.show")
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text("Bad input in q. Remove the control character U+0001")
    expect(toast).to_have_attribute("role", "alert")
