"""One pricing service for every channel: :func:`price_order`.

``price_order`` loads what it needs (:mod:`marketing.pricing.loader`, a fixed number of
queries) and hands it to the pure engine (:func:`marketing.pricing.engine.compute`, whose
docstring states the rules). Order entry, the web store, marketplaces, POS and the simulator
all call it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from marketing.pricing.engine import allocate, compute
from marketing.pricing.loader import load_pricing_data
from marketing.pricing.types import (
    AppliedDiscount,
    CustomerContext,
    LineInput,
    NotApplied,
    Note,
    PricedLine,
    PricedOrder,
    PricedShipping,
    PricingData,
    PricingError,
    PricingRequest,
    ShippingInput,
)

__all__ = [
    "AppliedDiscount", "CustomerContext", "LineInput", "NotApplied", "Note", "PricedLine", "PricedOrder",
    "PricedShipping", "PricingData", "PricingError", "PricingRequest", "ShippingInput", "allocate", "compute",
    "load_pricing_data", "price_order",
]


def price_order(
    *,
    channel: str,
    lines: Sequence[LineInput],
    customer: CustomerContext | None = None,
    source_code: str = "",
    coupon_codes: Sequence[str] = (),
    shipping: ShippingInput | None = None,
    at: datetime | None = None,
    currency: str | None = None,
) -> PricedOrder:
    """Price an order: its lines with their discounts, the shipping and the totals, explained.

    Reads only; raises :class:`PricingError` (a ValueError, its message for the user) when the
    order cannot be priced as given. ``at`` defaults to now.
    """
    request = PricingRequest(
        channel=channel, lines=tuple(lines), at=at or timezone.now(), customer=customer or CustomerContext(),
        source_code=source_code or "", coupon_codes=tuple(coupon_codes), shipping=shipping, currency=currency,
    )
    return compute(request, load_pricing_data(request))
