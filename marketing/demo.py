"""Demo campaigns, source codes, a price list, promotions and coupons (``seed_demo`` step, after the catalog)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog.models import Sku
from marketing.models import Campaign, Coupon, PriceList, PriceListEntry, Promotion, Segment, SourceCode
from oms.money import round_money

FIRST_CAMPAIGN = "DEMO-CAT"


def is_seeded() -> bool:
    return Campaign.objects.filter(code=FIRST_CAMPAIGN).exists()


def seed_marketing(*, stdout, options: dict) -> None:
    """A catalog mailing with three key codes, an email and a web campaign, and promotions of each kind."""
    if is_seeded():
        stdout.write("Demo marketing: already loaded.")
        return
    today = timezone.localdate()
    season_start, season_end = today - timedelta(days=30), today + timedelta(days=60)
    with transaction.atomic():
        catalog = Campaign.objects.create(
            code=FIRST_CAMPAIGN, name="Demo season catalog", medium=Campaign.Medium.CATALOG, starts_on=season_start,
            ends_on=season_end, cost=Decimal("185000"), quantity_circulated=400_000)
        email = Campaign.objects.create(code="DEMO-EMAIL", name="Demo weekly email", medium=Campaign.Medium.EMAIL,
                                        starts_on=season_start, cost=Decimal("1200"), quantity_circulated=250_000)
        web = Campaign.objects.create(code="DEMO-WEB", name="Demo web banners", medium=Campaign.Medium.WEB,
                                      starts_on=season_start, cost=Decimal("8000"))
        Segment.objects.create(code="vip", name="VIP: spent 1,000 or more", min_spend=Decimal("1000"))
        Segment.objects.create(code="repeat", name="Repeat customers: two orders or more", min_order_count=2)

        price_list = PriceList.objects.create(code="DEMO-CAT-PRICES", name="Catalog prices: 10% off sweaters",
                                              effective_from=season_start, effective_to=season_end)
        sweaters = list(Sku.objects.filter(style__category="Sweaters").order_by("pk")[:500])
        PriceListEntry.objects.bulk_create([
            PriceListEntry(price_list=price_list, sku=sku, price=round_money(sku.list_price * Decimal("0.9"),
                                                                             sku.currency))
            for sku in sweaters])

        kids_bogo = Promotion.objects.create(
            name="Kids: buy 2, get 1 free", kind=Promotion.Kind.BUY_X_GET_Y, campaign=catalog, buy_quantity=2,
            get_quantity=1, include_categories=["Kids"], priority=10,
            description="The cheapest of every three kids' items is free.")
        tiered = Promotion.objects.create(
            name="Spend more, save more", kind=Promotion.Kind.TIERED, campaign=catalog, priority=50,
            tiers=[{"threshold": "150", "amount": "15"}, {"threshold": "300", "amount": "40"},
                   {"threshold": "500", "percent": "12"}])
        # Panels A and B dropped on the first day, C two weeks later: three drops' circulation and cost
        # (they add up to the campaign's), for the campaign results report.
        for key, free_shipping, mailed_after, quantity, cost in (("A", True, 0, 150_000, "70000"),
                                                                 ("B", False, 0, 150_000, "70000"),
                                                                 ("C", False, 14, 100_000, "45000")):
            source_code = SourceCode.objects.create(
                code=f"DEMO{key}", campaign=catalog, price_list=price_list, offers_free_shipping=free_shipping,
                free_shipping_minimum=Decimal("75"), active_from=season_start, active_to=season_end,
                description=f"Catalog panel {key}", mailed_on=season_start + timedelta(days=mailed_after),
                quantity_circulated=quantity, cost=Decimal(cost))
            source_code.promotions.set([kids_bogo, tiered])
        SourceCode.objects.create(code="DEMOEMAIL", campaign=email, active_from=season_start)
        SourceCode.objects.create(code="DEMOWEB", campaign=web, active_from=season_start)

        Promotion.objects.create(
            name="Free ground shipping on the web over $75", kind=Promotion.Kind.FREE_SHIPPING, campaign=web,
            channels=["web"], min_subtotal=Decimal("75"), shipping_methods=["ground"], priority=90)
        welcome = Promotion.objects.create(
            name="Welcome: 10% off", kind=Promotion.Kind.PERCENT_OFF, percent=Decimal("10"), campaign=email,
            requires_coupon=True, max_uses_per_customer=1, priority=20)
        Coupon.objects.create(code="WELCOME10", promotion=welcome, campaign=email)
        Promotion.objects.create(
            name="Wholesale: 25% off everything", kind=Promotion.Kind.PERCENT_OFF, percent=Decimal("25"),
            customer_types=["wholesale"], is_exclusive=True, priority=1)
    stdout.write(f"Demo marketing: 3 campaigns, 5 source codes, {len(sweaters)} catalog prices, 5 promotions.")

