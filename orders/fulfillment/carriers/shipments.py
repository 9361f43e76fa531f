"""The carriers applied to a Shipment: its request, its label (the rate choice and its reason
recorded on it), and its delivery when tracking says so.

Locks follow orders/fulfillment/status.py: the order row first, then the shipment.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.fulfillment import status as shipment_status
from orders.fulfillment.carriers import base
from orders.fulfillment.carriers.base import CarrierError, Parcel, ShipmentRequest
from orders.fulfillment.carriers.models import CarrierLabel, LabelFormat, LabelPrinter
from orders.fulfillment.models import Shipment, ShipmentEvent, ShipmentStatus
from orders.models import Order, OrderStatus
from orders.services import status as order_status

LABEL_STATUSES = (ShipmentStatus.PICKED, ShipmentStatus.PACKED)


def promised_date_of(order: Order) -> datetime.date | None:
    """The delivery promised at order time: the day it was placed (shop time) plus its method's transit days."""
    if order.placed_at is None or order.shipping_method is None:
        return None
    placed = order.placed_at.astimezone(ZoneInfo(settings.SHOP_TIME_ZONE)).date()
    return placed + datetime.timedelta(days=order.shipping_method.transit_days)


def warehouse_address(warehouse) -> dict:
    return {"name": warehouse.name, "line1": warehouse.address_line, "city": warehouse.city,
            "region": warehouse.region, "postal_code": warehouse.postal_code, "country": warehouse.country}


def shipment_request_for(*, shipment: Shipment, parcels: list[Parcel] | None = None,
                         printer: LabelPrinter | None = None, label_format: str = LabelFormat.PDF,
                         ship_date: datetime.date | None = None) -> ShipmentRequest:
    """A carrier request for the shipment: the order's ship-to, the warehouse's address, its parcels
    (one box of the shipment's weight unless given), the order's promised date, and the label format
    of the printer it will print on (PDF or ZPL)."""
    from orders.fulfillment.carriers.services import shop_today

    order = shipment.order
    if parcels is None:
        parcels = [Parcel(weight_grams=shipment.weight_grams or 0, box=shipment.box)]
    return ShipmentRequest(
        from_address=warehouse_address(shipment.warehouse), to_address=dict(order.ship_to or {}),
        parcels=tuple(parcels), warehouse_id=shipment.warehouse_id, ship_date=ship_date or shop_today(),
        promised_date=promised_date_of(order), reference=shipment.number, currency=order.currency,
        label_format=printer.label_format if printer is not None else label_format,
    )


def _live_label(shipment_id: int) -> CarrierLabel | None:
    return CarrierLabel.objects.filter(shipment_id=shipment_id, voided_at__isnull=True).first()


