"""Stock services: the invariants of DESIGN.md hold after every operation."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from catalog.errors import KitCycleError
from inventory.errors import InsufficientStock, InventoryError
from inventory.invariants import violations
from inventory.models import Reservation, StockLevel, StockMovement
from inventory.services import (
    ReserveRequest, stock_adjust, stock_count, stock_release, stock_reserve, stock_reserve_many, stock_transfer,
)
from tests.factories import SkuFactory, WarehouseFactory, kit, stock

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def level(sku, warehouse) -> tuple[int, int]:
    row = StockLevel.objects.get(sku=sku, warehouse=warehouse)
    return row.on_hand, row.reserved


def test_receipt_adjust_count_and_transfer_keep_on_hand_equal_to_movements():
    sku, main, store = SkuFactory(), WarehouseFactory(), WarehouseFactory()

    stock(sku, main, 10)
    stock_adjust(sku=sku, warehouse=main, quantity=-2, reason="Damaged", user=None)
    stock_count(sku=sku, warehouse=main, counted=7, user=None)
    stock_transfer(sku=sku, source=main, destination=store, quantity=3, user=None)

    assert level(sku, main) == (4, 0)
    assert level(sku, store) == (3, 0)
    assert StockMovement.objects.filter(sku=sku).count() == 5
    assert violations() == []


def test_reserving_more_than_available_writes_nothing():
    sku, warehouse = SkuFactory(), WarehouseFactory()
    stock(sku, warehouse, 3)

    with pytest.raises(InsufficientStock) as refused:
        stock_reserve(sku=sku, warehouse=warehouse, quantity=4, reference="order:1")

    assert refused.value.available == 3
    assert level(sku, warehouse) == (3, 0)
    assert not Reservation.objects.exists()


def test_kit_reserves_nested_components_and_release_gives_them_back():
    warehouse = WarehouseFactory()
    shirt, cap, pin = SkuFactory(), SkuFactory(), SkuFactory()
    for part, units in ((shirt, 10), (cap, 10), (pin, 10)):
        stock(part, warehouse, units)
    inner = kit((cap, 1), (pin, 2))
    outer = kit((shirt, 1), (inner, 2))

    reservations = stock_reserve(sku=outer, warehouse=warehouse, quantity=2, reference="order:7")

    assert {(r.sku_id, r.quantity) for r in reservations} == {(shirt.pk, 2), (cap.pk, 4), (pin.pk, 8)}
    assert level(pin, warehouse) == (10, 8)
    assert violations() == []

    assert stock_release(reference="order:7") == 14
    assert level(pin, warehouse) == (10, 0)
    assert violations() == []


def test_kit_that_cannot_be_fully_reserved_reserves_none_of_its_components():
    warehouse = WarehouseFactory()
    shirt, cap = SkuFactory(), SkuFactory()
    stock(shirt, warehouse, 5)
    stock(cap, warehouse, 1)
    bundle = kit((shirt, 1), (cap, 1))

    with pytest.raises(InsufficientStock):
        stock_reserve(sku=bundle, warehouse=warehouse, quantity=2, reference="order:9")

    assert level(shirt, warehouse) == (5, 0)


def test_reserve_many_takes_every_request_at_once_kits_and_shared_rows_included():
    east, west = WarehouseFactory(), WarehouseFactory()
    shirt, cap = SkuFactory(), SkuFactory()
    stock(shirt, east, 5)
    stock(cap, east, 4)
    stock(shirt, west, 2)
    bundle = kit((shirt, 1), (cap, 2))

    made = stock_reserve_many(requests=[
        ReserveRequest(sku=shirt, warehouse_id=east.pk, quantity=2, reference="order:1:line:1"),
        ReserveRequest(sku=bundle, warehouse_id=east.pk, quantity=2, reference="order:1:line:2"),
        ReserveRequest(sku=shirt, warehouse_id=west.pk, quantity=2, reference="order:1:line:3"),
    ])

    assert [[(r.sku_id, r.warehouse_id, r.quantity, r.reference) for r in group] for group in made] == [
        [(shirt.pk, east.pk, 2, "order:1:line:1")],
        [(shirt.pk, east.pk, 2, "order:1:line:2"), (cap.pk, east.pk, 4, "order:1:line:2")],
        [(shirt.pk, west.pk, 2, "order:1:line:3")],
    ]
    assert len({r.group for r in made[1]}) == 1 and made[1][0].group != made[0][0].group
    assert (level(shirt, east), level(cap, east), level(shirt, west)) == ((5, 4), (4, 4), (2, 2))
    assert violations() == []


def test_reserve_many_writes_nothing_when_one_row_falls_short_together():
    """Two requests on one stock row need 3 + 3 of 5: each alone fits, together they do not."""
    warehouse = WarehouseFactory()
    shirt, cap = SkuFactory(code="SHIRT-1"), SkuFactory()
    stock(shirt, warehouse, 5)
    stock(cap, warehouse, 9)

    with pytest.raises(InsufficientStock, match="SHIRT-1") as refused:
        stock_reserve_many(requests=[
            ReserveRequest(sku=cap, warehouse_id=warehouse.pk, quantity=1, reference="order:2:line:1"),
            ReserveRequest(sku=shirt, warehouse_id=warehouse.pk, quantity=3, reference="order:2:line:2"),
            ReserveRequest(sku=shirt, warehouse_id=warehouse.pk, quantity=3, reference="order:2:line:3"),
        ])

    assert (refused.value.sku_id, refused.value.requested, refused.value.available) == (shirt.pk, 6, 5)
    assert (level(shirt, warehouse), level(cap, warehouse)) == ((5, 0), (9, 0))
    assert not Reservation.objects.exists()


def test_reserve_many_refuses_a_warehouse_without_the_sku():
    main, other = WarehouseFactory(), WarehouseFactory()
    shirt = SkuFactory()
    stock(shirt, main, 5)

    with pytest.raises(InsufficientStock):
        stock_reserve_many(requests=[
            ReserveRequest(sku=shirt, warehouse_id=main.pk, quantity=1, reference="order:3:line:1"),
            ReserveRequest(sku=shirt, warehouse_id=other.pk, quantity=1, reference="order:3:line:2"),
        ])

    assert level(shirt, main) == (5, 0)
    assert not Reservation.objects.exists()


def test_kit_cycle_is_refused_with_a_clear_message():
    a, b = SkuFactory(), SkuFactory()
    outer = kit((a, 1))
    inner = kit((b, 1))
    from catalog.services import kit_component_set

    kit_component_set(kit=outer, component=inner, quantity=1, user=None)

    with pytest.raises(KitCycleError, match="would make a cycle"):
        kit_component_set(kit=inner, component=outer, quantity=1, user=None)


def test_adjusting_below_reserved_is_refused():
    sku, warehouse = SkuFactory(), WarehouseFactory()
    stock(sku, warehouse, 5)
    stock_reserve(sku=sku, warehouse=warehouse, quantity=4, reference="order:2")

    with pytest.raises(InventoryError, match="Only 1 of"):
        stock_adjust(sku=sku, warehouse=warehouse, quantity=-2, reason="Lost", user=None)

    assert level(sku, warehouse) == (5, 4)


def test_database_refuses_to_edit_or_delete_a_movement_or_oversell():
    sku, warehouse = SkuFactory(), WarehouseFactory()
    movement = stock(sku, warehouse, 5)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).update(quantity=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.filter(pk=movement.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(sku=sku).update(reserved=6)


def test_average_cost_moves_on_receipt():
    from inventory.services import stock_receive

    sku, warehouse = SkuFactory(average_cost=Decimal("0")), WarehouseFactory()
    stock_receive(sku=sku, warehouse=warehouse, quantity=10, unit_cost=Decimal("4.00"), user=None)
    stock_receive(sku=sku, warehouse=warehouse, quantity=30, unit_cost=Decimal("6.00"), user=None)

    sku.refresh_from_db()
    assert sku.average_cost == Decimal("5.500")


def test_check_invariants_command_lists_a_violation_and_fails(capsys):
    sku, warehouse = SkuFactory(), WarehouseFactory()
    stock(sku, warehouse, 5)
    StockLevel.objects.filter(sku=sku).update(on_hand=7)  # bypasses the services on purpose

    with pytest.raises(Exception, match="1 invariant violation"):
        call_command("check_invariants")

    assert "on_hand equals the sum of movements" in capsys.readouterr().out


def test_a_sku_holding_stock_cannot_become_a_kit():
    from catalog.errors import CatalogError
    from catalog.services import kit_component_set

    stocked, part, warehouse = SkuFactory(), SkuFactory(), WarehouseFactory()
    stock(stocked, warehouse, 2)

    with pytest.raises(CatalogError, match="holds stock of its own"):
        kit_component_set(kit=stocked, component=part, quantity=1, user=None)

    stocked.refresh_from_db()
    assert not stocked.is_kit and not stocked.components.exists()


def test_removing_the_last_component_makes_the_kit_an_ordinary_sku():
    from catalog.services import kit_component_remove

    part = SkuFactory()
    bundle = kit((part, 2))

    kit_component_remove(kit=bundle, component=part, user=None)

    bundle.refresh_from_db()
    assert not bundle.is_kit
