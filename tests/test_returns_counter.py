"""A store counter takes back an order bought on any channel into the store's stock; a customer returns
by a signed link without logging in, seeing only that order, and gets the label."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core import signing
from django.urls import reverse

from inventory.models import StockMovement, Warehouse
from inventory.services import stock_receive
from orders.models import OrderStatus, Rma
from orders.returns.self_service import self_service_url
from orders.returns.services import return_receive
from tests.factories import SkuFactory, WarehouseFactory
from tests.orders_helpers import NEW_YORK, line, place
from tests.returns_helpers import ship, us_zone

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def web_order():
    warehouse = WarehouseFactory(code="EAST", address_line="1 Dock Road", city="Newark", region="NJ",
                                 postal_code="07102")
    lamp = SkuFactory(code="LAMP", list_price=D("40.00"))
    stock_receive(sku=lamp, warehouse=warehouse, quantity=5, unit_cost=D("4.00"), user=None)
    order = place(lines=[line(lamp, 2)], channel="web", ship_to=NEW_YORK)
    ship(order, warehouse)
    us_zone()
    return order


def test_a_store_takes_back_a_web_order_into_its_own_stock(role_client, web_order):
    store = WarehouseFactory(code="SOHO", kind=Warehouse.Kind.STORE, ships=False)
    order_line = web_order.lines.get()
    client = role_client("Agent")
    page = client.get(reverse("returns:rma_new", args=[web_order.pk]) + "?store=1")
    assert page.status_code == 200 and "SOHO" in page.content.decode()
    response = client.post(reverse("returns:rma_new", args=[web_order.pk]), {
        "store": "1", "warehouse": store.pk, "outcome": "refund", f"quantity_{order_line.pk}": 1,
        f"reason_{order_line.pk}": "not_needed"})
    rma = Rma.objects.get()
    assert response.status_code == 302 and (rma.source, rma.warehouse) == ("store", store)
    return_receive(rma_line=rma.lines.get(), token=uuid.uuid4(), disposition="restock", user=None)
    movement = StockMovement.objects.get(kind="return")
    assert (movement.warehouse, movement.quantity, movement.value) == (store, 1, D("4.00"))


def test_the_customer_returns_by_signed_link_without_logging_in(client, web_order):
    other = place(lines=[line(web_order.lines.get().sku, 1)], channel="web")
    url = self_service_url(web_order)
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and web_order.number in body and other.number not in body
    order_line = web_order.lines.get()
    response = client.post(url, {"outcome": "refund", f"quantity_{order_line.pk}": 2,
                                 f"reason_{order_line.pk}": "damaged", "note": "box crushed"})
    assert response.status_code == 302
    rma = Rma.objects.get()
    assert (rma.source, rma.created_by, rma.lines.get().quantity, rma.note) == ("self_service", None, 2, "box crushed")
    web_order.refresh_from_db()
    assert web_order.status == OrderStatus.RETURN_REQUESTED
    body = client.get(url).content.decode()
    label_url = reverse("returns:self_service_label", args=[url.split("/")[-2], rma.pk])
    assert label_url in body
    assert client.get(label_url)["Content-Type"] == "application/pdf"


def test_a_tampered_or_foreign_link_shows_nothing(client, web_order):
    other = place(lines=[line(web_order.lines.get().sku, 1)], channel="web")
    token = self_service_url(web_order).split("/")[-2]
    assert client.get(reverse("returns:self_service", args=[token[:-2] + "xx"])).status_code == 404
    forged = signing.dumps({"order": other.pk}, salt="another-salt", compress=True)
    assert client.get(reverse("returns:self_service", args=[forged])).status_code == 404
    assert client.get(reverse("returns:self_service_label", args=[token, 999])).status_code == 404
    assert not Rma.objects.exists()


def test_the_customer_cannot_return_a_non_returnable_item(client, web_order):
    web_order.lines.get().sku.__class__.objects.update(is_returnable=False)
    order_line = web_order.lines.get()
    response = client.post(self_service_url(web_order), {
        "outcome": "refund", f"quantity_{order_line.pk}": 1, f"reason_{order_line.pk}": "damaged"})
    assert response.status_code == 422 and not Rma.objects.exists()
