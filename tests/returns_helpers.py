"""Helpers of the returns tests: a shipped (or delivered) order, a zone for return labels."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone


def us_zone():
    """A table-rate zone for the whole US (return labels go from the customer to the warehouse)."""
    from orders.fulfillment.carriers.models import CarrierRate, CarrierZone

    zone, _created = CarrierZone.objects.get_or_create(code="US", defaults={"name": "United States", "country": "US"})
    CarrierRate.objects.get_or_create(zone=zone, service="Ground", max_weight_grams=20000,
                                      defaults={"amount": Decimal("7.50"), "transit_days": 5})
    return zone


def ship(order, warehouse, *, user=None, delivered: bool = True):
    """Ship every reserved unit of ``order`` from ``warehouse`` (and mark it delivered)."""
    from orders.fulfillment.models import Shipment, ShipmentStatus
    from orders.fulfillment.shipping import shipment_confirm, shipment_open
    from orders.models import OrderStatus

    shipment = shipment_open(order=order, warehouse=warehouse, user=user)
    shipment_confirm(shipment=shipment, user=user, tracking_number=f"T{order.number}")
    if delivered:
        Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.DELIVERED, delivered_at=timezone.now())
        order.__class__.objects.filter(pk=order.pk).update(status=OrderStatus.DELIVERED)
    order.refresh_from_db()
    return shipment


def trial_balance() -> Decimal:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(sum(debit - credit), 0) FROM payments_journalline")
        return cursor.fetchone()[0]
