"""Inventory and accounting reports: numbers against what the services wrote, per role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockLevel, StockMovement
from inventory.services import stock_adjust
from reporting.reports import registry
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.reports_helpers import sale, stocked_sku

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize(("role", "valuation", "inventory", "accounting"), [
    ("Manager", 200, 200, 200), ("Accountant", 200, 403, 200), ("Warehouse", 403, 200, 403),
    ("Agent", 403, 403, 403),
])
def test_each_role_sees_its_reports(role_client, role, valuation, inventory, accounting):
    client = role_client(role)
    for key, status in [("inventory-valuation", valuation), ("stock-history", inventory), ("dead-stock", inventory),
                        ("movement-journal", inventory), ("receivables-aging", accounting),
                        ("refunds", accounting), ("gift-card-liability", accounting),
                        ("tax-collected", accounting)]:
        assert client.get(reverse("reporting:report", args=[key])).status_code == status, key
        assert client.get(reverse("reporting:report_file", args=[key, "csv"])).status_code == status, key


def test_valuation_is_the_stock_levels_values_with_their_total():
    east, west = WarehouseFactory(code="EAST"), WarehouseFactory(code="WEST")
    shirt, socks = SkuFactory(code="SHIRT"), SkuFactory(code="SOCKS")
    stock(shirt, east, 10)  # at 4.000 a unit
    stock(socks, west, 3)
    report = registry.get("inventory-valuation")
    rows = report.rows({}, sort="sku", limit=10)
    assert [(row["sku_code"], row["warehouse"], row["on_hand"], row["value"]) for row in rows] == [
        ("SHIRT", "EAST", 10, Decimal("40.00")), ("SOCKS", "WEST", 3, Decimal("12.00"))]
    assert sum(level.value for level in StockLevel.objects.all()) == report.totals({})["value"] == Decimal("52.00")
    assert report.rows({"warehouse": west}, sort="value", limit=10)[0]["sku_code"] == "SOCKS"
    assert [row["sku_code"] for row in report.rows({"sku": "sh"}, sort="sku", limit=10)] == ["SHIRT"]


def test_stock_history_runs_on_hand_after_each_movement():
    east = WarehouseFactory(code="EAST")
    shirt = SkuFactory(code="SHIRT")
    stock(shirt, east, 10)
    stock_adjust(sku=shirt, warehouse=east, quantity=-3, reason="damaged", user=None)
    stock(shirt, east, 5)
    report = registry.get("stock-history")
    rows = report.rows({"sku": "shirt"}, sort="oldest", limit=10)
    assert [(row["quantity"], row["on_hand_after"]) for row in rows] == [(10, 10), (-3, 7), (5, 12)]
    assert rows[-1]["on_hand_after"] == StockLevel.objects.get(sku=shirt, warehouse=east).on_hand
    assert rows[-1]["value_after"] == StockLevel.objects.get(sku=shirt, warehouse=east).value
    newest = report.rows({"sku": "SHIRT"}, sort="newest", limit=2)
    assert [row["quantity"] for row in newest] == [5, -3]
    assert [row["quantity"] for row in report.rows({"sku": "SHIRT"}, sort="newest", after=newest[-1]["_cursor"],
                                                   limit=2)] == [10]
    assert report.rows({}, sort="newest", limit=10) == []  # no SKU asked for


def test_dead_stock_is_stock_not_shipped_within_the_days():
    east = WarehouseFactory(code="EAST")
    still, moving = SkuFactory(code="STILL"), SkuFactory(code="MOVING")
    stock(still, east, 4)
    stock(moving, east, 4)
    report = registry.get("dead-stock")

    def shipped(days_ago: int) -> None:
        # Movements are never edited (a trigger), so an old one is inserted with its time.
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO inventory_stockmovement (sku_id, warehouse_id, kind, quantity, value, reason, "
                           "reference, created_at) VALUES (%s, %s, 'shipment', -1, 0, '', 'S1', %s)",
                           [moving.pk, east.pk, timezone.now() - dt.timedelta(days=days_ago)])

    shipped(100)
    assert [row["sku_code"] for row in report.rows({}, sort="sku", limit=10)] == ["MOVING", "STILL"]
    assert [row["sku_code"] for row in report.rows({"days": 200}, sort="sku", limit=10)] == ["STILL"]
    shipped(2)
    assert [row["sku_code"] for row in report.rows({}, sort="sku", limit=10)] == ["STILL"]


def test_the_movement_journal_filters_and_pages_by_time():
    east = WarehouseFactory(code="EAST")
    shirt, socks = SkuFactory(code="SHIRT"), SkuFactory(code="SOCKS")
    stock(shirt, east, 10)
    stock(socks, east, 2)
    stock_adjust(sku=shirt, warehouse=east, quantity=-1, reason="lost", user=None)
    report = registry.get("movement-journal")
    rows = report.rows({}, sort="newest", limit=2)
    assert [(row["sku_code"], row["quantity"]) for row in rows] == [("SHIRT", -1), ("SOCKS", 2)]
    assert [row["quantity"] for row in report.rows({}, sort="newest", after=rows[-1]["_cursor"], limit=2)] == [10]
    assert [row["quantity"] for row in report.rows({"kind": "adjustment"}, sort="newest", limit=5)] == [-1]
    assert [row["quantity"] for row in report.rows({"sku": "socks"}, sort="newest", limit=5)] == [2]


def test_tax_collected_by_ship_to_jurisdiction():
    from tests.orders_helpers import CALIFORNIA, tax_rates

    tax_rates()
    shirt = stocked_sku("SHIRT")
    new_york = [sale(sku=shirt, day=DAY), sale(sku=shirt, quantity=2, day=DAY + dt.timedelta(days=3))]
    california = sale(sku=shirt, day=DAY, ship_to=CALIFORNIA)
    report = registry.get("tax-collected")
    rows = report.rows({}, sort="jurisdiction", limit=10)
    assert [(row["country"], row["region"], row["orders"], row["tax"]) for row in rows] == [
        ("US", "CA", 1, california.tax_total), ("US", "NY", 2, sum(order.tax_total for order in new_york))]
    assert california.tax_total > 0
    assert rows[0]["period"] == dt.date(2026, 3, 1)


def test_gift_card_liability_sums_the_open_balances():
    from payments.giftcards.models import GiftCard

    def card(last4: str, balance: str, status: str = "active") -> GiftCard:
        return GiftCard.objects.create(code_hash=last4 * 16, last4=last4, kind="sold", status=status, currency="USD",
                                       initial_amount=Decimal("50.00"), balance=Decimal(balance), funded_by="test")

    card("1111", "50.00"), card("2222", "12.50"), card("3333", "0.00"), card("4444", "9.00", status="void")
    report = registry.get("gift-card-liability")
    rows = report.rows({}, sort="balance", limit=10)
    assert [(row["last4"], row["balance"]) for row in rows] == [("…1111", Decimal("50.00")), ("…2222", Decimal("12.50"))]
    assert report.totals({})["balance"] == Decimal("62.50")


def test_receivables_aging_comes_from_the_receivables_selector(role_client):
    from payments.receivables.selectors import aging_rows

    report = registry.get("receivables-aging")
    as_of = timezone.localdate()
    expected, _cursor = aging_rows(as_of=as_of)
    rows = report.rows({"as_of": as_of}, sort="customer", limit=50)
    assert [row["customer_number"] for row in rows] == [row.customer_number for row in expected]
    page = role_client("Accountant").get(reverse("reporting:report", args=["receivables-aging"]))
    assert page.status_code == 200
