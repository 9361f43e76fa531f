"""Entering and posting a vendor bill in a real browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from payments.payables.models import VendorBill
from tests.bills_helpers import ACCOUNTS_PAYABLE, GRNI, PPV, balance, received_order
from tests.factories import VendorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_accountant_enters_a_bill_from_the_keyboard_and_posts_it_with_an_override(page, sign_in):
    sign_in("Accountant")
    order = received_order((10, "4.000", 10), (6, "2.000", 4), vendor=VendorFactory(name="Lumen Supply"))
    first, second = order.lines.order_by("pk")
    page.goto(reverse("payables:bill_create"))

    # Choosing the purchase order brings its lines, prefilled with what was received and not billed.
    page.get_by_label("Purchase order").select_option(str(order.pk))
    expect(page.locator(f"#id_quantity_{first.pk}")).to_have_value("10")
    expect(page.locator(f"#id_quantity_{second.pk}")).to_have_value("4")
    expect(page.locator("#bill-order")).to_contain_text("Lumen Supply")
    page.get_by_label("Bill number").fill("LS-2041")
    page.keyboard.press("Tab")  # to the bill date, prefilled with today
    page.get_by_label("Freight").fill("6.50")
    page.get_by_label(f"Unit cost of {first.sku.code}").fill("4.300")
    page.get_by_label(f"Unit cost of {first.sku.code}").press("Enter")  # Enter saves the draft

    page.wait_for_url(re.compile(r"/payables/bills/\d+/$"))
    bill = VendorBill.objects.get(bill_number="LS-2041")
    expect(page.locator("#match-result")).to_have_attribute("data-matched", "false")
    expect(page.locator("#match-result")).to_contain_text(
        f"{first.sku.code}: billed at 4.3 a unit, the purchase order says 4.")
    expect(page.locator("#bill-total")).to_have_text("$57.50")

    page.get_by_label("Reason for the override").fill("Price rise agreed by phone")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Post with override").click()

    expect(page.locator("#bill-status")).to_have_text("Posted")
    expect(page.locator("#bill-override")).to_have_text("Price rise agreed by phone")
    bill.refresh_from_db()
    expect(page.locator("#bill-entry")).to_have_text(f"Entry {bill.posted_entry_id}")
    assert balance(ACCOUNTS_PAYABLE) == Decimal("-57.50")
    assert balance(PPV) == Decimal("3.00")
    assert balance(GRNI) == Decimal("0")


def test_dismissing_the_confirmation_posts_nothing(page, sign_in):
    sign_in("Accountant")
    order = received_order((2, "5.000", 2))
    page.goto(reverse("payables:bill_create") + f"?purchase_order={order.pk}")
    page.get_by_label("Bill number").fill("N-1")
    page.get_by_role("button", name="Save draft and match").click()
    page.wait_for_url(re.compile(r"/payables/bills/\d+/$"))
    expect(page.locator("#match-result")).to_have_attribute("data-matched", "true")

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Post bill").click()

    expect(page.locator("#bill-status")).to_have_text("Draft")
    assert VendorBill.objects.get(bill_number="N-1").status == VendorBill.Status.DRAFT
