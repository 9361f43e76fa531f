"""Worker processes for the ledger concurrency tests (multiprocessing, spawn).

This module imports nothing from Django at import time: a spawned process imports it before
:func:`start` has set Django up.
"""

from __future__ import annotations

import os

_barrier = None


def start(database_name: str, barrier) -> None:
    """Pool initializer: Django in this process, on the test database of the run that started it."""
    global _barrier
    _barrier = barrier
    os.environ["DJANGO_SETTINGS_MODULE"] = "oms.settings_test"
    os.environ["DATABASE_NAME"] = database_name
    import django

    django.setup()


def receive_and_adjust(sku_ids: list[int], warehouse_id: int, rounds: int, lock_timeout_ms: int,
                       hold_seconds: float) -> dict:
    """Each round, per SKU: one transaction receiving 2 units and writing 1 off (two postings on the
    shared inventory, GRNI and shrinkage accounts), kept open ``hold_seconds`` after its postings
    as an order's other work would. Waiting for any lock longer than ``lock_timeout_ms`` fails it."""
    from decimal import Decimal

    from django.db import connection, transaction

    from catalog.models import Sku
    from inventory.models import Warehouse
    from inventory.services import stock_adjust, stock_receive

    skus = list(Sku.objects.filter(pk__in=sku_ids).order_by("pk"))
    warehouse = Warehouse.objects.get(pk=warehouse_id)
    outcome = {"ok": 0, "errors": []}
    _barrier.wait(timeout=60)
    try:
        for _round in range(rounds):
            for sku in skus:
                try:
                    with transaction.atomic():
                        with connection.cursor() as cursor:
                            cursor.execute(f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms'")
                        stock_receive(sku=sku, warehouse=warehouse, quantity=2, unit_cost=Decimal("1.25"),
                                      user=None)
                        stock_adjust(sku=sku, warehouse=warehouse, quantity=-1, reason="Damaged", user=None)
                        with connection.cursor() as cursor:
                            cursor.execute("SELECT pg_sleep(%s)", [hold_seconds])
                    outcome["ok"] += 1
                except Exception as error:  # reported, never hidden
                    outcome["errors"].append(f"{type(error).__name__}: {error}")
    finally:
        connection.close()
    return outcome


def post_same_event(warehouse_id: int) -> int:
    """Post the same (source, kind) as every other process, at the same moment; the entry's id."""
    from datetime import date
    from decimal import Decimal

    from django.db import connection, transaction

    from inventory.models import Warehouse
    from oms.hooks import PostingLine, ledger_post

    source = Warehouse.objects.get(pk=warehouse_id)
    _barrier.wait(timeout=60)
    try:
        with transaction.atomic():
            entry = ledger_post(source=source, kind="test.race", on_date=date.today(), user=None, lines=[
                PostingLine(role="cash", debit=Decimal("3.00")), PostingLine(role="revenue", credit=Decimal("3.00"))])
        return entry.pk
    finally:
        connection.close()
