"""Allocation: one warehouse for the whole order, else fewest shipments, then priority; stores; kits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from catalog.models import VendorItem
from inventory.models import Reservation
from inventory.services import purchase_order_create, purchase_order_send
from orders.availability import shop_today
from orders.models import LineAllocation, OrderEvent, OrderStatus
from orders.services.allocation import Need, plan_allocation
from tests.factories import SkuFactory, VendorFactory, WarehouseFactory, kit, stock
from tests.orders_helpers import all_violations, level, line, place, ship_to_store, store_pickup

pytestmark = pytest.mark.django_db


def allocations(order) -> list[tuple[int, str, int]]:
    """(line number, warehouse code, units) of the order's open allocations."""
    return sorted(LineAllocation.objects.filter(line__order=order, is_open=True).values_list(
        "line__line_number", "warehouse__code", "quantity"))


def reasons(order) -> set[str]:
    return set(LineAllocation.objects.filter(line__order=order).values_list("reason", flat=True))


def test_the_one_warehouse_that_has_everything_ships_the_whole_order():
    near, far = WarehouseFactory(code="NEAR", priority=10), WarehouseFactory(code="FAR", priority=20)
    lamp, shade = SkuFactory(), SkuFactory()
    stock(lamp, near, 5)
    stock(lamp, far, 5)
    stock(shade, far, 5)

    order = place(lines=[line(lamp, 2), line(shade, 1)])

    assert allocations(order) == [(1, "FAR", 2), (2, "FAR", 1)]
    assert reasons(order) == {"FAR is the one warehouse that ships the whole order."}
    assert order.events.filter(kind=OrderEvent.Kind.ALLOCATION).count() == 2
    assert all_violations() == []


def test_priority_decides_among_warehouses_that_could_each_ship_everything():
    second, first = WarehouseFactory(code="SECOND", priority=20), WarehouseFactory(code="FIRST", priority=5)
    lamp = SkuFactory()
    stock(lamp, second, 5)
    stock(lamp, first, 5)

    order = place(lines=[line(lamp, 3)])

    assert allocations(order) == [(1, "FIRST", 3)]
    assert reasons(order) == {"FIRST ships the whole order; first by priority (5) of the 2 that could."}


def test_fewest_shipments_beat_priority_when_no_warehouse_has_everything():
    top = WarehouseFactory(code="TOP", priority=1)
    big, small = WarehouseFactory(code="BIG", priority=50), WarehouseFactory(code="SMALL", priority=60)
    lamp, shade, bulb = SkuFactory(), SkuFactory(), SkuFactory()
    stock(lamp, top, 9)  # the favourite warehouse has only one of the three
    stock(lamp, big, 9)
    stock(shade, big, 9)
    stock(bulb, small, 9)

    order = place(lines=[line(lamp, 1), line(shade, 1), line(bulb, 1)])

    assert allocations(order) == [(1, "BIG", 1), (2, "BIG", 1), (3, "SMALL", 1)]
    assert reasons(order) == {
        "Shipment 1: BIG can ship 2 of the 3 units still open, the most of any warehouse (fewest shipments).",
        "Shipment 2: SMALL can ship 1 of the 1 units still open, the most of any warehouse "
        "(fewest shipments).",
    }
    assert order.status == OrderStatus.ALLOCATED


def test_a_line_is_split_when_no_warehouse_has_all_of_it_and_the_rest_is_backordered():
    east, west = WarehouseFactory(code="EAST", priority=10), WarehouseFactory(code="WEST", priority=20)
    lamp = SkuFactory()
    stock(lamp, east, 3)
    stock(lamp, west, 2)

    order = place(lines=[line(lamp, 7)])

    assert allocations(order) == [(1, "EAST", 3), (1, "WEST", 2)]
    lamp_line = order.lines.get()
    assert (lamp_line.quantity_allocated, lamp_line.quantity_backordered) == (5, 2)
    assert order.status == OrderStatus.RELEASED
    assert level(lamp, east) == (3, 3) and level(lamp, west) == (2, 2)
    assert all_violations() == []


def test_priority_breaks_a_tie_between_equally_useful_warehouses():
    lamp, shade = SkuFactory(), SkuFactory()
    a, b = WarehouseFactory(code="A", priority=30), WarehouseFactory(code="B", priority=20)
    stock(lamp, a, 1)
    stock(shade, b, 1)

    order = place(lines=[line(lamp, 1), line(shade, 1)])

    assert allocations(order) == [(1, "A", 1), (2, "B", 1)]
    assert ("Shipment 1: B can ship 1 of the 2 units still open, the most of any warehouse (fewest "
            "shipments); priority 20 breaks a tie.") in reasons(order)


