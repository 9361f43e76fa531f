"""The receivables screens: who sees what (per role and URL), the aging page's filters, sort and
pages, its spreadsheet-safe CSV and XLSX exports, payments and deposits through the forms."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.postings import business_date
from payments.models import CustomerPayment, DepositBatch
from payments.receivables import services
from tests.ledger_helpers import balance
from tests.receivables_helpers import payments_violations, shipped_order, wholesale

pytestmark = pytest.mark.django_db
D = Decimal
ROLES = ("Agent", "Warehouse", "Manager", "Accountant", "Admin")


@pytest.fixture
def account():
    customer = wholesale(number="W-1")
    invoice = services.invoice_create(order=shipped_order(customer, "120.00"), amount=D("120.00"), user=None)
    payment = services.customer_payment_receive(customer=customer, amount=D("50.00"), method="check",
                                                reference="300", user=None)
    return customer, invoice, payment


def _get_urls(customer, invoice):
    return [
        reverse("receivables:aging"),
        reverse("receivables:aging") + "?export=csv",
        reverse("receivables:aging") + "?export=xlsx",
        reverse("receivables:customer_account", args=[customer.pk]),
        reverse("receivables:invoice_pdf", args=[invoice.pk]),
        reverse("receivables:statement_pdf", args=[customer.pk]),
        reverse("receivables:deposits"),
    ]


@pytest.mark.parametrize(("role", "allowed"), [("Agent", False), ("Warehouse", False), ("Manager", False),
                                               ("Accountant", True), ("Admin", True)])
def test_only_accountants_see_receivables_statements_aging_and_deposits(client, make_user, account, role, allowed):
    customer, invoice, _payment = account
    client.force_login(make_user(role))

    statuses = {url: client.get(url).status_code for url in _get_urls(customer, invoice)}

    assert statuses == dict.fromkeys(statuses, 200 if allowed else 403)


def test_signed_out_visitors_are_sent_to_sign_in(client, account):
    customer, invoice, _payment = account

    assert {client.get(url).status_code for url in _get_urls(customer, invoice)} == {302}


@pytest.mark.parametrize("role", ["Agent", "Warehouse", "Manager"])
def test_others_cannot_post_payments_or_deposits(client, make_user, account, role):
    customer, invoice, payment = account
    client.force_login(make_user(role))

    responses = [
        client.post(reverse("receivables:payment_receive", args=[customer.pk]),
                    {"amount": "10.00", "method": "wire", "received_on": business_date().isoformat()}),
        client.post(reverse("receivables:payment_apply", args=[payment.pk]), {"invoice": invoice.pk, "amount": "5"}),
        client.post(reverse("receivables:batch_create"), {"check": [payment.received_check.pk]}),
    ]

    assert [response.status_code for response in responses] == [403, 403, 403]
    assert (CustomerPayment.objects.count(), DepositBatch.objects.count()) == (1, 0)


def test_the_nav_shows_receivables_to_accountants_only(client, make_user):
    for role, shown in (("Accountant", True), ("Agent", False), ("Warehouse", False)):
        client.force_login(make_user(role))
        page = client.get(reverse("home")).content.decode()
        assert (reverse("receivables:aging") in page) is shown, role


def test_an_accountant_records_a_payment_applied_to_the_oldest_invoices(client, make_user, account):
    customer, invoice, _payment = account
    client.force_login(make_user("Accountant"))

    response = client.post(reverse("receivables:payment_receive", args=[customer.pk]), {
        "amount": "150.00", "method": "wire", "reference": "WIRE-9", "received_on": business_date().isoformat(),
        "apply_to_oldest": "on"})

    assert response.status_code == 302
    invoice.refresh_from_db()
    wire = CustomerPayment.objects.get(reference="WIRE-9")
    assert (invoice.status, invoice.amount_paid, wire.amount_applied) == ("paid", D("120.00"), D("120.00"))
    page = client.get(reverse("receivables:customer_account", args=[customer.pk])).content.decode()
    assert "$80.00" in page  # unapplied: 50.00 check + 30.00 of the wire
    assert payments_violations() == []


def test_an_accountant_batches_and_deposits_checks_through_the_page(client, make_user, account):
    _customer, _invoice, payment = account
    client.force_login(make_user("Accountant"))

    client.post(reverse("receivables:batch_create"), {"check": [payment.received_check.pk]})
    batch = DepositBatch.objects.get()
    client.post(reverse("receivables:batch_deposit", args=[batch.pk]), {"deposited_on": business_date().isoformat()})

    batch.refresh_from_db()
    assert batch.status == "deposited"
    assert balance("1010") == D("50.00")
    page = client.get(reverse("receivables:deposits")).content.decode()
    assert f'data-batch="{batch.number}"' in page and "No checks on hand." in page


def test_the_forms_need_their_csrf_token(make_user, account):
    customer, _invoice, payment = account
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("Accountant"))

    assert client.post(reverse("receivables:payment_receive", args=[customer.pk]), {
        "amount": "1.00", "method": "wire", "received_on": business_date().isoformat()}).status_code == 403
    assert client.post(reverse("receivables:batch_create"), {"check": [payment.received_check.pk]}).status_code == 403
    page = client.get(reverse("receivables:customer_account", args=[customer.pk])).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 1


def test_the_aging_page_filters_sorts_and_pages_without_a_query_per_row(client, make_user, settings):
    today = business_date()
    for index in range(7):
        customer = wholesale(number=f"A{index}", company=f"Company {index}")
        services.invoice_create(order=shipped_order(customer, f"{10 + index}.00"), amount=D(f"{10 + index}.00"),
                                user=None, issued_on=today - timedelta(days=30 + index * 20))
    client.force_login(make_user("Accountant"))
    from payments.receivables import views

    views.PAGE_SIZE, saved = 3, views.PAGE_SIZE
    try:
        with CaptureQueriesContext(connection) as first_queries:
            first = client.get(reverse("receivables:aging"), {"sort": "total"})
        second = client.get(reverse("receivables:aging"), {"sort": "total", "after": first.context["page"].next_cursor})
        third = client.get(reverse("receivables:aging"), {"sort": "total", "after": second.context["page"].next_cursor})
    finally:
        views.PAGE_SIZE = saved

    numbers = [row.customer_number for response in (first, second, third) for row in response.context["page"].rows]
    assert numbers == ["A6", "A5", "A4", "A3", "A2", "A1", "A0"]
    assert third.context["page"].next_cursor == ""
    assert first.context["page"].totals["USD"]["total"] == D("91.00")
    assert len(first_queries) <= 6  # session, user, permissions, rows, totals: none per row
    past_due = client.get(reverse("receivables:aging"), {"past_due": "on", "sort": "customer"})
    assert [row.customer_number for row in past_due.context["page"].rows] == ["A1", "A2", "A3", "A4", "A5", "A6"]
    partial = client.get(reverse("receivables:aging"), {"q": "Company 3"}, headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert html.lstrip().startswith('<div id="results">')
    assert html.count("data-customer=") == 1 and 'data-customer="A3"' in html


def test_exports_keep_formula_like_text_as_text(client, make_user):
    customer = wholesale(number="=CMD", company='=HYPERLINK("http://x","click")')
    services.invoice_create(order=shipped_order(customer, "10.00"), amount=D("10.00"), user=None)
    client.force_login(make_user("Accountant"))

    csv_lines = client.get(reverse("receivables:aging"), {"export": "csv"}).content.decode("utf-8-sig").splitlines()
    xlsx = client.get(reverse("receivables:aging"), {"export": "xlsx"})

    assert csv_lines[1].startswith("'=CMD,\"'=HYPERLINK(\"\"http://x\"\",\"\"click\"\")\",")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=False))
    assert [cell.value for cell in rows[0]][:2] == ["Customer", "Name"]
    assert (rows[1][0].value, rows[1][0].data_type) == ("=CMD", "s")
    assert (rows[1][1].value, rows[1][1].data_type) == ('=HYPERLINK("http://x","click")', "s")
    assert [cell.value for cell in rows[1][5:11]] == [10, 0, 0, 0, 0, 10]
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_an_accountant_applies_a_payment_and_voids_an_unpaid_invoice_from_the_account_page(client, make_user, account):
    customer, invoice, payment = account
    spare = services.invoice_create(order=shipped_order(customer, "15.00"), amount=D("15.00"), user=None)
    client.force_login(make_user("Accountant"))
    page = client.get(reverse("receivables:customer_account", args=[customer.pk])).content.decode()
    assert reverse("receivables:payment_apply", args=[payment.pk]) in page
    assert reverse("receivables:invoice_void", args=[spare.pk]) in page

    client.post(reverse("receivables:payment_apply", args=[payment.pk]), {"invoice": invoice.pk, "amount": "50.00"})
    client.post(reverse("receivables:invoice_void", args=[spare.pk]), {"reason": "Sent twice"})

    invoice.refresh_from_db()
    spare.refresh_from_db()
    assert (invoice.amount_paid, spare.status) == (D("50.00"), "void")
    assert payments_violations() == []


@pytest.mark.parametrize("role", ["Agent", "Warehouse", "Manager"])
def test_others_cannot_void_invoices(client, make_user, account, role):
    _customer, invoice, _payment = account
    client.force_login(make_user(role))

    assert client.post(reverse("receivables:invoice_void", args=[invoice.pk]), {"reason": "x"}).status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == "open"
