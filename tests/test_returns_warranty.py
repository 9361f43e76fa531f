"""Warranty claims: delivered units past the return window, at most what shipped and was not returned,
each with the vendor's chargeback at the vendor's cost; agents record them, the warehouse may not."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import VendorItem
from inventory.services import stock_receive
from orders.models import ReturnPolicy, VendorCredit, WarrantyClaim
from orders.returns.services import ReturnError, warranty_claim_create
from tests.factories import SkuFactory, VendorFactory, WarehouseFactory
from tests.orders_helpers import line, place
from tests.returns_helpers import ship

pytestmark = pytest.mark.django_db
D = Decimal
LATER = datetime.date.today() + datetime.timedelta(days=45)


@pytest.fixture
def order():
    warehouse = WarehouseFactory(code="EAST")
    kettle = SkuFactory(code="KETTLE", list_price=D("60.00"))
    VendorItem.objects.create(vendor=VendorFactory(code="ACME"), sku=kettle, cost=D("22.50"))
    stock_receive(sku=kettle, warehouse=warehouse, quantity=5, unit_cost=D("22.50"), user=None)
    order = place(lines=[line(kettle, 2)])
    ship(order, warehouse)
    return order


def test_a_claim_past_the_window_records_the_vendor_chargeback(order):
    claim = warranty_claim_create(order_line=order.lines.get(), quantity=2, description="Stopped heating",
                                  user=None, today=LATER)
    chargeback = VendorCredit.objects.get()
    assert (chargeback.kind, chargeback.vendor.code, chargeback.amount, chargeback.claim) == (
        "chargeback", "ACME", D("45.00"), claim)
    with pytest.raises(ReturnError, match="At most 0"):
        warranty_claim_create(order_line=order.lines.get(), quantity=1, description="Again", user=None, today=LATER)


def test_within_the_window_it_is_a_return(order):
    ReturnPolicy.objects.update_or_create(channel="phone", defaults={"window_days": 60})
    with pytest.raises(ReturnError, match="return the item instead"):
        warranty_claim_create(order_line=order.lines.get(), quantity=1, description="Leaks", user=None, today=LATER)
    assert not WarrantyClaim.objects.exists() and not VendorCredit.objects.exists()


def test_agents_record_claims_from_the_order_page_and_the_warehouse_may_not(role_client, order):
    url = reverse("returns:warranty_claim_new", args=[order.pk])
    assert role_client("Warehouse").get(url).status_code == 403
    agent = role_client("Agent")
    assert url in agent.get(order.get_absolute_url()).content.decode()
    response = agent.post(url, {"line": order.lines.get().pk, "quantity": 1, "description": "Lid broke"})
    # today is inside the default 30-day window: refused with the reason, nothing written
    assert response.status_code == 422 and "return the item instead" in response.content.decode()
    assert not WarrantyClaim.objects.exists()
