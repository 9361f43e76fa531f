"""The order invariants of DESIGN.md, checked on a live database by ``check_invariants``.

Each check is one set-based query returning a row per violation: (check name, order id,
line id or None, detail).

- A line's reserved-and-unshipped units (``quantity_allocated - quantity_shipped``) equal the
  sum of its open allocations (shipping consumes an allocation's reservations and closes it); an
  e-gift line has none (its units count as allocated with no row).
- Each open allocation is backed by open reservations of its group, with the reference
  ``order:<order id>:line:<line id>``, at its warehouse, of exactly its quantity of every
  stocked component (a kit expanded through ``catalog_kitcomponent``, nested kits included);
  and every open reservation, whatever its reference, belongs to an open allocation: stock is
  held only for order lines (the demo's reservations too).
- The order's amounts add up: ``total = subtotal - discount_total + shipping_total + tax_total``,
  its discount is the sum of its lines' discounts, the line totals are the merchandise after
  discounts plus the line taxes, and the tax covers at least the line taxes (the rest is the
  shipping tax). All discounts live on lines (orders.services.pricing).
- The latest status event of every order that is not a draft names its status.
- An order is on hold exactly while it has an open hold.
- An allocated order has every open unit reserved.
- Fulfillment (orders.fulfillment): a shipped shipment's units left as its ``shipment``
  movements (reference = the shipment number, at its warehouse, a kit as its components); the
  lines of an order with shipments shipped exactly what its shipped shipments hold; every shipped
  shipment's entry (``order.shipment``) books its revenue (unless its order is free) and COGS
  equal to the value its movements took out. Orders shipped before shipments
  existed (the demo's) have no shipments and are not held to these.
- Staff tasks (orders.stafftasks.invariants): a task names its subject and its rule's trigger; one
  open task per rule and subject; a closed task names who closed it.
"""

from __future__ import annotations

from django.db import connection

KEY_NAMES = ("order", "line")

