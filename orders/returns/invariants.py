"""The returns' invariants (part of ``orders.invariants.CHECKS``; rows of order id, line id, detail).

- An RMA line received exactly as many units as it has receipts, and an order line that has RMA
  lines returned exactly its receipts (the demo's returned orders, from before RMAs, have none).
- Every restocked unit came back as ``return`` movements (reference = the RMA number, at its
  warehouse, a kit as its components), and nothing else moved as a return for an RMA.
- Every receipt that moved money or cost is posted (``order.return``, source the receipt), for its
  credit (the sale reversed) and its cost.
"""

from __future__ import annotations

RETURN_CHECKS: list[tuple[str, str]] = [
    (
        "returned units equal the RMA receipts",
        """
        WITH received AS (
            SELECT rl.id, rl.order_line_id, rl.quantity_received, COUNT(rr.id) AS receipts
            FROM orders_rmaline rl LEFT JOIN orders_returnreceipt rr ON rr.rma_line_id = rl.id
            GROUP BY rl.id
        )
        SELECT l.order_id, l.id, 'returned=' || l.quantity_returned || ' received on RMAs='
               || SUM(r.quantity_received) || ' receipts=' || SUM(r.receipts)
        FROM orders_orderline l JOIN received r ON r.order_line_id = l.id
        GROUP BY l.id
        HAVING l.quantity_returned <> SUM(r.receipts) OR SUM(r.quantity_received) <> SUM(r.receipts)
        """,
    ),
    (
        "restocked units equal the return movements",
        """
        WITH expected AS (
            SELECT m.number, m.warehouse_id, COALESCE(kc.component_id, l.sku_id) AS sku_id,
                   SUM(COALESCE(kc.quantity, 1)) AS units, MIN(m.order_id) AS order_id
            FROM orders_returnreceipt rr
            JOIN orders_rmaline rl ON rl.id = rr.rma_line_id
            JOIN orders_rma m ON m.id = rl.rma_id
            JOIN orders_orderline l ON l.id = rl.order_line_id
            LEFT JOIN catalog_kitcomponent kc ON kc.kit_id = l.sku_id
            WHERE rr.disposition = 'restock'
            GROUP BY 1, 2, 3
        ), moved AS (
            SELECT sm.reference AS number, sm.warehouse_id, sm.sku_id, SUM(sm.quantity) AS units
            FROM inventory_stockmovement sm
            WHERE sm.kind = 'return' AND sm.reference IN (SELECT number FROM orders_rma)
            GROUP BY 1, 2, 3
        )
        SELECT COALESCE(e.order_id, (SELECT order_id FROM orders_rma WHERE number = v.number)), NULL::bigint,
               'RMA ' || COALESCE(e.number, v.number) || ' sku ' || COALESCE(e.sku_id, v.sku_id)
               || ' restocked ' || COALESCE(e.units, 0) || ' but moved ' || COALESCE(v.units, 0)
        FROM expected e FULL JOIN moved v
             ON v.number = e.number AND v.warehouse_id = e.warehouse_id AND v.sku_id = e.sku_id
        WHERE COALESCE(e.units, 0) <> COALESCE(v.units, 0)
        """,
    ),
    (
        "every received return is posted",
        """
        SELECT m.order_id, rl.order_line_id, 'receipt ' || rr.id || ' of RMA ' || m.number || ' is not posted'
        FROM orders_returnreceipt rr
        JOIN orders_rmaline rl ON rl.id = rr.rma_line_id
        JOIN orders_rma m ON m.id = rl.rma_id
        WHERE (rr.credit <> 0 OR rr.cost <> 0)
          AND NOT EXISTS (SELECT 1 FROM payments_journalentry e WHERE e.source_type = 'orders.returnreceipt'
                          AND e.source_id = rr.id::text AND e.kind = 'order.return')
        """,
    ),
]
