"""Receivers at once: the same submission from two places receives once, and an RMA line never takes more
units than it authorized, whatever the interleaving (threads, each its own database connection)."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection

from inventory.services import stock_receive
from orders.models import ReturnReceipt, RmaLine
from orders.returns.services import ReturnError, RmaLineRequest, return_receive, rma_create
from payments.models import JournalEntry
from tests.factories import SkuFactory, WarehouseFactory
from tests.orders_helpers import all_violations, level, line, place
from tests.returns_helpers import ship, trial_balance


@pytest.mark.django_db(transaction=True)
def test_concurrent_receipts_receive_each_submission_once_and_never_more_than_authorized():
    warehouse = WarehouseFactory(code="EAST")
    lamp = SkuFactory(code="LAMP", list_price=Decimal("40.00"))
    stock_receive(sku=lamp, warehouse=warehouse, quantity=5, unit_cost=Decimal("4.00"), user=None)
    order = place(lines=[line(lamp, 3)])
    ship(order, warehouse)
    rma = rma_create(order=order, lines=[RmaLineRequest(order.lines.get().pk, 2, "defective")], user=None)
    rma_line = rma.lines.get()
    tokens = [uuid.uuid4() for _token in range(3)]
    submissions = [token for token in tokens for _copy in range(3)]  # each submission three times at once
    start = threading.Barrier(len(submissions))
    outcomes: list[str] = []

    def receive(token):
        try:
            start.wait()
            result = return_receive(rma_line=rma_line.pk, token=token, disposition="restock", user=None)
            outcomes.append("received" if result.received_now else "again")
        except ReturnError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=receive, args=(token,)) for token in submissions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert outcomes.count("received") == 2 and len(outcomes) == len(submissions)
    assert RmaLine.objects.get(pk=rma_line.pk).quantity_received == 2
    assert ReturnReceipt.objects.count() == 2
    assert JournalEntry.objects.filter(kind="order.return").count() == 2
    assert level(lamp, warehouse) == (4, 0)
    assert trial_balance() == 0 and all_violations() == []
