"""Pricing: what 200 active promotions cost when pricing a 50-line basket through ``price_order``."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bench.common import iterations, scratch_database

LINES = 50
PROMOTIONS = 200
ROUNDS = 5
AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _catalog():
    """50 SKUs in five categories, a campaign, a price list covering half of them, and a source code."""
    from catalog.models import PersonalizationTemplate, Sku, Style
    from marketing.models import Campaign, PriceList, PriceListEntry, SourceCode

    template = PersonalizationTemplate.objects.create(name="Monogram", price_addon=Decimal("5.000"))
    styles = Style.objects.bulk_create(
        [Style(code=f"BST{number}", name=f"Bench style {number}", category=f"cat{number % 5}")
         for number in range(10)])
    skus = Sku.objects.bulk_create([
        Sku(style=styles[number % 10], code=f"BSKU{number:03d}", name=f"Bench SKU {number}",
            list_price=Decimal(10 + number) + Decimal("0.99"),
            personalization_template=template if number % 7 == 0 else None)
        for number in range(LINES + 5)])  # five more to be free gifts
    campaign = Campaign.objects.create(code="BENCH", name="Bench catalog", quantity_circulated=100_000)
    price_list = PriceList.objects.create(code="BENCH", name="Bench prices")
    PriceListEntry.objects.bulk_create([PriceListEntry(price_list=price_list, sku=sku, price=sku.list_price * 9 / 10)
                                        for sku in skus[::2]])
    source_code = SourceCode.objects.create(code="BENCH1", campaign=campaign, price_list=price_list,
                                            offers_free_shipping=True, free_shipping_minimum=Decimal("500"))
    return skus, campaign, source_code


def _promotions(skus, campaign, source_code) -> list[str]:
    """200 active promotions of every kind, most with conditions; returns the coupon codes to give."""
    from marketing.models import Coupon, Promotion, Segment

    basket, gifts = skus[:LINES], skus[LINES:]
    segment = Segment.objects.create(code="bench-vip", name="Bench VIP")
    kind = Promotion.Kind
    specs: list[dict] = []
    for number in range(40):
        specs.append({"kind": kind.PERCENT_OFF, "target": "line", "percent": Decimal("1.5"),
                      "include_categories": [f"cat{number % 5}"], "priority": 100 + number})
    for number in range(30):
        specs.append({"kind": kind.AMOUNT_OFF, "target": "sku", "amount": Decimal("0.25"),
                      "_target_skus": basket[number:number + 3], "priority": 200 + number})
    for number in range(20):
        specs.append({"kind": kind.BUY_X_GET_Y, "buy_quantity": 2, "get_quantity": 1,
                      "_include_skus": basket[number * 2:number * 2 + 6], "priority": 300 + number})
    for number in range(10):
        specs.append({"kind": kind.TIERED, "priority": 400 + number,
                      "tiers": [{"threshold": "100", "percent": "1"}, {"threshold": str(500 + number * 100),
                                                                        "amount": "5"}]})
    for number in range(10):
        specs.append({"kind": kind.FREE_GIFT, "gift_sku": gifts[number % len(gifts)], "priority": 500 + number,
                      "min_subtotal": Decimal(200 * number)})
    for number in range(10):
        specs.append({"kind": kind.FREE_SHIPPING, "shipping_methods": ["ground" if number % 2 else "express"],
                      "priority": 600 + number, "min_subtotal": Decimal("50")})
    for number in range(20):  # other channels: refused on the phone
        specs.append({"kind": kind.PERCENT_OFF, "percent": Decimal("5"), "channels": ["web", "marketplace"],
                      "priority": 700 + number})
    for number in range(20):  # wholesale only
        specs.append({"kind": kind.PERCENT_OFF, "percent": Decimal("5"), "customer_types": ["wholesale"],
                      "priority": 800 + number})
    for number in range(20):  # a segment the customer is not in
        specs.append({"kind": kind.PERCENT_OFF, "percent": Decimal("5"), "_segments": [segment],
                      "priority": 900 + number, "_exclude_skus": basket[:2]})
    for number in range(10):  # exclusive, after others applied: refused
        specs.append({"kind": kind.PERCENT_OFF, "percent": Decimal("30"), "is_exclusive": True,
                      "priority": 1000 + number})
    for number in range(10):  # coupon-only; two of the coupons are given
        specs.append({"kind": kind.AMOUNT_OFF, "amount": Decimal("3"), "requires_coupon": True,
                      "priority": 1100 + number, "max_uses": 1000, "max_uses_per_customer": 5})
    assert len(specs) == PROMOTIONS

    relations = ("_target_skus", "_include_skus", "_exclude_skus", "_segments")
    promotions = Promotion.objects.bulk_create([
        Promotion(name=f"Bench promotion {number}", campaign=campaign, starts_at=AT - timedelta(days=30),
                  ends_at=AT + timedelta(days=30),
                  **{key: value for key, value in spec.items() if key not in relations})
        for number, spec in enumerate(specs)])
    for relation in relations:
        manager = getattr(Promotion, relation[1:])
        through, column = manager.through, "segment_id" if relation == "_segments" else "sku_id"
        through.objects.bulk_create([through(promotion_id=promotion.pk, **{column: related.pk})
                                     for promotion, spec in zip(promotions, specs, strict=True)
                                     for related in spec.get(relation, [])])
    source_code.promotions.set(promotions[:10])
    coupon_promotions = promotions[-10:]
    Coupon.objects.bulk_create([Coupon(code=f"BENCH{number}", promotion=promotion)
                                for number, promotion in enumerate(coupon_promotions)])
    return ["BENCH0", "BENCH1"]


def _timings(operation, count: int) -> list[float]:
    timings = []
    for _call in range(count):
        started = time.perf_counter()
        operation()
        timings.append(time.perf_counter() - started)
    return timings


def run() -> list[dict]:
    """``pricing.price_order``: median milliseconds to price a 50-line basket with 200 active promotions.

    ``value`` prices the basket (phone channel, a source code with a price list, two coupons, a
    customer with an id, a shipping charge) while 200 promotions of every kind are active, about
    a quarter of which apply; ``baseline`` prices the same basket, same source code and price
    list, with every promotion switched off, so the loader finds none. The two alternate in
    rounds (one UPDATE switches the promotions between rounds, untimed), so a drift of the
    machine weighs on both alike. ``ratio`` is value / baseline: how many times longer pricing
    takes with the promotions.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marketing.models import Promotion
    from marketing.pricing import CustomerContext, LineInput, ShippingInput, price_order

    count = iterations(full=300, quick=6)
    warmup = max(count // 10, 2)
    with scratch_database(migrate=True):
        skus, campaign, source_code = _catalog()
        coupons = _promotions(skus, campaign, source_code)
        lines = [LineInput(sku.code, 1 + number % 3, personalized=number % 7 == 0)
                 for number, sku in enumerate(skus[:LINES])]
        customer = CustomerContext(customer_id=12345, customer_type="retail")
        shipping = ShippingInput("ground", Decimal("12.95"), "USD")

        def price():
            return price_order(channel="phone", lines=lines, customer=customer, source_code=source_code.code,
                               coupon_codes=coupons, shipping=shipping, at=AT)

        def switch(active: bool) -> None:
            Promotion.objects.update(is_active=active)

        switch(True)
        with CaptureQueriesContext(connection) as queries:
            priced = price()
        applied, query_count = len(priced.discounts), len(queries)
        _timings(price, warmup)
        switch(False)
        baseline_order = price()
        _timings(price, warmup)

        slices = [count // ROUNDS + (1 if index < count % ROUNDS else 0) for index in range(ROUNDS)]
        with_promotions: list[float] = []
        without: list[float] = []
        for size in slices:
            switch(True)
            with_promotions += _timings(price, size)
            switch(False)
            without += _timings(price, size)

    value_ms = statistics.median(with_promotions) * 1000
    baseline_ms = statistics.median(without) * 1000
    return [{
        "name": "pricing.price_order",
        "value": round(value_ms, 3),
        "unit": "ms",
        "baseline": round(baseline_ms, 3),
        "ratio": round(value_ms / baseline_ms, 3),
        "lines": LINES,
        "promotions": PROMOTIONS,
        "promotions_applied": applied,
        "queries": query_count,
        "p90_ms": round(statistics.quantiles(with_promotions, n=10)[-1] * 1000, 3) if count >= 10 else None,
        "calls": count,
        "baseline_total": str(baseline_order.total),
        "total": str(priced.total),
    }]
