"""One carrier interface: rates, buy a label, tracking, void; and the registry of carriers.

Everything here is plain data (dataclasses), so a carrier can be built and tested before any
shipment row exists. A carrier raises :class:`CarrierError` with a message fit for the screen for
everything that goes wrong on its side (a refused address, a 422, a network failure).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from django.utils.translation import gettext as _


class CarrierError(Exception):
    """The carrier refused or could not be reached; ``str(error)`` is a message for the user."""

    def __init__(self, message: str, *, carrier: str = "", code: str = "", field_errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.carrier = carrier
        self.code = code
        self.field_errors = field_errors or {}


@dataclass(frozen=True)
class Parcel:
    weight_grams: int
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0
    box: str = ""


@dataclass(frozen=True)
class ShipmentRequest:
    """What to ship from where to where, and by when it was promised.

    Addresses are dicts with the keys of ``orders.Address`` (``name``, ``company``, ``line1``,
    ``line2``, ``city``, ``region``, ``postal_code``, ``country``, ``phone``, ``email``).
    """

    from_address: dict
    to_address: dict
    parcels: tuple[Parcel, ...]
    warehouse_id: int
    ship_date: datetime.date
    promised_date: datetime.date | None = None
    reference: str = ""  # our shipment's number
    currency: str = "USD"
    label_format: str = "pdf"  # LabelFormat: pdf | zpl

    @property
    def weight_grams(self) -> int:
        return sum(parcel.weight_grams for parcel in self.parcels)


@dataclass(frozen=True)
class Rate:
    carrier: str  # our code of the carrier (registry key)
    service: str
    amount: Decimal
    currency: str
    transit_days: int | None
    delivery_date: datetime.date | None = None
    carrier_rate_id: str = ""
    carrier_shipment_id: str = ""

    def arrives_by(self, ship_date: datetime.date) -> datetime.date | None:
        """The expected delivery date: the carrier's own, else the ship date plus the transit days."""
        if self.delivery_date is not None:
            return self.delivery_date
        if self.transit_days is None:
            return None
        return ship_date + datetime.timedelta(days=self.transit_days)


@dataclass(frozen=True)
class Label:
    carrier: str
    service: str
    tracking_number: str
    label_format: str  # pdf | zpl
    content: bytes
    cost: Decimal
    currency: str
    transit_days: int | None = None
    carrier_reference: str = ""  # the carrier's shipment id, needed to void


@dataclass(frozen=True)
class TrackingEvent:
    at: datetime.datetime
    status: str
    message: str
    location: str = ""


@dataclass(frozen=True)
class TrackingStatus:
    tracking_number: str
    status: str  # pre_transit, in_transit, out_for_delivery, delivered, returned, failure, unknown
    events: tuple[TrackingEvent, ...] = field(default_factory=tuple)
    delivered_at: datetime.datetime | None = None

    @property
    def is_delivered(self) -> bool:
        return self.delivered_at is not None


class Carrier(Protocol):
    code: str
    name: str

    def rates(self, request: ShipmentRequest) -> list[Rate]: ...

    def buy_label(self, request: ShipmentRequest, rate: Rate) -> Label: ...

    def tracking(self, tracking_number: str) -> TrackingStatus: ...

    def void(self, label: Label) -> None: ...


# --- the registry ------------------------------------------------------------------------------

_FACTORIES: dict[str, Callable[[], Carrier | None]] = {}


def register_carrier(code: str, factory: Callable[[], Carrier | None]) -> None:
    """Register a carrier under ``code``; the factory returns ``None`` when it is not configured."""
    _FACTORIES[code] = factory


def get_carrier(code: str) -> Carrier:
    factory = _FACTORIES.get(code)
    carrier = factory() if factory else None
    if carrier is None:
        raise CarrierError(_("The carrier “%(code)s” is not configured.") % {"code": code}, carrier=code)
    return carrier


def available_carriers() -> list[Carrier]:
    """Every registered carrier that is configured, in registration order."""
    return [carrier for carrier in (factory() for factory in _FACTORIES.values()) if carrier is not None]


def carrier_codes() -> list[str]:
    return list(_FACTORIES)