def shipment_label_buy(*, shipment: Shipment, request: ShipmentRequest, rate: base.Rate, reason: str,
                       actor: AbstractBaseUser | None) -> CarrierLabel:
    """Buy the shipment's label at ``rate`` and record carrier, service, rate, reason and tracking on it.

    The carrier is called outside any transaction. When another packer recorded a label for the same
    shipment meanwhile, the one bought here is voided again and the caller gets a clear error.
    """
    if shipment.status not in LABEL_STATUSES:
        raise CarrierError(_("Shipment %(number)s is %(status)s: a label is bought once it is picked or packed.")
                           % {"number": shipment.number, "status": ShipmentStatus(shipment.status).label.lower()})
    if _live_label(shipment.pk) is not None:
        raise CarrierError(_("Shipment %(number)s already has a label; void it first.") % {"number": shipment.number})
    label = base.get_carrier(rate.carrier).buy_label(request, rate)
    to = request.to_address
    try:
        with transaction.atomic(durable=True):
            order_status.lock_order(shipment.order_id)
            locked = shipment_status.lock_shipment(shipment)
            if locked.status not in LABEL_STATUSES or _live_label(locked.pk) is not None:
                raise CarrierError(_("Shipment %(number)s got a label from someone else meanwhile.")
                                   % {"number": shipment.number}, code="RACE")
            record = CarrierLabel.objects.create(
                carrier=label.carrier, service=label.service, tracking_number=label.tracking_number,
                warehouse_id=locked.warehouse_id, shipment=locked, shipment_reference=locked.number,
                label_format=label.label_format, content=label.content, cost=label.cost, currency=label.currency,
                weight_grams=request.weight_grams, transit_days=label.transit_days,
                destination=" ".join(part for part in (to.get("city", ""), to.get("region", ""),
                                                       to.get("postal_code", ""), to.get("country", "")) if part),
                carrier_reference=label.carrier_reference, bought_by=actor, bought_at=timezone.now(),
            )
            locked.carrier, locked.service = label.carrier, label.service
            locked.rate_amount, locked.rate_currency = label.cost, label.currency
            locked.rate_reason, locked.tracking_number = reason[:300], label.tracking_number
            locked.save(update_fields=["carrier", "service", "rate_amount", "rate_currency", "rate_reason",
                                       "tracking_number"])
            ShipmentEvent.objects.create(
                shipment=locked, kind=ShipmentEvent.Kind.LABEL, actor=actor,
                message=(_("Label %(number)s: %(carrier)s %(service)s, %(cost)s %(currency)s. %(reason)s") % {
                    "number": label.tracking_number, "carrier": label.carrier, "service": label.service,
                    "cost": label.cost, "currency": label.currency, "reason": reason})[:500],
                data={"tracking_number": label.tracking_number, "carrier": label.carrier, "service": label.service,
                      "cost": str(label.cost), "currency": label.currency, "reason": reason})
    except CarrierError:
        try:
            base.get_carrier(label.carrier).void(label)
        except CarrierError:
            pass  # the label was bought and not recorded: the carrier's own records show it
        raise
    shipment.refresh_from_db()
    return record


def shipment_label_void(*, label: CarrierLabel, actor: AbstractBaseUser | None) -> CarrierLabel:
    """Void a shipment's label before it ships; the shipment's carrier fields are cleared."""
    from orders.fulfillment.carriers.services import label_void

    if label.shipment_id is not None and Shipment.objects.filter(
            pk=label.shipment_id, status__in=(ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)).exists():
        raise CarrierError(_("Label %(number)s has shipped and cannot be voided.") % {
            "number": label.tracking_number}, code="SHIPPED")
    label = label_void(label=label, actor=actor)
    if label.shipment_id is not None:
        with transaction.atomic(durable=True):
            locked = shipment_status.lock_shipment(label.shipment_id)
            if locked.tracking_number == label.tracking_number:
                locked.tracking_number = ""
                locked.save(update_fields=["tracking_number"])
            ShipmentEvent.objects.create(shipment=locked, kind=ShipmentEvent.Kind.LABEL, actor=actor,
                                         message=_("Label %(number)s voided.") % {"number": label.tracking_number},
                                         data={"tracking_number": label.tracking_number, "voided": True})
    return label


def shipment_deliver(*, label: CarrierLabel) -> Shipment | None:
    """The label's tracking says delivered: its shipped shipment becomes delivered (once), and its order
    too when every shipment of it that went out has arrived. Idempotent."""
    if label.shipment_id is None or label.delivered_at is None:
        return None
    shipment = Shipment.objects.only("order_id").get(pk=label.shipment_id)
    with transaction.atomic(durable=True):
        order = order_status.lock_order(shipment.order_id)
        locked = shipment_status.lock_shipment(shipment.pk)
        if locked.status != ShipmentStatus.SHIPPED:
            return locked
        events: list[ShipmentEvent] = []
        shipment_status.shipment_move(locked, ShipmentStatus.DELIVERED, user=None, events=events,
                                      reason=_("Delivered (tracking %(number)s).") % {"number": label.tracking_number})
        locked.delivered_at = label.delivered_at
        locked.save(update_fields=["status", "delivered_at"])
        shipment_status.save_shipment_events(events)
        others_out = (Shipment.objects.filter(order_id=order.pk).exclude(pk=locked.pk)
                      .exclude(status__in=(ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED)).exists())
        if order.status == OrderStatus.SHIPPED and not others_out:
            order_events = []
            order_status.move(order, OrderStatus.DELIVERED, user=None, events=order_events,
                              reason=_("Delivered: every shipment arrived."))
            order.save(update_fields=["status", "updated_at"])
            order_status.save_events(order_events)
        return locked
