"""The returns screens per role: agents create RMAs from the order page (with a label), the warehouse
receives by scan and sees no payment data, managers override, others get 403."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from inventory.services import stock_receive
from orders.models import OrderStatus, ReturnReceipt, Rma
from orders.returns.services import RmaLineRequest, rma_create, rma_label_buy
from tests.factories import SkuFactory, WarehouseFactory
from tests.orders_helpers import NEW_YORK, line, place
from tests.returns_helpers import ship, us_zone
from tests.pdf_helpers import decoded_barcodes

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def order():
    warehouse = WarehouseFactory(code="EAST", address_line="1 Dock Road", city="Newark", region="NJ",
                                 postal_code="07102")
    lamp = SkuFactory(code="LAMP", list_price=D("40.00"), barcode="0123456789012")
    stock_receive(sku=lamp, warehouse=warehouse, quantity=5, unit_cost=D("4.00"), user=None)
    order = place(lines=[line(lamp, 2)], ship_to=NEW_YORK)
    ship(order, warehouse)
    us_zone()
    return order


def form_data(order, units=1, **extra):
    order_line = order.lines.get()
    return {f"quantity_{order_line.pk}": units, f"reason_{order_line.pk}": "defective", "outcome": "refund",
            **extra}


def test_an_agent_creates_an_rma_from_the_order_page_with_a_return_label(role_client, order):
    import io

    client = role_client("Agent")
    page = client.get(order.get_absolute_url()).content.decode()
    assert reverse("returns:rma_new", args=[order.pk]) in page
    response = client.post(reverse("returns:rma_new", args=[order.pk]), form_data(order))
    rma = Rma.objects.get()
    assert response.status_code == 302 and response["Location"] == rma.get_absolute_url()
    assert (rma.source, rma.created_by.groups.get().name, rma.lines.get().quantity) == ("agent", "Agent", 1)
    order.refresh_from_db()
    assert order.status == OrderStatus.RETURN_REQUESTED
    # the label goes from the customer to the warehouse, with the RMA's number and a tracking barcode
    assert rma.label is not None and rma.label.shipment_reference == rma.number
    pdf = client.get(reverse("returns:rma_label", args=[rma.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert rma.label.tracking_number in text and rma.number in text
    assert ("Code 128", rma.label.tracking_number) in decoded_barcodes(pdf.content)
    assert "Ada Lovelace" in text and "Newark" in text
    detail = client.get(rma.get_absolute_url()).content.decode()
    assert rma.label.tracking_number in detail and 'id="rma-credit"' in detail


def test_an_agent_is_refused_too_many_units_and_nothing_is_written(role_client, order):
    response = role_client("Agent").post(reverse("returns:rma_new", args=[order.pk]), form_data(order, units=3))
    assert response.status_code == 422 and not Rma.objects.exists()


def test_a_manager_overrides_a_non_returnable_item_with_a_reason(role_client, order):
    order.lines.get().sku.__class__.objects.update(is_returnable=False)
    agent = role_client("Agent")
    response = agent.post(reverse("returns:rma_new", args=[order.pk]), form_data(order))
    assert response.status_code == 422 and "manager must authorize" in response.content.decode()
    manager = role_client("Manager")
    response = manager.post(reverse("returns:rma_new", args=[order.pk]),
                            form_data(order, override_reason="Damaged in transit"))
    assert response.status_code == 302
    assert Rma.objects.get().override_reason == "Damaged in transit"


@pytest.mark.parametrize("role", ["Warehouse", "Accountant"])
def test_other_roles_may_not_create_rmas(role_client, order, role):
    assert role_client(role).get(reverse("returns:rma_new", args=[order.pk])).status_code == 403
    assert role_client(role).post(reverse("returns:rma_new", args=[order.pk]), form_data(order)).status_code == 403
    assert not Rma.objects.exists()


@pytest.mark.parametrize("role", ["Agent", "Accountant"])
def test_only_the_warehouse_and_managers_receive(role_client, order, role):
    rma = rma_create(order=order, lines=[RmaLineRequest(order.lines.get().pk, 1, "defective")], user=None)
    client = role_client(role)
    assert client.get(reverse("returns:receive_station")).status_code == 403
    assert client.post(reverse("returns:rma_receive", args=[rma.pk]), {"code": "LAMP"}).status_code == 403


def test_the_warehouse_receives_by_scan_once_and_sees_no_payment_data(role_client, order):
    rma = rma_label_buy(rma=rma_create(order=order, lines=[RmaLineRequest(order.lines.get().pk, 2, "defective")],
                                       user=None), user=None)
    client = role_client("Warehouse")
    # the parcel's tracking number opens its RMA
    found = client.get(reverse("returns:receive_station"), {"code": rma.label.tracking_number})
    assert found.status_code == 302 and found["Location"] == reverse("returns:rma_receive", args=[rma.pk])
    page = client.get(found["Location"]).content.decode()
    token = page.split('name="token" value="')[1].split('"')[0]
    url = reverse("returns:rma_receive", args=[rma.pk])
    wrong = client.post(url, {"token": token, "code": "NOPE", "disposition": "restock"})
    assert wrong.status_code == 422 and not ReturnReceipt.objects.exists()
    posted = {"token": token, "code": "0123456789012", "disposition": "restock", "condition": "as new"}
    assert client.post(url, posted).status_code == 200
    assert client.post(url, posted, HTTP_HX_REQUEST="true").status_code == 200  # a double submit
    assert ReturnReceipt.objects.count() == 1
    receipt = ReturnReceipt.objects.get()
    assert receipt.received_by.groups.get().name == "Warehouse" and receipt.condition == "as new"
    detail = client.get(rma.get_absolute_url()).content.decode()
    assert 'id="rma-credit"' not in detail and "$" not in detail and "43" not in detail
    assert "$" not in client.get(order.get_absolute_url()).content.decode().split('id="returns"')[1][:2000]


def test_a_control_character_in_a_scan_is_a_400_not_a_500(role_client, order):
    client = role_client("Warehouse")
    assert client.get(reverse("returns:receive_station"), {"code": "R1\x00"}).status_code == 400
    rma = rma_create(order=order, lines=[RmaLineRequest(order.lines.get().pk, 1, "defective")], user=None)
    response = client.post(reverse("returns:rma_receive", args=[rma.pk]), {"code": "LAMP\x00", "token": "x"})
    assert response.status_code == 400 and not ReturnReceipt.objects.exists()


def test_a_return_label_is_not_on_the_warehouse_manifest(order):
    from orders.fulfillment.carriers.services import day_labels, shop_today

    rma = rma_label_buy(rma=rma_create(order=order, lines=[RmaLineRequest(order.lines.get().pk, 1, "defective")],
                                       user=None), user=None)
    assert rma.label is not None
    assert rma.label not in day_labels(carrier=None, warehouse_id=rma.warehouse_id, day=shop_today())


def test_an_agent_cancels_an_rma_nothing_of_which_came_back_and_the_warehouse_may_not(role_client, order):
    rma = rma_create(order=order, lines=[RmaLineRequest(order.lines.get().pk, 1, "defective")], user=None)
    url = reverse("returns:rma_cancel", args=[rma.pk])
    assert role_client("Warehouse").post(url, {"reason": "x"}).status_code == 403
    agent = role_client("Agent")
    assert url in agent.get(rma.get_absolute_url()).content.decode()
    assert agent.post(url, {"reason": "Customer kept it"}).status_code == 302
    rma.refresh_from_db()
    assert rma.status == "cancelled"
