"""No hot rows: postings from eight processes at once never wait for a lock on an account.

Every posting inserts its entry and lines and updates no balance row, so processes posting to
the same accounts at the same moment never queue behind one another. The test proves it with
``lock_timeout``: each process keeps its transaction open a while after posting (as an order's
other work would) and fails any lock wait longer than a few milliseconds. A per-account balance
row would hold every other process for the whole of that time. A control run, with one account
row locked by the test, shows that the same setup does catch a wait.
"""

from __future__ import annotations

import multiprocessing
from datetime import date
from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PROCESSES = 8
ROUNDS = 4
SKUS_PER_PROCESS = 2
LOCK_TIMEOUT_MS = 20
HOLD_SECONDS = 0.06  # three times the lock timeout


@pytest.fixture(scope="module")
def pool(django_db_setup):
    from django.db import connection

    from tests import ledger_workers

    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    workers = context.Pool(PROCESSES, initializer=ledger_workers.start,
                           initargs=(connection.settings_dict["NAME"], barrier))
    workers.barrier = barrier
    yield workers
    barrier.abort()
    workers.close()
    workers.join()


def run(pool, function, argument_lists: list[tuple]) -> list:
    pool.barrier.reset()
    pending = [pool.apply_async(function, arguments) for arguments in argument_lists]
    return [result.get(timeout=180) for result in pending]


@pytest.fixture
def world():
    from inventory.postings import business_date
    from payments.ledger.services import period_for
    from tests.factories import SkuFactory, WarehouseFactory

    for day in {business_date(), date.today()}:
        period_for(day)  # the period exists before the race, as it would all month
    warehouse = WarehouseFactory()
    skus = [[SkuFactory().pk for _ in range(SKUS_PER_PROCESS)] for _ in range(PROCESSES)]
    return warehouse, skus


def test_eight_processes_posting_to_the_same_accounts_never_wait_for_a_lock(pool, world):
    from inventory.invariants import violations as stock_violations
    from payments.invariants import violations as ledger_violations
    from payments.models import JournalEntry
    from tests import ledger_workers
    from tests.ledger_helpers import balance

    warehouse, skus = world

    outcomes = run(pool, ledger_workers.receive_and_adjust,
                   [(sku_ids, warehouse.pk, ROUNDS, LOCK_TIMEOUT_MS, HOLD_SECONDS) for sku_ids in skus])

    assert [error for outcome in outcomes for error in outcome["errors"]] == []
    transactions = PROCESSES * ROUNDS * SKUS_PER_PROCESS
    assert sum(outcome["ok"] for outcome in outcomes) == transactions
    assert JournalEntry.objects.count() == 2 * transactions
    # Each transaction: 2 units in at 1.25 (2.50), one out at the average 1.25.
    assert balance("1200") == Decimal("1.25") * transactions
    assert balance("2050") == Decimal("-2.50") * transactions
    assert balance("5100") == Decimal("1.25") * transactions
    assert stock_violations() == []
    assert ledger_violations() == []


def test_the_lock_timeout_does_catch_a_process_waiting_for_an_account_row(pool, world):
    """The control: with the inventory account's row locked FOR UPDATE by the test (what a balance
    row being updated by another order would do), the same postings fail on the lock timeout."""
    from django.db import transaction

    from payments.models import Account, JournalEntry
    from tests import ledger_workers

    warehouse, skus = world

    with transaction.atomic():
        Account.objects.select_for_update().get(code="1200")
        outcomes = run(pool, ledger_workers.receive_and_adjust,
                       [(sku_ids, warehouse.pk, 1, LOCK_TIMEOUT_MS, 0) for sku_ids in skus])

    errors = [error for outcome in outcomes for error in outcome["errors"]]
    assert len(errors) == PROCESSES * SKUS_PER_PROCESS
    assert all("lock timeout" in error for error in errors)
    assert not JournalEntry.objects.exists()


def test_eight_processes_posting_the_same_event_write_one_entry(pool, world):
    from payments.models import JournalEntry
    from tests import ledger_workers

    warehouse, _skus = world

    entry_ids = run(pool, ledger_workers.post_same_event, [(warehouse.pk,)] * PROCESSES)

    assert len(set(entry_ids)) == 1
    assert JournalEntry.objects.filter(kind="test.race").count() == 1
