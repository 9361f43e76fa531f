"""Exchanges: a received exchange RMA places a linked replacement order through order entry, once, and
the difference is refunded (credit above the new total) or held for payment (below it)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from inventory.services import stock_receive
from orders import hooks
from orders.models import Hold, Order, OrderStatus, Rma
from orders.returns.services import RmaLineRequest, return_receive, rma_create, rma_exchange
from tests.factories import SkuFactory, WarehouseFactory
from tests.orders_helpers import OREGON, all_violations, line, place
from tests.returns_helpers import ship, trial_balance

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def world():
    warehouse = WarehouseFactory(code="EAST")
    skus = {}
    for code, price in (("LAMP", "40.00"), ("SHADE", "15.00"), ("CHANDELIER", "90.00")):
        skus[code] = SkuFactory(code=code, list_price=D(price))
        stock_receive(sku=skus[code], warehouse=warehouse, quantity=5, unit_cost=D("5.00"), user=None)
    return warehouse, skus


def exchanged(world, replacement_code, capture):
    warehouse, skus = world
    order = place(lines=[line(skus["LAMP"], 1)], ship_to=OREGON)  # Oregon: no sales tax
    ship(order, warehouse)
    rma = rma_create(order=order, outcome=Rma.Outcome.EXCHANGE, user=None, lines=[RmaLineRequest(
        order.lines.get().pk, 1, "size_fit", replacement_sku_id=skus[replacement_code].pk)])
    refunds = []
    hooks.on_return_refund(record := lambda *args: refunds.append(args))
    try:
        with capture(execute=True):
            return_receive(rma_line=rma.lines.get(), token=uuid.uuid4(), disposition="restock", user=None)
    finally:
        hooks.remove_return_refund(record)
    rma.refresh_from_db()
    return order, rma, refunds


def test_an_exchange_for_a_cheaper_item_places_the_new_order_and_refunds_the_difference(
        world, django_capture_on_commit_callbacks):
    order, rma, refunds = exchanged(world, "SHADE", django_capture_on_commit_callbacks)
    new = rma.exchange_order
    assert new is not None and new.customer == order.customer and new.ship_to == order.ship_to
    assert [(item.sku_code, item.quantity) for item in new.lines.all()] == [("SHADE", 1)]
    assert new.total == D("15.00") and new.status == OrderStatus.ALLOCATED
    assert (rma.credit_amount, rma.refund_amount) == (D("40.00"), D("25.00"))
    assert refunds == [(order.pk, D("25.00"), rma.number)]
    # placing it again finds the same order
    assert rma_exchange(rma=rma, user=None) == new and Order.objects.count() == 2
    assert trial_balance() == 0 and all_violations() == []


def test_an_exchange_for_the_same_item_costs_nothing(world, django_capture_on_commit_callbacks):
    _order, rma, refunds = exchanged(world, "LAMP", django_capture_on_commit_callbacks)
    assert rma.exchange_order.total == D("40.00") and rma.refund_amount is None and refunds == []
    assert not rma.exchange_order.holds.exists()


def test_an_exchange_for_a_dearer_item_waits_for_the_difference(world, django_capture_on_commit_callbacks):
    _order, rma, refunds = exchanged(world, "CHANDELIER", django_capture_on_commit_callbacks)
    new = rma.exchange_order
    hold = new.holds.get()
    assert (new.status, hold.reason, refunds) == (OrderStatus.ON_HOLD, Hold.Reason.PAYMENT, [])
    assert "owes 50.00 USD" in hold.note
