"""Fulfillment: shipments confirmed per second through the ship service, by four processes at once.

Each confirmation goes all the way through ``orders.fulfillment.shipping.shipment_confirm``:
the order, shipment and line locks, ``inventory.services.stock_ship`` (reservations consumed,
stock rows down, ``shipment`` movements at moving average cost and their COGS entry), the
allocations, the lines' shipped quantities, the revenue entry (receivables against revenue per
line, shipping income, sales tax), the order's and the shipment's status with their events.
The customers are on account (net 30), so no gateway is involved.

The baseline, in the same run and on the same scratch database: ``order_place`` of the same
kind of orders (3 lines out of 300 SKUs, the seed of ``bench_orders_place``) by the same four
processes. Each round places its orders (timed: the baseline), opens their shipments (not
timed), then confirms them (timed). Goal: ratio ≥ 1.0, confirming a shipment costs no more
than placing the order.

The floor, in the same round: the same shipments' writes (``FLOOR_SQL``: the stock rows locked in
order, reservations, stock rows, movements, allocations, the journal entry and its lines, order
lines, order and its event, shipment, its lines and its events) as raw SQL from four raw psycopg
connections, one message per shipment, on a copy of the database taken before the service ships
them: what confirming costs the server with none of the app's reads, checks or Python.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import time
from decimal import Decimal

from bench.common import database_copy, is_quick, iterations, scratch_database

WORKERS = 4
LINES_PER_ORDER = 3
TIMEOUT = 600
ZERO = Decimal("0")
SHIP_TO = {"name": "Bench Customer", "line1": "350 Fifth Avenue", "city": "New York", "region": "NY",
           "postal_code": "10118", "country": "US"}

_barrier = None


def _start_worker(database_name: str, barrier) -> None:
    global _barrier
    _barrier = barrier
    os.environ["DATABASE_NAME"] = database_name
    import django

    django.setup()


def _timed(work, items) -> dict:
    from django.db import connection

    _barrier.wait(timeout=TIMEOUT)
    started, cpu_started = time.monotonic(), time.process_time()
    done = [work(item) for item in items]
    finished, cpu = time.monotonic(), time.process_time() - cpu_started
    connection.close()
    return {"count": len(done), "started": started, "finished": finished, "cpu": cpu, "done": done}


def _place_orders(index: int, count: int) -> dict:
    from catalog.models import Sku
    from orders.models import Customer, ShippingMethod
    from orders.services import LineRequest, order_place

    rng = random.Random(index)
    skus = list(Sku.objects.filter(code__startswith="BENCH-").order_by("pk"))
    customers = list(Customer.objects.order_by("pk"))
    method = ShippingMethod.objects.get(code="GROUND")
    baskets = [([LineRequest(sku=sku, quantity=rng.randint(1, 3)) for sku in rng.sample(skus, LINES_PER_ORDER)],
                rng.choice(customers)) for _ in range(count)]

    def place(basket) -> int:
        lines, customer = basket
        return order_place(user=None, channel="phone", customer=customer, lines=lines, ship_to=SHIP_TO,
                           shipping_method=method).pk

    return _timed(place, baskets)


def _open_shipments(order_ids: list[int]) -> list[int]:
    from django.db import connection

    from inventory.models import Warehouse
    from orders.fulfillment.shipping import shipment_open
    from orders.models import LineAllocation, Order

    warehouses = Warehouse.objects.in_bulk()
    shipments = []
    for order in Order.objects.filter(pk__in=order_ids).order_by("pk"):
        for warehouse_id in sorted(set(LineAllocation.objects.filter(line__order=order, is_open=True)
                                       .values_list("warehouse_id", flat=True))):
            shipments.append(shipment_open(order=order, warehouse=warehouses[warehouse_id], user=None).pk)
    connection.close()
    return shipments


def _ship(shipment_ids: list[int]) -> dict:
    from orders.fulfillment.shipping import shipment_confirm

    def ship(shipment_id: int) -> bool:
        return shipment_confirm(shipment=shipment_id, user=None, tracking_number=f"B{shipment_id}").shipped_now

    return _timed(ship, shipment_ids)


# --- the floor --------------------------------------------------------------------------------------

# What one confirmation must write, with nothing looked up and no Python between the statements: the
# shipment's stock rows locked in (sku, warehouse) order (any implementation needs that order, or two
# shipments of shared SKUs deadlock), its reservations consumed, the stock rows down, the movements,
# the allocations closed, the journal entry with its lines (the service's eight), the order lines'
# shipped quantities, the order's status and its event, the shipment and its lines and its four
# events. One message per shipment (simple protocol, values as literals), from raw psycopg
# connections, on a copy of the database taken just before the service ships the same shipments.
FLOOR_SQL = """
BEGIN;
SELECT 1 FROM inventory_stocklevel WHERE id = ANY({levels}::bigint[]) ORDER BY sku_id, warehouse_id
FOR NO KEY UPDATE;
UPDATE inventory_reservation SET status = 'consumed', closed_at = now() WHERE id = ANY({reservations}::bigint[]);
UPDATE inventory_stocklevel l SET on_hand = l.on_hand - u.units, reserved = l.reserved - u.units,
    value = l.value + u.value, updated_at = now()
