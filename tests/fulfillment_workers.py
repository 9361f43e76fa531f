"""Worker processes for the fulfillment concurrency tests and the benchmark (multiprocessing, spawn).

Imports nothing from Django at import time (see tests/orders_workers.py).
"""

from __future__ import annotations


def ship_in_worker(shipment_id: int, user_id: int | None) -> tuple[int, bool, str]:
    """Confirm a shipment from a worker process: (shipment id, shipped now, message)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from orders.fulfillment.shipping import shipment_confirm

    try:
        user = get_user_model().objects.get(pk=user_id) if user_id else None
        result = shipment_confirm(shipment=shipment_id, user=user, tracking_number=f"T{shipment_id}")
        return shipment_id, result.shipped_now, result.message
    finally:
        connection.close()
