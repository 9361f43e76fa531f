"""Reads of the carriers' records."""

from __future__ import annotations

import datetime
from collections import defaultdict

from orders.fulfillment.carriers.models import CarrierLabel, CarrierManifest


def day_labels_by_carrier(*, warehouse_id: int, day: datetime.date) -> dict[str, list[CarrierLabel]]:
    """The day's labels at a warehouse (``services.day_labels``), per carrier code, in the order bought."""
    from orders.fulfillment.carriers.services import day_labels

    by_carrier: dict[str, list[CarrierLabel]] = defaultdict(list)
    labels = (day_labels(carrier=None, warehouse_id=warehouse_id, day=day)
              .defer("content").order_by("carrier", "bought_at", "pk"))
    for label in labels:
        by_carrier[label.carrier].append(label)
    return dict(by_carrier)


def day_manifests(*, warehouse_id: int, day: datetime.date) -> dict[str, CarrierManifest]:
    return {manifest.carrier: manifest
            for manifest in CarrierManifest.objects.filter(warehouse_id=warehouse_id, day=day).defer("pdf")}
