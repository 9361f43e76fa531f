"""Customer reports: top customers, new against returning, and the RFM extraction checked by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Address
from reporting.rollups.engine import rollups_fold
from reporting.selectors.customers import new_and_returning, rfm_extraction, top_customers
from tests.orders_helpers import CALIFORNIA, NEW_YORK, OREGON, CustomerFactory
from tests.reporting_helpers import sale

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def shop(settings):
    settings.SHOP_TIME_ZONE = "America/New_York"
    settings.DEFAULT_CURRENCY = "USD"
    customers = {}
    for letter, opted_in in zip("ABCDEGH", (True, True, False, True, True, True, False)):
        customers[letter] = CustomerFactory(number=f"C-{letter}", first_name=letter, last_name="Test",
                                            marketing_opt_in=opted_in)
    a, e = customers["A"], customers["E"]
    a.default_ship_address = Address.objects.create(customer=a, **NEW_YORK)
    a.save()
    e.default_bill_address = Address.objects.create(customer=e, **CALIFORNIA)
    e.save()
    f = CustomerFactory(number="C-F", marketing_opt_in=True)
    # A: 3 orders, 300.00, last on 25 June (a draft does not count)
    sale(a, "2026-02-01", "100.00", source_code="SPRING")
    sale(a, "2026-04-01", "100.00")
    sale(a, "2026-06-25", "100.00", channel="web")
    sale(a, "2026-06-26", "999.00", status="draft")
    # B: 1 order, 50.00, on 10 January (the one in July is after the extraction's day)
    sale(customers["B"], "2026-01-10", "50.00", ship_to=OREGON, source_code="SPRING")
    sale(customers["B"], "2026-07-02", "70.00", ship_to=OREGON)
    # C (not opted in): 2 orders, 120.00, last on 1 June
    sale(customers["C"], "2026-05-01", "60.00", ship_to=OREGON)
    sale(customers["C"], "2026-06-01", "60.00", ship_to=OREGON)
    # D: 5 orders, 800.00, last on 29 June, but no address anywhere: not mailed
    for day in ("2026-01-05", "2026-02-05", "2026-03-05", "2026-04-05"):
        sale(customers["D"], day, "150.00")
    sale(customers["D"], "2026-06-29", "200.00")
    # E: 2 orders, 120.00, last on 15 March (its billing address is the mailing one)
    sale(e, "2026-03-01", "20.00", ship_to=OREGON)
    sale(e, "2026-03-15", "100.00", ship_to=OREGON, channel="web")
    # G: 1 order, 50.00, on 1 February
    sale(customers["G"], "2026-02-01", "50.00", ship_to=OREGON)
    # H (not opted in): 4 orders, 500.00, last on 1 May
    for day in ("2026-02-10", "2026-03-10", "2026-04-10", "2026-05-01"):
        sale(customers["H"], day, "125.00", ship_to=OREGON)
    # F: only a cancelled order: no customer of the population
    sale(f, "2026-06-01", "500.00", status="cancelled", ship_to=OREGON)
    rollups_fold()  # the reports read the per-customer rollup
    return customers


def by_number(rows) -> dict:
    return {row["number"]: row for row in rows}


def test_rfm_scores_match_the_hand_computation(shop):
    # Seven customers have counted orders by 30 June (n = 7); a score is ceil(5 k / 7) where k is how
    # many have a value no better than the customer's:
    #   recency (last order, oldest first): B 10 Jan k=1 → 1, G 1 Feb k=2 → 2, E 15 Mar k=3 → 3,
    #     H 1 May k=4 → 3, C 1 Jun k=5 → 4, A 25 Jun k=6 → 5, D 29 Jun k=7 → 5
    #   frequency: B, G 1 order k=2 → 2; C, E 2 orders k=4 → 3; A 3 k=5 → 4; H 4 k=6 → 5; D 5 k=7 → 5
    #   monetary:  B, G 50 k=2 → 2;      C, E 120 k=4 → 3;      A 300 k=5 → 4; H 500 → 5; D 800 → 5
    # Extracted: opted in with an address: A, B, E, G (C and H did not opt in; D has no address).
    rows = rfm_extraction(as_of=AS_OF, sort="number", limit=100)
    got = {row["number"]: (row["recency_days"], row["frequency"], row["monetary"], row["recency_score"],
                           row["frequency_score"], row["monetary_score"], row["rfm_cell"]) for row in rows}
    assert got == {
        # recency days to 30 June: 25 Jun → 5; 10 Jan → 21 + 28 + 31 + 30 + 31 + 30 = 171;
        # 15 Mar → 16 + 30 + 31 + 30 = 107; 1 Feb → 27 + 31 + 30 + 31 + 30 = 149
        "C-A": (5, 3, Decimal("300.000"), 5, 4, 4, "544"),
        "C-B": (171, 1, Decimal("50.000"), 1, 2, 2, "122"),
        "C-E": (107, 2, Decimal("120.000"), 3, 3, 3, "333"),
        "C-G": (149, 1, Decimal("50.000"), 2, 2, 2, "222"),
    }
    assert [row["number"] for row in rows] == ["C-A", "C-B", "C-E", "C-G"]
    mail = by_number(rows)
    # The mailing address: A's default shipping address, E's billing one, B's last order's ship-to.
    assert (mail["C-A"]["name"], mail["C-A"]["line1"], mail["C-A"]["postal_code"]) == (
        "Ada Lovelace", "350 Fifth Avenue", "10118")
    assert (mail["C-E"]["name"], mail["C-E"]["city"]) == ("Grace Hopper", "Cupertino")
    assert (mail["C-B"]["name"], mail["C-B"]["region"], mail["C-B"]["country"]) == ("Linus Pauling", "OR", "US")
    assert mail["C-A"]["last_order"].date() == dt.date(2026, 6, 25)
    assert mail["C-A"]["email"] == "c-a@example.com"


def test_rfm_filters_choose_who_is_extracted(shop):
    def numbers(**filters):
        filters.setdefault("as_of", AS_OF)
        return sorted(row["number"] for row in rfm_extraction(limit=100, **filters))

    assert numbers(min_spend=Decimal("100")) == ["C-A", "C-E"]
    assert numbers(max_orders=1) == ["C-B", "C-G"]
    assert numbers(min_orders=2, max_spend=Decimal("200")) == ["C-E"]
    assert numbers(source_code="spring") == ["C-A", "C-B"]
    assert numbers(channel="web") == ["C-A", "C-E"]
    assert numbers(last_order_from=dt.date(2026, 3, 15)) == ["C-A", "C-E"]
    assert numbers(last_order_to=dt.date(2026, 2, 1)) == ["C-B", "C-G"]
    assert numbers(min_recency_score=3, min_monetary_score=3) == ["C-A", "C-E"]
    # By 31 January only B and D had ordered (and D has no address).
    assert numbers(as_of=dt.date(2026, 1, 31)) == ["C-B"]


def test_rfm_pages_by_keyset_without_repeats(shop):
    first = rfm_extraction(as_of=AS_OF, sort="monetary", limit=3)
    second = rfm_extraction(as_of=AS_OF, sort="monetary", limit=3, after=first[-1]["_cursor"])
    assert [row["number"] for row in first] == ["C-A", "C-E", "C-G"]  # 300, 120, then the 50s by id, largest first
    assert [row["number"] for row in second] == ["C-B"]
    assert rfm_extraction(as_of=AS_OF, limit=3, after="not a cursor")[0]["number"] == first[0]["number"]


def test_top_customers_in_a_window(shop):
    rows = top_customers(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 6, 30), limit=3)
    assert [(row["number"], row["orders"], row["spend"], row["average_order"]) for row in rows] == [
        ("C-D", 5, Decimal("800.000"), Decimal("160.00")),
        ("C-H", 4, Decimal("500.000"), Decimal("125.00")),
        ("C-A", 3, Decimal("300.000"), Decimal("100.00")),
    ]
    rest = top_customers(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 6, 30), limit=10,
                         after=rows[-1]["_cursor"])
    # ties (C and E spent 120, B and G 50) go by customer, newest first
    assert [row["number"] for row in rest] == ["C-E", "C-C", "C-G", "C-B"]
    # The window keeps B's July order out, and a channel narrows it
    assert [row["number"] for row in top_customers(channel="web", sort="number")] == ["C-A", "C-E"]
    assert [(row["number"], row["spend"]) for row in top_customers(source_code="SPRING", sort="number")] == [
        ("C-A", Decimal("100.000")), ("C-B", Decimal("50.000"))]


def test_new_against_returning_by_month(shop):
    rows = new_and_returning(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 31), period="month")
    got = [(row["period_start"], row["new_customers"], row["new_orders"], row["new_spend"],
            row["returning_customers"], row["returning_orders"], row["returning_spend"]) for row in rows]
    assert got == [
        # March: E's first (20) is new, E's second (100) and D's (150) return, H's (125) returns
        (dt.date(2026, 3, 1), 1, 1, Decimal("20.000"), 3, 3, Decimal("375.000")),
        # February: A (100), G (50) and H (125) are new; D returns
        (dt.date(2026, 2, 1), 3, 3, Decimal("275.000"), 1, 1, Decimal("150.000")),
        # January: B and D are new
        (dt.date(2026, 1, 1), 2, 2, Decimal("200.000"), 0, 0, Decimal("0")),
    ]
    assert rows[0]["new_share"] == Decimal("25.00")
    older = new_and_returning(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 31), period="month",
                              after=rows[0]["_cursor"], limit=1)
    assert [row["period_start"] for row in older] == [dt.date(2026, 2, 1)]


# --- the registered reports -------------------------------------------------------------------------

CUSTOMER_REPORTS = ("customers-top", "customers-new-returning", "customers-rfm")


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize(("role", "status"), [("Manager", 200), ("Warehouse", 403), ("Agent", 403),
                                              ("Accountant", 403)])
def test_customer_reports_answer_each_role(role_client, role, status):
    client = role_client(role)
    for key in CUSTOMER_REPORTS:
        assert client.get(reverse("reporting:report", args=[key])).status_code == status, key
        for file_format in ("csv", "xlsx", "pdf"):
            response = client.get(reverse("reporting:report_file", args=[key, file_format]))
            assert response.status_code == status, (key, file_format)


def test_the_mailing_file_holds_the_hand_computed_rfm_of_opted_in_customers(shop, role_client):
    client = role_client("Manager")
    response = client.get(reverse("reporting:report_file", args=["customers-rfm", "csv"]),
                          {"as_of": "2026-06-30", "sort": "number"})
    assert response.status_code == 200
    header, *rows = csv_rows(response)
    assert header[:10] == ["Customer", "Name", "Company", "Address line 1", "Address line 2", "City",
                           "State / region", "Postal code", "Country", "Email"]
    assert header[10:] == ["Last order", "Days since last order", "Orders", "Total spend", "R", "F", "M", "RFM"]
    assert [row[:2] + row[3:4] + row[7:9] + row[10:] for row in rows] == [
        ["C-A", "Ada Lovelace", "350 Fifth Avenue", "10118", "US", "2026-06-25", "5", "3", "300.000",
         "5", "4", "4", "544"],
        ["C-B", "Linus Pauling", "1 Main Street", "97201", "US", "2026-01-10", "171", "1", "50.000",
         "1", "2", "2", "122"],
        ["C-E", "Grace Hopper", "1 Infinite Loop", "95014", "US", "2026-03-15", "107", "2", "120.000",
         "3", "3", "3", "333"],
        ["C-G", "Linus Pauling", "1 Main Street", "97201", "US", "2026-02-01", "149", "1", "50.000",
         "2", "2", "2", "222"],
    ]  # C and H did not opt in; D has no address
    page = client.get(reverse("reporting:report", args=["customers-rfm"]), {"as_of": "2026-06-30", "min_spend": "100"})
    assert page.status_code == 200 and "C-A" in page.content.decode() and "C-B" not in page.content.decode()


def test_a_formula_in_a_name_stays_text_in_the_mailing_file(shop, role_client):
    Address.objects.filter(customer__number="C-A").update(name='=HYPERLINK("http://x","y")')
    response = role_client("Manager").get(reverse("reporting:report_file", args=["customers-rfm", "csv"]),
                                          {"as_of": "2026-06-30", "sort": "number"})
    assert csv_rows(response)[1][1] == '\'=HYPERLINK("http://x","y")'


def test_bad_filters_show_the_form_errors(shop, role_client):
    response = role_client("Manager").get(reverse("reporting:report", args=["customers-rfm"]),
                                          {"min_spend": "500", "max_spend": "100"})
    assert response.status_code == 200 and "This is below the lower bound." in response.content.decode()
