"""Orders' side of pricing: marketing's engine prices the basket, orders adds tax and snapshots it.

:func:`price_basket` asks :mod:`marketing.pricing` (the one pricing service of every channel)
for prices, discounts and the shipping charge, then taxes each line after its discounts
(:mod:`orders.services.tax`). Every discount marketing gives lands on lines (an order-level
discount is shared among them), except a shipping discount, which lowers the shipping charge.
So, for the order:

    subtotal       = sum of line subtotals ((unit price + personalization) × open quantity, rounded)
    discount_total = sum of line discounts (merchandise only; shipping discounts are in ``pricing``)
    shipping_total = the shipping charge after its discounts
    tax_total      = sum of line taxes + shipping tax
    total          = subtotal - discount_total + shipping_total + tax_total
                   = sum of line totals + shipping_total + shipping tax

and each line: ``line_total = subtotal - discount_amount + tax_amount``. ``unit_price`` is the
base price and ``personalization_amount`` the add-on, both per unit.

Customer segments are evaluated here, from the customer's order history, because marketing
prices with segment codes and leaves membership to orders.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from catalog.models import Sku
from marketing.models import PromotionUsage, Segment, SourceCode
from marketing.pricing import (
    CustomerContext,
    LineInput,
    Note,
    PricedLine,
    PricedOrder,
    PricingError,
    PricingRequest,
    ShippingInput,
    compute,
    load_pricing_data,
)
from oms.money import round_money
from orders.models import Customer, Order, OrderStatus, ShippingMethod
from orders.services.tax import TaxRule

__all__ = ["PricedBasket", "PricingError", "customer_segment_codes", "price_basket", "note_text"]

ZERO = Decimal("0")
SNAPSHOT_VERSION = 1


@dataclass
class LineAmounts:
    """One priced and taxed line: a requested one, or a gift a promotion added."""

    sku: Sku
    quantity: int
    personalized: bool
    unit_price: Decimal  # base price, per unit
    personalization_amount: Decimal  # add-on, per unit
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    line_total: Decimal
    is_gift: bool
    priced: PricedLine


@dataclass
class PricedBasket:
    priced: PricedOrder
    tax_rule: TaxRule
    lines: list[LineAmounts]
    shipping_base: Decimal
    shipping_discount: Decimal
    shipping_total: Decimal
    shipping_tax: Decimal
    is_tax_exempt: bool = False
    priced_at: datetime | None = None
    extra: dict = field(default_factory=dict)

    @property
    def currency(self) -> str:
        return self.priced.currency

    @property
    def subtotal(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), ZERO)

    @property
    def discount_total(self) -> Decimal:
        return sum((line.discount for line in self.lines), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax for line in self.lines), ZERO) + self.shipping_tax

    @property
    def total(self) -> Decimal:
        return sum((line.line_total for line in self.lines), ZERO) + self.shipping_total + self.shipping_tax

    @property
    def redemptions(self) -> list[tuple[int, str]]:
        return self.priced.redemptions

    @property
    def explanation(self) -> list[Note]:
        return list(self.priced.explanation)

    def snapshot(self) -> dict:
        """What ``Order.pricing`` keeps: every amount and why, re-readable in any language."""
        priced = self.priced
        return {
            "version": SNAPSHOT_VERSION,
            "priced_at": (self.priced_at or timezone.now()).isoformat(),
            "currency": priced.currency,
            "channel": priced.channel,
            "source_code": priced.source_code,
            "source_code_applied": priced.source_code_applied,
            "price_list": priced.price_list_code,
            "lines": [
                {
                    "sku": line.sku.code, "quantity": line.quantity, "is_gift": line.is_gift,
                    "price_source": line.priced.price_source, "base_price": str(line.unit_price),
                    "personalization_addon": str(line.personalization_amount), "subtotal": str(line.subtotal),
                    "discounts": [{"promotion_id": discount.promotion_id, "label": discount.label,
                                   "amount": str(discount.amount)} for discount in line.priced.discounts],
                    "discount": str(line.discount), "tax": str(line.tax), "total": str(line.line_total),
                    "explanation": [note_json(note) for note in line.priced.explanation],
                }
                for line in self.lines
            ],
            "discounts": [
                {"promotion_id": discount.promotion_id, "label": discount.label, "kind": discount.kind,
                 "amount": str(discount.amount), "shipping_amount": str(discount.shipping_amount),
                 "coupon_code": discount.coupon_code, "source_code": discount.source_code,
                 "explanation": note_json(discount.explanation) if discount.explanation else None}
                for discount in priced.discounts
            ],
            "shipping": {
                "method": priced.shipping.method_code if priced.shipping else "",
                "base_charge": str(self.shipping_base), "discount": str(self.shipping_discount),
                "charge": str(self.shipping_total), "tax": str(self.shipping_tax),
            },
            "tax": {**self.tax_rule.as_dict(), "exempt": self.is_tax_exempt},
            "totals": {"subtotal": str(self.subtotal), "discount": str(self.discount_total),
                       "shipping": str(self.shipping_total), "tax": str(self.tax_total),
                       "total": str(self.total)},
            "explanation": [note_json(note) for note in priced.explanation],
            "not_applied": [{"promotion_id": refusal.promotion_id, "label": refusal.label,
                             "reason": note_json(refusal.reason), "requested": refusal.requested}
                            for refusal in priced.not_applied if refusal.requested],
            "coupons_applied": list(priced.coupons_applied),
            "coupons_rejected": [[code, note_json(reason)] for code, reason in priced.coupons_rejected],
            "redemptions": [[promotion_id, coupon] for promotion_id, coupon in priced.redemptions],
            **self.extra,
        }


# --- explanations: kept as message and values, shown in the reader's language ----------------


def note_json(note: Note) -> dict:
    params = {}
    for name, value in note.params:
        if isinstance(value, Note):
            params[name] = {"note": note_json(value)}
        elif isinstance(value, Decimal):
            params[name] = {"money": str(value)}
        else:
            params[name] = value if isinstance(value,
                                               (int, str, float, bool)) or value is None else str(value)
    return {"message": note.message, "params": params, "currency": note.currency}


def note_from_json(data: dict) -> Note:
    params = []
    for name, value in (data.get("params") or {}).items():
        if isinstance(value, dict) and "note" in value:
            value = note_from_json(value["note"])
        elif isinstance(value, dict) and "money" in value:
            value = Decimal(value["money"])
        params.append((name, value))
    return Note(data.get("message", ""), tuple(params), data.get("currency", ""))


def note_text(data: dict) -> str:
    """A stored explanation line as text, its amounts formatted in the current language."""
    return str(note_from_json(data))


# --- customers ----------------------------------------------------------------------------------


def customer_segment_codes(*, customer: Customer | None, at: datetime | None = None) -> frozenset[str]:
    """Codes of the active segments whose every condition the customer meets (two queries at most).

    Spend and order count are over the customer's orders that were not cancelled; the last
    order date, source codes and channels are over all of them.
    """
    if customer is None or customer.pk is None:
        return frozenset()
    with connection.cursor() as cursor:  # raw: it runs on every quote, and usually finds nothing
        cursor.execute(
            f"SELECT s.code, s.min_spend, s.min_order_count, s.last_order_within_days, c.code, s.channel "
            f"FROM {Segment._meta.db_table} s "
            f"LEFT JOIN {SourceCode._meta.db_table} c ON c.id = s.source_code_id "
            f"WHERE s.is_active")
        segments = [dict(zip(("code", "min_spend", "min_order_count", "last_order_within_days",
                              "source_code__code", "channel"), row)) for row in cursor.fetchall()]
    if not segments:
        return frozenset()
    valid = ~Q(status__in=(OrderStatus.CANCELLED, OrderStatus.DRAFT))
    history = Order.objects.filter(customer=customer).aggregate(
        spend=Sum("total", filter=valid), count=Count("pk", filter=valid), last=Max("placed_at"))
    needs_codes = any(segment["source_code__code"] or segment["channel"] for segment in segments)
    source_codes: set[str] = set()
    channels: set[str] = set()
    if needs_codes:
        for source_code, channel in Order.objects.filter(customer=customer).exclude(
                status=OrderStatus.DRAFT).values_list("source_code", "channel").distinct():
            source_codes.add(source_code)
            channels.add(channel)
    now = at or timezone.now()
    codes = set()
    for segment in segments:
        if segment["min_spend"] is not None and (history["spend"] or ZERO) < segment["min_spend"]:
            continue
        if segment["min_order_count"] is not None and history["count"] < segment["min_order_count"]:
            continue
        within = segment["last_order_within_days"]
        if within is not None and (history["last"] is None or history["last"] < now - timedelta(days=within)):
            continue
        if segment["source_code__code"] and segment["source_code__code"] not in source_codes:
            continue
        if segment["channel"] and segment["channel"] not in channels:
            continue
        codes.add(segment["code"])
    return frozenset(codes)


# --- pricing ----------------------------------------------------------------------------------------


def shipping_charge(method: ShippingMethod, units: int) -> Decimal:
    """The method's charge before discounts: base plus per item, rounded."""
    return round_money(method.base_charge + method.per_item_charge * units, method.currency)