FROM unnest({levels}::bigint[], {units}::integer[], {values}::numeric[]) AS u (id, units, value) WHERE l.id = u.id;
INSERT INTO inventory_stockmovement (sku_id, warehouse_id, kind, quantity, value, reason, reference, created_at)
SELECT m.sku_id, {warehouse}, 'shipment', -m.units, m.value, {memo}, {number}, now()
FROM unnest({skus}::bigint[], {units}::integer[], {values}::numeric[]) AS m (sku_id, units, value);
UPDATE orders_lineallocation SET is_open = false WHERE id = ANY({allocations}::bigint[]);
WITH entry AS (
    INSERT INTO payments_journalentry (entry_date, period_id, kind, source_type, source_id, memo, currency, created_at)
    VALUES (current_date, {period}, 'order.shipment', 'orders.shipment', {source}, {memo}, 'USD', now()) RETURNING id
)
INSERT INTO payments_journalline (entry_id, account_id, entry_date, debit, credit, currency, memo, warehouse_id)
SELECT entry.id, line.account_id, current_date, line.debit, line.credit, 'USD', '', line.warehouse_id
FROM entry CROSS JOIN unnest({accounts}::bigint[], {debits}::numeric[], {credits}::numeric[],
                             {warehouses}::bigint[]) AS line (account_id, debit, credit, warehouse_id);
UPDATE orders_orderline l SET quantity_shipped = l.quantity_shipped + u.units
FROM unnest({lines}::bigint[], {line_units}::integer[]) AS u (id, units) WHERE l.id = u.id;
UPDATE orders_order SET status = 'shipped', updated_at = now() WHERE id = {order};
INSERT INTO orders_orderevent (order_id, kind, from_status, to_status, message, data, created_at)
VALUES ({order}, 'status', 'allocated', 'shipped', {memo}, '{{}}', now());
UPDATE orders_shipment SET status = 'shipped', tracking_number = {number}, packed_at = now(), shipped_at = now()
WHERE id = {shipment};
UPDATE orders_shipmentline SET picked_quantity = quantity, packed_quantity = quantity WHERE shipment_id = {shipment};
INSERT INTO orders_shipmentevent (shipment_id, kind, message, data, created_at)
SELECT {shipment}, e.kind, e.message, '{{}}', now()
FROM unnest(ARRAY['status', 'status', 'status', 'ship'], ARRAY['Pending → Picked', 'Picked → Packed',
            'Packed → Shipped', 'Shipped.']) AS e (kind, message);
COMMIT
"""


def _floor_plan(shipment_ids: list[int]) -> list[dict]:
    """Each shipment's rows and amounts (read here, before the service ships them), for ``FLOOR_SQL``."""
    from django.db import connection

    from payments.models import FiscalPeriod, PostingRule

    rules = dict(PostingRule.objects.filter(warehouse__isnull=True).values_list("role", "account_id"))
    today = time.strftime("%Y-%m-%d")
    period = FiscalPeriod.objects.filter(starts_on__lte=today, ends_on__gte=today).values_list("pk", flat=True).get()
    plans = []
    with connection.cursor() as cursor:
        for shipment_id in shipment_ids:
            cursor.execute(
                "SELECT s.order_id, s.warehouse_id, s.number, ol.id, sl.quantity, ol.sku_id, a.id, r.id, lv.id, "
                "ol.line_total - ol.tax_amount, ol.tax_amount, o.shipping_total, o.tax_total "
                "FROM orders_shipment s JOIN orders_order o ON o.id = s.order_id "
                "JOIN orders_shipmentline sl ON sl.shipment_id = s.id JOIN orders_orderline ol ON ol.id = sl.order_line_id "
                "JOIN orders_lineallocation a ON a.id = sl.allocation_id "
                "JOIN inventory_reservation r ON r.\"group\" = a.reservation_group AND r.status = 'open' "
                "JOIN inventory_stocklevel lv ON lv.sku_id = ol.sku_id AND lv.warehouse_id = s.warehouse_id "
                "WHERE s.id = %s ORDER BY ol.sku_id", [shipment_id])
            rows = cursor.fetchall()
            order_id, warehouse_id, number = rows[0][:3]
            units = [row[4] for row in rows]
            values = [Decimal(-4 * quantity) for quantity in units]  # the seed's moving average cost, 4.00
            revenue = [row[9] for row in rows]
            shipping, tax = rows[0][11], rows[0][12]
            cost = -sum(values)
            accounts = [rules["customer_deposits"]] + [rules["revenue"]] * len(rows) + [
                rules["shipping_income"], rules["sales_tax_payable"], rules["cogs"], rules["inventory"]]
            debits = [sum(revenue) + shipping + tax] + [ZERO] * len(rows) + [ZERO, ZERO, cost, ZERO]
            credits = [ZERO] + revenue + [shipping, tax, ZERO, cost]
            plans.append({
                "shipment": shipment_id, "order": order_id, "warehouse": warehouse_id, "number": number,
                "memo": f"Shipment {number}", "source": str(shipment_id), "period": period,
                "levels": [row[8] for row in rows], "units": units, "values": values,
                "skus": [row[5] for row in rows], "reservations": [row[7] for row in rows],
                "allocations": [row[6] for row in rows], "lines": [row[3] for row in rows], "line_units": units,
                "accounts": accounts, "debits": debits, "credits": credits,
                "warehouses": [None] * (len(accounts) - 2) + [warehouse_id, warehouse_id]})
    connection.close()
    return plans


