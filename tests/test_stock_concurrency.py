"""Stock services under real concurrency: eight processes racing on one PostgreSQL database.

Threads would share one Python interpreter and take turns; separate processes (each with its
own Django and its own database connection) interleave their statements the way web and
worker processes do in production. The test's data is committed (``transaction=True``) so the
processes see it, and a barrier releases them at the same moment.

Spawned processes import this module before Django is set up in them, so the module imports
no models at the top; the tests and the process-side functions import what they use.
"""

from __future__ import annotations

import multiprocessing
import os
import random

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PROCESSES = 8
TIMEOUT = 120  # seconds a race may take before the test gives up on it


# --- the processes' side ---------------------------------------------------------------------

_barrier = None


def _start_process(database_name: str, barrier) -> None:
    """Pool initializer: Django on the test database of the run that started this process."""
    global _barrier
    _barrier = barrier
    os.environ["DJANGO_SETTINGS_MODULE"] = "oms.settings_test"
    os.environ["DATABASE_NAME"] = database_name
    import django

    django.setup()


def _describe(error: Exception) -> str:
    cause = error.__cause__
    if type(cause).__name__ == "DeadlockDetected":
        return f"DEADLOCK: {error}"
    return f"{type(error).__name__}: {error}"


def _race(role: str, index: int, ids: dict[str, int]) -> dict:
    """Run ``role`` in this process once every process of the race is ready; report what happened."""
    from django.db import connection

    from catalog.models import Sku
    from inventory.errors import InsufficientStock, InventoryError
    from inventory.models import Warehouse

    objects = {name: (Warehouse if name.startswith("warehouse") else Sku).objects.get(pk=pk)
               for name, pk in ids.items()}
    connection.ensure_connection()  # connecting is not part of the race
    outcome = {"role": role, "index": index, "counts": {}, "errors": [], "ended_by": None, "adjusted": 0}
    _barrier.wait(timeout=TIMEOUT)
    try:
        ROLES[role](index, objects, outcome, expected=(InsufficientStock, InventoryError))
    except Exception as error:  # anything that escapes the role is reported, never hidden
        outcome["errors"].append(_describe(error))
    finally:
        connection.close()
    return outcome


def _count(outcome: dict, key: str, units: int = 1) -> None:
    outcome["counts"][key] = outcome["counts"].get(key, 0) + units


def _reserve_until_exhausted(index: int, objects: dict, outcome: dict, *, expected) -> None:
    """Reserve one unit at a time, of the SKU and of the kit in turn, until the stock runs out."""
    from inventory.errors import InsufficientStock
    from inventory.services import stock_reserve

    turn = index  # half the processes start with the kit, so both race from the first moment
    for attempt in range(10_000):
        requested = "component" if turn % 2 == 0 else "kit"
        try:
            stock_reserve(sku=objects[requested], warehouse=objects["warehouse"], quantity=1,
                          reference=f"race:{index}:{attempt}")
        except InsufficientStock as refused:
            outcome["ended_by"] = f"InsufficientStock on {requested} (available {refused.available})"
            return
        except Exception as error:
            outcome["errors"].append(_describe(error))
            if len(outcome["errors"]) >= 5:
                return
        else:
            _count(outcome, requested)
        turn += 1


def _reserve_and_release(index: int, objects: dict, outcome: dict, *, expected) -> None:
    """Reserve the SKU or the kit at either warehouse; give every third reservation back."""
    from inventory.services import stock_release, stock_reserve

    rng = random.Random(index)
    for attempt in range(40):
        requested = rng.choice(("component", "kit"))
        warehouse = rng.choice(("warehouse", "warehouse_2"))
        reference = f"race:{index}:{attempt}"
        try:
            stock_reserve(sku=objects[requested], warehouse=objects[warehouse], quantity=1, reference=reference)
            _count(outcome, f"reserved {requested}")
            if attempt % 3 == 0:
                stock_release(reference=reference)
                _count(outcome, f"released {requested}")
        except expected:
            _count(outcome, "refused")
        except Exception as error:
            outcome["errors"].append(_describe(error))


def _transfer_back_and_forth(index: int, objects: dict, outcome: dict, *, expected) -> None:
    """Move the shared component between the two warehouses, in both directions."""
    from inventory.services import stock_transfer

    rng = random.Random(index)
    for attempt in range(40):
        source, destination = ("warehouse", "warehouse_2") if (index + attempt) % 2 else ("warehouse_2", "warehouse")
        try:
            stock_transfer(sku=objects["component"], source=objects[source], destination=objects[destination],
                           quantity=rng.randint(1, 3), user=None)
            _count(outcome, "transferred")
        except expected:
            _count(outcome, "refused")
        except Exception as error:
            outcome["errors"].append(_describe(error))


