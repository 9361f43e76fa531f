"""The demo's shipments (``seed_demo`` step "fulfillment", after the orders, carriers and payments).

Set-based, like the demo orders: a few ``INSERT … SELECT`` statements over every demo order that
shipped (partially shipped, shipped, delivered, closed, with a return) and has no shipment yet:

- one shipment per order from the main distribution center (the shipping warehouse first by
  priority), shipped when the order's timeline says it shipped, delivered when it says so, with a
  ``DEMO…`` tracking number; its lines are the order lines' shipped quantities;
- the units leave as ``shipment`` movements at the SKU's average cost (a kit's components). The
  demo's history predates its opening stock (``orders.demo``), so each shipment movement comes
  with the receipt that brought those units in before it (``inventory.services.stock_history_many``,
  the receipts posted against opening equity, as the opening stock is): on hand and the stock
  value stay as the inventory demo left them, and ``on_hand == Σ movements`` holds;
- the ``ship`` event records what the shipment books, as ship confirmation does: ``amount`` (the
  order's total, or for a partly shipped order its shipped lines' share plus the shipping, never
  less than the card capture of the payments demo), split into ``revenue``, ``shipping`` and
  ``tax``, and ``cost`` (what the movements took out). Payments' demo step "shipment postings"
  books them (revenue and COGS per shipment, set-based).

Then a few open pick waves at the main warehouse, through the wave service, from up to half of its
allocated orders, so that a fresh demo has a warehouse to work in. Seeding again adds nothing.
"""

from __future__ import annotations

import time

from django.db import connection, transaction

SHIPPED = ("partially_shipped", "shipped", "delivered", "closed", "return_requested", "returned")
DELIVERED = ("delivered", "closed", "return_requested", "returned")
OPEN_WAVES = 3
WAVE_ORDERS = 8
HISTORY = "demo: stock received before the demo's history"

_SHIPMENTS = """
WITH shipped AS (
    SELECT o.id, o.number, o.created_by_id,
           COALESCE((SELECT min(e.created_at) FROM orders_orderevent e WHERE e.order_id = o.id
                     AND e.to_status IN ('partially_shipped', 'shipped')), o.updated_at) AS shipped_at,
           (SELECT min(e.created_at) FROM orders_orderevent e WHERE e.order_id = o.id
            AND e.to_status = 'delivered') AS delivered_at,
           o.status = ANY(%(delivered)s) AS is_delivered
    FROM orders_order o
    WHERE o.status = ANY(%(shipped)s)
      AND EXISTS (SELECT 1 FROM orders_orderline l WHERE l.order_id = o.id AND l.quantity_shipped > 0)
      AND NOT EXISTS (SELECT 1 FROM orders_shipment s WHERE s.order_id = o.id)
)
INSERT INTO orders_shipment (order_id, warehouse_id, wave_id, number, status, carrier, service, rate_amount,
                             rate_currency, rate_reason, tracking_number, box, weight_grams, packed_by_id, packed_at,
                             shipped_by_id, shipped_at, delivered_at, external_reference, created_at)
SELECT id, %(warehouse)s, NULL, 'S' || number || '-1', CASE WHEN is_delivered THEN 'delivered' ELSE 'shipped' END,
       'table', 'ground', NULL, '', '', 'DEMO' || lpad(id::text, 12, '0'), 'M', NULL, created_by_id, shipped_at,
       created_by_id, shipped_at, CASE WHEN is_delivered THEN COALESCE(delivered_at, shipped_at) END, NULL,
       shipped_at
FROM shipped RETURNING id
"""

_LINES = """
INSERT INTO orders_shipmentline (shipment_id, order_line_id, allocation_id, reservation_group, quantity,
                                 picked_quantity, packed_quantity, picked_by_id, picked_at)
SELECT s.id, l.id, NULL, NULL, l.quantity_shipped, l.quantity_shipped, l.quantity_shipped, s.packed_by_id,
       s.packed_at
FROM orders_shipment s JOIN orders_orderline l ON l.order_id = s.order_id AND l.quantity_shipped > 0
WHERE s.id = ANY(%(ids)s)
"""

# Each shipped unit's leaf SKUs (a kit's components, a kit in a kit's too), per shipment.
_LEAVES = """
WITH RECURSIVE shipped AS (
    SELECT s.id AS shipment_id, s.number, s.warehouse_id, s.shipped_at, l.sku_id, sl.quantity
    FROM orders_shipment s JOIN orders_shipmentline sl ON sl.shipment_id = s.id
    JOIN orders_orderline l ON l.id = sl.order_line_id WHERE s.id = ANY(%(ids)s)
), parts(root_id, sku_id, per_unit) AS (
    SELECT kc.kit_id, kc.component_id, kc.quantity FROM catalog_kitcomponent kc
    WHERE kc.kit_id IN (SELECT sku_id FROM shipped)
  UNION ALL
    SELECT p.root_id, kc.component_id, p.per_unit * kc.quantity
    FROM parts p JOIN catalog_kitcomponent kc ON kc.kit_id = p.sku_id
), leaves AS (
    SELECT p.root_id, p.sku_id, SUM(p.per_unit) AS per_unit
    FROM parts p JOIN catalog_sku k ON k.id = p.sku_id AND NOT k.is_kit GROUP BY p.root_id, p.sku_id
  UNION ALL
    SELECT k.id, k.id, 1 FROM catalog_sku k WHERE NOT k.is_kit AND k.id IN (SELECT sku_id FROM shipped)
)
SELECT x.shipment_id, x.number, x.warehouse_id, x.shipped_at, v.sku_id, SUM(x.quantity * v.per_unit)::int AS units,
       round(COALESCE(NULLIF(k.average_cost, 0), k.cost, 0), 2) AS unit_cost
FROM shipped x JOIN leaves v ON v.root_id = x.sku_id JOIN catalog_sku k ON k.id = v.sku_id
GROUP BY 1, 2, 3, 4, 5, 7
"""