CHECKS: list[tuple[str, str]] = [
    (
        "line allocated units equal its open allocations",
        """
        SELECT l.order_id, l.id,
               'allocated=' || l.quantity_allocated || ' shipped=' || l.quantity_shipped
               || ' open allocations=' || COALESCE(a.total, 0)
        FROM orders_orderline l
        LEFT JOIN (SELECT line_id, SUM(quantity) AS total FROM orders_lineallocation
                   WHERE is_open GROUP BY line_id) a ON a.line_id = l.id
        JOIN catalog_sku k ON k.id = l.sku_id
        -- an e-gift's units count as allocated with no allocation row (nothing to pick)
        WHERE CASE WHEN k.gift_card = 'electronic' THEN 0 ELSE l.quantity_allocated - l.quantity_shipped END
              <> COALESCE(a.total, 0)
        """,
    ),
    (
        "open allocations match their open reservations",
        """
        WITH RECURSIVE allocated_skus AS (
            SELECT DISTINCT l.sku_id FROM orders_lineallocation a JOIN orders_orderline l ON l.id = a.line_id
            WHERE a.is_open
        ), parts(root_id, sku_id, per_unit) AS (
            SELECT kc.kit_id, kc.component_id, kc.quantity FROM catalog_kitcomponent kc
            WHERE kc.kit_id IN (SELECT sku_id FROM allocated_skus)
          UNION ALL
            SELECT p.root_id, kc.component_id, p.per_unit * kc.quantity
            FROM parts p JOIN catalog_kitcomponent kc ON kc.kit_id = p.sku_id
        ), leaves AS (
            SELECT p.root_id, p.sku_id, SUM(p.per_unit) AS per_unit
            FROM parts p JOIN catalog_sku s ON s.id = p.sku_id AND NOT s.is_kit
            GROUP BY p.root_id, p.sku_id
          UNION ALL
            SELECT s.id, s.id, 1 FROM catalog_sku s  -- a gift card takes no stock: nothing reserved
            WHERE NOT s.is_kit AND s.gift_card = '' AND s.id IN (SELECT sku_id FROM allocated_skus)
        ), expected AS (
            SELECT a.reservation_group AS grp, l.order_id, l.id AS line_id, a.warehouse_id, v.sku_id,
                   a.quantity * v.per_unit AS units
            FROM orders_lineallocation a
            JOIN orders_orderline l ON l.id = a.line_id
            JOIN leaves v ON v.root_id = l.sku_id
            WHERE a.is_open
        ), actual AS (
            SELECT r."group" AS grp, r.sku_id, MIN(r.warehouse_id) AS warehouse_id,
                   MAX(r.warehouse_id) AS other_warehouse_id, MIN(r.reference) AS reference,
                   MAX(r.reference) AS other_reference, SUM(r.quantity) AS units
            FROM inventory_reservation r
            WHERE r.status = 'open'
            GROUP BY r."group", r.sku_id
        )
        SELECT COALESCE(e.order_id, CASE WHEN x.reference ~ '^order:[0-9]+:line:[0-9]+$'
                                         THEN split_part(x.reference, ':', 2)::bigint END),
               COALESCE(e.line_id, CASE WHEN x.reference ~ '^order:[0-9]+:line:[0-9]+$'
                                        THEN split_part(x.reference, ':', 4)::bigint END),
               CASE
                   WHEN e.grp IS NULL THEN 'open reservation ' || x.reference || ' of sku ' || x.sku_id
                                          || ' has no open allocation'
                   WHEN x.grp IS NULL THEN 'allocation group ' || e.grp || ' lacks reservations of sku '
                                          || e.sku_id
                   ELSE 'allocation group ' || e.grp || ' sku ' || e.sku_id || ': expected ' || e.units
                        || ' at warehouse ' || e.warehouse_id
                        || ' as order:' || e.order_id || ':line:' || e.line_id
                        || ', reserved ' || x.units || ' at warehouse ' || x.warehouse_id
                        || ' as ' || x.reference
               END
        FROM expected e
        FULL OUTER JOIN actual x ON x.grp = e.grp AND x.sku_id = e.sku_id
        WHERE e.grp IS NULL OR x.grp IS NULL OR e.units <> x.units
           OR x.warehouse_id <> e.warehouse_id OR x.other_warehouse_id <> e.warehouse_id
           OR x.reference <> 'order:' || e.order_id || ':line:' || e.line_id
           OR x.other_reference <> x.reference
        """,
    ),
    (
        "order amounts add up",
        """
        SELECT o.id, NULL::bigint,
               'subtotal=' || o.subtotal || ' discount=' || o.discount_total
               || ' shipping=' || o.shipping_total || ' tax=' || o.tax_total || ' total=' || o.total
               || ' lines: total=' || COALESCE(l.line_total, 0)
               || ' discount=' || COALESCE(l.discount, 0) || ' tax=' || COALESCE(l.tax, 0)
        FROM orders_order o
        LEFT JOIN (SELECT order_id, SUM(line_total) AS line_total, SUM(discount_amount) AS discount,
                          SUM(tax_amount) AS tax
                   FROM orders_orderline GROUP BY order_id) l ON l.order_id = o.id
        WHERE o.total <> o.subtotal - o.discount_total + o.shipping_total + o.tax_total
           OR o.discount_total <> COALESCE(l.discount, 0)
           OR COALESCE(l.line_total, 0) <> o.subtotal - o.discount_total + COALESCE(l.tax, 0)
           OR o.tax_total < COALESCE(l.tax, 0)
        """,
    ),
    (
        "the latest status event names the order's status",
        """
        SELECT o.id, NULL::bigint,
               'status=' || o.status || ' latest status event='
               || COALESCE(e.to_status || ' (event ' || e.id || ')', 'none')
        FROM orders_order o
        LEFT JOIN LATERAL (SELECT id, to_status FROM orders_orderevent
                           WHERE order_id = o.id AND kind = 'status'
                           ORDER BY created_at DESC, id DESC LIMIT 1) e ON true
        WHERE o.status <> 'draft' AND e.to_status IS DISTINCT FROM o.status
        """,
    ),
    (
        "an order is on hold exactly while a hold is open",
        """
        SELECT o.id, NULL::bigint, 'on hold without an open hold'
        FROM orders_order o
        WHERE o.status = 'on_hold'
          AND NOT EXISTS (SELECT 1 FROM orders_hold h WHERE h.order_id = o.id AND h.released_at IS NULL)
        UNION ALL
        SELECT o.id, NULL::bigint,
               'open ' || h.reason || ' hold ' || h.id || ' on an order that is ' || o.status
        FROM orders_hold h JOIN orders_order o ON o.id = h.order_id
        WHERE h.released_at IS NULL AND o.status <> 'on_hold'
        """,
    ),
    (
        "an allocated order has every open unit reserved",
        """
        SELECT o.id, l.id, 'ordered=' || l.quantity || ' cancelled=' || l.quantity_cancelled
               || ' allocated=' || l.quantity_allocated
        FROM orders_order o JOIN orders_orderline l ON l.order_id = o.id
        WHERE o.status = 'allocated' AND l.quantity > l.quantity_allocated + l.quantity_cancelled
        """,
    ),
]


