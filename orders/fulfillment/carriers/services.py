"""Carrier services: rate shopping, buying and voiding labels, the tracking poll, end-of-day close.

Carrier calls are network calls: none of them runs inside a transaction. A label is bought first
and recorded after (in a short transaction of its own); a void asks the carrier first and marks
the record after.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.fulfillment.carriers import base, hooks, manifests
from orders.fulfillment.carriers.base import CarrierError, Label, Rate, ShipmentRequest
from orders.fulfillment.carriers.models import CarrierLabel, CarrierManifest
from orders.fulfillment.carriers.shipments import shipment_deliver
from orders.fulfillment.models import ShipmentStatus
from orders.returns.models import Rma
from orders.services.errors import OrderError


@dataclass(frozen=True)
class RateChoice:
    rate: Rate
    reason: str
    rates: tuple[Rate, ...] = ()
    errors: tuple[CarrierError, ...] = ()


def rates_collect(*, request: ShipmentRequest, carriers: list[base.Carrier] | None = None
                  ) -> tuple[list[Rate], list[CarrierError]]:
    """Every carrier's rates; a carrier that fails is reported, not fatal."""
    rates, errors = [], []
    for carrier in carriers if carriers is not None else base.available_carriers():
        try:
            rates.extend(carrier.rates(request))
        except CarrierError as error:
            errors.append(error)
    return rates, errors


def _describe(rate: Rate, ship_date: datetime.date) -> str:
    arrives = rate.arrives_by(ship_date)
    return _("%(carrier)s %(service)s at %(amount)s %(currency)s, arriving %(arrives)s") % {
        "carrier": rate.carrier, "service": rate.service, "amount": rate.amount, "currency": rate.currency,
        "arrives": arrives.isoformat() if arrives else _("on an unknown date"),
    }


def rate_choose(*, request: ShipmentRequest, rates: list[Rate]) -> tuple[Rate, str]:
    """The cheapest rate that meets the promised date (ties: the sooner, then the carrier's order);
    without a promise, the cheapest; when none meets it, the soonest, and the reason says so."""
    if not rates:
        raise CarrierError(_("No carrier offered a rate for this shipment."), code="NO_RATES")
    ship_date = request.ship_date
    far = datetime.date.max

    def cheapest_key(rate: Rate):
        return (rate.amount, rate.arrives_by(ship_date) or far)

    if request.promised_date is None:
        rate = min(rates, key=cheapest_key)
        return rate, _("Cheapest of %(count)s rates (no promised date): %(rate)s.") % {
            "count": len(rates), "rate": _describe(rate, ship_date)}
    in_time = [rate for rate in rates if (rate.arrives_by(ship_date) or far) <= request.promised_date]
    if in_time:
        rate = min(in_time, key=cheapest_key)
        return rate, _("Cheapest of %(in_time)s of %(count)s rates that arrive by the promised %(promised)s: "
                       "%(rate)s.") % {"in_time": len(in_time), "count": len(rates),
                                       "promised": request.promised_date.isoformat(),
                                       "rate": _describe(rate, ship_date)}
    rate = min(rates, key=lambda rate: (rate.arrives_by(ship_date) or far, rate.amount))
    return rate, _("No rate arrives by the promised %(promised)s; the soonest of %(count)s: %(rate)s.") % {
        "promised": request.promised_date.isoformat(), "count": len(rates), "rate": _describe(rate, ship_date)}


def rate_shop(*, request: ShipmentRequest, carriers: list[base.Carrier] | None = None) -> RateChoice:
    """Rates from every configured carrier and the default choice with its reason.

    When Shipment exists the caller stores ``carrier``, ``service``, ``rate_amount``,
    ``rate_currency`` and ``rate_reason`` from the choice on it.
    """
    rates, errors = rates_collect(request=request, carriers=carriers)
    if not rates:
        detail = " ".join(str(error) for error in errors)
        raise CarrierError(_("No carrier offered a rate for this shipment.") + (" " + detail if detail else ""),
                           code="NO_RATES")
    rate, reason = rate_choose(request=request, rates=rates)
    return RateChoice(rate=rate, reason=reason, rates=tuple(rates), errors=tuple(errors))


def _label_of(record: CarrierLabel) -> Label:
    return Label(carrier=record.carrier, service=record.service, tracking_number=record.tracking_number,
                 label_format=record.label_format, content=bytes(record.content), cost=record.cost,
                 currency=record.currency, transit_days=record.transit_days,
                 carrier_reference=record.carrier_reference)


def label_buy(*, request: ShipmentRequest, rate: Rate, actor: AbstractBaseUser | None) -> CarrierLabel:
    """Buy the label from the rate's carrier (outside any transaction), then record it."""
    carrier = base.get_carrier(rate.carrier)
    label = carrier.buy_label(request, rate)
    to = request.to_address
    with transaction.atomic(durable=True):
        return CarrierLabel.objects.create(
            carrier=label.carrier, service=label.service, tracking_number=label.tracking_number,
            warehouse_id=request.warehouse_id, shipment_reference=request.reference,
            label_format=label.label_format, content=label.content, cost=label.cost, currency=label.currency,
            weight_grams=request.weight_grams, transit_days=label.transit_days,
            destination=" ".join(part for part in (to.get("city", ""), to.get("region", ""),
                                                   to.get("postal_code", ""), to.get("country", "")) if part),
            carrier_reference=label.carrier_reference, bought_by=actor, bought_at=timezone.now(),
        )


