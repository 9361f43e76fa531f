"""Worker processes for the order concurrency tests (multiprocessing, spawn).

This module imports nothing from Django or the factories at import time: a spawned process
imports it before :func:`start_django_worker` has set Django up.
"""

from __future__ import annotations

import os

NEW_YORK = {"name": "Ada Lovelace", "line1": "350 Fifth Avenue", "city": "New York", "region": "NY",
            "postal_code": "10118", "country": "US"}


def start_django_worker(database_name: str) -> None:
    """Pool initializer: Django in this process, on the test database of the run that started it."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "oms.settings_test"
    os.environ["DATABASE_NAME"] = database_name
    import django

    django.setup()


def place_in_worker(customer_id: int, sku_ids: list[int], quantities: list[int]) -> tuple[int, str]:
    """Place a phone order of ``sku_ids`` (in that order) from a worker process; (order id, status)."""
    from django.db import connection

    from catalog.models import Sku
    from orders.models import Customer
    from orders.services import LineRequest, order_place

    skus = Sku.objects.in_bulk(sku_ids)
    try:
        order = order_place(user=None, channel="phone", customer=Customer.objects.get(pk=customer_id),
                            lines=[LineRequest(sku=skus[sku_id], quantity=quantity)
                                   for sku_id, quantity in zip(sku_ids, quantities)], ship_to=NEW_YORK)
        return order.pk, order.status
    finally:
        connection.close()


def allocate_backorders_in_worker(sku_ids: list[int]) -> int:
    from django.db import connection

    from orders.services import backorders_allocate

    try:
        return backorders_allocate(sku_ids=set(sku_ids))
    finally:
        connection.close()


def cancel_in_worker(order_id: int) -> str:
    """Cancel an order from a worker process; its status after."""
    from django.db import connection

    from orders.models import Order
    from orders.services import order_cancel

    try:
        return order_cancel(order=Order.objects.get(pk=order_id), user=None, reason="Concurrency test").status
    finally:
        connection.close()


def place_or_cancel_in_worker(job: tuple) -> str:
    """("place", customer id, sku ids, quantities) or ("cancel", order id): for a mixed race."""
    if job[0] == "cancel":
        return cancel_in_worker(job[1])
    return place_in_worker(*job[1:])[1]
