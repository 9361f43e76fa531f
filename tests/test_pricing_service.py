"""price_order on the database: what the loader reads, in how many queries, and a catalog campaign end to end.

The helpers at the top build marketing rows for the other marketing tests too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marketing.models import Campaign, Coupon, PriceList, PriceListEntry, Promotion, Segment, SourceCode
from marketing.pricing import CustomerContext, LineInput, PricingError, ShippingInput, price_order
from tests.factories import SkuFactory, StyleFactory

pytestmark = pytest.mark.django_db
D = Decimal
AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def make_campaign(code: str = "SPRING26", **fields) -> Campaign:
    fields.setdefault("name", "Spring catalog")
    fields.setdefault("medium", Campaign.Medium.CATALOG)
    fields.setdefault("cost", D("12000.000"))
    fields.setdefault("quantity_circulated", 100_000)
    return Campaign.objects.create(code=code, **fields)


def make_price_list(code: str = "CAT26", prices: dict | None = None, **fields) -> PriceList:
    price_list = PriceList.objects.create(code=code, name=f"Price list {code}", **fields)
    for sku, price in (prices or {}).items():
        PriceListEntry.objects.create(price_list=price_list, sku=sku, price=D(price))
    return price_list


def make_source_code(code: str = "K26A", *, campaign: Campaign | None = None, promotions=(), **fields) -> SourceCode:
    source_code = SourceCode.objects.create(code=code, campaign=campaign or make_campaign(), **fields)
    source_code.promotions.set(promotions)
    return source_code


def make_promotion(name: str = "Ten off", kind: str = Promotion.Kind.PERCENT_OFF, **fields) -> Promotion:
    many = {key: fields.pop(key) for key in ("include_skus", "exclude_skus", "target_skus", "segments")
            if key in fields}
    if kind == Promotion.Kind.PERCENT_OFF:
        fields.setdefault("percent", D("10"))
    promotion = Promotion.objects.create(name=name, kind=kind, **fields)
    for key, values in many.items():
        getattr(promotion, key).set(values)
    return promotion


@pytest.fixture
def shoes():
    style = StyleFactory(category="shoes")
    return [SkuFactory(style=style, code="SHOE-1", list_price=D("60.000")),
            SkuFactory(style=style, code="SHOE-2", list_price=D("40.000"))]


@pytest.fixture
def mug():
    return SkuFactory(code="MUG", list_price=D("8.000"), style=StyleFactory(category="kitchen"))


def test_catalog_campaign_with_price_list_bogo_and_tiers(shoes, mug):
    price_list = make_price_list(prices={shoes[0]: "50.00"})
    bogo = make_promotion("Shoes: buy one get one", Promotion.Kind.BUY_X_GET_Y, buy_quantity=1, get_quantity=1,
                          include_categories=["shoes"], priority=10)
    tiered = make_promotion("Spend more, save more", Promotion.Kind.TIERED, priority=20,
                            tiers=[{"threshold": "100", "percent": "10"}, {"threshold": "150", "amount": "25"}])
    source_code = make_source_code(price_list=price_list, promotions=[bogo, tiered], offers_free_shipping=True,
                                   free_shipping_minimum=D("75"))

    priced = price_order(channel="phone", source_code="k26a", at=AT,
                         lines=[LineInput("SHOE-1", 1), LineInput("SHOE-2", 1), LineInput("MUG", 4)],
                         shipping=ShippingInput("ground", D("9.95"), "USD"))

    # 50 + 40 + 32 = 122; the cheaper shoe is free (-40): 82 left, below 100, so no tier.
    assert [line.base_price for line in priced.lines] == [D("50.000"), D("40.000"), D("8.000")]
    assert [(item.promotion_id, item.amount) for item in priced.discounts] == [
        (bogo.pk, D("40.00")), (None, D("9.95"))]
    assert priced.total == D("82.00")
    assert priced.source_code == source_code.code and priced.price_list_code == "CAT26"

    bigger = price_order(channel="web", source_code="K26A", at=AT,
                         lines=[LineInput("SHOE-1", 2), LineInput("MUG", 10)])
    # 100 + 80 = 180; one SHOE-1 free (-50): 130 left reaches the 100 tier: 10 % = 13.
    assert [(item.promotion_id, item.amount) for item in bigger.discounts] == [
        (bogo.pk, D("50.00")), (tiered.pk, D("13.00"))]
    assert bigger.total == D("117.00")


def test_promotions_tied_to_a_source_code_need_it(shoes):
    promotion = make_promotion("Key code only", amount=None)
    make_source_code(promotions=[promotion])

    assert price_order(channel="phone", lines=[LineInput("SHOE-1", 1)], at=AT).discounts == []
    assert price_order(channel="phone", lines=[LineInput("SHOE-1", 1)], source_code="K26A", at=AT).discount_total \
        == D("6.00")


def test_coupon_unlocks_a_promotion_and_segments_come_from_the_context(shoes):
    segment = Segment.objects.create(code="vip", name="VIP")
    promotion = make_promotion("VIP coupon", requires_coupon=True, segments=[segment])
    Coupon.objects.create(code="VIP10", promotion=promotion)

    lines = [LineInput("SHOE-1", 1)]
    assert price_order(channel="phone", lines=lines, coupon_codes=["vip10"], at=AT).discounts == []
    priced = price_order(channel="phone", lines=lines, coupon_codes=["vip10"], at=AT,
                         customer=CustomerContext(customer_id=5, segment_codes=frozenset({"vip"})))
    assert priced.redemptions == [(promotion.pk, "VIP10")]


def test_unknown_codes_raise_a_pricing_error(shoes):
    with pytest.raises(PricingError):
        price_order(channel="phone", lines=[LineInput("SHOE-9", 1)], at=AT)
    with pytest.raises(PricingError):
        price_order(channel="phone", lines=[LineInput("SHOE-1", 1)], source_code="NOPE", at=AT)


def test_queries_do_not_grow_with_lines_or_promotions(shoes, mug):
    price_list = make_price_list(prices={shoes[0]: "50.00"})
    source_code = make_source_code(price_list=price_list)
    Coupon.objects.create(code="C1", promotion=make_promotion("Coupon", requires_coupon=True))
    make_promotion("Per customer", max_uses_per_customer=2, include_skus=[mug])

    def count_queries(lines):
        with CaptureQueriesContext(connection) as queries:
            price_order(channel="phone", lines=lines, source_code=source_code.code, coupon_codes=["C1"],
                        customer=CustomerContext(customer_id=1), at=AT)
        return len(queries)

    small = count_queries([LineInput("SHOE-1", 1)])
    for index in range(30):
        make_promotion(f"Filler {index}", include_skus=[shoes[1]], exclude_skus=[mug], priority=index,
                       channels=["web"], segments=[Segment.objects.create(code=f"s{index}", name=f"S{index}")])
    extra = [SkuFactory(code=f"X{index}") for index in range(20)]
    large = count_queries([LineInput("SHOE-1", 1), LineInput("SHOE-2", 3), LineInput("MUG", 2)]
                          + [LineInput(sku.code, 1) for sku in extra])

    assert small == large == 6


def test_price_list_dates_are_the_shops_calendar_days(shoes, settings):
    settings.SHOP_TIME_ZONE = "America/New_York"
    price_list = make_price_list(prices={shoes[0]: "50.00"}, effective_from=date(2026, 3, 2))
    make_source_code(price_list=price_list)

    # 03:00 UTC on the 2nd is still the 1st in New York.
    early = price_order(channel="phone", lines=[LineInput("SHOE-1", 1)], source_code="K26A",
                        at=datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    later = price_order(channel="phone", lines=[LineInput("SHOE-1", 1)], source_code="K26A",
                        at=datetime(2026, 3, 2, 6, 0, tzinfo=UTC))

    assert (early.lines[0].base_price, later.lines[0].base_price) == (D("60.000"), D("50.000"))
