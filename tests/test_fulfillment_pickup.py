"""Store pickup: ready (customer told), collected with the name checked, or cancelled when not collected."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.models import Reservation, StockMovement
from orders import hooks
from orders.fulfillment.models import Shipment
from orders.fulfillment.pickup import pickup_confirm, pickup_ready, pickups_expire
from orders.fulfillment.shipping import ShipmentError
from orders.models import OrderStatus
from orders.tasks import pickups_expire_task
from tests.factories import SkuFactory, UserFactory, WarehouseFactory, stock
from tests.orders_helpers import all_violations, level, line, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def store():
    return WarehouseFactory(code="STORE1", kind="store", ships=False, allows_pickup=True, postal_code="10001",
                            city="New York")


@pytest.fixture
def shirt(store):
    sku = SkuFactory(code="SHIRT", list_price=Decimal("20.00"))
    stock(sku, store, 3)
    return sku


@pytest.fixture
def order(store, shirt):
    return place(lines=[line(shirt, 2)], fulfillment_type="pickup", pickup_warehouse=store)


def test_ready_for_pickup_tells_the_customer_and_collection_checks_the_name(order, store, shirt,
                                                                            django_capture_on_commit_callbacks):
    told = []
    hooks.on_pickup_ready(lambda *args: told.append(args))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            shipment = pickup_ready(order=order, user=UserFactory())
    finally:
        hooks._pickup_ready.clear()
    assert told == [(order.pk, store.pk)]
    assert (shipment.status, shipment.warehouse, shipment.carrier) == ("packed", store, "pickup")
    clerk = UserFactory(username="clerk")
    with pytest.raises(ShipmentError, match="is not the name on order"):
        pickup_confirm(shipment=shipment, name="Someone Else", user=clerk)
    assert level(shirt, store) == (3, 2)
    result = pickup_confirm(shipment=shipment, name="  ada   LOVELACE ", user=clerk)  # the ship-to's name
    assert result.shipped_now and result.amount == order.total
    again = pickup_confirm(shipment=shipment, name="Ada Lovelace", user=clerk)
    assert not again.shipped_now
    assert level(shirt, store) == (1, 0)
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert StockMovement.objects.filter(kind="shipment").count() == 1
    assert all_violations() == []


def test_an_order_not_collected_in_time_is_cancelled_and_its_stock_released(order, store, shirt, settings):
    settings.PICKUP_HOLD_DAYS = 5
    shipment = pickup_ready(order=order, user=None)
    assert pickups_expire(now=timezone.now() + dt.timedelta(days=4)) == 0
    Shipment.objects.filter(pk=shipment.pk).update(packed_at=timezone.now() - dt.timedelta(days=6))
    assert pickups_expire_task() == 1
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert (order.status, shipment.status) == (OrderStatus.CANCELLED, "cancelled")
    assert level(shirt, store) == (3, 0)
    assert set(Reservation.objects.values_list("status", flat=True)) == {"released"}
    assert pickups_expire() == 0
    assert all_violations() == []


def test_a_shipped_order_is_not_ready_for_pickup(shirt):
    shipped = place(lines=[line(shirt, 1)])
    with pytest.raises(ShipmentError, match="is not collected at a store"):
        pickup_ready(order=shipped, user=None)
