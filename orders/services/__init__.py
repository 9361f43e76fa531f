"""Order services: every write of orders, and the reads order entry needs.

Entry (:mod:`.entry`): :func:`basket_validate` (an immutable :class:`ValidatedBasket`),
:func:`order_quote`, :func:`order_place`. Allocation
(:mod:`.allocation`): :func:`backorders_allocate`. Lifecycle (:mod:`.lifecycle`):
:func:`order_transition`, :func:`order_hold`, :func:`order_release_hold`, :func:`order_cancel`,
:func:`order_cancel_lines`, :func:`order_substitute`, :func:`order_edit`. Customers
(:mod:`.customers`) are imported from their module.
"""

from orders.availability import SkuAvailability, expected_date, expected_dates, sku_availability
from orders.services.allocation import backorders_allocate, backorders_sweep, line_reference
from orders.services.entry import (
    basket_refusals,
    basket_validate,
    is_staff_channel,
    lines_validate,
    order_place,
    order_quote,
)
from orders.services.errors import OrderError
from orders.services.lifecycle import (
    can_release_hold,
    order_cancel,
    order_cancel_lines,
    order_edit,
    order_hold,
    order_release_hold,
    order_substitute,
    order_transition,
)
from orders.services.pricing import note_text
from orders.services.status import (
    BACKORDER_STATUSES,
    CANCELLABLE_STATUSES,
    HOLDABLE_STATUSES,
    PRE_FULFILLMENT_STATUSES,
    TRANSITIONS,
    IllegalTransition,
)
from orders.services.types import LineRequest, Quote, QuoteLine, ValidatedBasket, ValidatedLine, ValidatedLines

__all__ = [
    "BACKORDER_STATUSES", "CANCELLABLE_STATUSES", "HOLDABLE_STATUSES", "IllegalTransition", "LineRequest",
    "OrderError", "PRE_FULFILLMENT_STATUSES", "Quote", "QuoteLine", "SkuAvailability", "TRANSITIONS",
    "ValidatedBasket", "ValidatedLine", "ValidatedLines", "backorders_allocate", "backorders_sweep",
    "basket_refusals", "basket_validate", "can_release_hold", "expected_date", "expected_dates",
    "is_staff_channel", "line_reference", "lines_validate", "note_text", "order_cancel", "order_cancel_lines", "order_edit",
    "order_hold", "order_place", "order_quote", "order_release_hold", "order_substitute", "order_transition",
    "sku_availability",
]
