"""Vendor bill screens: who may use them, the entry form's prefill, the match on the bill page, and posting."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from payments.ledger.models import JournalEntry
from payments.payables.models import VendorBill
from tests.bills_helpers import ACCOUNTS_PAYABLE, GRNI, balance, bill_for, received_order
from tests.screens_helpers import ROLES, count_queries, messages_of

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
ALLOWED = 200
DENIED = 403
REDIRECT = 302

# Who may open what: written out, not derived from oms.roles, so a change of roles shows up here.
ACCESS = {
    #                      Agent    Warehouse  Manager  Accountant Admin
    "bill_list":          (DENIED,  DENIED,    DENIED,  ALLOWED,   ALLOWED),
    "bill_create":        (DENIED,  DENIED,    DENIED,  ALLOWED,   ALLOWED),
    "bill_detail":        (DENIED,  DENIED,    DENIED,  ALLOWED,   ALLOWED),
    "bill_edit":          (DENIED,  DENIED,    DENIED,  ALLOWED,   ALLOWED),
    "bill_post":          (DENIED,  DENIED,    DENIED,  REDIRECT,  REDIRECT),
    "bill_void":          (DENIED,  DENIED,    DENIED,  REDIRECT,  REDIRECT),
    "reconciliation":     (DENIED,  DENIED,    DENIED,  ALLOWED,   ALLOWED),
    "reconciliation_csv": (DENIED,  DENIED,    DENIED,  ALLOWED,   ALLOWED),
}


@pytest.fixture
def bill():
    return bill_for(received_order((10, "4.000", 10)), (10, "4.000"))


def _request(client, view: str, bill: VendorBill):
    calls = {
        "bill_list": ("get", reverse("payables:bill_list"), {}),
        "bill_create": ("get", reverse("payables:bill_create"), {"purchase_order": bill.purchase_order_id}),
        "bill_detail": ("get", reverse("payables:bill_detail", args=[bill.pk]), {}),
        "bill_edit": ("get", reverse("payables:bill_edit", args=[bill.pk]), {}),
        "bill_post": ("post", reverse("payables:bill_post", args=[bill.pk]), {}),
        "bill_void": ("post", reverse("payables:bill_void", args=[bill.pk]), {"reason": "Entered twice"}),
        "reconciliation": ("get", reverse("payables:reconciliation"), {}),
        "reconciliation_csv": ("get", reverse("payables:reconciliation"), {"format": "csv"}),
    }
    method, url, data = calls[view]
    return getattr(client, method)(url, data)


@pytest.mark.parametrize("view", list(ACCESS))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_bill_screens_its_table_row_allows(role_client, bill, view, role):
    client = role_client(role)

    response = _request(client, view, bill)

    assert response.status_code == ACCESS[view][ROLES.index(role)]
    bill.refresh_from_db()
    changes = {"bill_post": "posted", "bill_void": "void"}
    assert bill.status == (changes.get(view, "draft") if response.status_code != DENIED else "draft")


@pytest.mark.parametrize("view", list(ACCESS))
def test_anonymous_visitors_are_sent_to_sign_in(client, bill, view):
    response = _request(client, view, bill)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("view", ["bill_post", "bill_void"])
def test_bill_actions_refuse_get(role_client, bill, view):
    response = role_client("Accountant").get(reverse(f"payables:{view}", args=[bill.pk]))

    assert response.status_code == 405
    bill.refresh_from_db()
    assert bill.status == VendorBill.Status.DRAFT


@pytest.mark.parametrize("role, expected", [
    ("Agent", set()), ("Warehouse", set()), ("Manager", set()),
    ("Accountant", {"Vendor bills", "PO reconciliation"}), ("Admin", {"Vendor bills", "PO reconciliation"}),
])
def test_navigation_shows_the_payables_screens_to_accountants_only(role_client, role, expected):
    from oms.navigation import items_for

    user = role_client(role).get(reverse("home")).wsgi_request.user

    assert {str(item.label) for item in items_for(user)} & {"Vendor bills", "PO reconciliation"} == expected


def _input_value(body: str, name: str) -> str | None:
    """The value of the input called ``name`` in ``body`` (None when it has none)."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', body).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return value.group(1) if value else None


