"""Marketing reads that are more than one ORM call."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from marketing.models import Campaign, Coupon, PriceList, Promotion, SourceCode


def _count_of(queryset: QuerySet, column: str):
    """How many rows of ``queryset`` point at the outer row through ``column``, as a subquery.

    Unlike ``Count`` over joins, two such counts do not multiply each other's rows (a promotion
    with 100,000 generated coupons and three source codes).
    """
    counted = queryset.filter(**{column: OuterRef("pk")}).order_by().values(column).annotate(total=Count("*"))
    return Coalesce(Subquery(counted.values("total"), output_field=IntegerField()), 0)


def campaign_search(*, query: str = "", medium: str = "") -> QuerySet[Campaign]:
    campaigns = Campaign.objects.annotate(source_code_count=Count("source_codes", distinct=True))
    if query:
        campaigns = campaigns.filter(Q(code__icontains=query) | Q(name__icontains=query))
    if medium:
        campaigns = campaigns.filter(medium=medium)
    return campaigns.order_by("-starts_on", "code")


def source_code_search(*, query: str = "", campaign: Campaign | None = None) -> QuerySet[SourceCode]:
    source_codes = SourceCode.objects.select_related("campaign", "price_list").annotate(
        promotion_count=Count("promotions", distinct=True))
    if query:
        source_codes = source_codes.filter(Q(code__icontains=query) | Q(description__icontains=query)
                                           | Q(campaign__code__icontains=query))
    if campaign is not None:
        source_codes = source_codes.filter(campaign=campaign)
    return source_codes.order_by("code")


def price_list_search(*, query: str = "") -> QuerySet[PriceList]:
    price_lists = PriceList.objects.annotate(entry_count=Count("entries", distinct=True))
    if query:
        price_lists = price_lists.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return price_lists.order_by("code")


def price_list_entries(*, price_list: PriceList, query: str = ""):
    entries = price_list.entries.select_related("sku").order_by("sku__code")
    if query:
        entries = entries.filter(Q(sku__code__icontains=query) | Q(sku__name__icontains=query))
    return entries


def promotion_search(*, query: str = "", kind: str = "", state: str = "") -> QuerySet[Promotion]:
    promotions = Promotion.objects.select_related("campaign").annotate(
        coupon_count=_count_of(Coupon.objects.all(), "promotion"),
        source_code_count=_count_of(SourceCode.promotions.through.objects.all(), "promotion"))
    if query:
        promotions = promotions.filter(Q(name__icontains=query) | Q(description__icontains=query)
                                       | Q(campaign__code__icontains=query))
    if kind:
        promotions = promotions.filter(kind=kind)
    if state == "active":
        promotions = promotions.filter(is_active=True)
    elif state == "inactive":
        promotions = promotions.filter(is_active=False)
    return promotions.order_by("priority", "pk")