def price_basket(
    *,
    channel: str,
    customer: Customer | None,
    items: Sequence[tuple[Sku, int, bool]],
    tax_rule: TaxRule,
    customer_type: str | None = None,
    segment_codes: frozenset[str] | None = None,
    source_code: str = "",
    coupons: Sequence[str] = (),
    shipping_method: ShippingMethod | None = None,
    at: datetime | None = None,
    own_order_reference: str | None = None,
    is_tax_exempt: bool = False,
) -> PricedBasket:
    """Price ``items`` ((sku, quantity, personalized), in order) and tax them; raises PricingError.

    ``own_order_reference`` re-prices an existing order: the promotion uses it has redeemed
    itself are not counted against it (else the last use of a limited promotion, taken by this
    very order, would refuse it its own discount).
    """
    at = at or timezone.now()
    if segment_codes is None:
        segment_codes = customer_segment_codes(customer=customer, at=at)
    context = CustomerContext(
        customer_id=customer.pk if customer is not None else None,
        customer_type=customer_type or (customer.customer_type if customer is not None
                                        else Customer.Type.RETAIL),
        segment_codes=frozenset(segment_codes),
    )
    units = sum(quantity for _sku, quantity, _personalized in items)
    shipping = None
    if shipping_method is not None:
        shipping = ShippingInput(method_code=shipping_method.code, charge=shipping_charge(shipping_method,
                                                                                          units),
                                 currency=shipping_method.currency)
    request = PricingRequest(
        channel=channel,
        lines=tuple(LineInput(sku_code=sku.code, quantity=quantity, personalized=personalized)
                    for sku, quantity, personalized in items),
        at=at, customer=context, source_code=source_code or "", coupon_codes=tuple(coupons),
        shipping=shipping,
    )
    data = load_pricing_data(request)
    if own_order_reference:
        data = _without_own_uses(data, own_order_reference, context.customer_id)
    priced = compute(request, data)

    skus_by_code = {sku.code: sku for sku, _quantity, _personalized in items}
    missing = {line.sku_code for line in priced.lines if line.sku_code not in skus_by_code}
    if missing:
        skus_by_code.update({sku.code: sku for sku in Sku.objects.filter(code__in=missing)})
    currency = priced.currency
    lines = []
    for index, line in enumerate(priced.lines):
        sku = skus_by_code[line.sku_code]
        personalized = items[index][2] if index < len(items) else False
        tax = tax_rule.line_tax(line.total, tax_class=sku.tax_class, currency=currency)
        lines.append(LineAmounts(
            sku=sku, quantity=line.quantity, personalized=personalized, unit_price=line.base_price,
            personalization_amount=line.personalization_addon, subtotal=line.subtotal,
            discount=line.discount_total, tax=tax, line_total=line.total + tax, is_gift=line.is_gift,
            priced=line,
        ))
    shipping_base = priced.shipping.base_charge if priced.shipping else round_money(ZERO, currency)
    shipping_total = priced.shipping_total if priced.shipping else round_money(ZERO, currency)
    return PricedBasket(
        priced=priced, tax_rule=tax_rule, lines=lines, shipping_base=shipping_base,
        shipping_discount=shipping_base - shipping_total, shipping_total=shipping_total,
        shipping_tax=tax_rule.shipping_tax(shipping_total, currency=currency), is_tax_exempt=is_tax_exempt,
        priced_at=at,
    )


def _without_own_uses(data, order_reference: str, customer_id: int | None):
    usages = list(PromotionUsage.objects.filter(order_reference=order_reference).values_list(
        "promotion_id", "coupon__code", "customer_id"))
    if not usages:
        return data
    promotion_ids = {promotion_id for promotion_id, _coupon, _customer in usages}
    by_customer = {promotion_id for promotion_id, _coupon, customer in usages
                   if customer is not None and customer == customer_id}
    coupon_codes = {coupon for _promotion, coupon, _customer in usages if coupon}
    promotions = tuple(
        dataclasses.replace(
            promotion,
            uses_count=max(promotion.uses_count - 1, 0),
            customer_uses=max(promotion.customer_uses - 1, 0) if promotion.id in by_customer
            else promotion.customer_uses,
        ) if promotion.id in promotion_ids else promotion
        for promotion in data.promotions
    )
    coupons = {code: dataclasses.replace(coupon, uses_count=max(coupon.uses_count - 1, 0))
               if code in coupon_codes else coupon for code, coupon in data.coupons.items()}
    return dataclasses.replace(data, promotions=promotions, coupons=coupons)