def label_void(*, label: CarrierLabel, actor: AbstractBaseUser | None) -> CarrierLabel:
    """Void a label that has not gone out on a manifest: the carrier first, then our record."""
    label = CarrierLabel.objects.get(pk=label.pk)  # the manifest may have taken it since it was read
    if label.voided_at is not None:
        return label
    if label.manifest_id is not None:
        raise CarrierError(_("Label %(number)s is on a closed manifest and cannot be voided.") % {
            "number": label.tracking_number}, carrier=label.carrier, code="MANIFESTED")
    base.get_carrier(label.carrier).void(_label_of(label))
    with transaction.atomic(durable=True):
        CarrierLabel.objects.filter(pk=label.pk, voided_at__isnull=True).update(voided_at=timezone.now())
    label.refresh_from_db()
    return label


def label_track(*, label: CarrierLabel) -> CarrierLabel:
    """Ask the carrier where the label is; record the status and the delivery."""
    status = base.get_carrier(label.carrier).tracking(label.tracking_number)
    with transaction.atomic(durable=True):
        CarrierLabel.objects.filter(pk=label.pk).update(
            tracking_status=status.status, tracked_at=timezone.now(), delivered_at=status.delivered_at)
    label.refresh_from_db()
    if label.delivered_at is not None:
        shipment_deliver(label=label)
        hooks.label_delivered(label)
    return label


def labels_track(*, limit: int = 500) -> int:
    """The tracking poll: every label in transit, oldest first; returns how many were delivered.

    One carrier's failure on one label does not stop the others; the next poll tries again.
    """
    delivered = 0
    # A shipment's label is on its way once the shipment shipped; a label without a shipment once bought.
    in_transit = (CarrierLabel.objects.filter(delivered_at__isnull=True, voided_at__isnull=True)
                  .filter(Q(shipment__isnull=True) | Q(shipment__status=ShipmentStatus.SHIPPED))
                  .defer("content").order_by("bought_at"))
    for label in in_transit[:limit]:
        try:
            if label_track(label=label).delivered_at is not None:
                delivered += 1
        except (CarrierError, OrderError):
            continue
    return delivered


def shop_today() -> datetime.date:
    """Today in the shop's time zone (a warehouse's day ends at the shop's midnight, not UTC's)."""
    return timezone.localdate(timezone=ZoneInfo(settings.SHOP_TIME_ZONE))


def shop_day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    zone = ZoneInfo(settings.SHOP_TIME_ZONE)
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    return start, start + datetime.timedelta(days=1)


def day_labels(*, carrier: str | None, warehouse_id: int, day: datetime.date):
    """The labels that went out on a shop day: a shipment's label once its shipment shipped that day
    (a label bought for a shipment still on the bench waits), a label without a shipment the day it
    was bought; voided ones never, nor return labels (they leave from the customer, not the dock)."""
    start, end = shop_day_bounds(day)
    labels = CarrierLabel.objects.filter(warehouse_id=warehouse_id, voided_at__isnull=True).exclude(
        shipment__isnull=True, shipment_reference__in=Rma.objects.values("number")).filter(
        Q(shipment__isnull=True, bought_at__gte=start, bought_at__lt=end)
        | Q(shipment__status__in=(ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED),
            shipment__shipped_at__gte=start, shipment__shipped_at__lt=end))
    return labels.filter(carrier=carrier) if carrier else labels


def manifest_close(*, carrier: str, warehouse_id: int, day: datetime.date,
                   actor: AbstractBaseUser) -> CarrierManifest:
    """Close a carrier's day at a warehouse: the day's labels (:func:`day_labels`) go on one manifest PDF.

    Idempotent: closing again returns the same manifest; labels bought since the first close are
    added to it and the PDF is made again.
    """
    with transaction.atomic(durable=True):
        manifest, _created = CarrierManifest.objects.select_for_update().get_or_create(
            carrier=carrier, warehouse_id=warehouse_id, day=day,
            defaults={"closed_at": timezone.now(), "closed_by": actor, "pdf": b""},
        )
        added = CarrierLabel.objects.filter(
            pk__in=day_labels(carrier=carrier, warehouse_id=warehouse_id, day=day).filter(manifest__isnull=True)
            .values("pk")).update(manifest=manifest)
        if added or _created:
            labels = list(manifest.labels.order_by("bought_at", "pk"))
            manifest.label_count = len(labels)
            manifest.pdf = manifests.manifest_pdf(manifest=manifest, labels=labels)
            manifest.save(update_fields=["label_count", "pdf"])
        return manifest