# --- entering a bill ------------------------------------------------------------------------------


def test_the_entry_form_prefills_each_line_with_what_was_received_and_not_billed(role_client):
    order = received_order((10, "4.000", 10), (5, "2.500", 2), (3, "1.000", 0))
    first, second, third = order.lines.order_by("pk")
    bill_for(order, (6, "4.000"), number="EARLIER")
    from payments.payables.services import vendor_bill_post

    vendor_bill_post(bill=VendorBill.objects.get(bill_number="EARLIER"), user=None)
    client = role_client("Accountant")

    response = client.get(reverse("payables:bill_create"), {"purchase_order": order.pk}, headers=HTMX)

    assert response.status_code == 200
    assert re.match(r'\s*<section [^>]*id="bill-lines">', response.content.decode())
    body = response.content.decode()
    assert [(_input_value(body, f"quantity_{line.pk}"), _input_value(body, f"unit_cost_{line.pk}"))
            for line in (first, second, third)] == [("4", "4.000"), ("2", "2.500"), (None, "1.000")]
    assert b'id="bill-line-table"' in response.content and b"<html" not in response.content


def test_the_entry_form_without_a_purchase_order_asks_for_one(role_client):
    response = role_client("Accountant").get(reverse("payables:bill_create"))

    assert response.status_code == 200
    assert b"Choose a purchase order to see its lines." in response.content


def test_entering_a_bill_saves_a_draft_and_opens_its_page(role_client):
    order = received_order((10, "4.000", 10), (5, "2.000", 5))
    first, second = order.lines.order_by("pk")
    client = role_client("Accountant")

    response = client.post(reverse("payables:bill_create"), {
        "purchase_order": order.pk, "bill_number": "INV-100", "bill_date": "2026-11-20", "due_date": "2026-12-20",
        "freight": "7.50", "notes": "",
        f"quantity_{first.pk}": "10", f"unit_cost_{first.pk}": "4.100",
        f"quantity_{second.pk}": "", f"unit_cost_{second.pk}": "2.000",
    })

    bill = VendorBill.objects.get()
    assert response.status_code == 302 and response["Location"] == bill.get_absolute_url()
    assert (bill.bill_number, str(bill.freight), bill.status) == ("INV-100", "7.500", "draft")
    assert list(bill.lines.values_list("purchase_order_line_id", "quantity", "unit_cost")) == [
        (first.pk, 10, Decimal("4.100"))]
    assert JournalEntry.objects.filter(source_type="payments.vendorbill").count() == 0


def test_a_refused_entry_shows_the_reason_and_writes_nothing(role_client):
    order = received_order((10, "4.000", 10))
    line = order.lines.get()
    bill_for(order, (1, "4.000"), number="INV-1")
    client = role_client("Accountant")

    response = client.post(reverse("payables:bill_create"), {
        "purchase_order": order.pk, "bill_number": "inv-1", "bill_date": "2026-11-20",
        f"quantity_{line.pk}": "3", f"unit_cost_{line.pk}": "",
    })

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        f"{order.vendor.name} already has a bill numbered inv-1."]
    assert VendorBill.objects.count() == 1


def test_an_entry_with_no_quantities_is_refused(role_client):
    order = received_order((10, "4.000", 10))
    line = order.lines.get()

    response = role_client("Accountant").post(reverse("payables:bill_create"), {
        "purchase_order": order.pk, "bill_number": "INV-2", "bill_date": "2026-11-20", f"quantity_{line.pk}": "",
    })

    assert response.context["form"].non_field_errors() == ["Enter a quantity for at least one line."]
    assert VendorBill.objects.count() == 0


# --- the bill page and posting ----------------------------------------------------------------------


def test_the_bill_page_shows_a_clean_match_and_the_post_button(role_client, bill):
    response = role_client("Accountant").get(bill.get_absolute_url())

    assert response.status_code == 200
    assert response.context["match"].is_matched
    assert b'data-matched="true"' in response.content
    assert b'id="post-form"' in response.content and b"Post bill" in response.content
    assert b"override_reason" not in response.content


