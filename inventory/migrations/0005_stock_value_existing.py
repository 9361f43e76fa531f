from django.db import migrations

# Existing movements get their value at moving average cost, replayed in order (inventory.valuation,
# the rule every new movement follows; a transfer's units arrive with the value they left with), and each stock row's value is
# the sum of its movements' values, so the valuation invariants hold on existing data.
# Receipts with a unit cost are valued set-based; only the rows that also had other movements
# are replayed one movement at a time. Movements are immutable (a trigger), which this one-off
# backfill lifts for its own UPDATEs only.
# Each movement is updated once (a second UPDATE of a row in the same transaction would queue
# its deferred foreign-key checks, and the trigger could not be enabled again before commit).
REPLAYED = """
(m.sku_id, m.warehouse_id) IN (SELECT sku_id, warehouse_id FROM inventory_stockmovement
                               WHERE quantity < 0 OR unit_cost IS NULL)
"""
SIMPLE = f"""
UPDATE inventory_stockmovement m SET value = round(m.quantity * COALESCE(m.unit_cost, s.cost), %(places)s)
FROM catalog_sku s WHERE s.id = m.sku_id AND NOT {REPLAYED}
"""
TO_REPLAY = f"""
SELECT m.id, m.sku_id, m.warehouse_id, m.kind, m.reference, m.quantity, m.unit_cost, s.cost
FROM inventory_stockmovement m JOIN catalog_sku s ON s.id = m.sku_id
WHERE {REPLAYED}
ORDER BY m.created_at, m.id
"""
LEVELS = """
UPDATE inventory_stocklevel l SET value = t.total
FROM (SELECT sku_id, warehouse_id, sum(value) AS total FROM inventory_stockmovement GROUP BY 1, 2) t
WHERE t.sku_id = l.sku_id AND t.warehouse_id = l.warehouse_id
"""


def backfill(apps, schema_editor):
    from inventory.valuation import decimal_places, movement_value

    with schema_editor.connection.cursor() as cursor:
        # A table with pending trigger events (deferred foreign-key checks) cannot be altered:
        # run any now, here and before enabling the trigger again.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("ALTER TABLE inventory_stockmovement DISABLE TRIGGER inventory_stockmovement_immutable")
        cursor.execute(SIMPLE, {"places": decimal_places()})
        cursor.execute(TO_REPLAY)
        ids, values = [], []
        state: dict[tuple[int, int], tuple[int, object]] = {}
        transferred: dict[tuple[str, int], object] = {}  # (reference, sku id) -> value that left
        for movement_id, sku_id, warehouse_id, kind, reference, quantity, unit_cost, standard_cost in cursor.fetchall():
            on_hand, value = state.get((sku_id, warehouse_id), (0, 0))
            if kind == "transfer" and quantity > 0 and (reference, sku_id) in transferred:
                moved = -transferred.pop((reference, sku_id))  # units arrive with the value they left with
            else:
                moved = movement_value(on_hand=on_hand, value=value, quantity=quantity, unit_cost=unit_cost,
                                       standard_cost=standard_cost)
            if kind == "transfer" and quantity < 0:
                transferred[(reference, sku_id)] = moved
            state[(sku_id, warehouse_id)] = (on_hand + quantity, value + moved)
            ids.append(movement_id)
            values.append(moved)
        if ids:
            cursor.execute("UPDATE inventory_stockmovement m SET value = v.value "
                           "FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, value) WHERE m.id = v.id",
                           [ids, values])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("ALTER TABLE inventory_stockmovement ENABLE TRIGGER inventory_stockmovement_immutable")
        cursor.execute(LEVELS)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0004_stock_value"), ("catalog", "0003_sku_style_indexes_without_pattern_copies")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