def _adjust_up_and_down(index: int, objects: dict, outcome: dict, *, expected) -> None:
    """Find and lose units of the shared component at both warehouses."""
    from inventory.services import stock_adjust

    rng = random.Random(index)
    for attempt in range(40):
        quantity = rng.choice((-2, -1, 1, 2))
        warehouse = "warehouse" if attempt % 2 else "warehouse_2"
        try:
            stock_adjust(sku=objects["component"], warehouse=objects[warehouse], quantity=quantity,
                         reason="Race test", user=None)
            outcome["adjusted"] += quantity
            _count(outcome, "adjusted")
        except expected:
            _count(outcome, "refused")
        except Exception as error:
            outcome["errors"].append(_describe(error))


ROLES = {
    "reserve_until_exhausted": _reserve_until_exhausted,
    "reserve_and_release": _reserve_and_release,
    "transfer": _transfer_back_and_forth,
    "adjust": _adjust_up_and_down,
}


# --- the tests' side ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def race_pool(django_db_setup):
    """Eight spawned processes with Django set up on this run's test database, kept for the module."""
    from django.db import connection

    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    pool = context.Pool(PROCESSES, initializer=_start_process, initargs=(connection.settings_dict["NAME"], barrier))
    pool.barrier = barrier
    yield pool
    # The processes exit on their own rather than being terminated: a process killed while it
    # exits can cut short the file in which the embedded PostgreSQL (pgserver) counts its users.
    barrier.abort()  # a process still waiting for a race that failed to start stops waiting
    pool.close()
    pool.join()


def race(pool, roles: list[str], ids: dict[str, int]) -> list[dict]:
    """Run one role per process, all released at once; return every process's outcome.

    Each task waits at the barrier until all of them have arrived, so no process can take a
    second task: the roles run in eight different processes at the same moment.
    """
    assert len(roles) == PROCESSES
    pool.barrier.reset()
    pending = [pool.apply_async(_race, (role, index, ids)) for index, role in enumerate(roles)]
    return [result.get(timeout=TIMEOUT) for result in pending]


def errors_of(outcomes: list[dict]) -> list[str]:
    return [f"process {outcome['index']} ({outcome['role']}): {error}"
            for outcome in outcomes for error in outcome["errors"]]


def total(outcomes: list[dict], key: str) -> int:
    return sum(outcome["counts"].get(key, 0) for outcome in outcomes)


def levels(sku) -> dict[int, tuple[int, int]]:
    from inventory.models import StockLevel

    return {row.warehouse_id: (row.on_hand, row.reserved) for row in StockLevel.objects.filter(sku=sku)}


def test_processes_reserving_a_sku_and_a_kit_sharing_it_reserve_exactly_the_stock(race_pool):
    from django.db.models import Sum

    from inventory.invariants import violations
    from inventory.models import Reservation
    from tests.factories import SkuFactory, WarehouseFactory, kit, stock

    warehouse = WarehouseFactory()
    component, other_part = SkuFactory(), SkuFactory()
    stock(component, warehouse, 240)
    stock(other_part, warehouse, 300)
    gift_set = kit((component, 1), (other_part, 1))

    outcomes = race(race_pool, ["reserve_until_exhausted"] * PROCESSES,
                    {"component": component.pk, "kit": gift_set.pk, "warehouse": warehouse.pk})

    assert errors_of(outcomes) == []
    assert all(outcome["ended_by"] for outcome in outcomes)  # every process ran until the stock was gone
    alone, in_kits = total(outcomes, "component"), total(outcomes, "kit")
    assert alone > 0 and in_kits > 0
    assert alone + in_kits == 240
    assert levels(component) == {warehouse.pk: (240, 240)}
    assert levels(other_part) == {warehouse.pk: (300, in_kits)}
    open_units = (Reservation.objects.filter(status=Reservation.Status.OPEN)
                  .values_list("sku").annotate(units=Sum("quantity")))
    assert dict(open_units) == {component.pk: 240, other_part.pk: in_kits}
    assert Reservation.objects.filter(requested_sku=gift_set).values("group").distinct().count() == in_kits
    assert violations() == []


def test_transfers_and_adjustments_racing_with_reservations_keep_every_invariant(race_pool):
    from django.db.models import Sum

    from inventory.invariants import violations
    from inventory.models import StockMovement
    from tests.factories import SkuFactory, WarehouseFactory, kit, stock

    east, west = WarehouseFactory(), WarehouseFactory()
    component, other_part = SkuFactory(), SkuFactory()
    for warehouse in (east, west):
        stock(component, warehouse, 40)
        stock(other_part, warehouse, 200)
    gift_set = kit((component, 1), (other_part, 1))
    roles = ["reserve_and_release"] * 4 + ["transfer"] * 2 + ["adjust"] * 2

    outcomes = race(race_pool, roles, {"component": component.pk, "kit": gift_set.pk, "warehouse": east.pk,
                                       "warehouse_2": west.pk})

    assert errors_of(outcomes) == []
    assert total(outcomes, "transferred") > 0
    assert total(outcomes, "adjusted") > 0
    assert total(outcomes, "reserved component") + total(outcomes, "reserved kit") > 0
    adjusted = sum(outcome["adjusted"] for outcome in outcomes)
    on_hand = {warehouse: on_hand for warehouse, (on_hand, _reserved) in levels(component).items()}
    assert sum(on_hand.values()) == 80 + adjusted  # transfers move units, they never make or lose any
    assert StockMovement.objects.filter(sku=component, kind="transfer").aggregate(net=Sum("quantity"))["net"] == 0
    assert StockMovement.objects.filter(sku=component, kind="transfer").count() == 2 * total(outcomes, "transferred")
    assert violations() == []