FULFILLMENT_CHECKS: list[tuple[str, str]] = [
    (
        "shipped quantities equal shipment movements",
        """
        WITH RECURSIVE shipped AS (
            SELECT s.id, s.order_id, s.number, s.warehouse_id, ol.sku_id, sl.quantity
            FROM orders_shipment s JOIN orders_shipmentline sl ON sl.shipment_id = s.id
            JOIN orders_orderline ol ON ol.id = sl.order_line_id
            WHERE s.status IN ('shipped', 'delivered')
        ), parts(root_id, sku_id, per_unit) AS (
            SELECT kc.kit_id, kc.component_id, kc.quantity FROM catalog_kitcomponent kc
            WHERE kc.kit_id IN (SELECT sku_id FROM shipped)
          UNION ALL
            SELECT p.root_id, kc.component_id, p.per_unit * kc.quantity
            FROM parts p JOIN catalog_kitcomponent kc ON kc.kit_id = p.sku_id
        ), leaves AS (
            SELECT p.root_id, p.sku_id, SUM(p.per_unit) AS per_unit
            FROM parts p JOIN catalog_sku s ON s.id = p.sku_id AND NOT s.is_kit GROUP BY p.root_id, p.sku_id
          UNION ALL
            SELECT s.id, s.id, 1 FROM catalog_sku s  -- a gift card moves no stock
            WHERE NOT s.is_kit AND s.gift_card = '' AND s.id IN (SELECT sku_id FROM shipped)
        ), expected AS (
            SELECT x.id, x.order_id, x.number, x.warehouse_id, v.sku_id, SUM(x.quantity * v.per_unit) AS units
            FROM shipped x JOIN leaves v ON v.root_id = x.sku_id GROUP BY 1, 2, 3, 4, 5
        ), moved AS (
            SELECT m.reference, m.warehouse_id, m.sku_id, -SUM(m.quantity) AS units
            FROM inventory_stockmovement m WHERE m.kind = 'shipment'
              AND m.reference IN (SELECT number FROM shipped) GROUP BY 1, 2, 3
        )
        SELECT e.order_id, NULL::bigint, 'shipment ' || e.number || ' sku ' || e.sku_id || ': shipped '
               || e.units || ', moved ' || COALESCE(m.units, 0)
        FROM expected e LEFT JOIN moved m
          ON m.reference = e.number AND m.warehouse_id = e.warehouse_id AND m.sku_id = e.sku_id
        WHERE m.units IS DISTINCT FROM e.units
        """,
    ),
    (
        "order lines shipped what their shipments hold",
        """
        SELECT l.order_id, l.id, 'shipped=' || l.quantity_shipped || ' in shipments=' || COALESCE(x.units, 0)
        FROM orders_orderline l
        LEFT JOIN (SELECT sl.order_line_id, SUM(sl.quantity) AS units FROM orders_shipmentline sl
                   JOIN orders_shipment s ON s.id = sl.shipment_id AND s.status IN ('shipped', 'delivered')
                   GROUP BY sl.order_line_id) x ON x.order_line_id = l.id
        WHERE l.order_id IN (SELECT order_id FROM orders_shipment)
          AND l.quantity_shipped <> COALESCE(x.units, 0)
          -- an e-gift line is fulfilled without a shipment (orders.fulfillment.electronic)
          AND NOT EXISTS (SELECT 1 FROM catalog_sku k WHERE k.id = l.sku_id AND k.gift_card = 'electronic')
        """,
    ),
    (
        "every shipped shipment has its revenue and COGS posted",
        """
        WITH cost AS (
            SELECT m.reference, -SUM(m.value) AS value FROM inventory_stockmovement m
            WHERE m.kind = 'shipment' AND m.reference IN (SELECT number FROM orders_shipment
                                                          WHERE status IN ('shipped', 'delivered'))
            GROUP BY m.reference
        ), posted AS (
            SELECT e.source_id, SUM(l.debit) FILTER (WHERE a.code = ANY(r.cogs)) AS cogs,
                   -- a gift card's money is the liability's, not revenue (payments.giftcards.sold)
                   SUM(l.credit) FILTER (WHERE a.type = 'income' OR a.id IN (SELECT account_id
                       FROM payments_postingrule WHERE role = 'gift_card_liability')) AS income
            FROM payments_journalentry e JOIN payments_journalline l ON l.entry_id = e.id
            JOIN payments_account a ON a.id = l.account_id
            CROSS JOIN (SELECT array_agg(DISTINCT a2.code) AS cogs FROM payments_postingrule p
                        JOIN payments_account a2 ON a2.id = p.account_id WHERE p.role = 'cogs') r
            WHERE e.source_type = 'orders.shipment' AND e.kind = 'order.shipment'
            GROUP BY e.source_id
        )
        SELECT s.order_id, NULL::bigint, 'shipment ' || s.number || CASE
                   WHEN COALESCE(p.income, 0) = 0 AND o.total > 0 THEN ' has no revenue posted'
                   ELSE ' cost ' || COALESCE(c.value, 0) || ' but COGS posted ' || COALESCE(p.cogs, 0) END
        FROM orders_shipment s JOIN orders_order o ON o.id = s.order_id
        LEFT JOIN cost c ON c.reference = s.number
        LEFT JOIN posted p ON p.source_id = s.id::text
        WHERE s.status IN ('shipped', 'delivered')
          AND ((COALESCE(p.income, 0) = 0 AND o.total > 0) OR COALESCE(p.cogs, 0) <> COALESCE(c.value, 0))
        """,
    ),
]
CHECKS += FULFILLMENT_CHECKS

from orders.stafftasks.invariants import CHECKS as STAFF_TASK_CHECKS  # noqa: E402

CHECKS += STAFF_TASK_CHECKS
from orders.returns.invariants import RETURN_CHECKS  # noqa: E402  (returns, orders/returns)

CHECKS += RETURN_CHECKS


def violations() -> list[tuple[str, int, int | None, str]]:
    """(check name, order id, line id or None, detail) for every row that breaks an invariant."""
    found = []
    with connection.cursor() as cursor:
        for name, sql in CHECKS:
            cursor.execute(sql)
            found.extend((name, first, second, detail) for first, second, detail in cursor.fetchall())
    return found
