"""The EasyPost adapter, through the official SDK (``easypost.EasyPostClient(key, api_base=…)``).

Settings: ``EASYPOST_API_KEY`` (the carrier is registered but unconfigured without it) and
``EASYPOST_API_BASE`` (blank for EasyPost's own; the tests point it at a local fake server).
Every SDK error becomes a :class:`CarrierError` with EasyPost's message and field errors.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

import easypost
import requests
from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from easypost.errors import ApiError, EasyPostError

from oms.money import round_money
from orders.fulfillment.carriers.base import (
    CarrierError,
    Label,
    Rate,
    ShipmentRequest,
    TrackingEvent,
    TrackingStatus,
)

CODE = "easypost"
GRAMS_PER_OUNCE = Decimal("28.349523125")
MM_PER_INCH = Decimal("25.4")


def _error(error: Exception) -> CarrierError:
    """EasyPost's error JSON (``{"error": {"code", "message", "errors": [{"field", "message"}]}}``)
    as a message for the user."""
    if isinstance(error, ApiError) and getattr(error, "http_status", None):
        code, field_errors, detail = "", {}, []
        body = error.json_body if isinstance(getattr(error, "json_body", None), dict) else {}
        payload = body.get("error") or {}
        code = payload.get("code", "") if isinstance(payload, dict) else ""
        for item in (payload.get("errors") or []) if isinstance(payload, dict) else []:
            if isinstance(item, dict):
                field_errors.setdefault(item.get("field", ""), []).append(item.get("message", ""))
                detail.append(f"{item.get('field', '')}: {item.get('message', '')}")
            else:
                detail.append(str(item))
        message = _("EasyPost refused the request (%(status)s): %(message)s") % {
            "status": error.http_status, "message": error.message or code}
        if detail:
            message += " (" + "; ".join(detail) + ")"
        return CarrierError(message, carrier=CODE, code=code, field_errors=field_errors)
    return CarrierError(_("EasyPost could not be reached: %(error)s") % {"error": error}, carrier=CODE,
                        code="UNREACHABLE")


def _address(address: dict) -> dict:
    return {
        "name": address.get("name", ""), "company": address.get("company", ""),
        "street1": address.get("line1", ""), "street2": address.get("line2", ""),
        "city": address.get("city", ""), "state": address.get("region", ""),
        "zip": address.get("postal_code", ""), "country": address.get("country", ""),
        "phone": address.get("phone", ""), "email": address.get("email", ""),
    }


def _inches(mm: int) -> str:
    return str((Decimal(mm) / MM_PER_INCH).quantize(Decimal("0.1")))


class EasyPostCarrier:
    code = CODE
    name = "EasyPost"

    def __init__(self, api_key: str, api_base: str = ""):
        self.client = (easypost.EasyPostClient(api_key, api_base=api_base) if api_base
                       else easypost.EasyPostClient(api_key))

    def rates(self, request: ShipmentRequest) -> list[Rate]:
        if len(request.parcels) != 1:
            raise CarrierError(_("EasyPost ships one parcel per shipment; this one has %(count)s.") % {
                "count": len(request.parcels)}, carrier=CODE, code="PARCELS")
        parcel = request.parcels[0]
        params = {
            "to_address": _address(request.to_address),
            "from_address": _address(request.from_address),
            "parcel": {"weight": str((Decimal(parcel.weight_grams) / GRAMS_PER_OUNCE).quantize(Decimal("0.1")))},
            "options": {"label_format": request.label_format.upper(), "label_size": "4x6"},
            "reference": request.reference,
        }
        if parcel.length_mm and parcel.width_mm and parcel.height_mm:
            params["parcel"].update(length=_inches(parcel.length_mm), width=_inches(parcel.width_mm),
                                    height=_inches(parcel.height_mm))
        try:
            shipment = self.client.shipment.create(**params)
        except EasyPostError as error:
            raise _error(error) from error
        rates = []
        for rate in shipment.get("rates") or []:
            try:
                currency = rate["currency"] or request.currency
                amount = round_money(Decimal(str(rate["rate"])), currency)
            except (KeyError, InvalidOperation, TypeError):
                continue
            delivery_date = None
            if rate.get("delivery_date"):
                parsed = parse_datetime(str(rate["delivery_date"]))
                delivery_date = parsed.date() if parsed else None
            rates.append(Rate(
                carrier=CODE, service=f"{rate['carrier']} {rate['service']}", amount=amount, currency=currency,
                transit_days=rate.get("delivery_days") if rate.get("delivery_days") is not None else None,
                delivery_date=delivery_date, carrier_rate_id=rate["id"], carrier_shipment_id=shipment["id"],
            ))
        if not rates:
            messages = "; ".join(str(message.get("message", "")) for message in shipment.get("messages") or [])
            raise CarrierError(_("EasyPost returned no rates. %(messages)s") % {"messages": messages},
                               carrier=CODE, code="NO_RATES")
        return sorted(rates, key=lambda rate: rate.amount)

    def buy_label(self, request: ShipmentRequest, rate: Rate) -> Label:
        try:
            shipment = self.client.shipment.buy(rate.carrier_shipment_id, rate={"id": rate.carrier_rate_id})
        except EasyPostError as error:
            raise _error(error) from error
        postage_label = shipment.get("postage_label") or {}
        url_key = "label_zpl_url" if request.label_format == "zpl" else "label_pdf_url"
        url = postage_label.get(url_key) or postage_label.get("label_url")
        try:
            response = requests.get(url, timeout=30)
            response.raise_for_status()
        except (requests.RequestException, TypeError) as error:
            raise CarrierError(_("The label file could not be fetched from EasyPost: %(error)s") % {
                "error": error}, carrier=CODE, code="LABEL_FILE") from error
        selected = shipment.get("selected_rate") or {}
        currency = selected.get("currency") or rate.currency
        cost = round_money(Decimal(str(selected.get("rate") or rate.amount)), currency)
        return Label(carrier=CODE, service=rate.service, tracking_number=shipment["tracking_code"],
                     label_format=request.label_format, content=response.content, cost=cost, currency=currency,
                     transit_days=rate.transit_days, carrier_reference=shipment["id"])

    def tracking(self, tracking_number: str) -> TrackingStatus:
        try:
            tracker = self.client.tracker.create(tracking_code=tracking_number)
        except EasyPostError as error:
            raise _error(error) from error
        events, delivered_at = [], None
        for detail in tracker.get("tracking_details") or []:
            at = parse_datetime(str(detail.get("datetime") or "")) or datetime.datetime.now(datetime.UTC)
            location = detail.get("tracking_location") or {}
            events.append(TrackingEvent(at=at, status=detail.get("status", ""), message=detail.get("message", ""),
                                        location=", ".join(str(location.get(key)) for key in ("city", "state")
                                                           if location.get(key))))
            if detail.get("status") == "delivered":
                delivered_at = at
        status = tracker.get("status") or "unknown"
        if status == "delivered" and delivered_at is None:
            delivered_at = parse_datetime(str(tracker.get("updated_at") or "")) or datetime.datetime.now(datetime.UTC)
        return TrackingStatus(tracking_number=tracking_number, status=status, events=tuple(events),
                              delivered_at=delivered_at if status == "delivered" else None)

    def void(self, label: Label) -> None:
        try:
            shipment = self.client.shipment.refund(label.carrier_reference)
        except EasyPostError as error:
            raise _error(error) from error
        if shipment.get("refund_status") == "rejected":
            raise CarrierError(_("EasyPost rejected the refund of label %(number)s.") % {
                "number": label.tracking_number}, carrier=CODE, code="REFUND_REJECTED")


def configured() -> EasyPostCarrier | None:
    if not settings.EASYPOST_API_KEY:
        return None
    return EasyPostCarrier(settings.EASYPOST_API_KEY, settings.EASYPOST_API_BASE)
