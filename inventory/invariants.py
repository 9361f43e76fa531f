"""The stock invariants of DESIGN.md, checked on a live database by ``check_invariants``.

Each check is one set-based query returning a row per violation.
"""

from __future__ import annotations

from django.db import connection

CHECKS: list[tuple[str, str]] = [
    (
        "on_hand equals the sum of movements",
        """
        SELECT COALESCE(l.sku_id, m.sku_id), COALESCE(l.warehouse_id, m.warehouse_id),
               'on_hand=' || COALESCE(l.on_hand, 0) || ' movements=' || COALESCE(m.total, 0)
        FROM inventory_stocklevel l
        FULL OUTER JOIN (SELECT sku_id, warehouse_id, SUM(quantity) AS total
                         FROM inventory_stockmovement GROUP BY sku_id, warehouse_id) m
          ON m.sku_id = l.sku_id AND m.warehouse_id = l.warehouse_id
        WHERE COALESCE(l.on_hand, 0) <> COALESCE(m.total, 0)
        """,
    ),
    (
        "value equals the sum of movement values",
        """
        SELECT COALESCE(l.sku_id, m.sku_id), COALESCE(l.warehouse_id, m.warehouse_id),
               'value=' || COALESCE(l.value, 0) || ' movements=' || COALESCE(m.total, 0)
        FROM inventory_stocklevel l
        FULL OUTER JOIN (SELECT sku_id, warehouse_id, SUM(value) AS total
                         FROM inventory_stockmovement GROUP BY sku_id, warehouse_id) m
          ON m.sku_id = l.sku_id AND m.warehouse_id = l.warehouse_id
        WHERE COALESCE(l.value, 0) <> COALESCE(m.total, 0)
        """,
    ),
    (
        "no value left on an empty stock row",
        """
        SELECT sku_id, warehouse_id, 'on_hand=0 value=' || value
        FROM inventory_stocklevel WHERE on_hand = 0 AND value <> 0
        """,
    ),
    (
        "0 <= reserved <= on_hand",
        """
        SELECT sku_id, warehouse_id, 'on_hand=' || on_hand || ' reserved=' || reserved
        FROM inventory_stocklevel WHERE reserved < 0 OR reserved > on_hand
        """,
    ),
    (
        "reserved equals the sum of open reservations",
        """
        SELECT COALESCE(l.sku_id, r.sku_id), COALESCE(l.warehouse_id, r.warehouse_id),
               'reserved=' || COALESCE(l.reserved, 0) || ' open reservations=' || COALESCE(r.total, 0)
        FROM inventory_stocklevel l
        FULL OUTER JOIN (SELECT sku_id, warehouse_id, SUM(quantity) AS total FROM inventory_reservation
                         WHERE status = 'open' GROUP BY sku_id, warehouse_id) r
          ON r.sku_id = l.sku_id AND r.warehouse_id = l.warehouse_id
        WHERE COALESCE(l.reserved, 0) <> COALESCE(r.total, 0)
        """,
    ),
    (
        "kits hold no stock of their own",
        """
        SELECT s.id, l.warehouse_id, 'kit ' || s.code || ' on_hand=' || l.on_hand || ' reserved=' || l.reserved
        FROM inventory_stocklevel l JOIN catalog_sku s ON s.id = l.sku_id
        WHERE s.is_kit AND (l.on_hand <> 0 OR l.reserved <> 0)
        """,
    ),
    (
        "purchase order lines received equal their receipt movements",
        """
        SELECT pl.sku_id, po.warehouse_id,
               po.number || ' received=' || pl.quantity_received || ' receipts=' || COALESCE(m.total, 0)
        FROM inventory_purchaseorderline pl
        JOIN inventory_purchaseorder po ON po.id = pl.purchase_order_id
        LEFT JOIN (SELECT purchase_order_line_id, SUM(quantity) AS total FROM inventory_stockmovement
                   WHERE purchase_order_line_id IS NOT NULL GROUP BY purchase_order_line_id) m
          ON m.purchase_order_line_id = pl.id
        WHERE pl.quantity_received <> COALESCE(m.total, 0)
        """,
    ),
]


def violations() -> list[tuple[str, int, int, str]]:
    """(check name, sku id, warehouse id, detail) for every row that breaks an invariant."""
    found = []
    with connection.cursor() as cursor:
        for name, sql in CHECKS:
            cursor.execute(sql)
            found.extend((name, sku_id, warehouse_id, detail) for sku_id, warehouse_id, detail in cursor.fetchall())
    return found
