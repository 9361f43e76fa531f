"""Properties of the pricing engine over random baskets and promotions (hypothesis, no database).

- no discount exceeds what it discounts, and no line, shipping charge or total is negative;
- after rounding, the line totals add up to the merchandise total and, with the shipping, to the
  order total; every amount sits on the currency's minor-unit grid;
- promotions apply in (priority, id) order, and an exclusive one applies alone and only first;
- pricing the same input twice, or with the promotions listed in another order, gives the same result.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from marketing.pricing import CustomerContext, LineInput, PricingRequest, ShippingInput, allocate, compute
from marketing.pricing.types import CouponInfo, PriceEntryInfo, PriceListInfo, SourceCodeInfo
from oms.money import minor_unit_exponent
from tests.test_pricing_engine import AT, pricing_data, promotion, sku

CURRENCIES = ["USD", "JPY", "KWD"]
CATEGORIES = ["shoes", "socks", "hats", ""]
SETTINGS = settings(max_examples=150, deadline=None)


def money(max_value: int = 500):
    return st.decimals(min_value=0, max_value=max_value, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def promotions(draw, sku_ids: list[int], index: int):
    kind = draw(st.sampled_from(["percent_off", "amount_off", "free_shipping", "buy_x_get_y", "tiered",
                                 "free_gift"]))
    subset = st.frozensets(st.sampled_from(sku_ids), max_size=2)
    categories = st.frozensets(st.sampled_from(CATEGORIES[:3]), max_size=2)
    fields = {
        "priority": draw(st.integers(0, 3)),
        "is_exclusive": draw(st.booleans()),
        "min_subtotal": draw(st.none() | money(200)),
        "include_sku_ids": draw(subset) if draw(st.booleans()) else frozenset(),
        "exclude_sku_ids": draw(subset) if draw(st.booleans()) else frozenset(),
        "include_categories": draw(categories) if draw(st.booleans()) else frozenset(),
        "exclude_categories": draw(categories) if draw(st.booleans()) else frozenset(),
        "requires_coupon": draw(st.booleans()) and index % 3 == 0,
    }
    if kind in ("percent_off", "amount_off"):
        fields["target"] = draw(st.sampled_from(["order", "line", "category", "sku"]))
        fields["target_categories"] = draw(categories)
        fields["target_sku_ids"] = draw(subset)
        if kind == "percent_off":
            fields["percent"] = draw(st.decimals(min_value=0, max_value=100, places=3))
        else:
            fields["amount"] = draw(money(300))
    elif kind == "buy_x_get_y":
        fields["buy_quantity"] = draw(st.integers(1, 3))
        fields["get_quantity"] = draw(st.integers(1, 2))
        fields["get_sku_id"] = draw(st.none() | st.sampled_from(sku_ids))
    elif kind == "tiered":
        thresholds = draw(st.lists(money(400), min_size=1, max_size=3, unique=True))
        fields["tiers"] = tuple(sorted(
            (threshold, kind_, draw(st.decimals(min_value=0, max_value=100, places=2)) if kind_ == "percent"
             else draw(money(300)))
            for threshold, kind_ in ((threshold, draw(st.sampled_from(["percent", "amount"])))
                                     for threshold in thresholds)))
    elif kind == "free_gift":
        fields["gift_sku_id"] = draw(st.sampled_from(sku_ids))
        fields["gift_quantity"] = draw(st.integers(1, 2))
    return kind, fields


@st.composite
def scenarios(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    sku_count = draw(st.integers(1, 5))
    skus = [sku(sku_id, str(draw(money(300))), category=draw(st.sampled_from(CATEGORIES)), currency=currency,
                addon=str(draw(st.sampled_from([Decimal("0"), Decimal("2.5"), Decimal("0.333")]))))
            for sku_id in range(1, sku_count + 1)]
    sku_ids = [item.id for item in skus]
    promotion_list = []
    for index in range(draw(st.integers(0, 7))):
        kind, fields = draw(promotions(sku_ids, index))
        promotion_list.append(promotion(100 + index, kind, currency=currency, **fields))
    coupons = {f"C{item.id}": CouponInfo(f"C{item.id}", item.id) for item in promotion_list if item.requires_coupon}
    price_list = None
    if draw(st.booleans()):
        entries = {sku_id: PriceEntryInfo(draw(money(300))) for sku_id in draw(st.sets(st.sampled_from(sku_ids)))}
        price_list = PriceListInfo(id=1, code="PL", currency=currency, entries=entries)
    source = SourceCodeInfo(id=1, code="SRC", campaign_code="C", price_list=price_list,
                            offers_free_shipping=draw(st.booleans()), free_shipping_minimum=draw(money(300)))
    data = pricing_data(skus, promotion_list, source=source, coupons=coupons, currency=currency)
    lines = tuple(LineInput(f"S{draw(st.sampled_from(sku_ids))}", draw(st.integers(1, 4)), draw(st.booleans()))
                  for _line in range(draw(st.integers(1, 8))))
    shipping = ShippingInput("ground", draw(money(40)), currency) if draw(st.booleans()) else None
    request = PricingRequest(
        channel="phone", lines=lines, at=AT, customer=CustomerContext(customer_id=1), source_code="SRC",
        coupon_codes=tuple(draw(st.lists(st.sampled_from(sorted(coupons)), max_size=3))) if coupons else (),
        shipping=shipping,
    )
    return request, data


def on_grid(amount: Decimal, currency: str) -> bool:
    return amount == amount.quantize(minor_unit_exponent(currency))


@SETTINGS
@given(scenarios())
def test_no_discount_exceeds_what_it_discounts_and_nothing_is_negative(scenario):
    request, data = scenario

    priced = compute(request, data)

    for line in priced.lines:
        assert 0 <= line.discount_total <= line.subtotal
        assert line.total == line.subtotal - line.discount_total >= 0
        assert all(discount.amount > 0 for discount in line.discounts)
    for discount in priced.discounts:
        assert discount.amount == sum(discount.line_amounts.values(), Decimal(0)) + discount.shipping_amount
        for index, amount in discount.line_amounts.items():
            assert 0 < amount <= priced.lines[index].subtotal
    if priced.shipping is not None:
        assert 0 <= priced.shipping.charge <= priced.shipping.base_charge
    assert priced.total >= 0 and priced.merchandise_total >= 0


@SETTINGS
@given(scenarios())
def test_lines_add_up_to_the_order_total_after_rounding(scenario):
    request, data = scenario

    priced = compute(request, data)

    currency = priced.currency
    amounts = [priced.total, priced.merchandise_total, priced.shipping_total, priced.discount_total]
    for line in priced.lines:
        amounts += [line.subtotal, line.discount_total, line.total] + [item.amount for item in line.discounts]
    assert all(on_grid(amount, currency) for amount in amounts)
    assert sum(line.total for line in priced.lines) == priced.merchandise_total
    assert priced.merchandise_total + priced.shipping_total == priced.total
    assert priced.merchandise_subtotal - priced.merchandise_discount == priced.merchandise_total
    by_line: dict[int, Decimal] = {}
    for discount in priced.discounts:
        for index, amount in discount.line_amounts.items():
            by_line[index] = by_line.get(index, Decimal(0)) + amount
    assert {index: amount for index, amount in by_line.items()} == {
        line.index: line.discount_total for line in priced.lines if line.discount_total}


@SETTINGS
@given(scenarios())
def test_exclusivity_and_priority_are_respected(scenario):
    request, data = scenario

    priced = compute(request, data)

    by_id = {item.id: item for item in data.promotions}
    applied = [by_id[discount.promotion_id] for discount in priced.discounts if discount.promotion_id is not None]
    order = [(item.priority, item.id) for item in applied]
    assert order == sorted(order)
    # An exclusive promotion applies only when none applied before it, and stops all after it.
    if any(item.is_exclusive for item in applied):
        assert len(applied) == 1
    # Every promotion is accounted for: applied, or not applied with a reason.
    refused = [item.promotion_id for item in priced.not_applied]
    assert sorted(refused + [item.id for item in applied]) == sorted(by_id)


@SETTINGS
@given(scenarios(), st.randoms(use_true_random=False))
def test_pricing_is_deterministic(scenario, random):
    request, data = scenario

    first = compute(request, data)
    again = compute(request, data)
    shuffled_promotions = list(data.promotions)
    random.shuffle(shuffled_promotions)
    reordered = compute(request, replace(data, promotions=tuple(shuffled_promotions)))

    assert first == again == reordered
    assert [str(note) for note in first.explanation] == [str(note) for note in reordered.explanation]


@SETTINGS
@given(st.sampled_from(CURRENCIES), st.lists(money(1000), min_size=1, max_size=12), st.data())
def test_allocation_is_exact_and_within_each_weight(currency, raw_weights, data):
    from oms.money import round_money

    weights = [round_money(weight, currency) for weight in raw_weights]
    total = data.draw(st.decimals(min_value=0, max_value=sum(weights), places=3).map(
        lambda value: min(round_money(value, currency), sum(weights))))

    shares = allocate(total, weights, currency)

    assert sum(shares) == total
    assert all(0 <= share <= weight for share, weight in zip(shares, weights, strict=True))
    assert all(on_grid(share, currency) for share in shares)
