"""The pricing engine's inputs, the data it prices with, and what it returns.

Everything here is a plain value: orders, channel adapters and tests build the inputs from
whatever they hold, the loader fills :class:`PricingData` from the database, and the engine
never touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


class PricingError(ValueError):
    """The order cannot be priced as given; the message is for the user."""


@dataclass(frozen=True)
class Note:
    """One sentence of an explanation: translated when priced, its amounts formatted when shown.

    Formatting money is the costly part of explaining a price, so it waits until somebody reads
    the note (``str(note)``), and then uses the reader's locale.
    """

    message: str  # already translated, with %(name)s placeholders
    params: tuple[tuple[str, object], ...] = ()
    currency: str = ""

    def __str__(self) -> str:
        from django.conf import settings
        from django.utils.translation import get_language, to_locale

        from oms.money import format_money

        locale = to_locale(get_language() or settings.LANGUAGE_CODE)
        values = {}
        for name, value in self.params:
            if isinstance(value, Decimal):
                value = format_money(value, self.currency, locale)
            elif isinstance(value, Note):
                value = str(value)
            values[name] = value
        return self.message % values


# --- inputs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerContext:
    """Who is buying, as far as pricing cares. ``customer_id`` is None for a new or anonymous customer."""

    customer_id: int | None = None
    customer_type: str = "retail"  # marketing.models.CustomerType
    segment_codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LineInput:
    sku_code: str
    quantity: int
    personalized: bool = False  # adds the SKU's personalization add-on to each unit


@dataclass(frozen=True)
class ShippingInput:
    method_code: str
    charge: Decimal
    currency: str


@dataclass(frozen=True)
class PricingRequest:
    channel: str  # phone, web, pos, store, marketplace:<name>
    lines: tuple[LineInput, ...]
    at: datetime  # aware; the moment the order is priced
    customer: CustomerContext = CustomerContext()
    source_code: str = ""
    coupon_codes: tuple[str, ...] = ()
    shipping: ShippingInput | None = None
    currency: str | None = None  # None: the price list's in effect, else the default currency


# --- the data the engine prices with ------------------------------------------------------------


@dataclass(frozen=True)
class SkuInfo:
    id: int
    code: str
    name: str
    category: str
    list_price: Decimal
    currency: str
    personalization_addon: Decimal = Decimal("0")


@dataclass(frozen=True)
class PriceEntryInfo:
    price: Decimal
    effective_from: date | None = None
    effective_to: date | None = None


@dataclass(frozen=True)
class PriceListInfo:
    id: int
    code: str
    currency: str
    entries: Mapping[int, PriceEntryInfo]  # by SKU id
    effective_from: date | None = None
    effective_to: date | None = None
    customer_types: frozenset[str] = frozenset()
    is_active: bool = True


@dataclass(frozen=True)
class SourceCodeInfo:
    id: int
    code: str
    campaign_code: str
    price_list: PriceListInfo | None = None
    promotion_ids: frozenset[int] = frozenset()
    offers_free_shipping: bool = False
    free_shipping_minimum: Decimal = Decimal("0")
    active_from: date | None = None
    active_to: date | None = None


@dataclass(frozen=True)
class PromotionInfo:
    id: int
    name: str
    kind: str  # marketing.models.Promotion.Kind
    target: str = "order"  # marketing.models.Promotion.Target
    description: str = ""
    currency: str = "USD"
    percent: Decimal | None = None
    amount: Decimal | None = None
    target_sku_ids: frozenset[int] = frozenset()
    target_categories: frozenset[str] = frozenset()
    buy_quantity: int | None = None
    get_quantity: int | None = None
    get_sku_id: int | None = None
    tiers: tuple[tuple[Decimal, str, Decimal], ...] = ()  # (threshold, "percent" | "amount", value), ascending
    gift_sku_id: int | None = None
    gift_quantity: int = 1
    shipping_methods: frozenset[str] = frozenset()
    is_active: bool = True
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    channels: frozenset[str] = frozenset()
    customer_types: frozenset[str] = frozenset()
    segment_codes: frozenset[str] = frozenset()
    source_code_ids: frozenset[int] = frozenset()
    min_subtotal: Decimal | None = None
    include_sku_ids: frozenset[int] = frozenset()
    exclude_sku_ids: frozenset[int] = frozenset()
    include_categories: frozenset[str] = frozenset()
    exclude_categories: frozenset[str] = frozenset()
    requires_coupon: bool = False
    max_uses: int | None = None
    uses_count: int = 0
    max_uses_per_customer: int | None = None
    customer_uses: int = 0  # by the customer being priced
    priority: int = 100
    is_exclusive: bool = False


@dataclass(frozen=True)
class CouponInfo:
    code: str
    promotion_id: int
    is_active: bool = True
    max_uses: int | None = None
    uses_count: int = 0


@dataclass(frozen=True)
class PricingData:
    """Everything :func:`marketing.pricing.engine.compute` needs besides the request."""

    skus: Mapping[str, SkuInfo]  # by code; the basket's SKUs and the promotions' gift and free SKUs
    today: date  # the shop's calendar day at request.at: windows in days compare with it
    default_currency: str
    source_code: SourceCodeInfo | None = None
    promotions: tuple[PromotionInfo, ...] = ()
    coupons: Mapping[str, CouponInfo] = field(default_factory=dict)  # by upper-case code


# --- what the engine returns ----------------------------------------------------------------------


@dataclass
class LineDiscount:
    promotion_id: int | None
    label: str
    amount: Decimal


@dataclass
class PricedLine:
    index: int
    sku_code: str
    sku_name: str
    quantity: int
    base_price: Decimal  # per unit, from the price list or the list price
    price_source: str  # "price_list" | "list_price"
    personalization_addon: Decimal  # per unit
    unit_price: Decimal  # base price + add-on
    subtotal: Decimal  # unit price × quantity, rounded
    discounts: list[LineDiscount] = field(default_factory=list)
    discount_total: Decimal = Decimal("0")
    total: Decimal = Decimal("0")  # subtotal - discount total; never negative
    explanation: list[Note] = field(default_factory=list)
    is_gift: bool = False


@dataclass
class AppliedDiscount:
    """One promotion's (or the source code's) effect on the order."""

    promotion_id: int | None  # None: the source code's free-shipping offer
    label: str
    kind: str
    amount: Decimal  # merchandise and shipping together
    line_amounts: dict[int, Decimal] = field(default_factory=dict)  # line index -> amount
    shipping_amount: Decimal = Decimal("0")
    coupon_code: str = ""
    source_code: str = ""
    explanation: Note | None = None


@dataclass
class NotApplied:
    promotion_id: int | None
    label: str
    reason: Note
    requested: bool = False  # the customer asked for it: a coupon, or a promotion of the source code


@dataclass
class PricedShipping:
    method_code: str
    base_charge: Decimal
    discount: Decimal
    charge: Decimal


@dataclass
class PricedOrder:
    channel: str
    currency: str
    source_code: str
    source_code_applied: bool
    price_list_code: str
    lines: list[PricedLine]
    discounts: list[AppliedDiscount]
    shipping: PricedShipping | None
    merchandise_subtotal: Decimal  # sum of line subtotals
    merchandise_discount: Decimal  # sum of line discounts
    merchandise_total: Decimal  # sum of line totals
    shipping_total: Decimal
    discount_total: Decimal  # merchandise and shipping discounts
    total: Decimal  # merchandise total + shipping total
    explanation: list[Note]
    not_applied: list[NotApplied]
    coupons_applied: list[str]
    coupons_rejected: list[tuple[str, Note]]  # (code, reason)

    @property
    def redemptions(self) -> list[tuple[int, str]]:
        """(promotion id, coupon code or "") for each applied promotion: what order placement redeems."""
        return [(discount.promotion_id, discount.coupon_code) for discount in self.discounts
                if discount.promotion_id is not None]
