"""3PL hand-off: shipments out as CSV and through the API, confirmations back by import and API, once."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from inventory.models import StockMovement
from oms.imports.services import import_file
from orders.fulfillment.models import Shipment
from orders.fulfillment.tpl import CSV_COLUMNS, tpl_shipments_release
from orders.models import OrderStatus
from orders.tasks import tpl_release_task
from payments.models import JournalEntry
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import all_violations, level, line, place

pytestmark = pytest.mark.django_db
ROLES = ("Agent", "Warehouse", "Manager", "Accountant", "Admin")


@pytest.fixture
def tpl_warehouse():
    return WarehouseFactory(code="3PL", kind="3pl", priority=1)


@pytest.fixture
def mug(tpl_warehouse):
    sku = SkuFactory(code="MUG", name="Mug", list_price=Decimal("12.00"))
    stock(sku, tpl_warehouse, 10)
    return sku


@pytest.fixture
def released(tpl_warehouse, mug):
    first, second = place(lines=[line(mug, 2)]), place(lines=[line(mug, 1)])
    shipments = tpl_shipments_release(warehouse=tpl_warehouse)
    return first, second, shipments


def csv_bytes(header, *rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def test_release_makes_one_shipment_per_order_once(tpl_warehouse, released, mug):
    first, second, shipments = released
    assert [shipment.order_id for shipment in shipments] == [first.pk, second.pk]
    assert tpl_shipments_release(warehouse=tpl_warehouse) == []
    assert Shipment.objects.count() == 2
    # The beat's task releases what came in since, at every 3PL warehouse
    third = place(lines=[line(mug, 1)])
    assert tpl_release_task() == 1
    assert Shipment.objects.filter(order=third, warehouse=tpl_warehouse, status="pending").count() == 1


@pytest.mark.parametrize(("role", "allowed"), [(role, role in ("Warehouse", "Manager", "Admin"))
                                                for role in ROLES])
def test_the_csv_lists_the_open_shipments_per_role(role_client, tpl_warehouse, released, role, allowed):
    first, _second, shipments = released
    response = role_client(role).get(f"/fulfillment/3pl/{tpl_warehouse.code}/shipments.csv")
    if not allowed:
        assert response.status_code == 403
        return
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(row["shipment_number"], row["order_number"], row["sku_code"], row["quantity"], row["ship_to_city"])
            for row in rows] == [(shipments[0].number, first.number, "MUG", "2", "New York"),
                                 (shipments[1].number, shipments[1].order.number, "MUG", "1", "New York")]


def test_a_confirmation_file_imported_twice_ships_once(tpl_warehouse, mug, released):
    first, second, shipments = released
    data = csv_bytes(["warehouse_code", "shipment_number", "tracking_number", "carrier"],
                     ["3PL", shipments[0].number, "1ZAAA", "UPS"], ["3PL", shipments[1].number, "1ZBBB", "UPS"])
    preview = import_file(kind="shipment_confirmations", file=data, user=None, dry_run=True)
    assert (preview.new, preview.unchanged, preview.row_errors) == (2, 0, [])
    result = import_file(kind="shipment_confirmations", file=data, user=None, dry_run=False)
    assert (result.new, result.unchanged, result.file_errors) == (2, 0, [])
    again = import_file(kind="shipment_confirmations", file=data, user=None, dry_run=False)
    assert (again.new, again.unchanged, again.file_errors) == (0, 2, [])
    assert StockMovement.objects.filter(kind="shipment").count() == 2
    assert JournalEntry.objects.filter(source_type="orders.shipment").count() == 2
    assert level(mug, tpl_warehouse) == (7, 0)
    assert sorted(Shipment.objects.values_list("tracking_number", "carrier", "status")) == [
        ("1ZAAA", "UPS", "shipped"), ("1ZBBB", "UPS", "shipped")]
    first.refresh_from_db()
    assert first.status == OrderStatus.SHIPPED
    assert all_violations() == []


def test_a_confirmation_file_names_unknown_shipments(tpl_warehouse, released):
    data = csv_bytes(["warehouse_code", "shipment_number", "tracking_number"], ["3PL", "NOPE", "1Z"],
                     ["MARS", "NOPE", "1Z"])
    result = import_file(kind="shipment_confirmations", file=data, user=None, dry_run=False)
    assert [(error.row, error.column, error.message) for error in result.row_errors] == [
        (2, "shipment_number", "Warehouse 3PL has no shipment “NOPE”."),
        (3, "warehouse_code", "There is no warehouse “MARS”.")]
    assert not StockMovement.objects.filter(kind="shipment").exists()


def api_for(make_user, role):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user(role)).key}")
    return client


@pytest.mark.parametrize(("role", "reads", "confirms"), [
    ("Agent", False, False), ("Warehouse", True, True), ("Manager", True, True), ("Accountant", False, False),
    ("Admin", True, True)])  # Admin is a superuser
def test_the_api_serves_shipments_and_takes_confirmations_once_per_role(make_user, tpl_warehouse, mug, released,
                                                                       role, reads, confirms):
    _first, _second, shipments = released
    client = api_for(make_user, role)
    listed = client.get(f"/api/3pl/{tpl_warehouse.code}/shipments/")
    assert listed.status_code == (200 if reads else 403)
    if reads:
        assert [(shipment["number"], [(item["sku_code"], item["quantity"]) for item in shipment["lines"]])
                for shipment in listed.json()["shipments"]] == [(shipments[0].number, [("MUG", 2)]),
                                                                (shipments[1].number, [("MUG", 1)])]
    url = f"/api/shipments/{shipments[0].number}/confirm/"
    answer = client.post(url, {"tracking_number": "1ZAPI", "carrier": "UPS"}, format="json")
    assert answer.status_code == (200 if confirms else 403)
    if not confirms:
        assert not StockMovement.objects.filter(kind="shipment").exists()
        return
    assert answer.json()["shipped_now"] is True and answer.json()["amount"] == "24.00"
    replay = client.post(url, {"tracking_number": "1ZAPI", "carrier": "UPS"}, format="json")
    assert replay.status_code == 200 and replay.json()["shipped_now"] is False
    assert StockMovement.objects.filter(kind="shipment").count() == 1
    assert level(mug, tpl_warehouse) == (8, 1)
    assert client.post(url, {}, format="json").status_code == 400
    assert all_violations() == []
