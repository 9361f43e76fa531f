"""The pack station: scan the order or tote, scan each item (a wrong SKU refused), box and weight,
packing slip (PDF, by its text), label through the carriers' interface, confirm → ships once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import F

from inventory.models import StockMovement
from orders.fulfillment.carriers.models import CarrierRate, CarrierZone
from orders.fulfillment.models import Shipment, ShipmentLine
from orders.fulfillment.shipping import shipment_open
from orders.models import OrderStatus
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import all_violations, level, line, place
from tests.pdf_helpers import pdf_text

pytestmark = pytest.mark.django_db
ROLES = ("Agent", "Warehouse", "Manager", "Accountant", "Admin")


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="EAST", city="Newark", region="NJ", postal_code="07102", country="US")


@pytest.fixture
def picked(warehouse):
    """An order of 2 lamps and 1 shade, its shipment picked (the pick screens' work, done here)."""
    lamp = SkuFactory(code="LAMP", name="Lamp", barcode="0001112223334", list_price=Decimal("40.00"))
    shade = SkuFactory(code="SHADE", name="Shade", list_price=Decimal("15.00"))
    stock(lamp, warehouse, 5)
    stock(shade, warehouse, 5)
    order = place(lines=[line(lamp, 2), line(shade, 1)])
    shipment = shipment_open(order=order, warehouse=warehouse, user=None)
    ShipmentLine.objects.filter(shipment=shipment).update(picked_quantity=F("quantity"))
    Shipment.objects.filter(pk=shipment.pk).update(status="picked")
    shipment.refresh_from_db()
    return order, shipment, lamp, shade


@pytest.fixture
def zones():
    us = CarrierZone.objects.create(code="US", name="United States", country="US")
    CarrierRate.objects.create(zone=us, service="Ground", max_weight_grams=5000, amount=Decimal("9.00"),
                               transit_days=3)


@pytest.mark.parametrize(("role", "allowed"), [(role, role in ("Warehouse", "Manager", "Admin")) for role in ROLES])
def test_every_pack_view_checks_the_role(role_client, picked, role, allowed):
    _order, shipment, _lamp, _shade = picked
    client = role_client(role)
    expected = 200 if allowed else 403
    assert client.get("/fulfillment/pack/").status_code == expected
    assert client.get(f"/fulfillment/pack/{shipment.pk}/").status_code == expected
    assert client.get(f"/fulfillment/pack/{shipment.pk}/slip.pdf").status_code == expected
    for action in ("scan", "close", "label", "ship"):
        response = client.post(f"/fulfillment/pack/{shipment.pk}/{action}/", {"code": "LAMP"})
        assert (response.status_code == 403) == (not allowed), action
    if not allowed:
        assert ShipmentLine.objects.filter(packed_quantity__gt=0).count() == 0


def test_the_pack_forms_need_csrf(client, make_user, picked):
    from django.test import Client

    _order, shipment, _lamp, _shade = picked
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("Warehouse"))
    for action in ("scan", "close", "label", "ship"):
        assert strict.post(f"/fulfillment/pack/{shipment.pk}/{action}/", {"code": "LAMP"}).status_code == 403


def test_a_packer_scans_boxes_labels_and_ships_once(role_client, picked, zones, warehouse):
    order, shipment, lamp, shade = picked
    client = role_client("Warehouse")
    # Scan the order number: the station opens its shipment
    found = client.get("/fulfillment/pack/", {"code": order.number})
    assert found.status_code == 302 and found["Location"] == f"/fulfillment/pack/{shipment.pk}/"
    assert client.get("/fulfillment/pack/", {"code": "NOPE"}).status_code == 422
    # A wrong SKU is refused with a beep (an htmx event) and nothing is packed
    refused = client.post(f"/fulfillment/pack/{shipment.pk}/scan/", {"code": "MUG"}, HTTP_HX_REQUEST="true")
    assert "MUG is not in this shipment" in refused.content.decode()
    assert "pick-refused" in refused["HX-Trigger"]
    # Each item scanned: the lamp by its barcode, twice, and the shade by its code
    for code in ("0001112223334", "LAMP", "shade"):
        assert client.post(f"/fulfillment/pack/{shipment.pk}/scan/", {"code": code},
                           HTTP_HX_REQUEST="true").status_code == 200
    too_many = client.post(f"/fulfillment/pack/{shipment.pk}/scan/", {"code": "LAMP"}, HTTP_HX_REQUEST="true")
    assert "pick-refused" in too_many["HX-Trigger"]
    assert sorted(ShipmentLine.objects.values_list("order_line__sku_code", "packed_quantity")) == [
        ("LAMP", 2), ("SHADE", 1)]
    # Box and weight
    assert client.post(f"/fulfillment/pack/{shipment.pk}/close/", {"box": "", "weight_grams": "0"}).status_code == 422
    assert client.post(f"/fulfillment/pack/{shipment.pk}/close/", {"box": "M", "weight_grams": "1800"}
                       ).status_code == 302
    shipment.refresh_from_db()
    assert (shipment.status, shipment.box, shipment.weight_grams) == ("packed", "M", 1800)
    # The packing slip says what is in the box
    slip = client.get(f"/fulfillment/pack/{shipment.pk}/slip.pdf")
    text = pdf_text(slip.content)
    assert slip["Content-Type"] == "application/pdf"
    assert "Packing slip" in text and order.number in text and shipment.number in text and "Ada Lovelace" in text
    assert "LAMP" in text and "SHADE" in text
    # The label through the carriers' interface (the table-rate carrier)
    assert client.post(f"/fulfillment/pack/{shipment.pk}/label/").status_code == 302
    shipment.refresh_from_db()
    assert shipment.tracking_number and shipment.rate_amount == Decimal("9.00")
    # Confirm ships; a second click is told it shipped already
    assert client.post(f"/fulfillment/pack/{shipment.pk}/ship/").status_code == 302
    again = client.post(f"/fulfillment/pack/{shipment.pk}/ship/", follow=True)
    assert "was already shipped by" in again.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert StockMovement.objects.filter(kind="shipment").count() == 2
    assert level(lamp, warehouse) == (3, 0) and level(shade, warehouse) == (4, 0)
    assert all_violations() == []