def _ship_floor(plans: list[dict], database: str) -> dict:
    import psycopg
    from psycopg import sql

    from bench.common import psycopg_params

    with psycopg.connect(**psycopg_params(dbname=database), autocommit=True) as raw:
        messages = [sql.SQL(FLOOR_SQL).format(**{key: sql.Literal(value) for key, value in plan.items()})
                    .as_string(raw) for plan in plans]

        def ship(message: str) -> bool:
            while True:
                try:
                    raw.execute(message.encode(), prepare=False)
                    return True
                except psycopg.errors.DeadlockDetected:  # cannot happen (the rows lock in order); retried
                    raw.execute("ROLLBACK")

        return _timed(ship, messages)


def _seed() -> None:
    """The seed of bench_orders_place (300 SKUs, two warehouses, 500 customers, ground, NY tax, 5 % off),
    with the opening stock valued at 4.00 a unit and posted, and the customers on account."""
    from decimal import Decimal

    from catalog.models import Sku, Style
    from inventory.models import StockLevel, StockMovement, Warehouse
    from inventory.postings import movements_post
    from marketing.models import Promotion
    from orders.models import Customer, ShippingMethod, TaxRate

    east = Warehouse.objects.create(code="EAST", name="East", priority=10)
    west = Warehouse.objects.create(code="WEST", name="West", priority=20)
    style = Style.objects.create(code="BENCH", name="Bench style")
    skus = Sku.objects.bulk_create([
        Sku(style=style, code=f"BENCH-{number:04d}", name=f"Bench SKU {number}", cost=Decimal("4.00"),
            average_cost=Decimal("4.000"), list_price=Decimal("10.00") + Decimal(number % 40))
        for number in range(300)])
    units, value = 1_000_000, Decimal("4000000.00")
    movements = StockMovement.objects.bulk_create([
        StockMovement(sku=sku, warehouse=warehouse, kind=StockMovement.Kind.RECEIPT, quantity=units,
                      unit_cost=Decimal("4.00"), value=value, reference="bench opening")
        for sku in skus for warehouse in (east, west)])
    StockLevel.objects.bulk_create([StockLevel(sku=sku, warehouse=warehouse, on_hand=units, value=value)
                                    for sku in skus for warehouse in (east, west)])
    movements_post(movement_ids=[movement.pk for movement in movements], source=("bench.opening", "1"),
                   kind="stock.opening", user=None, counter="opening_equity")
    Customer.objects.bulk_create([
        Customer(number=f"B{number:06d}", first_name="Bench", last_name=f"Customer {number}",
                 terms=Customer.Terms.NET30, credit_limit=Decimal("10000000"))
        for number in range(500)])
    ShippingMethod.objects.create(code="GROUND", name="Ground", base_charge=Decimal("5.00"),
                                  per_item_charge=Decimal("1.00"), countries=["US"], serves_po_boxes=False)
    TaxRate.objects.create(country="US", region="NY", rate=Decimal("0.08875"), applies_to_shipping=True)
    Promotion.objects.create(name="5 % off", kind=Promotion.Kind.PERCENT_OFF, target=Promotion.Target.ORDER,
                             percent=Decimal("5"))


