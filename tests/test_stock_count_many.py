"""inventory.services.stock_count_many: a set of counts posted at once, as stock_count posts one."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from inventory import hooks
from inventory.invariants import violations
from inventory.models import StockLevel, StockMovement
from inventory.services import StockCountConflict, stock_count_many, stock_reserve
from tests.factories import SkuFactory, WarehouseFactory, stock

pytestmark = pytest.mark.django_db(transaction=True)


def counts_table(*rows: tuple[int, int, int]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS test_counts")
        cursor.execute("CREATE TEMP TABLE test_counts (sku_id bigint, warehouse_id bigint, counted integer)")
        for row in rows:
            cursor.execute("INSERT INTO test_counts VALUES (%s, %s, %s)", row)
    return "test_counts"


def levels() -> list[tuple[str, str, int, int]]:
    return list(StockLevel.objects.order_by("sku__code", "warehouse__code").values_list(
        "sku__code", "warehouse__code", "on_hand", "reserved"))


def test_counts_become_on_hand_each_difference_a_count_movement_and_growth_is_announced(make_user, monkeypatch):
    user = make_user("Warehouse")
    main, store = WarehouseFactory(code="MAIN"), WarehouseFactory(code="STORE")
    mug, cup, bowl = SkuFactory(code="MUG"), SkuFactory(code="CUP"), SkuFactory(code="BOWL")
    stock(mug, main, 10)
    stock(cup, main, 4)
    announced = []
    monkeypatch.setattr(hooks, "_stock_arrived", [lambda sku_ids, warehouse_id: announced.append(
        (sorted(sku_ids), warehouse_id))])

    table = counts_table((mug.pk, main.pk, 7), (cup.pk, main.pk, 4), (bowl.pk, store.pk, 5), (bowl.pk, main.pk, 0))
    with transaction.atomic():
        posted = stock_count_many(counts=table, user=user, reference="count:42")
        assert announced == []  # only once the counts are committed

    assert posted == 2
    assert levels() == [("BOWL", "STORE", 5, 0), ("CUP", "MAIN", 4, 0), ("MUG", "MAIN", 7, 0)]
    assert list(StockMovement.objects.filter(kind=StockMovement.Kind.COUNT).order_by("sku__code").values_list(
        "sku__code", "quantity", "reason", "reference", "created_by")) == [
        ("BOWL", 5, "Counted 5", "count:42", user.pk), ("MUG", -3, "Counted 7", "count:42", user.pk)]
    assert announced == [([bowl.pk], store.pk)]
    assert violations() == []


def test_a_count_below_what_is_reserved_writes_nothing():
    main, mug, cup = WarehouseFactory(code="MAIN"), SkuFactory(code="MUG"), SkuFactory(code="CUP")
    stock(mug, main, 10)
    stock(cup, main, 10)
    stock_reserve(sku=mug, warehouse=main, quantity=6, reference="order:1")
    before = (levels(), StockMovement.objects.count())

    with pytest.raises(StockCountConflict), transaction.atomic():
        stock_count_many(counts=counts_table((cup.pk, main.pk, 2), (mug.pk, main.pk, 5)), user=None,
                         reference="count:43")

    assert (levels(), StockMovement.objects.count()) == before