# --- how long a reservation holds a stock row -------------------------------------------------


def test_one_stock_row_is_reserved_by_a_single_statement(django_assert_num_queries):
    from inventory.models import Reservation
    from inventory.services import stock_reserve
    from tests.factories import SkuFactory, WarehouseFactory, stock

    sku, warehouse = SkuFactory(), WarehouseFactory()
    stock(sku, warehouse, 5)

    # One statement, outside any transaction: it commits on its own, so the row lock lasts one round trip.
    with django_assert_num_queries(1):
        reservations = stock_reserve(sku=sku, warehouse=warehouse, quantity=2, reference="order:1")

    assert levels(sku) == {warehouse.pk: (5, 2)}
    (reservation,) = reservations
    stored = Reservation.objects.get()
    assert (reservation.pk, reservation.group, reservation.created_at) == (stored.pk, stored.group, stored.created_at)
    assert (stored.sku_id, stored.warehouse_id, stored.quantity, stored.status, stored.reference,
            stored.requested_sku_id) == (sku.pk, warehouse.pk, 2, Reservation.Status.OPEN, "order:1", sku.pk)


def test_the_prepared_one_row_reservation_survives_a_rollback_and_a_new_session():
    from django.db import connection, transaction

    from inventory.errors import InsufficientStock
    from inventory.models import Reservation
    from inventory.services import stock_reserve
    from tests.factories import SkuFactory, WarehouseFactory, stock

    sku, warehouse = SkuFactory(), WarehouseFactory()
    stock(sku, warehouse, 5)

    # Given the statement first prepared inside a transaction that is rolled back,
    with transaction.atomic():
        stock_reserve(sku=sku, warehouse=warehouse, quantity=1, reference="order:1")
        transaction.set_rollback(True)
    # when reserving again in that session, and then in a new session,
    stock_reserve(sku=sku, warehouse=warehouse, quantity=2, reference="order:2")
    connection.close()
    stock_reserve(sku=sku, warehouse=warehouse, quantity=3, reference="order:3")
    # then both count, the rolled-back one does not, and a short one writes nothing.
    with pytest.raises(InsufficientStock):
        stock_reserve(sku=sku, warehouse=warehouse, quantity=1, reference="order:4")
    assert levels(sku) == {warehouse.pk: (5, 5)}
    assert sorted(Reservation.objects.values_list("reference", "quantity")) == [("order:2", 2), ("order:3", 3)]


def test_a_session_that_lost_its_prepared_statements_prepares_again():
    from django.db import connection

    from inventory.services import stock_reserve
    from tests.factories import SkuFactory, WarehouseFactory, stock

    sku, warehouse = SkuFactory(), WarehouseFactory()
    stock(sku, warehouse, 5)
    stock_reserve(sku=sku, warehouse=warehouse, quantity=1, reference="order:1")

    connection.connection.execute("DEALLOCATE ALL")  # what a pooler's DISCARD ALL does too
    stock_reserve(sku=sku, warehouse=warehouse, quantity=2, reference="order:2")

    assert levels(sku) == {warehouse.pk: (5, 3)}


def test_a_kit_updates_its_stock_rows_last_and_in_sku_order():
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inventory.services import stock_reserve
    from tests.factories import SkuFactory, WarehouseFactory, kit, stock

    warehouse = WarehouseFactory()
    first, second, third = SkuFactory(), SkuFactory(), SkuFactory()
    for part in (first, second, third):
        stock(part, warehouse, 5)
    gift_set = kit((third, 1), (first, 2), (second, 1))

    with CaptureQueriesContext(connection) as captured:
        stock_reserve(sku=gift_set, warehouse=warehouse, quantity=1, reference="order:2")

    statements = [query["sql"] for query in captured.captured_queries]
    updates = [index for index, sql in enumerate(statements) if sql.startswith("UPDATE inventory_stocklevel")]
    assert updates == [len(statements) - 4, len(statements) - 3, len(statements) - 2]
    assert statements[-1] == "COMMIT"  # nothing else runs while the stock rows are locked
    locked = [int(re.search(r"sku_id = (\d+)", statements[index]).group(1)) for index in updates]
    assert locked == [first.pk, second.pk, third.pk]
