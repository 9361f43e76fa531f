"""Stock movements written set-based, valued and posted like the per-row services.

For writers that move many stock rows at once (the stock-count import, the demo): one
statement locks the rows in (sku, warehouse) order, values every movement with the rule of
:mod:`inventory.valuation` (its SQL form), inserts the movements with their values and moves
``on_hand`` and ``value`` together; then one journal entry posts them all
(:func:`inventory.postings.movements_post`), in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import hooks
from inventory.errors import InventoryError
from inventory.postings import business_date, movements_post
from inventory.valuation import movement_value_sql


@dataclass(frozen=True)
class MovementRow:
    """One movement to write: ``quantity`` (signed) of a SKU at a warehouse."""

    sku_id: int
    warehouse_id: int
    quantity: int
    kind: str  # a StockMovement.Kind value
    reason: str = ""
    reference: str = ""
    unit_cost: Decimal | None = None  # units in with a cost (a receipt); others move at the average


_ENSURE_LEVELS = """
INSERT INTO inventory_stocklevel (sku_id, warehouse_id, on_hand, reserved, value, updated_at)
SELECT DISTINCT sku_id, warehouse_id, 0, 0, 0, now()
FROM unnest(%(skus)s::bigint[], %(warehouses)s::bigint[]) AS w(sku_id, warehouse_id)
ON CONFLICT (sku_id, warehouse_id) DO NOTHING
"""
_WRITE = """
WITH wanted AS (
    SELECT * FROM unnest(%(skus)s::bigint[], %(warehouses)s::bigint[], %(quantities)s::integer[],
                         %(kinds)s::text[], %(reasons)s::text[], %(references)s::text[], %(costs)s::numeric[])
        WITH ORDINALITY AS w (sku_id, warehouse_id, quantity, kind, reason, reference, unit_cost, ordinal)
), locked AS (
    SELECT l.id, l.sku_id, l.warehouse_id, l.on_hand, l.value
    FROM inventory_stocklevel l JOIN wanted w ON w.sku_id = l.sku_id AND w.warehouse_id = l.warehouse_id
    ORDER BY l.sku_id, l.warehouse_id FOR NO KEY UPDATE OF l
), valued AS (
    SELECT w.*, k.id AS level_id, {value} AS value
    FROM wanted w
    JOIN locked k ON k.sku_id = w.sku_id AND k.warehouse_id = w.warehouse_id
    JOIN catalog_sku s ON s.id = w.sku_id
), moved AS (
    UPDATE inventory_stocklevel l SET on_hand = l.on_hand + v.quantity, value = l.value + v.value,
                                      updated_at = now()
    FROM valued v WHERE l.id = v.level_id
    RETURNING l.id
)
INSERT INTO inventory_stockmovement
    (sku_id, warehouse_id, kind, quantity, unit_cost, value, reason, reference, created_by_id, created_at)
SELECT sku_id, warehouse_id, kind, quantity, unit_cost, value, reason, reference, %(user)s, %(now)s
FROM valued WHERE (SELECT count(*) FROM moved) = (SELECT count(*) FROM wanted)
ORDER BY ordinal
RETURNING id
"""


def movements_write_many(*, rows: list[MovementRow], user, source, kind: str, memo: str = "") -> list[int]:
    """Write ``rows`` (at most one per SKU and warehouse) set-based and post them as one entry
    for ``(source, kind)``; returns the movement ids in the order of ``rows``.

    All or nothing: a row that would leave less on hand than is reserved fails the database's
    CHECK (IntegrityError) and nothing is written. Runs in the caller's transaction (or its own).
    """
    if not rows:
        return []
    keys = [(row.sku_id, row.warehouse_id) for row in rows]
    if len(set(keys)) != len(keys):
        raise InventoryError(_("Write at most one movement per SKU and warehouse at a time."))
    if any(row.quantity == 0 for row in rows):
        raise InventoryError(_("A stock movement needs a quantity other than zero."))
    if any(row.kind == "transfer" for row in rows):
        # A transfer's units arrive with the value they left with: stock_transfer pairs the two legs.
        raise InventoryError(_("Transfers go through stock_transfer, one at a time."))
    parameters = {
        "skus": [row.sku_id for row in rows], "warehouses": [row.warehouse_id for row in rows],
        "quantities": [row.quantity for row in rows], "kinds": [str(row.kind) for row in rows],
        "reasons": [row.reason for row in rows], "references": [row.reference for row in rows],
        "costs": [row.unit_cost for row in rows],
        "user": user.pk if user is not None and getattr(user, "is_authenticated", False) else None,
        "now": timezone.now(),
    }
    value = movement_value_sql(on_hand="k.on_hand", value="k.value", quantity="w.quantity",
                               unit_cost="w.unit_cost", standard_cost="s.cost")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT code FROM catalog_sku WHERE id = ANY(%s) AND is_kit LIMIT 1", [parameters["skus"]])
        kit = cursor.fetchone()
        if kit:
            raise InventoryError(_("%(code)s is a kit: kits hold no stock of their own; move its components.")
                                 % {"code": kit[0]})
        cursor.execute(_ENSURE_LEVELS, parameters)
        cursor.execute(_WRITE.format(value=value), parameters)
        movement_ids = [movement_id for (movement_id,) in cursor.fetchall()]
        if len(movement_ids) != len(rows):
            raise InventoryError(_("The stock changed while writing; try again."))
        movements_post(movement_ids=movement_ids, source=source, kind=kind, user=user,
                       on_date=business_date(parameters["now"]), memo=memo)
        arrived: dict[int, set[int]] = {}
        for row in rows:
            if row.quantity > 0:
                arrived.setdefault(row.warehouse_id, set()).add(row.sku_id)
        for warehouse_id, sku_ids in arrived.items():
            transaction.on_commit(lambda sku_ids=sku_ids, warehouse_id=warehouse_id:
                                  hooks.stock_arrived(sku_ids, warehouse_id))
    return movement_ids
