"""Two packers (or a packer and a replayed 3PL file) on the same shipments at once: each ships once.

Real processes (``multiprocessing`` spawn, each its own connection to this test's database)
confirm every shipment four times at once, over orders that share a SKU's stock row: exactly
one confirmation per shipment ships, the others are told it was already shipped by whom; one
movement and one pair of entries per shipment; nothing deadlocks; invariants stay clean.
"""

from __future__ import annotations

import multiprocessing
from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import StockMovement
from orders.fulfillment.models import Shipment
from orders.fulfillment.shipping import shipment_open
from orders.models import OrderStatus
from payments.models import JournalEntry
from tests.factories import SkuFactory, UserFactory, WarehouseFactory, stock
from tests.fulfillment_workers import ship_in_worker
from tests.ledger_helpers import balance
from tests.orders_helpers import all_violations, level, line, place
from tests.orders_workers import start_django_worker

PROCESSES = 4
TIMEOUT = 180


@pytest.fixture(scope="module")
def pool(django_db_setup):
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES, initializer=start_django_worker,
                      initargs=(connection.settings_dict["NAME"],)) as workers:
        yield workers
        workers.terminate()


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_of_the_same_shipments_ship_each_once(pool):
    east = WarehouseFactory(code="EAST")
    hot = SkuFactory(code="HOT", list_price=Decimal("10.00"))
    other = SkuFactory(code="OTHER", list_price=Decimal("5.00"))
    stock(hot, east, 20)  # at 4.00
    stock(other, east, 20)
    packers = [UserFactory(username=f"packer{n}") for n in range(PROCESSES)]
    shipments = []
    for number in range(6):
        lines = [line(hot, 2), line(other, 1)] if number % 2 else [line(other, 1), line(hot, 2)]
        order = place(lines=lines)
        shipments.append(shipment_open(order=order, warehouse=east, user=packers[0]))
    connection.close()
    jobs = [(shipment.pk, packers[attempt].pk) for shipment in shipments for attempt in range(PROCESSES)]
    results = pool.starmap_async(ship_in_worker, jobs).get(TIMEOUT)
    shipped = [shipment_id for shipment_id, now, _message in results if now]
    assert sorted(shipped) == sorted(shipment.pk for shipment in shipments)
    refused = [message for _id, now, message in results if not now]
    assert len(refused) == 6 * (PROCESSES - 1)
    assert all("was already shipped by packer" in message for message in refused)
    assert StockMovement.objects.filter(kind="shipment").count() == 12
    assert JournalEntry.objects.filter(source_type="orders.shipment").count() == 6
    assert level(hot, east) == (8, 0) and level(other, east) == (14, 0)
    assert balance("5000") == Decimal("72.00")  # 12 hot + 6 other at 4.00
    assert balance("4000") == Decimal("-150.00")  # 6 × (2 × 10 + 5)
    assert set(Shipment.objects.values_list("status", flat=True)) == {"shipped"}
    assert {shipment.order.status for shipment in Shipment.objects.select_related("order")} == {OrderStatus.SHIPPED}
    assert all_violations() == []
