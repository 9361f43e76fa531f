"""Re-pricing an order after a change, and redeeming its promotions' usage limits.

An order is re-priced with the pricing service at the moment it was placed (so the same
promotion windows and price-list days apply) and with the promotion uses it took itself not
counted against it. Lines keep their snapshot otherwise: a re-price changes amounts, never
the SKUs or quantities the customer asked for. Gifts follow the promotions: a gift no longer
earned is cancelled, a newly earned one is added and allocated.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from marketing.errors import UsageLimitReached
from marketing.services import promotion_redeem, promotion_release
from oms.money import round_money
from orders.models import Hold, Order, OrderEvent, OrderLine
from orders.services.allocation import allocate_lines, release_line
from orders.services.pricing import LineAmounts, PricedBasket, price_basket
from orders.services.status import event
from orders.services.tax import tax_address, tax_rule

MAX_REDEEM_ATTEMPTS = 3
AMOUNT_FIELDS = ("unit_price", "personalization_amount", "discount_amount", "tax_amount", "line_total")


def line_amounts_fields(amounts: LineAmounts) -> dict[str, Decimal]:
    return {
        "unit_price": amounts.unit_price, "personalization_amount": amounts.personalization_amount,
        "discount_amount": amounts.discount, "tax_amount": amounts.tax, "line_total": amounts.line_total,
    }


def gift_line_numbers(order: Order) -> set[int]:
    return set((order.pricing or {}).get("gift_lines", []))


def reprice_order(order: Order, *, lines: list[OrderLine], user, events: list[OrderEvent],
                  reason: str, redeem: bool = True) -> PricedBasket | None:
    """Re-price the open quantities of a locked order and write the new amounts.

    ``lines`` are all the order's lines, locked; new gift lines are appended to it. Lines with
    nothing open get zero amounts. The order's totals and ``pricing`` change in memory: the
    caller saves the order. Returns None (and changes nothing) when no line is open: the
    caller cancels the order instead.
    """
    gifts = gift_line_numbers(order)
    requested = [line for line in lines if line.quantity_open > 0 and line.line_number not in gifts]
    if not requested:
        return None
    old_total = order.total
    basket = _price_open_lines(order, requested)
    zero = round_money(Decimal("0"), basket.currency)
    for line, amounts in zip(requested, basket.lines):
        for name, value in line_amounts_fields(amounts).items():
            setattr(line, name, value)
    # Gifts: keep those still earned (same SKU and quantity), cancel the others, add the new ones.
    open_gifts = [line for line in lines if line.line_number in gifts and line.quantity_open > 0]
    new_lines: list[OrderLine] = []
    for amounts in basket.lines[len(requested):]:
        match = next((line for line in open_gifts if line.sku_id == amounts.sku.pk
                      and line.quantity_open == amounts.quantity), None)
        if match is not None:
            open_gifts.remove(match)
            for name, value in line_amounts_fields(amounts).items():
                setattr(match, name, value)
            continue
        new_lines.append(OrderLine(
            order=order, line_number=max(line.line_number for line in lines + new_lines) + 1, sku=amounts.sku,
            sku_code=amounts.sku.code, description=amounts.sku.name[:200], quantity=amounts.quantity,
            **line_amounts_fields(amounts)))
    for line in open_gifts:  # no longer earned
        release_line(line, user=user, keep=0)
        line.quantity_cancelled = line.quantity - line.quantity_shipped
        events.append(event(order, OrderEvent.Kind.EDIT,
                            _("Gift %(sku)s (line %(line)d) is no longer earned: "
                                                           "cancelled.") % {"sku": line.sku_code,
                                                                            "line": line.line_number},
                                                                            user=user))
    for line in lines:
        if line.quantity_open == 0:
            for name in AMOUNT_FIELDS:
                if name not in ("unit_price", "personalization_amount"):
                    setattr(line, name, zero)
    OrderLine.objects.bulk_update(lines, [*AMOUNT_FIELDS, "quantity_cancelled"])
    if new_lines:
        OrderLine.objects.bulk_create(new_lines)
        lines.extend(new_lines)
        for line in new_lines:
            events.append(event(order, OrderEvent.Kind.EDIT, _("Gift %(sku)s added (line %(line)d).") % {
                "sku": line.sku_code, "line": line.line_number}, user=user))
        allocate_lines(order=order, lines=new_lines, user=user, events=events)
    gifts = (gifts | {line.line_number for line in new_lines})
    _store_totals(order, basket, gifts)
    if order.total != old_total:
        events.append(event(order, OrderEvent.Kind.EDIT,
                            _("Re-priced (%(reason)s): total %(old)s → %(new)s.") % {
            "reason": reason, "old": round_money(old_total, order.currency),
            "new": round_money(order.total, order.currency)}, user=user,
            data={"old_total": str(old_total), "new_total": str(order.total)}))
    if redeem:
        redeem_promotions(order, lines=lines, basket=basket, user=user, events=events, placing=False)
    return basket


def _price_open_lines(order: Order, requested: list[OrderLine]) -> PricedBasket:
    customer = order.customer
    address = tax_address(ship_to=order.ship_to, fulfillment_type=order.fulfillment_type,
                          pickup_warehouse=order.pickup_warehouse)
    rule = tax_rule(address=address, is_exempt=customer.is_tax_exempt)
    items = [(line.sku, line.quantity_open, bool(line.personalization)) for line in requested]
    return price_basket(
        channel=order.channel, customer=customer, items=items, tax_rule=rule, source_code=order.source_code,
        coupons=order.coupons, shipping_method=order.shipping_method, at=order.placed_at or order.created_at,
        own_order_reference=order.number, is_tax_exempt=customer.is_tax_exempt)


def _store_totals(order: Order, basket: PricedBasket, gifts: set[int]) -> None:
    order.currency = basket.currency
    order.subtotal, order.discount_total = basket.subtotal, basket.discount_total
    order.shipping_total, order.tax_total, order.total = basket.shipping_total, basket.tax_total, basket.total
    redeemed = (order.pricing or {}).get("redeemed", [])
    order.pricing = basket.snapshot() | {"gift_lines": sorted(gifts), "redeemed": redeemed}


def redeem_promotions(order: Order, *, lines: list[OrderLine], basket: PricedBasket, user,
                      events: list[OrderEvent], placing: bool) -> bool:
    """Make the order's recorded promotion uses match ``basket``; re-price when one is used up.

    At placement the uses are taken; after a change, the order's old uses are given back
    first (under the promotions' row locks, so nobody takes them meanwhile) and the new set
    taken. When a promotion turns out used up by another order, the order is re-priced
    (now without it) and redeemed again, at most three times. Returns whether it re-priced.
    ``order.pricing["redeemed"]`` records the uses taken (the caller saves the order).
    """
    customer_id = order.customer_id
    repriced = False
    for _attempt in range(MAX_REDEEM_ATTEMPTS):
        wanted = sorted(set(basket.redemptions))
        had = [] if placing else sorted((order.pricing or {}).get("redeemed", []))
        if [list(item) for item in wanted] == [list(item) for item in had]:
            return repriced
        if not placing:
            promotion_release(order_reference=order.number, user=user)
        try:
            promotion_redeem(redemptions=wanted, customer_id=customer_id, order_reference=order.number,
                             user=user)
        except UsageLimitReached as error:
            events.append(event(order, OrderEvent.Kind.EDIT, _("%(reason)s Re-priced without it.") % {
                "reason": str(error)}, user=user, data={"promotion_id": error.promotion_id}))
            placing = True  # our old uses, if any, are given back now
            order.pricing = {**(order.pricing or {}), "redeemed": []}
            basket = reprice_order(order, lines=lines, user=user, events=events, redeem=False,
                                   reason=_("a promotion was used up"))
            repriced = True
            if basket is None:
                return repriced
            continue
        order.pricing = {**(order.pricing or {}), "redeemed": [list(item) for item in wanted]}
        return repriced
    raise UsageLimitReached(_("The promotions of order %(number)s kept being used up; try again.")
                            % {"number": order.number})


def order_has_open_hold(order: Order) -> bool:
    return Hold.objects.filter(order=order, released_at__isnull=True).exists()