def test_the_bill_page_of_a_flagged_bill_lists_the_problems_and_asks_for_a_reason(role_client):
    order = received_order((10, "4.000", 10))
    flagged = bill_for(order, (12, "4.000"))

    response = role_client("Accountant").get(flagged.get_absolute_url())

    assert b'data-matched="false"' in response.content
    code = order.lines.get().sku.code
    assert f"{code}: 12 billed in all but 10 received (2 more than received).".encode() in response.content
    assert b'name="override_reason"' in response.content and b"Post with override" in response.content


def test_posting_from_the_page_writes_the_entry_and_shows_it(role_client, bill):
    client = role_client("Accountant")

    response = client.post(reverse("payables:bill_post", args=[bill.pk]), follow=True)

    bill.refresh_from_db()
    assert bill.status == VendorBill.Status.POSTED
    assert messages_of(response) == ["Bill INV-1 was posted."]
    assert f'Entry {bill.posted_entry_id}'.encode() in response.content
    assert b'id="post-form"' not in response.content
    assert balance(GRNI) == Decimal("0") and balance(ACCOUNTS_PAYABLE) == Decimal("-40.00")


def test_posting_a_flagged_bill_without_a_reason_is_refused_with_the_problems(role_client):
    order = received_order((10, "4.000", 10))
    flagged = bill_for(order, (12, "4.000"))
    client = role_client("Accountant")

    response = client.post(reverse("payables:bill_post", args=[flagged.pk]), {"override_reason": ""})

    assert response.status_code == 409
    assert b'id="post-refused"' in response.content
    assert b"Correct the bill, or post it with a reason for the override." in response.content
    flagged.refresh_from_db()
    assert flagged.status == VendorBill.Status.DRAFT
    assert JournalEntry.objects.filter(source_type="payments.vendorbill").count() == 0


def test_posting_a_flagged_bill_with_a_reason_posts_it(role_client):
    flagged = bill_for(received_order((10, "4.000", 10)), (12, "4.000"))

    response = role_client("Accountant").post(reverse("payables:bill_post", args=[flagged.pk]),
                                              {"override_reason": "Two more are in transit"}, follow=True)

    flagged.refresh_from_db()
    assert (flagged.status, flagged.match_override_reason) == ("posted", "Two more are in transit")
    assert b"Two more are in transit" in response.content


def test_changing_a_draft_replaces_its_lines_and_keeps_its_purchase_order(role_client):
    order = received_order((10, "4.000", 10), (5, "2.000", 5))
    first, second = order.lines.order_by("pk")
    draft = bill_for(order, (12, "4.000"), None, number="INV-5")
    client = role_client("Accountant")
    page = client.get(reverse("payables:bill_edit", args=[draft.pk])).content.decode()
    assert [_input_value(page, f"quantity_{first.pk}"), _input_value(page, f"quantity_{second.pk}")] == ["12", None]

    response = client.post(reverse("payables:bill_edit", args=[draft.pk]), {
        "purchase_order": received_order((1, "1.000", 1)).pk,  # disabled: ignored
        "bill_number": "INV-5A", "bill_date": "2026-11-21", "freight": "",
        f"quantity_{first.pk}": "10", f"unit_cost_{first.pk}": "4.000",
        f"quantity_{second.pk}": "5", f"unit_cost_{second.pk}": "",
    })

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.bill_number, str(draft.bill_date), draft.purchase_order_id) == ("INV-5A", "2026-11-21", order.pk)
    assert list(draft.lines.order_by("purchase_order_line_id").values_list("purchase_order_line_id", "quantity")) == [
        (first.pk, 10), (second.pk, 5)]
    assert client.get(draft.get_absolute_url()).context["match"].is_matched


def test_a_posted_bill_cannot_be_changed(role_client, bill):
    from payments.payables.services import vendor_bill_post

    vendor_bill_post(bill=bill, user=None)
    client = role_client("Accountant")

    response = client.post(reverse("payables:bill_edit", args=[bill.pk]), {"bill_number": "X", "bill_date": "2026-11-20"},
                           follow=True)

    assert messages_of(response) == ["Bill INV-1 is Posted: only a draft can be changed."]
    bill.refresh_from_db()
    assert bill.bill_number == "INV-1"


