"""Reads of the carriers' records."""

from __future__ import annotations

import datetime
from collections import defaultdict

from orders.fulfillment.carriers.models import CarrierLabel, CarrierManifest


def day_labels_by_carrier(*, warehouse_id: int, day: datetime.date) -> dict[str, list[CarrierLabel]]:
    """The day's labels (not voided) at a warehouse, per carrier code, in the order they were bought."""
    from orders.fulfillment.carriers.services import shop_day_bounds

    start, end = shop_day_bounds(day)
    by_carrier: dict[str, list[CarrierLabel]] = defaultdict(list)
    labels = (CarrierLabel.objects.filter(warehouse_id=warehouse_id, bought_at__gte=start, bought_at__lt=end,
                                          voided_at__isnull=True)
              .defer("content").order_by("carrier", "bought_at", "pk"))
    for label in labels:
        by_carrier[label.carrier].append(label)
    return dict(by_carrier)


def day_manifests(*, warehouse_id: int, day: datetime.date) -> dict[str, CarrierManifest]:
    return {manifest.carrier: manifest
            for manifest in CarrierManifest.objects.filter(warehouse_id=warehouse_id, day=day).defer("pdf")}