def _round(pool, task, arguments: list[tuple]) -> tuple[int, float, float, list]:
    pending = [pool.apply_async(task, each) for each in arguments]
    outcomes = [result.get(timeout=TIMEOUT) for result in pending]
    started = min(outcome["started"] for outcome in outcomes)
    return (sum(outcome["count"] for outcome in outcomes), max(o["finished"] for o in outcomes) - started,
            sum(outcome["cpu"] for outcome in outcomes), [outcome["done"] for outcome in outcomes])


def run() -> list[dict]:
    """``fulfillment.ship_confirm``: shipments confirmed per second by four processes; baseline
    ``order_place`` of the same orders by four processes, in the same run.

    ``value``: shipments confirmed per second from the barrier's release to the last finish;
    ``baseline``: orders placed per second, measured the same way; ``violations``: broken
    invariants afterwards (0); ``queries``: SQL statements one confirmation sends; ``floor``:
    shipments per second of the raw writes (``FLOOR_SQL``), ``floor_ratio`` floor / baseline (the
    best ``ratio`` these writes allow on this machine), ``value_to_floor`` value / floor.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rounds = 1 if is_quick() else 2
    count = iterations(full=120, quick=3)
    placed = placed_seconds = shipped = shipped_seconds = floored = floor_seconds = 0.0
    place_cpu = ship_cpu = 0.0
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(scratch_database(migrate=True))
        _seed()
        connection.close()
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(WORKERS)
        with context.Pool(WORKERS, initializer=_start_worker, initargs=(database, barrier)) as pool:
            for number in range(rounds + 1):  # round 0 warms the workers up, untimed
                quantity = 2 if number == 0 else count
                orders, seconds, cpu, done = _round(pool, _place_orders, [
                    (index + WORKERS * number, quantity) for index in range(WORKERS)])
                batches = [pool.apply_async(_open_shipments, (ids,)) for ids in done]
                shipment_batches = [batch.get(timeout=TIMEOUT) for batch in batches]
                plans = [_floor_plan(ids) for ids in shipment_batches] if number else []
                with database_copy(database) if number else contextlib.nullcontext() as copy:
                    ships, ship_seconds, cpu_shipping, confirmed = _round(pool, _ship, [
                        (ids,) for ids in shipment_batches])
                    if not all(all(batch) for batch in confirmed):
                        raise RuntimeError("a shipment did not ship")
                    if number:  # the same shipments' writes, raw, on the copy taken before they shipped
                        floor_ships, seconds_floor, _cpu, _done = _round(pool, _ship_floor, [
                            (batch, copy) for batch in plans])
                        floored += floor_ships
                        floor_seconds += seconds_floor
                if number:
                    placed += orders
                    placed_seconds += seconds
                    place_cpu += cpu
                    shipped += ships
                    shipped_seconds += ship_seconds
                    ship_cpu += cpu_shipping
            pool.close()
            pool.join()
        # One more order, shipped here, to count its statements.
        from orders.models import LineAllocation

        from catalog.models import Sku
        from orders.fulfillment.shipping import shipment_confirm, shipment_open
        from orders.models import Customer, ShippingMethod
        from orders.services import LineRequest, order_place

        skus = list(Sku.objects.filter(code__startswith="BENCH-").order_by("pk")[:LINES_PER_ORDER])
        order = order_place(user=None, channel="phone", customer=Customer.objects.order_by("pk").first(),
                            lines=[LineRequest(sku=sku, quantity=1) for sku in skus], ship_to=SHIP_TO,
                            shipping_method=ShippingMethod.objects.get(code="GROUND"))
        warehouse = LineAllocation.objects.filter(line__order=order).first().warehouse
        shipment = shipment_open(order=order, warehouse=warehouse, user=None)
        with CaptureQueriesContext(connection) as captured:
            shipment_confirm(shipment=shipment, user=None)
        queries = len(captured.captured_queries)

        from oms.management.commands.check_invariants import all_violations

        broken = all_violations()
    ship_rate = shipped / shipped_seconds
    place_rate = placed / placed_seconds
    floor_rate = floored / floor_seconds
    return [{
        "name": "fulfillment.ship_confirm",
        "value": round(ship_rate, 1),
        "unit": "shipments/s",
        "baseline": round(place_rate, 1),
        "ratio": round(ship_rate / place_rate, 3),
        "floor": round(floor_rate, 1),
        "floor_ratio": round(floor_rate / place_rate, 3),
        "value_to_floor": round(ship_rate / floor_rate, 3),
        "workers": WORKERS,
        "shipments": int(shipped),
        "orders": int(placed),
        "lines_per_order": LINES_PER_ORDER,
        "queries": queries,
        "python_cpu_ms_per_shipment": round(ship_cpu / shipped * 1000, 2),
        "python_cpu_ms_per_order": round(place_cpu / placed * 1000, 2),
        "violations": len(broken),
    }]
