"""Perpetual inventory at moving average cost, and the journal entries of stock movements."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.db import connection

from inventory.invariants import violations as stock_violations
from inventory.models import StockLevel, StockMovement
from inventory.postings import movements_post
from inventory.services import (
    purchase_order_receive, stock_adjust, stock_count, stock_receive, stock_return, stock_transfer,
)
from inventory.valuation import movement_value, movement_value_sql
from payments.invariants import violations as ledger_violations
from payments.ledger.selectors import trial_balance
from payments.models import JournalEntry, PostingRule
from tests.factories import SkuFactory, WarehouseFactory
from tests.ledger_helpers import account, balance, lines_of, stock_valuation
from tests.screens_helpers import purchase_order

pytestmark = pytest.mark.django_db


def row(sku, warehouse) -> tuple[int, Decimal]:
    level = StockLevel.objects.get(sku=sku, warehouse=warehouse)
    return level.on_hand, level.value


def entry_of(movement: StockMovement) -> JournalEntry:
    return JournalEntry.objects.get(source_type="inventory.stockmovement", source_id=str(movement.pk))


@pytest.fixture
def sku():
    return SkuFactory(cost=Decimal("4.000"))


@pytest.fixture
def warehouse():
    return WarehouseFactory()


def test_receipts_at_two_costs_average_and_an_issue_leaves_at_the_average(sku, warehouse):
    stock_receive(sku=sku, warehouse=warehouse, quantity=3, unit_cost=Decimal("1.00"), user=None)
    stock_receive(sku=sku, warehouse=warehouse, quantity=1, unit_cost=Decimal("2.00"), user=None)
    assert row(sku, warehouse) == (4, Decimal("5.00"))
    assert StockLevel.objects.get(sku=sku, warehouse=warehouse).average_cost == Decimal("1.25")

    issue = stock_adjust(sku=sku, warehouse=warehouse, quantity=-2, reason="Damaged", user=None)

    assert issue.value == Decimal("-2.50")
    assert row(sku, warehouse) == (2, Decimal("2.50"))
    assert lines_of(entry_of(issue)) == [("1200", Decimal("0"), Decimal("2.50")), ("5100", Decimal("2.50"), Decimal("0"))]


def test_each_issue_is_rounded_once_and_the_last_unit_takes_the_remaining_cents(sku, warehouse):
    stock_receive(sku=sku, warehouse=warehouse, quantity=3, unit_cost=Decimal("3.333"), user=None)
    assert row(sku, warehouse) == (3, Decimal("10.00"))  # 9.999 rounded once

    values = [stock_adjust(sku=sku, warehouse=warehouse, quantity=-1, reason="Sample", user=None).value
              for _ in range(3)]

    # 10.00 / 3 = 3.333… → 3.33; 6.67 / 2 = 3.335 → 3.34 (half up); the last unit takes what is left.
    assert values == [Decimal("-3.33"), Decimal("-3.34"), Decimal("-3.33")]
    assert row(sku, warehouse) == (0, Decimal("0"))
    assert stock_violations() == []


def test_units_in_without_a_cost_come_at_the_average_or_at_standard_cost_on_an_empty_row(sku, warehouse):
    found_on_empty = stock_adjust(sku=sku, warehouse=warehouse, quantity=2, reason="Found", user=None)
    assert found_on_empty.value == Decimal("8.00")  # 2 × the standard cost 4.00

    stock_receive(sku=sku, warehouse=warehouse, quantity=2, unit_cost=Decimal("6.00"), user=None)  # 20.00 for 4
    counted_up = stock_count(sku=sku, warehouse=warehouse, counted=5, user=None)
    returned = stock_return(sku=sku, warehouse=warehouse, quantity=1, user=None)

    assert counted_up.value == Decimal("5.00")
    assert returned.value == Decimal("5.00")
    assert row(sku, warehouse) == (6, Decimal("30.00"))
    assert lines_of(entry_of(found_on_empty)) == [("1200", Decimal("8.00"), Decimal("0")),
                                                 ("5200", Decimal("0"), Decimal("8.00"))]
    assert lines_of(entry_of(counted_up)) == [("1200", Decimal("5.00"), Decimal("0")),
                                             ("5200", Decimal("0"), Decimal("5.00"))]
    assert lines_of(entry_of(returned)) == [("1200", Decimal("5.00"), Decimal("0")),
                                           ("5000", Decimal("0"), Decimal("5.00"))]


def test_a_count_short_posts_shrinkage_at_the_average(sku, warehouse):
    stock_receive(sku=sku, warehouse=warehouse, quantity=4, unit_cost=Decimal("2.50"), user=None)

    short = stock_count(sku=sku, warehouse=warehouse, counted=1, user=None)

    assert short.value == Decimal("-7.50")
    assert entry_of(short).kind == "stock.count"
    assert lines_of(entry_of(short)) == [("1200", Decimal("0"), Decimal("7.50")), ("5100", Decimal("7.50"), Decimal("0"))]


def test_a_transfer_carries_its_value_and_posts_nothing_when_both_warehouses_share_the_account(sku, warehouse):
    store = WarehouseFactory()
    stock_receive(sku=sku, warehouse=warehouse, quantity=3, unit_cost=Decimal("1.00"), user=None)
    stock_receive(sku=sku, warehouse=store, quantity=1, unit_cost=Decimal("5.00"), user=None)
    entries_before = JournalEntry.objects.count()

    out, into = stock_transfer(sku=sku, source=warehouse, destination=store, quantity=2, user=None)

    assert (out.value, into.value) == (Decimal("-2.00"), Decimal("2.00"))
    assert row(sku, store) == (3, Decimal("7.00"))
    assert JournalEntry.objects.count() == entries_before
    assert ledger_violations() == []


def test_a_transfer_between_warehouses_with_their_own_inventory_accounts_moves_the_value_between_them(sku, warehouse):
    store = WarehouseFactory()
    PostingRule.objects.create(role="inventory", warehouse=store, account=account("1050"))  # any other asset
    stock_receive(sku=sku, warehouse=warehouse, quantity=4, unit_cost=Decimal("1.50"), user=None)

    _out, into = stock_transfer(sku=sku, source=warehouse, destination=store, quantity=3, user=None)

    assert lines_of(entry_of(into)) == [("1050", Decimal("4.50"), Decimal("0")), ("1200", Decimal("0"), Decimal("4.50"))]
    assert (balance("1200"), balance("1050")) == (Decimal("1.50"), Decimal("4.50"))
    assert ledger_violations() == []


def test_a_purchase_order_receipt_posts_inventory_against_grni_at_the_line_cost(sku, warehouse):
    order = purchase_order(lines=[(sku, 10, Decimal("2.345"))], warehouse=warehouse)
    line = order.lines.get()

    [receipt] = purchase_order_receive(purchase_order=order, quantities={line.pk: 6}, user=None)

    assert receipt.value == Decimal("14.07")  # 6 × 2.345 = 14.070
    entry = entry_of(receipt)
    assert entry.kind == "stock.receipt"
    assert lines_of(entry) == [("1200", Decimal("14.07"), Decimal("0")), ("2050", Decimal("0"), Decimal("14.07"))]
    assert entry.get_source_url() == f"/inventory/purchase-orders/{order.pk}/"


def test_an_adjustment_reason_with_a_rule_of_its_own_posts_to_that_account(sku, warehouse):
    PostingRule.objects.create(role="adjustment.loss:stolen", account=account("5300"))
    stock_receive(sku=sku, warehouse=warehouse, quantity=2, unit_cost=Decimal("3.00"), user=None)

    stolen = stock_adjust(sku=sku, warehouse=warehouse, quantity=-1, reason="Stolen", user=None)
    broken = stock_adjust(sku=sku, warehouse=warehouse, quantity=-1, reason="Broken", user=None)

    assert lines_of(entry_of(stolen))[1][0] == "5300"
    assert lines_of(entry_of(broken))[1][0] == "5100"


def test_the_inventory_account_equals_the_valuation_after_a_mix_of_operations(warehouse):
    rng = random.Random(11)
    store = WarehouseFactory()
    skus = [SkuFactory(cost=Decimal(rng.randint(100, 900)) / 100) for _ in range(4)]
    for sku in skus:
        stock_receive(sku=sku, warehouse=warehouse, quantity=rng.randint(5, 20),
                      unit_cost=Decimal(rng.randint(1, 99999)) / 1000, user=None)
    for _ in range(60):
        sku = rng.choice(skus)
        here = rng.choice([warehouse, store])
        on_hand = StockLevel.objects.filter(sku=sku, warehouse=here).values_list("on_hand", flat=True).first() or 0
        action = rng.choice(["receive", "adjust", "count", "transfer", "return"])
        if action == "receive":
            stock_receive(sku=sku, warehouse=here, quantity=rng.randint(1, 7),
                          unit_cost=Decimal(rng.randint(1, 99999)) / 1000, user=None)
        elif action == "adjust" and on_hand:
            stock_adjust(sku=sku, warehouse=here, quantity=-rng.randint(1, on_hand), reason="Damaged", user=None)
        elif action == "count":
            stock_count(sku=sku, warehouse=here, counted=rng.randint(0, on_hand + 3), user=None)
        elif action == "transfer" and on_hand:
            stock_transfer(sku=sku, source=here, destination=store if here == warehouse else warehouse,
                           quantity=rng.randint(1, on_hand), user=None)
        elif action == "return":
            stock_return(sku=sku, warehouse=here, quantity=rng.randint(1, 3), user=None)

    assert balance("1200") == stock_valuation()
    assert stock_violations() == []
    assert ledger_violations() == []
    assert trial_balance().is_balanced


def test_the_sql_valuation_gives_the_same_cents_as_the_python_one():
    rng = random.Random(5)
    cases = []
    for _ in range(400):
        on_hand = rng.choice([0, 1, 2, 3, 7, 13, 1000])
        value = Decimal(rng.randint(0, 10**6)) / 100 if on_hand else Decimal("0")
        quantity = rng.choice([-1, -2, -3, -on_hand, 1, 2, 3, 11]) or 1
        if on_hand + quantity < 0:
            quantity = -on_hand or 1
        unit_cost = rng.choice([None, Decimal(rng.randint(0, 10**5)) / 1000])
        standard = Decimal(rng.randint(0, 10**5)) / 1000
        cases.append((on_hand, value, quantity, unit_cost, standard))
    expression = movement_value_sql(on_hand="c.on_hand", value="c.value", quantity="c.quantity",
                                    unit_cost="c.unit_cost", standard_cost="c.standard")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {expression} FROM unnest(%s::int[], %s::numeric[], %s::int[], %s::numeric[], %s::numeric[]) "
            "WITH ORDINALITY AS c(on_hand, value, quantity, unit_cost, standard, n) ORDER BY n",
            [[c[0] for c in cases], [c[1] for c in cases], [c[2] for c in cases], [c[3] for c in cases],
             [c[4] for c in cases]])
        from_sql = [result for (result,) in cursor.fetchall()]

    from_python = [movement_value(on_hand=c[0], value=c[1], quantity=c[2], unit_cost=c[3], standard_cost=c[4])
                   for c in cases]
    assert from_sql == from_python


def test_movements_written_in_bulk_post_one_entry_per_warehouse_direction_and_reason(sku, warehouse):
    store = WarehouseFactory()
    receipts = [stock_receive(sku=sku, warehouse=place, quantity=4, unit_cost=Decimal("1.00"), user=None)
                for place in (warehouse, store)]
    losses = [stock_count(sku=sku, warehouse=warehouse, counted=1, user=None),
              stock_count(sku=sku, warehouse=store, counted=6, user=None)]
    ids = [movement.pk for movement in receipts + losses]

    entry = movements_post(movement_ids=ids, source=("inventory.stockcount", "job-7"), kind="stock.count_import",
                           user=None)
    again = movements_post(movement_ids=ids, source=("inventory.stockcount", "job-7"), kind="stock.count_import",
                           user=None)

    assert again.pk == entry.pk
    assert sorted(lines_of(entry)) == sorted([
        ("1200", Decimal("4.00"), Decimal("0")), ("2050", Decimal("0"), Decimal("4.00")),  # receipt, warehouse
        ("1200", Decimal("0"), Decimal("3.00")), ("5100", Decimal("3.00"), Decimal("0")),  # count short
        ("1200", Decimal("4.00"), Decimal("0")), ("2050", Decimal("0"), Decimal("4.00")),  # receipt, store
        ("1200", Decimal("2.00"), Decimal("0")), ("5200", Decimal("0"), Decimal("2.00")),  # count over
    ])


def test_movements_written_set_based_are_valued_and_posted_as_the_services_would(warehouse):
    from inventory.bulk_movements import MovementRow, movements_write_many

    per_row, set_based = SkuFactory(cost=Decimal("2.00")), SkuFactory(cost=Decimal("2.00"))
    fresh_per_row, fresh_set_based = SkuFactory(cost=Decimal("2.00")), SkuFactory(cost=Decimal("2.00"))
    for sku in (per_row, set_based):
        stock_receive(sku=sku, warehouse=warehouse, quantity=3, unit_cost=Decimal("3.333"), user=None)
    expected = [stock_adjust(sku=per_row, warehouse=warehouse, quantity=-1, reason="Damaged", user=None).value,
                stock_adjust(sku=fresh_per_row, warehouse=warehouse, quantity=4, reason="Found", user=None).value]

    ids = movements_write_many(
        rows=[MovementRow(sku_id=set_based.pk, warehouse_id=warehouse.pk, quantity=-1, kind="adjustment",
                          reason="Damaged"),
              MovementRow(sku_id=fresh_set_based.pk, warehouse_id=warehouse.pk, quantity=4, kind="adjustment",
                          reason="Found")],
        user=None, source=("inventory.importjob", "17"), kind="stock.adjustment_import")

    movements = StockMovement.objects.in_bulk(ids)
    assert [movements[movement_id].value for movement_id in ids] == expected == [Decimal("-3.33"), Decimal("8.00")]
    assert row(set_based, warehouse) == row(per_row, warehouse) == (2, Decimal("6.67"))
    assert row(fresh_set_based, warehouse) == (4, Decimal("8.00"))
    entry = JournalEntry.objects.get(kind="stock.adjustment_import")
    assert sorted(lines_of(entry)) == sorted([
        ("1200", Decimal("0"), Decimal("3.33")), ("5100", Decimal("3.33"), Decimal("0")),
        ("1200", Decimal("8.00"), Decimal("0")), ("5200", Decimal("0"), Decimal("8.00"))])
    assert stock_violations() == []
    assert ledger_violations() == []


def test_a_stock_count_import_values_its_movements_and_posts_them_as_one_entry(make_user):
    import csv
    import io

    from catalog.imports.services import import_file

    user = make_user("Warehouse")
    main, store = WarehouseFactory(code="MAIN"), WarehouseFactory(code="STORE")
    mug, pen = SkuFactory(code="MUG", cost=Decimal("9.00")), SkuFactory(code="PEN", cost=Decimal("0.50"))
    stock_receive(sku=mug, warehouse=main, quantity=3, unit_cost=Decimal("3.333"), user=None)  # 10.00
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["warehouse_code", "sku_code", "counted"], ["MAIN", "MUG", "1"],
                                  ["STORE", "PEN", "12"]])

    import_file(kind="stock_counts", file=buffer.getvalue().encode(), user=user, dry_run=False,
                reference="count:spring")

    counted = {m.sku.code: m.value for m in StockMovement.objects.filter(kind=StockMovement.Kind.COUNT)}
    assert counted == {"MUG": Decimal("-6.67"), "PEN": Decimal("6.00")}  # 2 of 3 at 3.333…; 12 at standard
    assert row(mug, main) == (1, Decimal("3.33"))
    entry = JournalEntry.objects.get(kind="stock.count_import")
    assert sorted(lines_of(entry)) == sorted([
        ("1200", Decimal("0"), Decimal("6.67")), ("5100", Decimal("6.67"), Decimal("0")),
        ("1200", Decimal("6.00"), Decimal("0")), ("5200", Decimal("0"), Decimal("6.00"))])
    assert balance("1200") == stock_valuation() == Decimal("9.33")
    assert stock_violations() == []
    assert ledger_violations() == []


def test_the_migration_values_existing_movements_as_the_services_do(warehouse):
    """Existing movements (values wiped, as before the migration) get back exactly the values the
    services give: receipts at their cost, issues at the average, transfers carrying their value."""
    import importlib

    backfill = importlib.import_module("inventory.migrations.0005_stock_value_existing").backfill
    rng = random.Random(3)
    store = WarehouseFactory()
    skus = [SkuFactory(cost=Decimal("2.50")) for _ in range(3)]
    for sku in skus:
        stock_receive(sku=sku, warehouse=warehouse, quantity=7, unit_cost=Decimal("3.333"), user=None)
        stock_adjust(sku=sku, warehouse=store, quantity=2, reason="Found", user=None)
        stock_transfer(sku=sku, source=warehouse, destination=store, quantity=rng.randint(1, 5), user=None)
        stock_receive(sku=sku, warehouse=store, quantity=3, unit_cost=Decimal("1.111"), user=None)
        stock_count(sku=sku, warehouse=store, counted=rng.randint(0, 6), user=None)
        stock_return(sku=sku, warehouse=warehouse, quantity=1, user=None)
        stock_adjust(sku=sku, warehouse=warehouse, quantity=-1, reason="Damaged", user=None)
    expected = dict(StockMovement.objects.values_list("pk", "value"))
    expected_levels = dict(StockLevel.objects.values_list("pk", "value"))

    class SchemaEditor:
        pass

    editor = SchemaEditor()
    editor.connection = connection
    with connection.cursor() as cursor:
        # The rows were written in this test's transaction: their deferred checks run first, since a
        # table with pending trigger events cannot be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("ALTER TABLE inventory_stockmovement DISABLE TRIGGER inventory_stockmovement_immutable")
        cursor.execute("UPDATE inventory_stockmovement SET value = 0")
        cursor.execute("UPDATE inventory_stocklevel SET value = 0")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("ALTER TABLE inventory_stockmovement ENABLE TRIGGER inventory_stockmovement_immutable")
    assert set(StockMovement.objects.values_list("value", flat=True)) == {Decimal("0")}

    backfill(None, editor)

    assert dict(StockMovement.objects.values_list("pk", "value")) == expected
    assert dict(StockLevel.objects.values_list("pk", "value")) == expected_levels
    assert stock_violations() == []


def test_a_return_at_the_cost_it_left_with_comes_back_at_that_cost(sku, warehouse):
    stock_receive(sku=sku, warehouse=warehouse, quantity=2, unit_cost=Decimal("5.00"), user=None)

    returned = stock_return(sku=sku, warehouse=warehouse, quantity=1, unit_cost=Decimal("3.20"), user=None)

    assert returned.value == Decimal("3.20")
    assert row(sku, warehouse) == (3, Decimal("13.20"))


def test_the_stock_invariants_catch_a_value_out_of_step_with_the_movements(sku, warehouse):
    stock_receive(sku=sku, warehouse=warehouse, quantity=2, unit_cost=Decimal("5.00"), user=None)
    StockLevel.objects.filter(sku=sku, warehouse=warehouse).update(value=Decimal("9.99"))
    stock_adjust(sku=sku, warehouse=warehouse, quantity=-2, reason="Lost", user=None)

    found = {(name, detail) for name, _sku, _warehouse, detail in stock_violations()}

    # The whole 9.99 left with the last units, so the row is empty, but its movements sum to 0.01.
    assert found == {("value equals the sum of movement values", "value=0.000 movements=0.010")}
