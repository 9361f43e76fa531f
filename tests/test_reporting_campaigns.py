"""Campaign results: orders, revenue, response, cost per order, margin from the ledger and ROI, by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.services import stock_receive
from marketing.models import Campaign, SourceCode
from orders.fulfillment.shipping import shipment_confirm, shipment_open
from orders.services import order_cancel
from reporting.rollups.engine import rollups_fold
from reporting.selectors.campaigns import campaign_results
from tests.factories import SkuFactory, UserFactory, WarehouseFactory
from tests.orders_helpers import OREGON, ground, line, place

pytestmark = pytest.mark.django_db

FIELDS = ("orders", "revenue", "average_order", "circulated", "response_rate", "cost", "cost_per_order",
          "shipped_revenue", "cogs", "gross_margin", "margin_rate", "roi")


@pytest.fixture
def fall():
    """Campaign FALL: codes A and B dropped on 1 September, C on 1 October; lamps cost 10.00 each.

    A: two orders shipped (2 lamps: 80 + shipping 7 = 87; 1 lamp: 40 + 6 = 46); B: one order (46)
    not shipped yet; C: one order of 3 lamps shipped (120 + 8 = 128) and one cancelled. No tax (Oregon).
    """
    warehouse = WarehouseFactory(code="EAST", priority=1)
    lamp = SkuFactory(code="LAMP", list_price=Decimal("40.00"))
    stock_receive(sku=lamp, warehouse=warehouse, quantity=20, unit_cost=Decimal("10.00"), user=None)
    campaign = Campaign.objects.create(code="FALL", name="Fall catalog", medium="catalog")
    september, october = dt.date(2026, 9, 1), dt.date(2026, 10, 1)
    for code, mailed_on, quantity, cost in (("FALL-A", september, 1000, "50.00"), ("FALL-B", september, 500, "25.00"),
                                            ("FALL-C", october, 2000, "40.00")):
        SourceCode.objects.create(code=code, campaign=campaign, mailed_on=mailed_on, quantity_circulated=quantity,
                                  cost=Decimal(cost))
    winter = Campaign.objects.create(code="WINTER", name="Winter email", medium="email", cost=Decimal("60.00"),
                                     quantity_circulated=100)
    SourceCode.objects.create(code="WIN-1", campaign=winter, quantity_circulated=1, cost=Decimal("999.00"))
    packer = UserFactory(username="packer")

    def order(code: str, lamps: int, *, ship: bool = True):
        placed = place(lines=[line(lamp, lamps)], source_code=code, ship_to=OREGON, shipping_method=ground())
        if ship:
            shipment_confirm(shipment=shipment_open(order=placed, warehouse=warehouse, user=packer), user=packer)
        return placed

    order("FALL-A", 2)
    order("FALL-A", 1)
    order("FALL-B", 1, ship=False)
    order("FALL-C", 3)
    order_cancel(order=order("FALL-C", 1, ship=False), user=packer, reason="changed mind")
    rollups_fold()  # the report reads the daily × source code rollup
    return campaign


def results(level: str, **filters) -> dict:
    return {row["label"]: tuple(row[field] for field in FIELDS)
            for row in campaign_results(level=level, sort="code", limit=100, **filters)}


def money(text: str) -> Decimal:
    return Decimal(text)


def test_source_code_results_match_the_hand_computation(fall):
    got = results("source_code", campaign_id=fall.pk)
    assert got == {
        # A: 2 orders, 87 + 46 = 133 (66.50 each); 2 of 1000 = 0.20 %; 50 / 2 = 25.00 per order;
        # shipped 133 with 3 lamps at 10.00: margin 103 (103 / 133 = 77.44 %); ROI (103 − 50) / 50 = 106 %
        "FALL-A": (2, money("133.000"), money("66.50"), 1000, money("0.20"), money("50.000"), money("25.00"),
                   money("133.000"), money("30.000"), money("103.000"), money("77.44"), money("106.00")),
        # B: 1 order of 46, not shipped: no margin yet; ROI (0 − 25) / 25 = −100 %
        "FALL-B": (1, money("46.000"), money("46.00"), 500, money("0.20"), money("25.000"), money("25.00"),
                   money("0"), money("0"), money("0"), None, money("-100.00")),
        # C: 1 order of 128 (the cancelled one does not count); 1 of 2000 = 0.05 %;
        # margin 128 − 30 = 98 (76.56 %); ROI (98 − 40) / 40 = 145 %
        "FALL-C": (1, money("128.000"), money("128.00"), 2000, money("0.05"), money("40.000"), money("40.00"),
                   money("128.000"), money("30.000"), money("98.000"), money("76.56"), money("145.00")),
    }


def test_drop_and_campaign_results_add_up_their_codes(fall):
    drops = results("drop", campaign_id=fall.pk)
    assert drops == {
        # 1 September = A + B: 1500 mailed for 75.00; 3 orders, 179 (59.67 each); 0.20 %; 25.00 per order;
        # margin 103 (of 133 shipped: 77.44 %); ROI (103 − 75) / 75 = 37.33 %
        "FALL 2026-09-01": (3, money("179.000"), money("59.67"), 1500, money("0.20"), money("75.000"), money("25.00"),
                            money("133.000"), money("30.000"), money("103.000"), money("77.44"), money("37.33")),
        "FALL 2026-10-01": (1, money("128.000"), money("128.00"), 2000, money("0.05"), money("40.000"), money("40.00"),
                            money("128.000"), money("30.000"), money("98.000"), money("76.56"), money("145.00")),
    }
    campaigns = results("campaign")
    # FALL has no figures of its own: 3500 mailed for 115.00, 4 orders, 307 (76.75 each), 4 / 3500 = 0.11 %,
    # 28.75 per order; shipped 261, COGS 60, margin 201 (77.01 %); ROI (201 − 115) / 115 = 74.78 %.
    assert campaigns["FALL"] == (4, money("307.000"), money("76.75"), 3500, money("0.11"), money("115.000"),
                                 money("28.75"), money("261.000"), money("60.000"), money("201.000"),
                                 money("77.01"), money("74.78"))
    # WINTER's own circulation and cost win over its code's; no orders: no average, ROI −100 %.
    assert campaigns["WINTER"] == (0, money("0"), None, 100, money("0.00"), money("60.000"), None, money("0"),
                                   money("0"), money("0"), None, money("-100.00"))


def test_results_filter_sort_and_page(fall):
    assert list(results("campaign", medium="email")) == ["WINTER"]
    assert results("source_code", date_to=dt.date(2020, 1, 1), campaign_id=fall.pk)["FALL-A"][:2] == (0, 0)
    assert results("source_code", channel="web", campaign_id=fall.pk)["FALL-C"][0] == 0
    by_roi = campaign_results(level="source_code", sort="roi", limit=2)
    assert [row["label"] for row in by_roi] == ["FALL-C", "FALL-A"]
    rest = campaign_results(level="source_code", sort="roi", limit=10, after=by_roi[-1]["_cursor"])
    # both at −100 %: the newer code first
    assert [row["label"] for row in rest] == ["WIN-1", "FALL-B"]


# --- the registered report --------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("Manager", 200), ("Warehouse", 403), ("Agent", 403),
                                              ("Accountant", 403)])
def test_the_campaign_report_answers_each_role(role_client, role, status):
    client = role_client(role)
    assert client.get(reverse("reporting:report", args=["campaign-results"])).status_code == status
    for file_format in ("csv", "xlsx", "pdf"):
        response = client.get(reverse("reporting:report_file", args=["campaign-results", file_format]))
        assert response.status_code == status, file_format


def test_the_campaign_csv_carries_the_hand_computed_roi(fall, role_client):
    response = role_client("Manager").get(reverse("reporting:report_file", args=["campaign-results", "csv"]),
                                          {"level": "campaign", "sort": "code"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header == ["Campaign", "Code, drop or campaign", "Dropped on", "Circulated", "Cost", "Orders", "Revenue",
                      "Average order", "Response rate (%)", "Cost per order", "Shipped revenue", "Cost of goods",
                      "Gross margin", "Margin (%)", "ROI (%)"]
    fall_row = dict(zip(header, rows[0]))
    # (261 shipped − 60 COGS − 115 cost) ÷ 115 = 74.78 %
    assert (fall_row["Campaign"], fall_row["Cost"], fall_row["Gross margin"], fall_row["ROI (%)"]) == (
        "FALL", "115.000", "201.000", "74.78")
    assert (fall_row["Orders"], fall_row["Response rate (%)"], fall_row["Cost per order"]) == ("4", "0.11", "28.75")
    page = role_client("Manager").get(reverse("reporting:report", args=["campaign-results"]),
                                      {"level": "drop", "campaign": fall.pk})
    assert page.status_code == 200 and "FALL 2026-09-01" in page.content.decode()


def test_a_manager_gives_a_source_code_its_drop_circulation_and_cost(role_client):
    campaign = Campaign.objects.create(code="SPRING", name="Spring catalog")
    client = role_client("Manager")
    response = client.post(reverse("marketing:sourcecode_create"), {
        "code": "spr-1", "campaign": campaign.pk, "free_shipping_minimum": "0", "mailed_on": "2026-03-01",
        "quantity_circulated": "25000", "cost": "1234.50"})
    assert response.status_code == 302
    code = SourceCode.objects.get(code="SPR-1")
    assert (code.mailed_on, code.quantity_circulated, code.cost) == (dt.date(2026, 3, 1), 25000, Decimal("1234.50"))
    # Left empty, they are none (the campaign's own figures may be all there is)
    response = client.post(reverse("marketing:sourcecode_edit", args=[code.pk]), {
        "code": "SPR-1", "campaign": campaign.pk, "free_shipping_minimum": "0", "quantity_circulated": "",
        "cost": ""})
    code.refresh_from_db()
    assert response.status_code == 302 and (code.mailed_on, code.quantity_circulated, code.cost) == (
        None, 0, Decimal("0"))
    assert "25,000" not in client.get(campaign.get_absolute_url()).content.decode()


def test_the_campaign_report_prints_its_roi(fall, role_client):
    from pypdf import PdfReader

    response = role_client("Manager").get(reverse("reporting:report_file", args=["campaign-results", "pdf"]),
                                          {"level": "campaign", "sort": "code"})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert "Campaign and source code results" in text and "FALL" in text and "74.78" in text
