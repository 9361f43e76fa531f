"""Phone orders in a real browser, keyboard only: after signing in, no click and no mouse."""

from __future__ import annotations

import re

import pytest

from orders.models import Order
from tests.screens_orders_helpers import entry_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def wait_focus(page, element_id: str) -> None:
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=element_id)


def add_line(page, query: str, quantity: int, *, code: str) -> None:
    """Type a SKU into the add-line box, Enter, the quantity, Enter; wait for the line's row."""
    wait_focus(page, "add-line-query")
    page.keyboard.type(query)
    page.keyboard.press("Enter")  # picks the first match (as soon as the matches for the text arrive)
    wait_focus(page, "add-line-quantity")
    page.keyboard.type(str(quantity))  # the quantity box has its text selected: typing replaces the 1
    page.keyboard.press("Enter")
    page.locator(f'#entry-lines tr[data-sku="{code}"]').wait_for()


def find_customer(page, query: str, *, number: str) -> None:
    wait_focus(page, "customer-query")
    page.keyboard.type(query)
    page.keyboard.press("Enter")
    page.locator(f'#entry-customer-card[data-customer="{number}"]').wait_for()


def test_an_agent_takes_a_realistic_phone_order_end_to_end(page, sign_in):
    """A returning caller gives her phone number and the catalog's source code, and orders a gift
    set (a kit), a tote with her initials (personalized) and a lamp that is out of stock
    (backordered); the agent places the order and lands on its page."""
    world = entry_world()
    sign_in("Agent")
    page.goto("/orders/new/")

    find_customer(page, "(212) 555-0123", number=world.customer.number)
    wait_focus(page, "source-code")
    page.keyboard.type("cat25")
    page.keyboard.press("Enter")

    add_line(page, "SET-MUG", 2, code="SET-MUG")
    add_line(page, "navy tote", 1, code="TOTE-NAVY")
    initials = page.locator('#entry-lines tr[data-sku="TOTE-NAVY"] .personalization-field')
    wait_focus(page, initials.get_attribute("id"))  # a personalized line asks for its fields first
    page.keyboard.type("ADA")
    page.keyboard.press("Enter")
    add_line(page, "LAMP-BRASS", 1, code="LAMP-BRASS")

    lamp_info = page.locator('#entry-lines tr[data-sku="LAMP-BRASS"] .backorder')
    lamp_info.wait_for()
    assert "expected" in lamp_info.inner_text()
    kit_row = page.locator('#entry-lines tr[data-sku="SET-MUG"]')
    assert "EAST" in kit_row.inner_text()  # availability by warehouse, for the kit too
    assert page.locator("#source-feedback").inner_text().startswith("✓ CAT25 applied")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert page.locator("#total-total").inner_text().startswith("$")

    page.keyboard.press("Control+Enter")

    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get()
    assert page.locator("#order-title").inner_text().startswith(f"Order {order.number}")
    assert (order.channel, order.customer, order.source_code) == ("phone", world.customer, "CAT25")
    assert [line.sku_code for line in order.lines.order_by("line_number")] == ["SET-MUG", "TOTE-NAVY", "LAMP-BRASS"]
    assert order.lines.get(sku_code="TOTE-NAVY").personalization == {"initials": "ADA"}
    lamp_row = page.locator('#order-lines tbody[data-sku="LAMP-BRASS"]')
    assert lamp_row.locator(".backordered").inner_text().startswith("1")
    assert page.locator("#toasts").inner_text().startswith(f"Order {order.number} was placed")


def test_a_three_line_order_for_a_returning_customer_without_the_mouse(page, sign_in):
    world = entry_world()
    sign_in("Agent")
    page.goto("/orders/new/")

    find_customer(page, "lovelace", number=world.customer.number)
    wait_focus(page, "source-code")  # the customer card is in and focus has moved on, as the agent sees
    page.keyboard.press("Enter")  # no source code: Enter goes on to the lines
    add_line(page, "MUG-RED", 3, code="MUG-RED")
    add_line(page, "COASTER", 4, code="COASTER-CORK")
    add_line(page, "blue mug", 1, code="MUG-BLUE")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    total = page.locator("#total-total").inner_text()
    page.keyboard.press("Control+Enter")

    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get()
    assert [(line.sku_code, line.quantity) for line in order.lines.order_by("line_number")] == [
        ("MUG-RED", 3), ("COASTER-CORK", 4), ("MUG-BLUE", 1)]
    assert page.locator("#order-total").inner_text() == total
    assert order.ship_to["line1"] == world.home.line1
