"""Correctness under concurrency: placements racing for the last units, from several processes at once.

Each process is a real Django process with its own database connection on this test's
database (``multiprocessing`` with ``spawn``), so the orders race exactly as they would from
web workers: exactly as many reserve as there is stock, the rest are backordered, nothing is
oversold and nobody deadlocks. ``check_invariants`` is clean afterwards.
"""

from __future__ import annotations

import multiprocessing
from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import StockLevel
from orders.models import Order, OrderLine, OrderStatus
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import CustomerFactory, all_violations, level
from tests.orders_workers import (
    allocate_backorders_in_worker,
    place_in_worker,
    place_or_cancel_in_worker,
    start_django_worker,
)

PROCESSES = 6
TIMEOUT = 180  # a worker that cannot start is respawned forever by the pool: fail instead of hanging


@pytest.fixture(scope="module")
def pool(django_db_setup):
    """Worker processes on this run's test database, started once for the module (spawning is slow)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES, initializer=start_django_worker,
                      initargs=(connection.settings_dict["NAME"],)) as workers:
        yield workers
        workers.terminate()


@pytest.mark.django_db(transaction=True)
def test_concurrent_placements_for_the_last_units_reserve_exactly_the_stock(pool):
    east, west = WarehouseFactory(code="EAST", priority=10), WarehouseFactory(code="WEST", priority=20)
    hot = SkuFactory(code="HOT", list_price=Decimal("99.00"))
    plenty = SkuFactory(code="PLENTY", list_price=Decimal("5.00"))
    stock(hot, east, 3)
    stock(hot, west, 2)
    stock(plenty, east, 100)
    stock(plenty, west, 100)
    customers = [CustomerFactory() for _ in range(4)]
    connection.close()
    orders = 24
    jobs = []
    for number in range(orders):
        lines = [(hot.pk, 1), (plenty.pk, 2)]
        if number % 2:
            lines.reverse()  # half list their lines the other way round: locks must not follow line order
        skus, quantities = zip(*lines, strict=True)
        jobs.append((customers[number % 4].pk, list(skus), list(quantities)))

    results = pool.starmap_async(place_in_worker, jobs, chunksize=1).get(timeout=TIMEOUT)

    assert len(results) == orders
    hot_lines = OrderLine.objects.filter(sku=hot)
    assert sum(hot_lines.values_list("quantity_allocated", flat=True)) == 5
    assert hot_lines.filter(quantity_allocated=1).count() == 5
    assert hot_lines.filter(quantity_allocated=0).count() == orders - 5
    assert Order.objects.filter(status=OrderStatus.ALLOCATED).count() == 5
    assert Order.objects.filter(status=OrderStatus.RELEASED).count() == orders - 5
    assert level(hot, east) == (3, 3) and level(hot, west) == (2, 2)
    assert sum(StockLevel.objects.filter(sku=plenty).values_list("reserved", flat=True)) == 2 * orders
    assert all_violations() == []


@pytest.mark.django_db(transaction=True)
def test_backorder_allocation_run_by_several_processes_at_once_allocates_each_unit_once(pool, monkeypatch):
    warehouse = WarehouseFactory(code="EAST")
    lamp = SkuFactory(list_price=Decimal("40.00"))
    customer = CustomerFactory()
    connection.close()
    placed = pool.starmap_async(place_in_worker, [(customer.pk, [lamp.pk], [1])] * 10, chunksize=1).get(
        timeout=TIMEOUT)
    assert {status for _pk, status in placed} == {OrderStatus.RELEASED}
    monkeypatch.setattr("orders.tasks.backorders_allocate_task.delay",
                        lambda **kwargs: None)  # no worker here
    stock(lamp, warehouse, 6)
    connection.close()

    allocated = pool.map_async(allocate_backorders_in_worker, [[lamp.pk]] * PROCESSES, chunksize=1).get(
        timeout=TIMEOUT)

    assert sum(allocated) == 6
    oldest_first = list(Order.objects.order_by("placed_at", "pk").values_list("status", flat=True))
    assert oldest_first == [OrderStatus.ALLOCATED] * 6 + [OrderStatus.RELEASED] * 4
    assert level(lamp, warehouse) == (6, 6)
    assert all_violations() == []


@pytest.mark.django_db(transaction=True)
def test_cancellations_racing_placements_on_the_same_skus_neither_deadlock_nor_lose_stock(pool, monkeypatch):
    warehouse = WarehouseFactory(code="EAST")
    lamp, shade, bulb = (SkuFactory(list_price=Decimal("10.00")) for _ in range(3))
    for sku in (lamp, shade, bulb):
        stock(sku, warehouse, 50)
    customer = CustomerFactory()
    connection.close()
    # Cancelling releases line by line, so these release bulb, shade, lamp: against the SKU order in
    # which placements lock their stock rows. Only locking all of an order's rows first avoids a deadlock.
    orders = [pk for pk, _status in pool.starmap_async(
        place_in_worker, [(customer.pk, [bulb.pk, shade.pk, lamp.pk], [1, 1, 1])] * 8, chunksize=1).get(
        timeout=TIMEOUT)]
    monkeypatch.setattr("orders.tasks.backorders_allocate_task.delay", lambda **kwargs: None)
    jobs = [("cancel", order_id) for order_id in orders]
    jobs += [("place", customer.pk, [lamp.pk, shade.pk, bulb.pk], [2, 2, 2])] * 8
    jobs = [job for pair in zip(jobs[:8], jobs[8:]) for job in pair]

    outcomes = pool.map_async(place_or_cancel_in_worker, jobs, chunksize=1).get(timeout=TIMEOUT)

    assert outcomes.count(OrderStatus.CANCELLED) == 8 and outcomes.count(OrderStatus.ALLOCATED) == 8
    assert level(lamp, warehouse) == level(shade, warehouse) == level(bulb, warehouse) == (50, 16)
    assert all_violations() == []
