"""The report framework: index per role, a report's page (filters, sort, keyset pages), CSV, XLSX and PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reporting.reports import registry
from tests.reports_helpers import rollups_current, sale, stocked_sku

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)  # a Monday


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def sales():
    """Phone: 2 orders on DAY, 1 the next day; web: 1 on DAY. Each line 10.00 (plus shipping and tax)."""
    shirt = stocked_sku("SHIRT")
    orders = [sale(sku=shirt, quantity=2, day=DAY), sale(sku=shirt, day=DAY),
              sale(sku=shirt, day=DAY + dt.timedelta(days=1)), sale(sku=shirt, day=DAY, channel="web")]
    rollups_current()
    return shirt, orders


@pytest.mark.parametrize(("role", "status"), [("Manager", 200), ("Accountant", 200), ("Warehouse", 200),
                                              ("Agent", 403), ("Admin", 200)])
def test_the_index_answers_each_role(role_client, role, status):
    response = role_client(role).get(reverse("reporting:report_index"))
    assert response.status_code == status


def test_the_index_lists_only_the_reports_the_user_may_see(role_client):
    manager = role_client("Manager").get(reverse("reporting:report_index")).content.decode()
    assert 'data-report="sales-by-channel"' in manager
    accountant = role_client("Accountant").get(reverse("reporting:report_index")).content.decode()
    assert 'data-report="sales-by-channel"' not in accountant


@pytest.mark.parametrize(("role", "status"), [("Manager", 200), ("Accountant", 403), ("Warehouse", 403),
                                              ("Agent", 403)])
def test_a_sales_report_and_its_files_answer_each_role(role_client, role, status):
    client = role_client(role)
    assert client.get(reverse("reporting:report", args=["sales-by-channel"])).status_code == status
    for file_format in ("csv", "xlsx", "pdf"):
        url = reverse("reporting:report_file", args=["sales-by-channel", file_format])
        assert client.get(url).status_code == status


def test_an_unknown_report_is_404(role_client):
    assert role_client("Manager").get(reverse("reporting:report", args=["no-such-report"])).status_code == 404


def test_sales_by_channel_groups_placed_orders_by_day_and_channel(sales):
    _shirt, orders = sales
    report = registry.get("sales-by-channel")
    rows = report.rows({"period": "day"}, sort="oldest", limit=10)
    got = [(row["period"], row["value"], row["orders"], row["revenue"]) for row in rows]
    phone_day = orders[0].total + orders[1].total
    assert got == [
        (DAY, "phone", 2, phone_day),
        (DAY, "web", 1, orders[3].total),
        (DAY + dt.timedelta(days=1), "phone", 1, orders[2].total),
    ]
    assert [column.key for column in report.columns] == ["period", "value", "orders", "revenue"]
    weekly = report.rows({"period": "week"}, sort="oldest", limit=10)
    assert [(row["period"], row["value"], row["orders"]) for row in weekly] == [(DAY, "phone", 3), (DAY, "web", 1)]
    only_web = report.rows({"period": "day", "value": "web", "date_from": DAY, "date_to": DAY},
                           sort="oldest", limit=10)
    assert [row["orders"] for row in only_web] == [1]


def test_keyset_pages_follow_each_other_without_a_count(sales, role_client):
    client = role_client("Manager")
    report = registry.get("sales-by-channel")
    everything = report.rows({}, sort="revenue", limit=100)
    first = report.rows({}, sort="revenue", limit=2)
    second = report.rows({}, sort="revenue", after=first[-1]["_cursor"], limit=2)
    assert [row["_cursor"] for row in first + second] == [row["_cursor"] for row in everything]
    revenues = [row["revenue"] for row in everything]
    assert revenues == sorted(revenues, reverse=True)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reporting:report", args=["sales-by-channel"]), {"sort": "revenue"})
    assert response.status_code == 200
    report_queries = [query["sql"].upper() for query in queries.captured_queries if "PERIOD" in query["sql"].upper()]
    assert len(report_queries) == 1  # one page query: no COUNT of the whole, no OFFSET
    assert "OFFSET" not in report_queries[0] and not report_queries[0].startswith("SELECT COUNT")
    assert response.context["rows"][0]["revenue"] == revenues[0]


def test_the_page_links_to_the_next_page_when_there_is_one(sales, role_client, monkeypatch):
    from reporting.reports import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    client = role_client("Manager")
    url = reverse("reporting:report", args=["sales-by-channel"])
    first = client.get(url, {"sort": "oldest"})
    assert len(first.context["rows"]) == 2 and first.context["next_cursor"]
    second = client.get(url, {"sort": "oldest", "after": first.context["next_cursor"]})
    assert [row["period"] for row in second.context["rows"]] == [DAY + dt.timedelta(days=1)]
    assert second.context["next_cursor"] is None
    garbled = client.get(url, {"sort": "oldest", "after": "%%%not-a-cursor"})
    assert len(garbled.context["rows"]) == 2  # the first page, not an error


def test_an_invalid_filter_shows_its_error_and_no_rows(sales, role_client):
    response = role_client("Manager").get(reverse("reporting:report", args=["sales-by-channel"]),
                                          {"date_from": "2026-03-05", "date_to": "2026-03-01"})
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "The end is before the start." in response.content.decode()


def test_the_csv_holds_every_row_and_quotes_formula_text(role_client):
    shirt = stocked_sku("SHIRT")
    sale(sku=shirt, day=DAY, channel="web", source_code='=HYPERLINK("http://x","y")')
    rollups_current()
    response = role_client("Manager").get(reverse("reporting:report_file", args=["sales-by-source-code", "csv"]))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(body_of(response).decode("utf-8-sig"))))
    assert rows[0] == ["Period", "Source code", "Orders", "Revenue"]
    assert rows[1][:3] == [DAY.isoformat(), "'=HYPERLINK(\"http://x\",\"y\")", "1"]
    assert Decimal(rows[1][3]) > Decimal("10")


def test_the_xlsx_keeps_formula_text_as_text(role_client):
    from openpyxl import load_workbook

    shirt = stocked_sku("SHIRT")
    sale(sku=shirt, day=DAY, source_code="=1+1")
    rollups_current()
    response = role_client("Manager").get(reverse("reporting:report_file", args=["sales-by-source-code", "xlsx"]))
    sheet = load_workbook(io.BytesIO(body_of(response))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("Period", "Source code", "Orders", "Revenue")
    assert values[1][1] == "=1+1" and sheet.cell(row=2, column=2).data_type == "s"
    assert values[1][2] == 1


def test_the_pdf_prints_the_rows(sales, role_client):
    from pypdf import PdfReader

    response = role_client("Manager").get(reverse("reporting:report_file", args=["sales-by-channel", "pdf"]),
                                          {"period": "month"})
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(body_of(response))).pages[0].extract_text()
    assert "Sales by channel" in text
    assert "phone" in text and "web" in text
    assert "By: Month" in text


@pytest.mark.parametrize(("key", "value", "orders", "units"), [
    ("sales-by-channel", "phone", 1, None), ("sales-by-sku", "SHIRT", None, 2), ("sales-by-source-code", "", 1, None),
    ("sales-by-customer-type", "retail", 1, 2), ("sales-by-shipping-method", "Ground", 1, 2),
    ("sales-by-payment-type", None, None, None), ("sales-by-warehouse", None, None, None),
])
def test_every_sales_dimension_answers_from_its_source(key, value, orders, units, role_client):
    shirt = stocked_sku("SHIRT")
    order = sale(sku=shirt, quantity=2, day=DAY)
    rollups_current()
    report = registry.get(key)
    rows = report.rows({"date_from": DAY, "date_to": DAY}, sort="newest", limit=10)
    assert role_client("Manager").get(reverse("reporting:report", args=[key])).status_code == 200
    if value is None:  # no tender taken, nothing shipped yet
        assert rows == []
        return
    assert [(row["period"], row["value"]) for row in rows] == [(DAY, value)]
    if orders is not None:
        assert rows[0]["orders"] == orders
    if units is not None:
        assert rows[0]["units"] == units
    assert rows[0]["revenue"] in (order.total, order.subtotal - order.discount_total)
    assert report.rows({"date_from": DAY + dt.timedelta(days=1)}, sort="newest", limit=10) == []
