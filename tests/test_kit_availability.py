"""Availability reads: stocked SKUs and kits (nested, sharing parts), per warehouse and in total."""

from __future__ import annotations

import pytest

from catalog.models import KitComponent
from catalog.selectors import kit_components, kit_expand
from inventory.selectors import (
    available_totals, kit_availability, kit_units_available, sku_needs, stock_table, units_available,
)
from inventory.services import stock_reserve
from tests.factories import SkuFactory, WarehouseFactory, kit, stock

pytestmark = pytest.mark.django_db


def test_a_kit_makes_as_many_as_its_scarcest_part_allows_in_each_warehouse():
    main, east = WarehouseFactory(), WarehouseFactory()
    shirt, cap = SkuFactory(), SkuFactory()
    stock(shirt, main, 10)
    stock(cap, main, 7)
    stock(shirt, east, 4)
    stock(cap, east, 1)
    bundle = kit((shirt, 2), (cap, 1))

    assert kit_availability(kit=bundle) == {main.pk: 5, east.pk: 1}
    assert available_totals([bundle]) == {bundle.pk: 6}


def test_reserved_units_are_not_available_to_a_kit():
    warehouse = WarehouseFactory()
    shirt, cap = SkuFactory(), SkuFactory()
    stock(shirt, warehouse, 6)
    stock(cap, warehouse, 6)
    bundle = kit((shirt, 1), (cap, 1))
    stock_reserve(sku=shirt, warehouse=warehouse, quantity=4, reference="order:1")

    assert kit_availability(kit=bundle) == {warehouse.pk: 2}
    assert available_totals([shirt, cap, bundle]) == {shirt.pk: 2, cap.pk: 6, bundle.pk: 2}


def test_nested_kits_multiply_quantities_down_to_the_stocked_parts():
    warehouse = WarehouseFactory()
    cap, pin, shirt = SkuFactory(), SkuFactory(), SkuFactory()
    stock(cap, warehouse, 9)
    stock(pin, warehouse, 20)
    stock(shirt, warehouse, 100)
    inner = kit((cap, 1), (pin, 2))
    outer = kit((shirt, 1), (inner, 3))

    assert kit_components([outer.pk]) == {outer.pk: {shirt.pk: 1, cap.pk: 3, pin.pk: 6}}
    assert kit_expand(sku=outer, quantity=2) == {shirt.pk: 2, cap.pk: 6, pin.pk: 12}
    assert sku_needs([outer, cap]) == {outer.pk: {shirt.pk: 1, cap.pk: 3, pin.pk: 6}, cap.pk: {cap.pk: 1}}
    assert available_totals([inner, outer]) == {inner.pk: 9, outer.pk: 3}
    assert units_available(skus=[inner, outer, cap], warehouse_ids=[warehouse.pk]) == {
        inner.pk: {warehouse.pk: 9}, outer.pk: {warehouse.pk: 3}, cap.pk: {warehouse.pk: 9}}


def test_a_part_used_twice_in_a_kit_counts_twice():
    # outer = 1 inner + 1 cap, inner = 1 cap: one outer needs 2 caps, so 5 caps make 2 kits (not 5).
    warehouse = WarehouseFactory()
    cap = SkuFactory()
    stock(cap, warehouse, 5)
    inner = kit((cap, 1))
    outer = kit((inner, 1), (cap, 1))

    assert available_totals([outer]) == {outer.pk: 2}


def test_a_kit_without_parts_or_without_stock_has_none_available():
    warehouse = WarehouseFactory()
    empty = SkuFactory(is_kit=True)
    unstocked = kit((SkuFactory(), 1))
    stock(SkuFactory(), warehouse, 3)

    assert available_totals([empty, unstocked]) == {empty.pk: 0, unstocked.pk: 0}
    assert kit_availability(kit=unstocked) == {}
    assert kit_units_available({}, {}) == 0


def test_inactive_warehouses_show_while_they_hold_stock_but_do_not_count_in_totals():
    main = WarehouseFactory(code="MAIN")
    closed = WarehouseFactory(code="CLOSED", is_active=False)
    WarehouseFactory(code="GONE", is_active=False)
    sku = SkuFactory()
    stock(sku, main, 3)
    stock(sku, closed, 4)

    table = stock_table([sku])

    assert [warehouse.code for warehouse in table.warehouses] == ["MAIN", "CLOSED"]
    assert [(row["warehouse"].code, row["on_hand"], row["available"]) for row in table.rows(sku)] == [
        ("MAIN", 3, 3), ("CLOSED", 4, 4)]
    assert table.totals == {sku.pk: 3}
    assert available_totals([sku]) == {sku.pk: 3}


def test_stock_table_rows_of_a_kit_show_kits_available_and_no_on_hand():
    warehouse = WarehouseFactory()
    part = SkuFactory()
    stock(part, warehouse, 4)
    bundle = kit((part, 2))

    table = stock_table([bundle])

    assert [(row["on_hand"], row["reserved"], row["available"]) for row in table.rows(bundle)] == [(None, None, 2)]


def test_availability_of_many_skus_and_kits_takes_a_fixed_number_of_queries(django_assert_num_queries):
    warehouse = WarehouseFactory()
    parts = [SkuFactory() for _number in range(6)]
    for part in parts:
        stock(part, warehouse, 10)
    kits = [kit((parts[number], 1), (parts[number + 1], 2)) for number in range(5)]

    # the warehouses, the one level of kit contents, the stock rows
    with django_assert_num_queries(3):
        table = stock_table([*parts, *kits])

    assert [table.totals[k.pk] for k in kits] == [5, 5, 5, 5, 5]
    with django_assert_num_queries(1):
        totals = available_totals(parts)
    assert totals == {part.pk: 10 for part in parts}
    assert available_totals([]) == {}


def test_a_cycle_slipped_into_the_data_does_not_hang_the_read():
    warehouse = WarehouseFactory()
    part = SkuFactory()
    stock(part, warehouse, 3)
    first = kit((part, 1))
    second = kit((first, 1))
    KitComponent.objects.create(kit=first, component=second, quantity=1)  # bypasses the service's cycle check

    assert set(available_totals([first, second])) == {first.pk, second.pk}