def test_voiding_needs_a_reason(role_client, bill):
    response = role_client("Accountant").post(reverse("payables:bill_void", args=[bill.pk]), {"reason": ""})

    assert response.status_code == 400
    bill.refresh_from_db()
    assert bill.status == VendorBill.Status.DRAFT


# --- lists --------------------------------------------------------------------------------------------


def test_the_bill_list_filters_by_status_and_makes_the_same_queries_for_more_bills(role_client):
    order = received_order((50, "1.000", 50))
    client = role_client("Accountant")
    bill_for(order, (1, "1.000"), number="B-0")
    few = count_queries(client, reverse("payables:bill_list"))
    for number in range(1, 8):
        bill_for(order, (1, "1.000"), number=f"B-{number}")
    many = count_queries(client, reverse("payables:bill_list"))

    response = client.get(reverse("payables:bill_list"), {"status": "posted"}, headers=HTMX)

    assert many == few
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="bill-results">') and "No bills match." in body


def test_the_reconciliation_page_links_each_row_to_its_documents(role_client):
    order = received_order((10, "4.000", 10), (5, "2.000", 2))
    from payments.payables.services import vendor_bill_post

    bill = vendor_bill_post(bill=bill_for(order, (6, "4.000"), (5, "2.000")), user=None, override_reason="ok")

    response = role_client("Accountant").get(reverse("payables:reconciliation"))

    assert response.status_code == 200
    content = response.content.decode()
    assert f'href="{reverse("inventory:po_detail", args=[order.pk])}"' in content
    assert f'href="{bill.get_absolute_url()}"' in content
    assert content.count('data-po="' + order.number + '"') == 2


# --- the tolerances in the admin ---------------------------------------------------------------------


def test_the_admin_sets_the_one_row_of_tolerances_and_the_match_uses_it(role_client):
    from payments.payables.models import MatchTolerance

    client = role_client("Admin")
    assert client.get(reverse("admin:payments_matchtolerance_changelist"))["Location"] == reverse(
        "admin:payments_matchtolerance_add")

    response = client.post(reverse("admin:payments_matchtolerance_add"), {
        "quantity_units": "2", "quantity_percent": "0", "price_percent": "1.5", "price_amount": "0.02"})

    assert response.status_code == 302
    tolerance = MatchTolerance.objects.get()
    assert (tolerance.pk, tolerance.quantity_units, tolerance.price_percent) == (1, 2, Decimal("1.500"))
    assert client.get(reverse("admin:payments_matchtolerance_add")).status_code == 403
    assert client.get(reverse("admin:payments_matchtolerance_changelist"))["Location"] == reverse(
        "admin:payments_matchtolerance_change", args=[1])
    bill = bill_for(received_order((10, "4.000", 10)), (12, "4.050"))
    assert role_client("Accountant").get(bill.get_absolute_url()).context["match"].is_matched


@pytest.mark.parametrize("role", ["Agent", "Warehouse", "Manager", "Accountant"])
def test_only_the_admin_edits_the_tolerances(role_client, role):
    response = role_client(role).get(reverse("admin:payments_matchtolerance_changelist"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("role, shown", [("Agent", False), ("Warehouse", False), ("Manager", False),
                                         ("Accountant", True)])
def test_the_home_page_shows_accountants_the_drafts_and_the_orders_to_bill(role_client, role, shown):
    billed = received_order((2, "1.000", 2))
    from payments.payables.services import vendor_bill_post

    vendor_bill_post(bill=bill_for(billed, (2, "1.000"), number="DONE"), user=None)
    part_billed = received_order((4, "1.000", 4))
    bill_for(part_billed, (1, "1.000"), number="DRAFT-1")
    received_order((3, "1.000", 3))
    received_order((3, "1.000", 0))  # nothing received yet: nothing to bill

    body = role_client(role).get(reverse("home")).content.decode()

    assert ('id="home-payables"' in body) is shown
    if shown:
        assert re.search(r'data-count="draft-bills">1<', body)
        assert re.search(r'data-count="unbilled-orders">2<', body)
