"""The pricing engine on in-memory inputs: base prices, each kind of promotion, stacking, coupons, rounding.

No database: the engine is a pure function of a request and its data. The builders below are
also used by the property-based tests.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from marketing.pricing import (
    CustomerContext,
    LineInput,
    PricingData,
    PricingError,
    PricingRequest,
    ShippingInput,
    allocate,
    compute,
)
from marketing.pricing.types import CouponInfo, PriceEntryInfo, PriceListInfo, PromotionInfo, SkuInfo, SourceCodeInfo

AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
D = Decimal


def sku(sku_id: int, price: str = "10.00", *, category: str = "", currency: str = "USD", addon: str = "0",
        code: str | None = None) -> SkuInfo:
    return SkuInfo(id=sku_id, code=code or f"S{sku_id}", name=f"Thing {sku_id}", category=category,
                   list_price=D(price), currency=currency, personalization_addon=D(addon))


def promotion(promotion_id: int, kind: str = "percent_off", **fields) -> PromotionInfo:
    fields.setdefault("name", f"Promo {promotion_id}")
    fields.setdefault("currency", "USD")
    return PromotionInfo(id=promotion_id, kind=kind, **fields)


def pricing_data(skus, promotions=(), *, source=None, coupons=None, currency="USD", today=TODAY) -> PricingData:
    return PricingData(skus={item.code: item for item in skus}, today=today, default_currency=currency,
                       source_code=source, promotions=tuple(promotions), coupons=coupons or {})


def pricing_request(*lines, channel="phone", **fields) -> PricingRequest:
    return PricingRequest(channel=channel, lines=tuple(LineInput(*line) for line in lines), at=AT, **fields)


def price(data, *lines, **fields):
    return compute(pricing_request(*lines, **fields), data)


SHIPPING = ShippingInput("ground", D("7.95"), "USD")


# --- base prices -------------------------------------------------------------------------------


def test_list_prices_without_promotions_add_up():
    data = pricing_data([sku(1, "19.99"), sku(2, "5.00")])

    priced = price(data, ("S1", 2), ("S2", 1), shipping=SHIPPING)

    assert [line.subtotal for line in priced.lines] == [D("39.98"), D("5.00")]
    assert [line.total for line in priced.lines] == [D("39.98"), D("5.00")]
    assert priced.merchandise_total == D("44.98")
    assert priced.shipping_total == D("7.95")
    assert priced.total == D("52.93")
    assert priced.discounts == []
    assert [str(note) for note in priced.lines[0].explanation] == ["List price: $19.99 each.", "2 × $19.99 = $39.98."]


def test_personalization_add_on_is_added_to_each_unit():
    data = pricing_data([sku(1, "20.00", addon="4.50")])

    priced = price(data, ("S1", 3, True))

    line = priced.lines[0]
    assert (line.unit_price, line.subtotal) == (D("24.50"), D("73.50"))
    assert "Personalization: $4.50 more each." in [str(note) for note in line.explanation]


def _source(price_list=None, **fields):
    fields.setdefault("campaign_code", "SPRING")
    return SourceCodeInfo(id=7, code="K26A", price_list=price_list, **fields)


def _price_list(entries, **fields):
    fields.setdefault("currency", "USD")
    return PriceListInfo(id=3, code="CAT26", entries=entries, **fields)


def test_price_list_entry_of_an_active_source_code_replaces_the_list_price():
    price_list = _price_list({1: PriceEntryInfo(D("15.00"))})
    data = pricing_data([sku(1, "19.99"), sku(2, "5.00")], source=_source(price_list))

    priced = price(data, ("S1", 1), ("S2", 1), source_code="k26a")

    assert [(line.base_price, line.price_source) for line in priced.lines] == [
        (D("15.00"), "price_list"), (D("5.00"), "list_price")]
    assert priced.price_list_code == "CAT26"
    assert str(priced.lines[0].explanation[0]) == "Price list CAT26: $15.00 each (list price $19.99)."


@pytest.mark.parametrize("change", [
    {"source": {"active_to": TODAY - timedelta(days=1)}},
    {"price_list": {"effective_from": TODAY + timedelta(days=1)}},
    {"price_list": {"customer_types": frozenset({"wholesale"})}},
    {"price_list": {"is_active": False}},
    {"entry": {"effective_to": TODAY - timedelta(days=1)}},
])
def test_list_price_applies_when_the_price_list_is_not_in_effect(change):
    entry = PriceEntryInfo(D("15.00"), **change.get("entry", {}))
    price_list = _price_list({1: entry}, **change.get("price_list", {}))
    data = pricing_data([sku(1, "19.99")], source=_source(price_list, **change.get("source", {})))

    priced = price(data, ("S1", 1), source_code="K26A")

    assert priced.lines[0].base_price == D("19.99")
    assert priced.lines[0].price_source == "list_price"


def test_unknown_sku_source_code_and_bad_quantity_are_refused():
    data = pricing_data([sku(1)])

    with pytest.raises(PricingError, match="Unknown SKU: NOPE"):
        price(data, ("S1", 1), ("NOPE", 1))
    with pytest.raises(PricingError, match="no source code ZZZ"):
        price(data, ("S1", 1), source_code="zzz")
    with pytest.raises(PricingError, match="at least 1"):
        price(data, ("S1", 0))


def test_currency_mismatches_are_refused():
    data = pricing_data([sku(1, currency="EUR")])

    with pytest.raises(PricingError, match="priced in EUR"):
        price(data, ("S1", 1))
    with pytest.raises(PricingError, match="shipping charge is in EUR"):
        price(pricing_data([sku(1)]), ("S1", 1), shipping=ShippingInput("ground", D("5"), "EUR"))


def test_yen_rounds_to_whole_units_half_up():
    data = pricing_data([sku(1, "333", currency="JPY")], [promotion(1, percent=D("10"))], currency="JPY")

    priced = price(data, ("S1", 1), ("S1", 1), ("S1", 1))

    # 10 % of ¥999 is ¥99.9, rounded half up to ¥100, shared 34 / 33 / 33 by largest remainder.
    assert [line.discount_total for line in priced.lines] == [D("34"), D("33"), D("33")]
    assert priced.total == D("899")


# --- promotions ----------------------------------------------------------------------------------


def test_percent_off_the_order_is_shared_so_lines_add_up_to_the_total():
    data = pricing_data([sku(1, "10.00")], [promotion(1, "amount_off", amount=D("10.00"))])

    priced = price(data, ("S1", 1), ("S1", 1), ("S1", 1))

    assert [line.discount_total for line in priced.lines] == [D("3.34"), D("3.33"), D("3.33")]
    assert sum(line.total for line in priced.lines) == priced.merchandise_total == D("20.00")
    assert priced.discounts[0].line_amounts == {0: D("3.34"), 1: D("3.33"), 2: D("3.33")}


def test_amount_off_never_exceeds_what_it_discounts():
    data = pricing_data([sku(1, "4.00")], [promotion(1, "amount_off", amount=D("25.00")),
                                           promotion(2, "amount_off", target="line", amount=D("3.00"))])

    priced = price(data, ("S1", 2))

    assert priced.lines[0].total == D("0.00")
    assert priced.discounts[0].amount == D("8.00")
    assert [item.promotion_id for item in priced.not_applied] == [2]
    assert str(priced.not_applied[0].reason) == "There is nothing left for it to discount."


def test_line_category_and_sku_targets():
    skus = [sku(1, "10.00", category="shoes"), sku(2, "20.00", category="socks")]
    data = pricing_data(skus, [
        promotion(1, target="category", percent=D("50"), target_categories=frozenset({"socks"})),
        promotion(2, "amount_off", target="sku", amount=D("1.00"), target_sku_ids=frozenset({1})),
    ])

    priced = price(data, ("S1", 3), ("S2", 1))

    assert [line.discount_total for line in priced.lines] == [D("3.00"), D("10.00")]
    assert [discount.line_amounts for discount in priced.discounts] == [{1: D("10.00")}, {0: D("3.00")}]


def test_includes_excludes_and_minimum_subtotal_decide_which_lines_qualify():
    skus = [sku(1, "30.00", category="shoes"), sku(2, "30.00", category="shoes"), sku(3, "50.00", category="hats")]
    data = pricing_data(skus, [promotion(1, percent=D("10"), include_categories=frozenset({"shoes"}),
                                         exclude_sku_ids=frozenset({2}), min_subtotal=D("30.00"))])

    priced = price(data, ("S1", 1), ("S2", 1), ("S3", 1))

    assert [line.discount_total for line in priced.lines] == [D("3.00"), D("0"), D("0")]

    short = price(pricing_data(skus, [replace(data.promotions[0], min_subtotal=D("30.01"))]), ("S1", 1), ("S3", 1))
    assert short.discounts == []
    assert "below its minimum" in str(short.not_applied[0].reason)


def test_buy_two_get_one_free_gives_the_cheapest_units():
    skus = [sku(1, "30.00"), sku(2, "12.00"), sku(3, "20.00")]
    data = pricing_data(skus, [promotion(1, "buy_x_get_y", buy_quantity=2, get_quantity=1)])

    priced = price(data, ("S1", 2), ("S2", 2), ("S3", 2))

    # Six units make two groups of three: the two cheapest units (both of S2) are free.
    assert [line.discount_total for line in priced.lines] == [D("0"), D("24.00"), D("0")]
    assert str(priced.discounts[0].explanation) == "Promo 1: buy 2, get 1 free (the cheapest), $24.00 off."


def test_buy_x_get_a_named_sku_free():
    skus = [sku(1, "30.00"), sku(2, "8.00", code="MUG")]
    data = pricing_data(skus, [promotion(1, "buy_x_get_y", buy_quantity=1, get_quantity=1, get_sku_id=2,
                                         include_sku_ids=frozenset({1}))])

    priced = price(data, ("S1", 2), ("MUG", 3))

    assert [line.discount_total for line in priced.lines] == [D("0"), D("16.00")]

    missing = price(data, ("S1", 2))
    assert str(missing.not_applied[0].reason) == "Add 1 × MUG to the order: it comes free."


def test_tiered_spend_takes_the_highest_tier_reached():
    tiers = ((D("100"), "percent", D("10")), (D("250"), "amount", D("40")))
    data = pricing_data([sku(1, "60.00")], [promotion(1, "tiered", tiers=tiers)])

    assert price(data, ("S1", 1)).discounts == []
    assert price(data, ("S1", 2)).discount_total == D("12.00")
    assert price(data, ("S1", 5)).discount_total == D("40.00")


def test_free_gift_is_added_as_a_line_discounted_in_full():
    data = pricing_data([sku(1, "50.00"), sku(9, "12.00", code="TOTE")],
                        [promotion(1, "free_gift", gift_sku_id=9, gift_quantity=1, min_subtotal=D("40"))])

    priced = price(data, ("S1", 1))

    gift = priced.lines[1]
    assert (gift.sku_code, gift.is_gift, gift.subtotal, gift.total) == ("TOTE", True, D("12.00"), D("0.00"))
    assert priced.merchandise_total == D("50.00")


def test_free_shipping_promotion_and_source_code_offer():
    data = pricing_data([sku(1, "30.00")], [promotion(1, "free_shipping", shipping_methods=frozenset({"ground"}))])

    priced = price(data, ("S1", 1), shipping=SHIPPING)
    assert (priced.shipping.discount, priced.shipping_total, priced.total) == (D("7.95"), D("0.00"), D("30.00"))
    express = price(data, ("S1", 1), shipping=ShippingInput("express", D("15.00"), "USD"))
    assert express.shipping_total == D("15.00")

    offer = pricing_data([sku(1, "30.00")], source=_source(offers_free_shipping=True,
                                                          free_shipping_minimum=D("50.00")))
    assert price(offer, ("S1", 1), source_code="K26A", shipping=SHIPPING).shipping_total == D("7.95")
    free = price(offer, ("S1", 2), source_code="K26A", shipping=SHIPPING)
    assert free.shipping_total == D("0.00")
    assert free.discounts[0].promotion_id is None and free.discounts[0].source_code == "K26A"


# --- conditions, stacking, coupons -------------------------------------------------------------------


def test_exclusive_promotion_first_stops_the_others():
    data = pricing_data([sku(1, "100.00")], [
        promotion(1, percent=D("5"), priority=10),
        promotion(2, percent=D("20"), priority=5, is_exclusive=True),
        promotion(3, percent=D("10"), priority=20),
    ])

    priced = price(data, ("S1", 1))

    assert [discount.promotion_id for discount in priced.discounts] == [2]
    assert priced.total == D("80.00")
    assert {item.promotion_id for item in priced.not_applied} == {1, 3}


def test_exclusive_promotion_after_another_one_does_not_apply():
    data = pricing_data([sku(1, "100.00")], [
        promotion(1, percent=D("5"), priority=10),
        promotion(2, percent=D("20"), priority=50, is_exclusive=True),
        promotion(3, percent=D("10"), priority=60),
    ])

    priced = price(data, ("S1", 1))

    # 5 % then 10 % of what is left: 100 - 5 - 9.50.
    assert [discount.promotion_id for discount in priced.discounts] == [1, 3]
    assert priced.total == D("85.50")


def test_same_priority_goes_by_id():
    data = pricing_data([sku(1, "100.00")], [promotion(8, "amount_off", amount=D("60")),
                                             promotion(4, "amount_off", amount=D("70"))])

    priced = price(data, ("S1", 1))

    assert [(discount.promotion_id, discount.amount) for discount in priced.discounts] == [(4, D("70.00")),
                                                                                         (8, D("30.00"))]


@pytest.mark.parametrize("fields, request_fields, applies", [
    ({"channels": frozenset({"web"})}, {"channel": "phone"}, False),
    ({"channels": frozenset({"marketplace"})}, {"channel": "marketplace:amazon"}, True),
    ({"channels": frozenset({"marketplace:ebay"})}, {"channel": "marketplace:amazon"}, False),
    ({"customer_types": frozenset({"wholesale"})}, {}, False),
    ({"customer_types": frozenset({"wholesale"})},
     {"customer": CustomerContext(customer_type="wholesale")}, True),
    ({"segment_codes": frozenset({"vip"})}, {"customer": CustomerContext(segment_codes=frozenset({"new"}))}, False),
    ({"segment_codes": frozenset({"vip"})}, {"customer": CustomerContext(segment_codes=frozenset({"vip"}))}, True),
    ({"starts_at": AT + timedelta(minutes=1)}, {}, False),
    ({"ends_at": AT}, {}, False),
    ({"ends_at": AT + timedelta(seconds=1)}, {}, True),
    ({"max_uses": 5, "uses_count": 5}, {}, False),
    ({"max_uses_per_customer": 1, "customer_uses": 1}, {"customer": CustomerContext(customer_id=4)}, False),
    ({"max_uses_per_customer": 1, "customer_uses": 0}, {"customer": CustomerContext(customer_id=4)}, True),
    ({"source_code_ids": frozenset({7})}, {}, False),
    ({"currency": "EUR", "min_subtotal": D("1")}, {}, False),
    ({"currency": "EUR"}, {}, True),  # a percentage has no currency
])
def test_conditions(fields, request_fields, applies):
    data = pricing_data([sku(1, "100.00")], [promotion(1, percent=D("10"), **fields)])

    priced = compute(replace(pricing_request(("S1", 1)), **request_fields), data)

    assert bool(priced.discounts) is applies


def test_coupons_unlock_their_promotion_and_bad_ones_are_explained():
    coupons = {"SAVE10": CouponInfo("SAVE10", 1), "OLD": CouponInfo("OLD", 1, is_active=False),
               "GONE": CouponInfo("GONE", 2, max_uses=1, uses_count=1)}
    data = pricing_data([sku(1, "100.00")], [promotion(1, percent=D("10"), requires_coupon=True),
                                             promotion(2, percent=D("50"), requires_coupon=True)], coupons=coupons)

    without = price(data, ("S1", 1))
    assert without.discounts == []

    priced = price(data, ("S1", 1), coupon_codes=(" save10 ", "old", "gone", "nope"))
    assert [(discount.promotion_id, discount.coupon_code) for discount in priced.discounts] == [(1, "SAVE10")]
    assert priced.coupons_applied == ["SAVE10"]
    assert {code: str(reason) for code, reason in priced.coupons_rejected} == {
        "GONE": "This coupon has been used up.", "NOPE": "There is no such coupon.",
        "OLD": "This coupon is no longer valid."}
    assert priced.redemptions == [(1, "SAVE10")]


def test_source_code_promotion_that_did_not_apply_is_explained():
    source = _source(promotion_ids=frozenset({1}))
    data = pricing_data([sku(1, "10.00")], [promotion(1, "amount_off", amount=D("5"), min_subtotal=D("50"),
                                                      source_code_ids=frozenset({7}), name="Spring $5")],
                        source=source)

    priced = price(data, ("S1", 1), source_code="K26A")

    assert any(str(note).startswith("Spring $5 did not apply: The qualifying lines come to $10.00")
               for note in priced.explanation)


def test_allocate_splits_exactly_and_never_beyond_a_weight():
    assert allocate(D("0.05"), [D("1.00"), D("1.00"), D("1.00")], "USD") == [D("0.02"), D("0.02"), D("0.01")]
    assert allocate(D("3.00"), [D("1.00"), D("2.00"), D("0")], "USD") == [D("1.00"), D("2.00"), D("0.00")]
    assert allocate(D("7"), [D("3"), D("3"), D("3")], "JPY") == [D("3"), D("2"), D("2")]