def test_a_kit_is_allocated_whole_from_one_warehouse_per_unit():
    east, west = WarehouseFactory(code="EAST", priority=10), WarehouseFactory(code="WEST", priority=20)
    candle, holder = SkuFactory(), SkuFactory()
    stock(candle, east, 4)
    stock(holder, east, 1)  # EAST can make one set
    stock(candle, west, 2)
    stock(holder, west, 5)  # WEST can make one set
    gift_set = kit((candle, 2), (holder, 1), list_price=Decimal("40.00"))

    order = place(lines=[line(gift_set, 3)])

    assert allocations(order) == [(1, "EAST", 1), (1, "WEST", 1)]
    assert order.lines.get().quantity_backordered == 1
    assert level(candle, east) == (4, 2) and level(holder, east) == (1, 1)
    assert level(candle, west) == (2, 2) and level(holder, west) == (5, 1)
    assert Reservation.objects.filter(requested_sku=gift_set,
                                      status="open").count() == 4  # 2 components × 2 places
    assert all_violations() == []


def test_store_pickup_reserves_at_the_store_only():
    warehouse = WarehouseFactory(code="DC", priority=1)
    store = WarehouseFactory(code="SOHO", kind="store", ships=False, allows_pickup=True, priority=90,
                             postal_code="10012", city="New York")
    lamp, shade = SkuFactory(), SkuFactory()
    for sku in (lamp, shade):
        stock(sku, warehouse, 10)
    stock(lamp, store, 1)

    order = place(lines=[line(lamp, 1), line(shade, 1)], shipping_method=store_pickup(),
                  pickup_warehouse=store, ship_to={})

    assert order.fulfillment_type == "pickup"
    assert allocations(order) == [(1, "SOHO", 1)]
    assert reasons(order) == {"Store pickup at SOHO: SOHO has 1 of the 2 units."}
    assert order.lines.get(line_number=2).quantity_backordered == 1  # the warehouse's stock is not for pickup
    assert order.ship_to["postal_code"] == "10012"  # the store's place, for tax
    assert all_violations() == []


def test_ship_to_store_is_shipped_from_a_warehouse_to_the_chosen_store():
    warehouse = WarehouseFactory(code="DC", priority=10)
    store = WarehouseFactory(code="SOHO", kind="store", ships=False, allows_pickup=True, priority=1)
    lamp = SkuFactory()
    stock(lamp, warehouse, 5)
    stock(lamp, store, 5)

    order = place(lines=[line(lamp, 2)], shipping_method=ship_to_store(), pickup_warehouse=store, ship_to={})

    assert (order.fulfillment_type, order.pickup_warehouse) == ("ship_to_store", store)
    assert allocations(order) == [(1, "DC", 2)]
    assert reasons(order) == {"Ship to store SOHO: DC has every unit."}


def test_inactive_and_non_shipping_warehouses_are_never_chosen():
    closed = WarehouseFactory(code="CLOSED", is_active=False, priority=1)
    showroom = WarehouseFactory(code="SHOW", ships=False, priority=2)
    open_one = WarehouseFactory(code="OPEN", priority=50)
    lamp = SkuFactory()
    for warehouse in (closed, showroom, open_one):
        stock(lamp, warehouse, 1)

    order = place(lines=[line(lamp, 2)])

    assert allocations(order) == [(1, "OPEN", 1)]
    assert order.lines.get().quantity_backordered == 1


def test_a_backordered_line_is_dated_by_its_purchase_order_or_else_the_vendor_lead_time():
    warehouse = WarehouseFactory()
    on_order, from_vendor = SkuFactory(), SkuFactory()
    vendor = VendorFactory(lead_time_days=21)
    VendorItem.objects.create(vendor=vendor, sku=from_vendor, cost=Decimal("3.00"))
    due = shop_today() + dt.timedelta(days=6)
    purchase_order_send(purchase_order=purchase_order_create(
        vendor=vendor, warehouse=warehouse, lines=[(on_order, 10, Decimal("3.00"))], user=None,
        expected_on=due),
        user=None)

    order = place(lines=[line(on_order, 2), line(from_vendor, 1)])

    first, second = order.lines.order_by("line_number")
    assert first.expected_on == due
    assert second.expected_on == shop_today() + dt.timedelta(days=21)
    assert list(order.events.filter(kind=OrderEvent.Kind.BACKORDER).values_list("message", flat=True)) == [
        f"Line 1: 2 × {on_order.code} backordered; expected on {due.isoformat()}.",
        f"Line 2: 1 × {from_vendor.code} backordered; expected on {second.expected_on.isoformat()}.",
    ]


def test_the_plan_itself_shares_stock_between_lines_of_the_same_sku():
    warehouse = WarehouseFactory.build(pk=1, code="ONE", priority=1)
    needs = [Need(key=0, units=3, per_unit={7: 1}), Need(key=1, units=3, per_unit={7: 1})]

    planned, remaining = plan_allocation(needs, [warehouse], {(7, 1): 4})

    assert [(item.key, item.units) for item in planned] == [(0, 3), (1, 1)]
    assert remaining == {0: 0, 1: 2}
