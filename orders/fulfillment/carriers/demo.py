"""Demo data of the carriers: table-rate zones with their weight bands, and a label printer per
shipping warehouse, so that a fresh demo can rate and label shipments without EasyPost."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from inventory.models import Warehouse
from orders.fulfillment.carriers.models import CarrierRate, CarrierZone, LabelFormat, LabelPrinter

# (code, name, country, region, postal prefix, {service: (transit days, [(up to grams, amount)])})
ZONES = (
    ("US-NE", "US Northeast", "US", "", "0", {"Ground": (2, [(1000, "5.50"), (5000, "8.50"), (20000, "14.00")]),
                                              "Express": (1, [(1000, "14.00"), (5000, "21.00")])}),
    ("US-E", "US East", "US", "", "1", {"Ground": (3, [(1000, "6.00"), (5000, "9.00"), (20000, "15.00")]),
                                        "Express": (1, [(1000, "15.00"), (5000, "22.00")])}),
    ("US", "United States", "US", "", "", {"Ground": (5, [(1000, "7.50"), (5000, "11.00"), (20000, "19.00")]),
                                          "Express": (2, [(1000, "19.00"), (5000, "28.00")])}),
    ("CA", "Canada", "CA", "", "", {"Ground": (7, [(1000, "14.00"), (5000, "22.00"), (20000, "38.00")]),
                                   "Express": (3, [(1000, "32.00"), (5000, "45.00")])}),
)


def seed_carriers(*, stdout, options: dict) -> None:
    """Create the demo zones, bands and printers unless they exist (a second run changes nothing)."""
    with transaction.atomic():
        if not CarrierZone.objects.exists():
            for code, name, country, region, prefix, services in ZONES:
                zone = CarrierZone.objects.create(code=code, name=name, country=country, region=region,
                                                  postal_prefix=prefix)
                CarrierRate.objects.bulk_create([
                    CarrierRate(zone=zone, service=service, max_weight_grams=grams, amount=Decimal(amount),
                                transit_days=days)
                    for service, (days, bands) in services.items() for grams, amount in bands
                ])
        for warehouse in Warehouse.objects.filter(ships=True, kind=Warehouse.Kind.WAREHOUSE).order_by("pk"):
            LabelPrinter.objects.get_or_create(name=f"{warehouse.code} pack 1",
                                               defaults={"warehouse": warehouse, "label_format": LabelFormat.PDF})
            LabelPrinter.objects.get_or_create(name=f"{warehouse.code} thermal",
                                               defaults={"warehouse": warehouse, "label_format": LabelFormat.ZPL})
    stdout.write(f"Demo carriers: {CarrierZone.objects.count()} zones, {LabelPrinter.objects.count()} printers.")
