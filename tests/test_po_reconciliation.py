"""The purchase order reconciliation: received not billed, billed not received, price variances, and its CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.postings import business_date
from payments.payables.exports import spreadsheet_safe
from payments.payables.selectors import po_reconciliation
from payments.payables.services import vendor_bill_post
from tests.bills_helpers import bill_for, received_order, set_tolerance
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario():
    """Alpha's order: one line part billed, one billed ahead of its receipt. Beta's: one line billed
    above the order cost, and an order received and not billed at all (with a draft bill, which does not count)."""
    alpha, beta = VendorFactory(name="Alpha"), VendorFactory(name="Beta")
    set_tolerance(price_percent=Decimal("10"))
    mixed = received_order((10, "4.000", 10), (5, "2.000", 2), vendor=alpha)
    alpha_bill = vendor_bill_post(bill=bill_for(mixed, (6, "4.000"), (5, "2.000"), number="A-1"), user=None,
                                  override_reason="Rest of line 2 ships next week")
    priced = received_order((4, "10.000", 4), vendor=beta)
    beta_bill = vendor_bill_post(bill=bill_for(priced, (4, "10.500"), number="B-1"), user=None)
    unbilled = received_order((3, "1.000", 3), vendor=beta)
    bill_for(unbilled, (3, "1.000"), number="B-DRAFT")
    return {"alpha": alpha, "beta": beta, "mixed": mixed, "priced": priced, "unbilled": unbilled,
            "alpha_bill": alpha_bill, "beta_bill": beta_bill}


def gaps(items) -> list[tuple]:
    return [(gap.line.purchase_order.number, gap.line.sku.code, gap.received, gap.billed, gap.quantity, gap.value,
             [bill.bill_number for bill in gap.bills]) for gap in items]


def line_code(order, index: int) -> str:
    return order.lines.order_by("pk")[index].sku.code


def test_the_three_lists_as_of_today(scenario):
    mixed, priced, unbilled = scenario["mixed"], scenario["priced"], scenario["unbilled"]

    report = po_reconciliation(date_to=business_date())

    assert gaps(report.received_not_billed) == [
        (mixed.number, line_code(mixed, 0), 10, 6, 4, Decimal("16.00"), ["A-1"]),
        (unbilled.number, line_code(unbilled, 0), 3, 0, 3, Decimal("3.00"), []),
    ]
    assert gaps(report.billed_not_received) == [
        (mixed.number, line_code(mixed, 1), 2, 5, 3, Decimal("6.00"), ["A-1"]),
    ]
    assert [(line.bill.bill_number, line.purchase_order_line.sku.code, line.variance_amount)
            for line in report.variances] == [("B-1", line_code(priced, 0), Decimal("2.000"))]
    assert report.totals() == {"received_not_billed": Decimal("19.00"), "billed_not_received": Decimal("6.00"),
                               "variances": Decimal("2.000")}


def test_a_vendor_filter_keeps_only_that_vendors_orders(scenario):
    report = po_reconciliation(date_to=business_date(), vendor=scenario["beta"])

    assert [gap.line.purchase_order for gap in report.received_not_billed] == [scenario["unbilled"]]
    assert report.billed_not_received == []
    assert [line.bill for line in report.variances] == [scenario["beta_bill"]]


def test_as_of_a_day_counts_only_the_bills_dated_up_to_it(scenario):
    today = business_date()
    unbilled = scenario["unbilled"]
    vendor_bill_post(bill=bill_for(unbilled, (3, "1.000"), number="B-2", bill_date=today + dt.timedelta(days=1)),
                     user=None)

    as_of_today = po_reconciliation(date_to=today)
    as_of_tomorrow = po_reconciliation(date_to=today + dt.timedelta(days=1))

    assert unbilled in [gap.line.purchase_order for gap in as_of_today.received_not_billed]
    assert unbilled not in [gap.line.purchase_order for gap in as_of_tomorrow.received_not_billed]


def test_as_of_a_day_before_the_receipts_nothing_was_received(scenario):
    report = po_reconciliation(date_to=dt.date(2026, 11, 25))  # the bills are dated 20 November

    assert report.received_not_billed == []
    assert [(gap.line.purchase_order, gap.received, gap.billed) for gap in report.billed_not_received] == [
        (scenario["mixed"], 0, 6), (scenario["mixed"], 0, 5), (scenario["priced"], 0, 4)]


def test_orders_created_before_the_start_date_are_left_out(scenario):
    report = po_reconciliation(date_to=business_date(), date_from=business_date() + dt.timedelta(days=1))

    assert (report.received_not_billed, report.billed_not_received, report.variances) == ([], [], [])


def test_the_csv_has_every_row_of_the_three_lists(role_client, scenario):
    mixed, priced, unbilled = scenario["mixed"], scenario["priced"], scenario["unbilled"]
    client = role_client("Accountant")

    response = client.get(reverse("payables:reconciliation"), {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="po-reconciliation-{business_date().isoformat()}.csv"')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["Section", "Vendor", "Purchase order", "SKU", "Received", "Billed", "Quantity", "Order unit cost",
         "Bill unit cost", "Amount", "Bills"],
        ["Received, not billed", "Alpha", mixed.number, line_code(mixed, 0), "10", "6", "4", "4.000", "", "16.00",
         "A-1"],
        ["Received, not billed", "Beta", unbilled.number, line_code(unbilled, 0), "3", "0", "3", "1.000", "",
         "3.00", ""],
        ["Billed, not received", "Alpha", mixed.number, line_code(mixed, 1), "2", "5", "3", "2.000", "", "6.00",
         "A-1"],
        ["Price variance", "Beta", priced.number, line_code(priced, 0), "", "4", "4", "10.000", "10.500", "2.000",
         "B-1"],
    ]


def test_the_csv_defuses_cells_a_spreadsheet_would_run_as_formulas(role_client):
    hostile = VendorFactory(name='=HYPERLINK("http://evil.example","x")')
    received_order((2, "3.000", 2), vendor=hostile)
    client = role_client("Accountant")

    response = client.get(reverse("payables:reconciliation"), {"format": "csv", "vendor": hostile.pk})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][1] == "'" + hostile.name
    assert rows[1][4:7] == ["2", "0", "2"]


@pytest.mark.parametrize("value, cell", [
    # The shared rule (oms.exports): text that is a plain number stays a number, anything else is quoted.
    ("=1+2", "'=1+2"), ("+1", "+1"), ("-1", "-1"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("plain", "plain"), ("a=b", "a=b"), ("", ""), (None, ""), (Decimal("-2.50"), "-2.50"), (Decimal("3.000"), "3.000"),
])
def test_spreadsheet_safe_cells(value, cell):
    assert spreadsheet_safe(value) == cell
