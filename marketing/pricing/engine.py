"""The pricing engine: a pure, deterministic function of a request and the data loaded for it.

See :func:`compute` for the rules. Nothing here reads the database, the clock or a random
source, so the same request and data always give the same priced order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from marketing.pricing.types import (
    AppliedDiscount,
    LineDiscount,
    NotApplied,
    Note,
    PricedLine,
    PricedOrder,
    PricedShipping,
    PricingData,
    PricingError,
    PricingRequest,
    PromotionInfo,
    SkuInfo,
)
from oms.money import minor_unit_exponent, round_money

ZERO = Decimal("0")
HUNDRED = Decimal("100")

# Promotion kinds and targets (the values of marketing.models.Promotion.Kind / .Target).
PERCENT_OFF, AMOUNT_OFF, FREE_SHIPPING = "percent_off", "amount_off", "free_shipping"
BUY_X_GET_Y, TIERED, FREE_GIFT = "buy_x_get_y", "tiered", "free_gift"
TARGET_ORDER, TARGET_LINE, TARGET_CATEGORY, TARGET_SKU = "order", "line", "category", "sku"

# Messages written once per line or per line and promotion, marked here rather than in the loops.
LINE_DISCOUNT = gettext_noop("%(promotion)s: %(amount)s off.")
LINE_PRICE_LIST = gettext_noop("Price list %(code)s: %(price)s each (list price %(list_price)s).")
LINE_LIST_PRICE = gettext_noop("List price: %(price)s each.")
LINE_PERSONALIZATION = gettext_noop("Personalization: %(addon)s more each.")
LINE_SUBTOTAL = gettext_noop("%(quantity)s × %(unit_price)s = %(subtotal)s.")


def compute(request: PricingRequest, data: PricingData) -> PricedOrder:
    """Price ``request`` with ``data``.

    **Base prices.** A line's unit price is the base price plus, when the line is personalized,
    the SKU's personalization add-on. The base price comes from the source code's price list
    when the source code is active on the shop's day, the list is active, in effect that day and
    serves the customer's type, and it has an entry for the SKU in effect that day; otherwise it
    is the SKU's list price. A line's subtotal is ``round_money(unit price × quantity)``.

    **Promotions** are taken in (priority, id) order. One applies when all its conditions hold:
    active and inside its window; the channel is one of its channels (``marketplace`` matches
    every ``marketplace:<name>``; none listed means all); when it is tied to source codes, the
    order's active source code is one of them; the customer's type and one of their segments are
    among those it names; a valid coupon was given when it requires one; its total and
    per-customer uses are not used up; at least one line is *eligible* (its SKU or category is
    among the includes, when there are any, and not among the excludes); and the eligible lines,
    after the discounts already applied, reach its minimum subtotal. Money conditions and
    amounts are in the promotion's currency, so a promotion with any of them applies only to
    orders in that currency.

    **Exclusivity.** An exclusive promotion applies only when no promotion before it has
    applied, and once it applies no promotion after it is considered. A stackable promotion
    applies unless an exclusive one has. The source code's free-shipping offer is a term of the
    source code, like its price list, not a promotion: it applies after the promotions, whatever
    they were, when the merchandise total reaches its minimum.

    **Amounts.** Each promotion discounts what is left of the lines (or of the shipping) after
    the promotions before it, so no discount exceeds what it discounts and no line or total goes
    below zero. Percentages and amounts are rounded with :func:`oms.money.round_money`. A
    discount on several lines at once (off the order, tiered spend) is shared among them in
    proportion to what is left of each, by the largest-remainder method in minor units, so the
    line amounts add up exactly to the discount, and the line totals to the order's merchandise
    total. Free gifts are added as lines priced like any other and discounted in full.

    Raises :class:`PricingError` for an unknown SKU or source code, a quantity below one, or an
    amount in a currency other than the order's.
    """
    return _Pricer(request, data).run()


def allocate(total: Decimal, weights: list[Decimal], currency: str) -> list[Decimal]:
    """Split ``total`` among ``weights`` in proportion, in whole minor units, by largest remainder.

    The shares add up to ``total`` exactly; ties go to the earlier weight. When ``total`` does not
    exceed the sum of the weights, no share exceeds its weight. All amounts are on the currency's
    minor-unit grid.
    """
    unit = minor_unit_exponent(currency)
    total_units = int(total / unit)
    weight_units = [int(weight / unit) for weight in weights]
    weight_sum = sum(weight_units)
    if total_units == 0 or weight_sum == 0:
        return [ZERO * unit for _weight in weights]
    shares = [total_units * weight // weight_sum for weight in weight_units]
    remainders = [total_units * weight % weight_sum for weight in weight_units]
    leftover = total_units - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda position: (-remainders[position], position))
    for index in by_remainder[:leftover]:
        shares[index] += 1
    return [Decimal(share) * unit for share in shares]


def _within(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or start <= day) and (end is None or day <= end)


def channel_matches(channel: str, channels: Iterable[str]) -> bool:
    """Whether ``channel`` is among ``channels``; none means all, ``marketplace`` means any marketplace."""
    channels = frozenset(channels)
    if not channels or channel in channels:
        return True
    return channel.startswith("marketplace:") and "marketplace" in channels


@dataclass
class _Benefit:
    line_amounts: dict[int, Decimal] = field(default_factory=dict)
    shipping_amount: Decimal = ZERO
    gift_line: PricedLine | None = None
    detail: Note | None = None

    @property
    def total(self) -> Decimal:
        gift = self.gift_line.subtotal if self.gift_line else ZERO
        return sum(self.line_amounts.values(), ZERO) + self.shipping_amount + gift


class _Refused(Exception):
    """A promotion does not apply; carries the reason."""

    def __init__(self, reason: Note):
        self.reason = reason


class _Pricer:
    def __init__(self, request: PricingRequest, data: PricingData):
        self.request = request
        self.data = data
        self.skus_by_id = {sku.id: sku for sku in data.skus.values()}
        self.lines: list[PricedLine] = []
        self.line_skus: list[SkuInfo] = []
        self.remaining: list[Decimal] = []
        self.discounts: list[AppliedDiscount] = []
        self.not_applied: list[NotApplied] = []
        self.explanation: list[Note] = []
        self.coupons_rejected: list[tuple[str, Note]] = []
        self.coupon_by_promotion: dict[int, str] = {}
        self.translations: dict[str, str] = {}

    def note(self, message: str, **params) -> Note:
        """A note in the active language. ``message`` is marked with gettext_noop and translated here,
        once per message and pricing: translating is a large part of the engine's time otherwise."""
        translated = self.translations.get(message)
        if translated is None:
            translated = self.translations[message] = _(message)
        return Note(translated, tuple(params.items()), self.currency)

    # --- the steps -----------------------------------------------------------------------------

    def run(self) -> PricedOrder:
        self._resolve_source_code()
        self._price_lines()
        self._price_shipping()
        self._check_coupons()
        self._apply_promotions()
        self._apply_source_code_shipping()
        return self._result()

    def _resolve_source_code(self) -> None:
        request, data = self.request, self.data
        wanted = request.source_code.strip().upper()
        source = data.source_code
        if wanted and (source is None or source.code != wanted):
            raise PricingError(_("There is no source code %(code)s.") % {"code": wanted})
        self.source = source if wanted else None
        self.source_active = bool(self.source
                                  and _within(data.today, self.source.active_from, self.source.active_to))
        price_list = self.source.price_list if self.source_active else None
        price_list_note = None
        customer_type = request.customer.customer_type
        if price_list is not None:
            in_effect = _within(data.today, price_list.effective_from, price_list.effective_to)
            if not price_list.is_active or not in_effect:
                price_list_note = (
                    gettext_noop("Price list %(code)s is not in effect on %(day)s: list prices apply."),
                    {"code": price_list.code})
                price_list = None
            elif price_list.customer_types and customer_type not in price_list.customer_types:
                price_list_note = (
                    gettext_noop("Price list %(code)s does not serve %(type)s customers: list prices apply."),
                    {"code": price_list.code, "type": customer_type})
                price_list = None
        self.currency = request.currency or (price_list.currency if price_list else data.default_currency)
        if price_list is not None and price_list.currency != self.currency:
            price_list_note = (
                gettext_noop("Price list %(code)s is in %(list_currency)s, the order in %(currency)s: "
                             "list prices apply."),
                {"code": price_list.code, "list_currency": price_list.currency, "currency": self.currency})
            price_list = None
        self.price_list = price_list
        if self.source is not None:
            if self.source_active:
                self.explanation.append(self.note(
                    gettext_noop("Source code %(code)s of campaign %(campaign)s."),
                    code=self.source.code, campaign=self.source.campaign_code))
            else:
                self.explanation.append(self.note(
                    gettext_noop("Source code %(code)s is not active on %(day)s: "
                                 "it brings no prices or offers."),
                    code=self.source.code, day=data.today.isoformat()))
        if price_list_note is not None:
            message, params = price_list_note
            self.explanation.append(self.note(message, day=data.today.isoformat(), **params))

    def _base_price(self, sku: SkuInfo) -> tuple[Decimal, str]:
        if self.price_list is not None:
            entry = self.price_list.entries.get(sku.id)
            if entry is not None and _within(self.data.today, entry.effective_from, entry.effective_to):
                return entry.price, "price_list"
        if sku.currency != self.currency:
            raise PricingError(
                _("%(sku)s is priced in %(sku_currency)s and has no price in %(currency)s.")
                % {"sku": sku.code, "sku_currency": sku.currency, "currency": self.currency}
            )
        return sku.list_price, "list_price"

    def _new_line(self, sku: SkuInfo, quantity: int, personalized: bool) -> PricedLine:
        base, source = self._base_price(sku)
        addon = sku.personalization_addon if personalized else ZERO
        unit_price = base + addon
        line = PricedLine(
            index=len(self.lines), sku_code=sku.code, sku_name=sku.name, quantity=quantity, base_price=base,
            price_source=source, personalization_addon=addon, unit_price=unit_price,
            subtotal=round_money(unit_price * quantity, self.currency),
        )
        if source == "price_list":
            line.explanation.append(self.note(LINE_PRICE_LIST, code=self.price_list.code, price=base,
                                              list_price=sku.list_price))
        else:
            line.explanation.append(self.note(LINE_LIST_PRICE, price=base))
        if addon:
            line.explanation.append(self.note(LINE_PERSONALIZATION, addon=addon))
        line.explanation.append(self.note(LINE_SUBTOTAL, quantity=quantity, unit_price=unit_price,
                                          subtotal=line.subtotal))
        self.lines.append(line)
        self.line_skus.append(sku)
        self.remaining.append(line.subtotal)
        return line

    def _price_lines(self) -> None:
        known = self.data.skus
        unknown = sorted({line.sku_code for line in self.request.lines if line.sku_code not in known})
        if unknown:
            raise PricingError(_("Unknown SKU: %(codes)s.") % {"codes": ", ".join(unknown)})
        for line in self.request.lines:
            if line.quantity < 1:
                raise PricingError(_("%(sku)s: the quantity must be at least 1.") % {"sku": line.sku_code})
            self._new_line(self.data.skus[line.sku_code], line.quantity, line.personalized)

    def _price_shipping(self) -> None:
        shipping = self.request.shipping
        self.shipping_remaining = ZERO
        if shipping is None:
            return
        if shipping.currency != self.currency:
            raise PricingError(
                _("The shipping charge is in %(shipping_currency)s, the order in %(currency)s.")
                % {"shipping_currency": shipping.currency, "currency": self.currency})
        charge = round_money(shipping.charge, self.currency)
        if charge < 0:
            raise PricingError(_("The shipping charge cannot be negative."))
        self.shipping_base = self.shipping_remaining = charge

    def _check_coupons(self) -> None:
        codes = sorted({code.strip().upper() for code in self.request.coupon_codes if code.strip()})
        for code in codes:
            coupon = self.data.coupons.get(code)
            if coupon is None:
                reason = self.note(gettext_noop("There is no such coupon."))
            elif not coupon.is_active:
                reason = self.note(gettext_noop("This coupon is no longer valid."))
            elif coupon.max_uses is not None and coupon.uses_count >= coupon.max_uses:
                reason = self.note(gettext_noop("This coupon has been used up."))
            elif coupon.promotion_id in self.coupon_by_promotion:
                reason = self.note(gettext_noop("Coupon %(other)s is already given for the same promotion."),
                                   other=self.coupon_by_promotion[coupon.promotion_id])
            else:
                self.coupon_by_promotion[coupon.promotion_id] = code
                continue
            self.coupons_rejected.append((code, reason))

    # --- promotions ------------------------------------------------------------------------------

    def _apply_promotions(self) -> None:
        requested = set(self.coupon_by_promotion)
        if self.source_active:
            requested |= self.source.promotion_ids
        promotions = sorted(self.data.promotions, key=lambda promotion: (promotion.priority, promotion.id))
        seen_coupon_promotions: set[int] = set()
        applied_any = False
        stopped_by: PromotionInfo | None = None
        for promotion in promotions:
            seen_coupon_promotions.add(promotion.id)
            is_requested = promotion.id in requested
            try:
                if stopped_by is not None:
                    raise _Refused(self.note(gettext_noop("Exclusive promotion %(name)s applied before it."),
                                             name=stopped_by.name))
                self._check_conditions(promotion)
                eligible = self._eligible_lines(promotion)
                if promotion.is_exclusive and applied_any:
                    raise _Refused(self.note(
                        gettext_noop("It is exclusive and another promotion applied before it.")))
                benefit = self._benefit(promotion, eligible)
            except _Refused as refusal:
                self.not_applied.append(
                    NotApplied(promotion.id, promotion.name, refusal.reason, is_requested))
                continue
            self._record(promotion, benefit)
            applied_any = True
            if promotion.is_exclusive:
                stopped_by = promotion
        for promotion_id, code in sorted(self.coupon_by_promotion.items()):
            if promotion_id not in seen_coupon_promotions:
                # The loader found no live promotion for the coupon: inactive or outside its window.
                reason = self.note(gettext_noop("Its promotion is not running now."))
                self.coupons_rejected.append((code, reason))

    def _check_conditions(self, promotion: PromotionInfo) -> None:
        request, customer = self.request, self.request.customer
        if not promotion.is_active:
            raise _Refused(self.note(gettext_noop("It is not active.")))
        if promotion.starts_at is not None and request.at < promotion.starts_at:
            raise _Refused(self.note(gettext_noop("It has not started yet.")))
        if promotion.ends_at is not None and request.at >= promotion.ends_at:
            raise _Refused(self.note(gettext_noop("It has ended.")))
        if not channel_matches(request.channel, promotion.channels):
            raise _Refused(self.note(gettext_noop("It does not run on the %(channel)s channel."),
                                     channel=request.channel))
        has_its_source_code = self.source_active and self.source.id in promotion.source_code_ids
        if promotion.source_code_ids and not has_its_source_code:
            raise _Refused(self.note(gettext_noop("It needs one of its source codes.")))
        if promotion.customer_types and customer.customer_type not in promotion.customer_types:
            raise _Refused(self.note(gettext_noop("It is not for %(type)s customers."),
                                     type=customer.customer_type))
        if promotion.segment_codes and not (promotion.segment_codes & customer.segment_codes):
            raise _Refused(self.note(gettext_noop("The customer is in none of its segments.")))
        if promotion.requires_coupon and promotion.id not in self.coupon_by_promotion:
            raise _Refused(self.note(gettext_noop("It needs a coupon.")))
        # Amounts, minimums and spend thresholds are in the promotion's currency; percentages are in none.
        uses_money = promotion.min_subtotal is not None or promotion.kind in (AMOUNT_OFF, TIERED)
        if uses_money and promotion.currency != self.currency:
            raise _Refused(self.note(
                gettext_noop("It is set in %(promotion_currency)s, the order is in %(currency)s."),
                promotion_currency=promotion.currency, currency=self.currency))
        if promotion.max_uses is not None and promotion.uses_count >= promotion.max_uses:
            raise _Refused(self.note(gettext_noop("It has been used up.")))
        if (customer.customer_id is not None and promotion.max_uses_per_customer is not None
                and promotion.customer_uses >= promotion.max_uses_per_customer):
            raise _Refused(self.note(gettext_noop("This customer has used it %(count)s times already."),
                                     count=promotion.customer_uses))

    def _eligible_lines(self, promotion: PromotionInfo) -> list[int]:
        has_includes = bool(promotion.include_sku_ids or promotion.include_categories)
        include_ids, include_categories = promotion.include_sku_ids, promotion.include_categories
        exclude_ids, exclude_categories = promotion.exclude_sku_ids, promotion.exclude_categories
        eligible = []
        for index, line in enumerate(self.lines):
            if line.is_gift:
                continue
            sku = self.line_skus[index]
            sku_id, category = sku.id, sku.category
            if has_includes and sku_id not in include_ids and category not in include_categories:
                continue
            if sku_id in exclude_ids or category in exclude_categories:
                continue
            eligible.append(index)
        if not eligible:
            raise _Refused(self.note(gettext_noop("No line of the order qualifies.")))
        if promotion.min_subtotal is not None:
            eligible_amount = sum((self.remaining[index] for index in eligible), ZERO)
            if eligible_amount < promotion.min_subtotal:
                raise _Refused(self.note(
                    gettext_noop("The qualifying lines come to %(amount)s, below its minimum %(minimum)s."),
                    amount=eligible_amount, minimum=promotion.min_subtotal))
        return eligible

    def _benefit(self, promotion: PromotionInfo, eligible: list[int]) -> _Benefit:
        if promotion.kind in (PERCENT_OFF, AMOUNT_OFF):
            benefit = self._percent_or_amount(promotion, eligible)
        elif promotion.kind == FREE_SHIPPING:
            benefit = self._free_shipping(promotion)
        elif promotion.kind == BUY_X_GET_Y:
            benefit = self._buy_x_get_y(promotion, eligible)
        elif promotion.kind == TIERED:
            benefit = self._tiered(promotion, eligible)
        elif promotion.kind == FREE_GIFT:
            benefit = self._free_gift(promotion)
        else:
            raise _Refused(self.note(gettext_noop("Its kind %(kind)s is unknown."), kind=promotion.kind))
        if benefit.gift_line is None and benefit.total <= 0:
            raise _Refused(self.note(gettext_noop("There is nothing left for it to discount.")))
        return benefit

    def _percent_or_amount(self, promotion: PromotionInfo, eligible: list[int]) -> _Benefit:
        is_percent = promotion.kind == PERCENT_OFF
        value = promotion.percent if is_percent else promotion.amount
        if value is None or value <= 0:
            raise _Refused(self.note(gettext_noop("It gives nothing off.")))
        if promotion.target == TARGET_ORDER:
            base = sum((self.remaining[index] for index in eligible), ZERO)
            wanted = round_money(base * value / HUNDRED, self.currency) if is_percent \
                else min(round_money(value, self.currency), base)
            shares = allocate(wanted, [self.remaining[index] for index in eligible], self.currency)
            if is_percent:
                detail = self.note(gettext_noop("%(percent)s%% off the order"), percent=_percent(value))
            else:
                detail = self.note(gettext_noop("%(amount)s off the order"), amount=value)
            return _Benefit(dict(zip(eligible, shares, strict=True)), detail=detail)
        if promotion.target == TARGET_CATEGORY:
            categories = promotion.target_categories
            targets = [index for index in eligible if self.line_skus[index].category in categories]
        elif promotion.target == TARGET_SKU:
            targets = [index for index in eligible if self.line_skus[index].id in promotion.target_sku_ids]
        else:
            targets = eligible
        if not targets:
            raise _Refused(self.note(gettext_noop("No line of the order is one it discounts.")))
        amounts = {}
        for index in targets:
            if is_percent:
                amounts[index] = round_money(self.remaining[index] * value / HUNDRED, self.currency)
            else:
                amounts[index] = min(self.remaining[index],
                                     round_money(value * self.lines[index].quantity, self.currency))
        if is_percent:
            detail = self.note(gettext_noop("%(percent)s%% off each line it covers"), percent=_percent(value))
        else:
            detail = self.note(gettext_noop("%(amount)s off each unit it covers"), amount=value)
        return _Benefit(amounts, detail=detail)

    def _free_shipping(self, promotion: PromotionInfo) -> _Benefit:
        shipping = self.request.shipping
        if shipping is None or self.shipping_remaining <= 0:
            raise _Refused(self.note(gettext_noop("There is no shipping charge to waive.")))
        if promotion.shipping_methods and shipping.method_code not in promotion.shipping_methods:
            raise _Refused(self.note(gettext_noop("It does not cover the %(method)s shipping method."),
                                     method=shipping.method_code))
        detail = self.note(gettext_noop("free shipping"))
        return _Benefit(shipping_amount=self.shipping_remaining, detail=detail)

    def _units_free(self, lines: list[int], free_count: int) -> dict[int, Decimal]:
        """Discounts that make ``free_count`` units free, cheapest units first (ties: earlier line)."""
        amounts: dict[int, Decimal] = {}
        def unit_price(index: int) -> tuple[Decimal, int]:
            return self.remaining[index] / self.lines[index].quantity, index

        by_price = sorted(lines, key=unit_price)
        for index in by_price:
            if free_count <= 0:
                break
            quantity = self.lines[index].quantity
            units = min(quantity, free_count)
            free_count -= units
            amount = self.remaining[index] if units == quantity else \
                round_money(self.remaining[index] * units / quantity, self.currency)
            if amount > 0:
                amounts[index] = amount
        return amounts

    def _buy_x_get_y(self, promotion: PromotionInfo, eligible: list[int]) -> _Benefit:
        buy, get = promotion.buy_quantity or 0, promotion.get_quantity or 0
        if buy < 1 or get < 1:
            raise _Refused(self.note(gettext_noop("It gives nothing off.")))
        if promotion.get_sku_id is None:
            units = sum(self.lines[index].quantity for index in eligible)
            free_count = units // (buy + get) * get
            if free_count == 0:
                raise _Refused(self.note(
                    gettext_noop("It needs %(count)s qualifying units; the order has %(units)s."),
                    count=buy + get, units=units))
            detail = self.note(gettext_noop("buy %(buy)s, get %(get)s free (the cheapest)"), buy=buy, get=get)
            return _Benefit(self._units_free(eligible, free_count), detail=detail)
        get_lines = [index for index, line in enumerate(self.lines)
                     if not line.is_gift and self.line_skus[index].id == promotion.get_sku_id]
        get_units = sum(self.lines[index].quantity for index in get_lines)
        buy_units = sum(self.lines[index].quantity for index in eligible if index not in get_lines)
        if any(index in eligible for index in get_lines):
            free_count = min(get_units, (buy_units + get_units) // (buy + get) * get)
        else:
            free_count = min(get_units, buy_units // buy * get)
        free_sku = self.skus_by_id.get(promotion.get_sku_id)
        free_code = free_sku.code if free_sku else str(promotion.get_sku_id)
        if free_count == 0:
            if get_units == 0 and buy_units >= buy:
                raise _Refused(self.note(gettext_noop("Add %(get)s × %(sku)s to the order: it comes free."),
                                         get=get, sku=free_code))
            raise _Refused(self.note(
                gettext_noop("It needs %(buy)s qualifying units; the order has %(units)s."),
                buy=buy, units=buy_units))
        detail = self.note(gettext_noop("buy %(buy)s, get %(get)s × %(sku)s free"),
                           buy=buy, get=get, sku=free_code)
        return _Benefit(self._units_free(get_lines, free_count), detail=detail)

    def _tiered(self, promotion: PromotionInfo, eligible: list[int]) -> _Benefit:
        base = sum((self.remaining[index] for index in eligible), ZERO)
        reached = [tier for tier in promotion.tiers if tier[0] <= base]
        if not reached:
            lowest = promotion.tiers[0][0] if promotion.tiers else ZERO
            raise _Refused(self.note(
                gettext_noop("The qualifying lines come to %(amount)s, below its first tier %(tier)s."),
                amount=base, tier=lowest))
        threshold, kind, value = reached[-1]
        if kind == "percent":
            wanted = round_money(base * value / HUNDRED, self.currency)
            detail = self.note(gettext_noop("spend %(threshold)s or more: %(percent)s%% off"),
                               threshold=threshold, percent=_percent(value))
        else:
            wanted = min(round_money(value, self.currency), base)
            detail = self.note(gettext_noop("spend %(threshold)s or more: %(amount)s off"),
                               threshold=threshold, amount=value)
        shares = allocate(wanted, [self.remaining[index] for index in eligible], self.currency)
        return _Benefit(dict(zip(eligible, shares, strict=True)), detail=detail)

    def _free_gift(self, promotion: PromotionInfo) -> _Benefit:
        sku = self.skus_by_id.get(promotion.gift_sku_id) if promotion.gift_sku_id is not None else None
        if sku is None or promotion.gift_quantity < 1:
            raise _Refused(self.note(gettext_noop("Its gift is not available.")))
        try:
            base, source = self._base_price(sku)
        except PricingError:
            raise _Refused(self.note(gettext_noop("Its gift %(sku)s has no price in %(currency)s."),
                                     sku=sku.code, currency=self.currency)) from None
        subtotal = round_money(base * promotion.gift_quantity, self.currency)
        line = PricedLine(
            index=len(self.lines), sku_code=sku.code, sku_name=sku.name, quantity=promotion.gift_quantity,
            base_price=base, price_source=source, personalization_addon=ZERO, unit_price=base,
            subtotal=subtotal, is_gift=True,
        )
        return _Benefit(gift_line=line, detail=self.note(gettext_noop("%(quantity)s × %(sku)s free"),
                                                         quantity=promotion.gift_quantity, sku=sku.code))

    def _record(self, promotion: PromotionInfo, benefit: _Benefit) -> None:
        label = promotion.name
        line_amounts = {index: amount for index, amount in sorted(benefit.line_amounts.items()) if amount > 0}
        if benefit.gift_line is not None:
            gift = benefit.gift_line
            gift.explanation.append(self.note(gettext_noop("Free gift of %(promotion)s; worth %(subtotal)s."),
                                              promotion=label, subtotal=gift.subtotal))
            self.lines.append(gift)
            self.line_skus.append(self.skus_by_id[promotion.gift_sku_id])
            self.remaining.append(gift.subtotal)
            if gift.subtotal > 0:
                line_amounts[gift.index] = gift.subtotal
        for index, amount in line_amounts.items():
            assert amount <= self.remaining[index], "a discount never exceeds what it discounts"
            self.remaining[index] -= amount
            self.lines[index].discounts.append(LineDiscount(promotion.id, label, amount))
            self.lines[index].explanation.append(self.note(LINE_DISCOUNT, promotion=label, amount=amount))
        if benefit.shipping_amount:
            assert benefit.shipping_amount <= self.shipping_remaining
            self.shipping_remaining -= benefit.shipping_amount
        amount = sum(line_amounts.values(), ZERO) + benefit.shipping_amount
        self.discounts.append(AppliedDiscount(
            promotion_id=promotion.id, label=label, kind=promotion.kind, amount=amount,
            line_amounts=line_amounts, shipping_amount=benefit.shipping_amount,
            coupon_code=self.coupon_by_promotion.get(promotion.id, ""),
            explanation=self.note(gettext_noop("%(promotion)s: %(detail)s, %(amount)s off."),
                                  promotion=label, detail=benefit.detail, amount=amount),
        ))

    def _apply_source_code_shipping(self) -> None:
        source = self.source
        if not (self.source_active and source.offers_free_shipping and self.request.shipping is not None):
            return
        if self.shipping_remaining <= 0:
            return
        merchandise = sum(self.remaining, ZERO)
        if merchandise < source.free_shipping_minimum:
            self.explanation.append(self.note(
                gettext_noop("Source code %(code)s ships free from %(minimum)s; "
                             "the merchandise comes to %(amount)s."),
                code=source.code, minimum=source.free_shipping_minimum, amount=merchandise))
            return
        amount = self.shipping_remaining
        self.shipping_remaining = ZERO
        label = _("Source code %(code)s: free shipping") % {"code": source.code}
        self.discounts.append(AppliedDiscount(
            promotion_id=None, label=label, kind=FREE_SHIPPING, amount=amount, shipping_amount=amount,
            source_code=source.code,
            explanation=self.note(gettext_noop("%(label)s, %(amount)s off."), label=label, amount=amount),
        ))

    # --- the result --------------------------------------------------------------------------------

    def _result(self) -> PricedOrder:
        for index, line in enumerate(self.lines):
            line.discount_total = sum((discount.amount for discount in line.discounts), ZERO)
            line.total = line.subtotal - line.discount_total
            assert line.total == self.remaining[index] and line.total >= 0
        merchandise_subtotal = sum((line.subtotal for line in self.lines), ZERO)
        merchandise_discount = sum((line.discount_total for line in self.lines), ZERO)
        merchandise_total = sum((line.total for line in self.lines), ZERO)
        shipping = None
        shipping_total = ZERO
        if self.request.shipping is not None:
            shipping_total = self.shipping_remaining
            shipping = PricedShipping(self.request.shipping.method_code, self.shipping_base,
                                      self.shipping_base - shipping_total, shipping_total)
        total = merchandise_total + shipping_total
        explanation = list(self.explanation)
        explanation.extend(discount.explanation for discount in self.discounts)
        for code, reason in self.coupons_rejected:
            explanation.append(self.note(gettext_noop("Coupon %(code)s: %(reason)s"),
                                         code=code, reason=reason))
        for refusal in self.not_applied:
            if refusal.requested:
                explanation.append(self.note(gettext_noop("%(promotion)s did not apply: %(reason)s"),
                                             promotion=refusal.label, reason=refusal.reason))
        if shipping is not None:
            explanation.append(self.note(
                gettext_noop("Shipping (%(method)s): %(base)s, %(discount)s off, %(charge)s to pay."),
                method=shipping.method_code, base=shipping.base_charge, discount=shipping.discount,
                charge=shipping.charge))
        explanation.append(self.note(
            gettext_noop("Total %(total)s: merchandise %(merchandise)s and shipping %(shipping)s."),
            total=total, merchandise=merchandise_total, shipping=shipping_total))
        return PricedOrder(
            channel=self.request.channel,
            currency=self.currency,
            source_code=self.source.code if self.source else "",
            source_code_applied=self.source_active,
            price_list_code=self.price_list.code if self.price_list else "",
            lines=self.lines,
            discounts=self.discounts,
            shipping=shipping,
            merchandise_subtotal=merchandise_subtotal,
            merchandise_discount=merchandise_discount,
            merchandise_total=merchandise_total,
            shipping_total=shipping_total,
            discount_total=merchandise_discount + (shipping.discount if shipping else ZERO),
            total=total,
            explanation=explanation,
            not_applied=self.not_applied,
            coupons_applied=sorted(item.coupon_code for item in self.discounts if item.coupon_code),
            coupons_rejected=self.coupons_rejected,
        )


def _percent(value: Decimal) -> str:
    """A percentage without trailing zeros: 10, 12.5."""
    return format(value.normalize(), "f")
