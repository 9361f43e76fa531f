"""The built-in table-rate carrier: zones (country, region, postal prefix) × weight bands, kept in
the admin. Its labels are made by us and its tracking is our own records: a label counts as
delivered once its zone's transit days have passed since its shipment shipped (or it was bought)."""

from __future__ import annotations

import datetime
import secrets
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from oms.money import round_money
from orders.fulfillment.carriers import labels
from orders.fulfillment.carriers.base import (
    CarrierError,
    Label,
    Rate,
    ShipmentRequest,
    TrackingEvent,
    TrackingStatus,
)
from orders.fulfillment.carriers.models import CarrierLabel, CarrierRate, CarrierZone

CODE = "table"


def zone_for(address: dict) -> CarrierZone | None:
    """The most specific active zone containing the address: the longest postal prefix, then a region."""
    country = (address.get("country") or "").upper()
    region = (address.get("region") or "").upper()
    postal_code = (address.get("postal_code") or "").replace(" ", "").upper()
    best, best_key = None, None
    for zone in CarrierZone.objects.filter(country=country, is_active=True):
        if zone.region and zone.region.upper() != region:
            continue
        prefix = zone.postal_prefix.replace(" ", "").upper()
        if prefix and not postal_code.startswith(prefix):
            continue
        key = (len(prefix), bool(zone.region))
        if best_key is None or key > best_key:
            best, best_key = zone, key
    return best


def new_tracking_number() -> str:
    return "OMS" + "".join(secrets.choice("0123456789") for _ in range(12))


class TableRateCarrier:
    code = CODE
    name = _("Table rate")

    def rates(self, request: ShipmentRequest) -> list[Rate]:
        if not request.parcels:
            raise CarrierError(_("A shipment needs at least one parcel."), carrier=CODE)
        zone = zone_for(request.to_address)
        if zone is None:
            raise CarrierError(_("The table-rate carrier has no zone for %(country)s %(postal_code)s.") % {
                "country": request.to_address.get("country", ""),
                "postal_code": request.to_address.get("postal_code", ""),
            }, carrier=CODE, code="NO_ZONE")
        bands: dict[str, list[CarrierRate]] = defaultdict(list)
        for band in zone.rates.order_by("service", "max_weight_grams"):
            bands[band.service].append(band)
        rates = []
        for service, service_bands in bands.items():
            amount, transit_days, currency = None, 0, service_bands[0].currency
            for parcel in request.parcels:
                band = next((band for band in service_bands if band.max_weight_grams >= parcel.weight_grams), None)
                if band is None:  # too heavy for this service
                    amount = None
                    break
                amount = (amount or 0) + band.amount
                transit_days = max(transit_days, band.transit_days)
            if amount is not None:
                rates.append(Rate(carrier=CODE, service=service, amount=round_money(amount, currency),
                                  currency=currency, transit_days=transit_days, carrier_rate_id=str(zone.pk)))
        if not rates:
            raise CarrierError(_("No table-rate service of zone %(zone)s carries %(grams)s g.") % {
                "zone": zone.code, "grams": max(parcel.weight_grams for parcel in request.parcels),
            }, carrier=CODE, code="TOO_HEAVY")
        return sorted(rates, key=lambda rate: (rate.amount, rate.transit_days))

    def buy_label(self, request: ShipmentRequest, rate: Rate) -> Label:
        tracking_number = new_tracking_number()
        content = labels.make_label(labels.LabelContent(
            carrier_name=str(self.name), service=rate.service, tracking_number=tracking_number,
            from_address=request.from_address, to_address=request.to_address,
            weight_grams=request.weight_grams, reference=request.reference,
        ), request.label_format)
        return Label(carrier=CODE, service=rate.service, tracking_number=tracking_number,
                     label_format=request.label_format, content=content, cost=rate.amount,
                     currency=rate.currency, transit_days=rate.transit_days)

    def tracking(self, tracking_number: str) -> TrackingStatus:
        label = (CarrierLabel.objects.filter(carrier=CODE, tracking_number=tracking_number)
                 .select_related("shipment").defer("content").first())
        if label is None:
            raise CarrierError(_("No table-rate label has the tracking number %(number)s.") % {
                "number": tracking_number}, carrier=CODE, code="NOT_FOUND")
        events = [TrackingEvent(at=label.bought_at, status="pre_transit", message=_("Label created"))]
        if label.voided_at:
            events.append(TrackingEvent(at=label.voided_at, status="cancelled", message=_("Label voided")))
            return TrackingStatus(tracking_number=tracking_number, status="cancelled", events=tuple(events))
        # On its way from the day the shipment shipped (a label without a shipment: the day it was bought).
        left_at = (label.shipment.shipped_at if label.shipment is not None else None) or label.bought_at
        due = left_at + datetime.timedelta(days=label.transit_days or 0)
        if timezone.now() >= due:
            events.append(TrackingEvent(at=due, status="delivered", message=_("Delivered")))
            return TrackingStatus(tracking_number=tracking_number, status="delivered", events=tuple(events),
                                  delivered_at=due)
        return TrackingStatus(tracking_number=tracking_number, status="in_transit", events=tuple(events))

    def void(self, label: Label) -> None:
        """Nothing was paid to anyone: the service marks our record voided."""
