"""Backorders: stock arriving allocates waiting lines, oldest order first, through a Celery task."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from inventory.services import purchase_order_create, purchase_order_receive, purchase_order_send
from orders.tasks import stock_arrived
from orders.models import Hold, OrderEvent, OrderStatus
from orders.services import backorders_allocate, order_hold
from orders.services.allocation import backorders_waiting
from tests.factories import SkuFactory, VendorFactory, WarehouseFactory, kit, stock
from tests.orders_helpers import all_violations, level, line, place, store_pickup


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the Celery worker did not allocate the backorders in time")
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_a_purchase_order_receipt_allocates_backorders_oldest_first_through_the_worker(celery_worker):
    warehouse = WarehouseFactory(code="EAST")
    lamp = SkuFactory(list_price=Decimal("40.00"))
    older = place(lines=[line(lamp, 2)])
    newer = place(lines=[line(lamp, 2)])
    assert (older.status, newer.status) == (OrderStatus.RELEASED, OrderStatus.RELEASED)
    purchase_order = purchase_order_create(vendor=VendorFactory(), warehouse=warehouse,
                                           lines=[(lamp, 3, Decimal("12.00"))], user=None)
    purchase_order_send(purchase_order=purchase_order, user=None)

    purchase_order_receive(purchase_order=purchase_order, quantities={purchase_order.lines.get().pk: 3},
                           user=None)

    wait_for(lambda: newer.lines.get().quantity_allocated == 1)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.status, older.lines.get().quantity_allocated) == (OrderStatus.ALLOCATED, 2)
    assert (newer.status, newer.lines.get().quantity_backordered) == (OrderStatus.RELEASED, 1)
    assert level(lamp, warehouse) == (3, 3)
    allocation = older.events.filter(kind=OrderEvent.Kind.ALLOCATION).get()
    assert "Backorder filled, oldest order first" in allocation.message and allocation.actor is None
    arrived = older.events.filter(kind=OrderEvent.Kind.STATUS).last()
    assert (arrived.from_status, arrived.to_status, arrived.message) == (
        "released", "allocated", "Backordered units arrived. Every unit is reserved: ready to pick.")
    assert all_violations() == []


@pytest.mark.django_db
def test_a_kit_waiting_for_a_component_is_allocated_when_the_component_arrives():
    warehouse = WarehouseFactory()
    candle, holder = SkuFactory(), SkuFactory()
    stock(holder, warehouse, 5)
    gift_set = kit((candle, 2), (holder, 1))
    order = place(lines=[line(gift_set, 2)])
    assert order.lines.get().quantity_allocated == 0
    stock(candle, warehouse, 3)  # enough for one set

    assert backorders_allocate(sku_ids={candle.pk}, warehouse_id=warehouse.pk) == 1

    assert order.lines.get().quantity_allocated == 1
    assert level(candle, warehouse) == (3, 2) and level(holder, warehouse) == (5, 1)
    assert all_violations() == []


@pytest.mark.django_db
def test_a_held_order_gets_its_stock_but_stays_on_hold():
    warehouse = WarehouseFactory()
    lamp = SkuFactory()
    order = place(lines=[line(lamp, 1)])
    order_hold(order=order, reason=Hold.Reason.FRAUD, note="Review", user=None)
    stock(lamp, warehouse, 1)

    assert backorders_allocate(sku_ids={lamp.pk}) == 1

    order.refresh_from_db()
    assert (order.status, order.lines.get().quantity_allocated) == (OrderStatus.ON_HOLD, 1)
    assert all_violations() == []


@pytest.mark.django_db
def test_a_pickup_order_waits_for_its_own_store():
    warehouse = WarehouseFactory(code="DC")
    store = WarehouseFactory(code="SOHO", kind="store", ships=False, allows_pickup=True)
    lamp = SkuFactory()
    order = place(lines=[line(lamp, 1)], shipping_method=store_pickup(), pickup_warehouse=store, ship_to={})
    stock(lamp, warehouse, 5)

    assert backorders_allocate(sku_ids={lamp.pk}, warehouse_id=warehouse.pk) == 0
    stock(lamp, store, 1)
    assert backorders_allocate(sku_ids={lamp.pk}, warehouse_id=store.pk) == 1

    assert order.lines.get().allocations.get().warehouse == store


@pytest.mark.django_db
def test_the_hook_enqueues_a_task_only_when_a_line_waits(django_capture_on_commit_callbacks, monkeypatch):
    lamp, other = SkuFactory(), SkuFactory()
    sent = []
    monkeypatch.setattr("orders.tasks.backorders_allocate_task.delay", lambda **kwargs: sent.append(kwargs))
    place(lines=[line(lamp, 1)])
    assert backorders_waiting(sku_ids={lamp.pk}) and not backorders_waiting(sku_ids={other.pk})

    with django_capture_on_commit_callbacks(execute=True):
        stock_arrived({other.pk}, 1)
        stock_arrived({lamp.pk}, 7)

    assert sent == [{"sku_ids": [lamp.pk], "warehouse_id": 7}]