# What each shipment books (ship confirmation's amounts; see the module docstring), on its ship event.
_EVENTS = """
WITH line AS (
    SELECT s.id AS shipment_id, o.id AS order_id, o.status, o.total, o.shipping_total,
           round(sum(CASE WHEN o.status = 'partially_shipped'
                          THEN (l.line_total - l.tax_amount) * l.quantity_shipped / NULLIF(l.quantity, 0)
                          ELSE l.line_total - l.tax_amount END), 2) AS revenue,
           round(sum(l.line_total * l.quantity_shipped / NULLIF(l.quantity, 0)), 2) AS partial,
           sum(l.quantity_shipped) AS units
    FROM orders_shipment s JOIN orders_order o ON o.id = s.order_id
    JOIN orders_orderline l ON l.order_id = o.id AND l.quantity_shipped > 0
    WHERE s.id = ANY(%(ids)s) GROUP BY s.id, o.id
), amount AS (
    SELECT line.*, CASE WHEN status = 'partially_shipped' THEN partial + shipping_total ELSE total END AS amount,
           (SELECT -COALESCE(sum(m.value), 0) FROM inventory_stockmovement m JOIN orders_shipment s2
              ON s2.id = line.shipment_id
            WHERE m.kind = 'shipment' AND m.reference = s2.number) AS cost
    FROM line
)
INSERT INTO orders_shipmentevent (shipment_id, kind, message, data, actor_id, created_at)
SELECT a.shipment_id, 'ship', 'Shipped ' || a.units || ' units.',
       jsonb_build_object('amount', a.amount::text, 'cost', a.cost::text, 'revenue', a.revenue::text,
                          'shipping', a.shipping_total::text,
                          'tax', (a.amount - a.revenue - a.shipping_total)::text,
                          'tracking_number', s.tracking_number, 'demo', true),
       s.shipped_by_id, s.shipped_at
FROM amount a JOIN orders_shipment s ON s.id = a.shipment_id
UNION ALL
SELECT s.id, 'delivered', 'Delivered.', jsonb_build_object('tracking_number', s.tracking_number), NULL,
       s.delivered_at
FROM orders_shipment s WHERE s.id = ANY(%(ids)s) AND s.delivered_at IS NOT NULL
"""


def seed_fulfillment(*, stdout, options: dict) -> None:
    """Shipments, their movements and ship events for the shipped demo orders; a few open waves."""
    from inventory.models import Warehouse
    from inventory.services import stock_history_many

    warehouse = (Warehouse.objects.filter(ships=True, kind=Warehouse.Kind.WAREHOUSE).order_by("priority", "pk")
                 .first())
    if warehouse is None:
        stdout.write("Demo fulfillment: no shipping warehouse.")
        return
    started = time.monotonic()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_SHIPMENTS, {"shipped": list(SHIPPED), "delivered": list(DELIVERED),
                                        "warehouse": warehouse.pk})
            ids = [row[0] for row in cursor.fetchall()]
            moved = 0
            if ids:
                cursor.execute(_LINES, {"ids": ids})
                moved = stock_history_many(shipped=_LEAVES, params={"ids": ids}, reason=HISTORY,
                                           source=("orders.demo", f"history-{min(ids)}"))
                cursor.execute(_EVENTS, {"ids": ids})
    waves = _open_waves(warehouse)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_shipment, orders_shipmentline, orders_shipmentevent, inventory_stockmovement")
    stdout.write(f"Demo fulfillment: {len(ids):,} shipments ({moved:,} shipment movements), {waves} open waves "
                 f"in {time.monotonic() - started:.1f} s.")


def _open_waves(warehouse) -> int:
    """Up to OPEN_WAVES waves of up to WAVE_ORDERS orders, taking at most half of the allocated orders
    at ``warehouse`` (the rest stay allocated, for order entry's and payments' demo). The wave service
    is durable: inside a caller's transaction (a test rolling the demo back) no wave is made."""
    from orders.fulfillment.models import PickWave
    from orders.fulfillment.services import FulfillmentError, wave_create
    from orders.models import LineAllocation

    allocated = (LineAllocation.objects.filter(warehouse=warehouse, is_open=True, line__order__status="allocated")
                 .values("line__order").distinct().count())
    wanted = OPEN_WAVES - PickWave.objects.filter(status__in=("open", "picking")).count()
    budget = allocated // 2
    size = min(WAVE_ORDERS, max(1, budget // OPEN_WAVES))
    if connection.in_atomic_block:
        return 0
    made = 0
    while made < wanted and budget >= size:
        try:
            wave_create(warehouse=warehouse, user=None, limit=size)
        except FulfillmentError:  # no allocated orders left there
            break
        made += 1
        budget -= size
    return made
