"""The values order entry takes and gives: a requested line, a validated basket, the quote of a basket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from catalog.models import Sku
from inventory.models import Warehouse
from marketing.pricing import Note
from orders.models import Customer, ShippingMethod
from orders.services.pricing import PricedBasket

FieldErrors = Mapping[str, tuple[str, ...]]


@dataclass
class LineRequest:
    """One line as asked for: a SKU, how many, and its personalization values.

    ``line_id`` names the existing order line it stands for when an order is being edited.
    """

    sku: Sku
    quantity: int
    personalization: dict[str, str] = field(default_factory=dict)
    line_id: int | None = None


def frozen_errors(errors: Mapping[str, list[str] | tuple[str, ...]]) -> FieldErrors:
    """A read-only copy of messages by field: what the immutable values below hold."""
    return MappingProxyType({key: tuple(messages) for key, messages in errors.items()})


@dataclass(frozen=True)
class ValidatedLine:
    """One requested line after its checks (:func:`orders.services.entry.lines_validate`); nothing written.

    ``personalization`` holds the cleaned values (none when they failed), ``personalization_errors``
    what is wrong with them by template field key (``__all__`` for the line), ``errors`` what is
    wrong with the SKU or the quantity.
    """

    request: LineRequest
    personalization: Mapping[str, str]
    personalization_errors: FieldErrors
    errors: tuple[str, ...]

    @property
    def sku(self) -> Sku:
        return self.request.sku

    @property
    def quantity(self) -> int:
        return self.request.quantity

    @property
    def is_personalized(self) -> bool:
        """Priced as personalized: values were given, valid or not (a quote shows both)."""
        return bool(self.personalization) or any(str(value or "").strip()
                                                 for value in (self.request.personalization or {}).values())


@dataclass(frozen=True)
class ValidatedLines:
    """Requested lines after their checks; ``errors`` by form field (``lines-<index>-<field>``)."""

    lines: tuple[ValidatedLine, ...]
    errors: FieldErrors

    @property
    def are_valid(self) -> bool:
        return all(not line.errors for line in self.lines)


@dataclass(frozen=True)
class ValidatedBasket:
    """A basket checked and, when its lines are valid, priced; nothing written.

    Built by :func:`orders.services.entry.basket_validate`, the one place the checks of order
    entry live: ``order_quote`` shows it, ``order_place`` places it (refusing it while ``errors``
    is not empty). ``ship_to`` is cleaned (a pickup order's is the store's location);
    ``address_problems`` and ``delivery_problems`` are what staff channels refuse and outside
    channels put on an address hold. ``priced`` is None when a line or the prices failed.
    """

    channel: str
    customer: Customer | None
    lines: tuple[ValidatedLine, ...]
    fulfillment_type: str
    shipping_method: ShippingMethod | None
    pickup_warehouse: Warehouse | None
    ship_to: Mapping[str, str]
    bill_to: Mapping[str, str]
    source_code: str
    coupons: tuple[str, ...]
    errors: FieldErrors
    address_problems: Mapping[str, str]
    delivery_problems: tuple[str, ...]
    priced: PricedBasket | None
    # The opaque payment instructions order entry was given (orders.hooks: payment_validate, payment_check).
    payment: tuple[Mapping[str, Any], ...] = ()

    @property
    def is_valid(self) -> bool:
        return not self.errors


@dataclass
class QuoteLine:
    index: int  # position among the requested lines; gifts follow them
    sku: Sku
    quantity: int
    unit_price: Decimal = Decimal("0")  # base price, per unit
    personalization_amount: Decimal = Decimal("0")  # add-on, per unit
    subtotal: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")
    line_total: Decimal = Decimal("0")
    discounts: list[tuple[str, Decimal]] = field(default_factory=list)  # (promotion name, amount)
    is_gift: bool = False
    line_id: int | None = None
    personalization: dict[str, str] = field(default_factory=dict)  # cleaned values
    personalization_errors: dict[str, list[str]] = field(default_factory=dict)  # by field key
    errors: list[str] = field(default_factory=list)  # the SKU or quantity cannot be ordered
    availability: dict[str, int] = field(default_factory=dict)  # warehouse code -> units free
    available: int = 0  # in total at the warehouses that can serve the order
    expected_on: dt.date | None = None  # when more comes, for a line that cannot be served now
    substitutes: list[Sku] = field(default_factory=list)  # other SKUs of the style that can be had
    explanation: list[Note] = field(default_factory=list)

    @property
    def is_short(self) -> bool:
        return self.available < self.quantity

    @property
    def is_valid(self) -> bool:
        return not self.errors and not self.personalization_errors


@dataclass
class Quote:
    """What a basket would cost and whether it can be placed; nothing is written to get one."""

    currency: str
    lines: list[QuoteLine]
    discounts: list[dict] = field(default_factory=list)  # {"promotion_id", "label", "amount", "coupon_code"}
    subtotal: Decimal = Decimal("0")
    discount_total: Decimal = Decimal("0")
    shipping_base: Decimal = Decimal("0")
    shipping_discount: Decimal = Decimal("0")
    shipping_total: Decimal = Decimal("0")
    shipping_tax: Decimal = Decimal("0")
    tax_total: Decimal = Decimal("0")
    total: Decimal = Decimal("0")
    tax_rate: Decimal = Decimal("0")
    explanation: list[Note] = field(default_factory=list)
    address_problems: dict[str, str] = field(default_factory=dict)  # address field -> message
    delivery_problems: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)  # what order_place would refuse, by field
    coupons_rejected: list[tuple[str, Note]] = field(default_factory=list)
    basket: PricedBasket | None = None

    @property
    def is_placeable(self) -> bool:
        """Whether ``order_place`` would accept it from a phone agent (no error and a valid address)."""
        return not self.errors and not self.address_problems and not self.delivery_problems
