"""Loads what the engine needs for one request, in a fixed number of queries (at most six).

The queries do not depend on the number of lines or promotions: one each for the source code
(with its price list, campaign and promotion ids), the coupons, the promotions with their
many-to-many conditions, the SKUs (basket, gifts and free SKUs), the price list entries and
the customer's past uses.
"""

from __future__ import annotations

import functools
import json
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef

from catalog.models import Sku
from marketing.models import (
    Coupon,
    PriceListEntry,
    Promotion,
    PromotionCustomerUsage,
    Segment,
    SourceCode,
    parse_tiers,
)
from marketing.pricing.types import (
    CouponInfo,
    PriceEntryInfo,
    PriceListInfo,
    PricingData,
    PricingRequest,
    PromotionInfo,
    SkuInfo,
    SourceCodeInfo,
)


def shop_day(moment):
    return moment.astimezone(ZoneInfo(settings.SHOP_TIME_ZONE)).date()


def load_pricing_data(request: PricingRequest) -> PricingData:
    today = shop_day(request.at)
    source_row = _load_source_code(request.source_code.strip().upper()) if request.source_code.strip() else None

    coupon_codes = sorted({code.strip().upper() for code in request.coupon_codes if code.strip()})
    coupons = {
        coupon["code"]: CouponInfo(code=coupon["code"], promotion_id=coupon["promotion_id"],
                                   is_active=coupon["is_active"], max_uses=coupon["max_uses"],
                                   uses_count=coupon["uses_count"])
        for coupon in Coupon.objects.filter(code__in=coupon_codes).values(
            "code", "promotion_id", "is_active", "max_uses", "uses_count")
    } if coupon_codes else {}

    promotions = _load_promotions(request, source_row, {coupon.promotion_id for coupon in coupons.values()})

    basket_codes = {line.sku_code for line in request.lines}
    extra_ids = {promotion["gift_sku_id"] for promotion in promotions if promotion["gift_sku_id"]} | {
        promotion["get_sku_id"] for promotion in promotions if promotion["get_sku_id"]}
    skus = _load_skus(sorted(basket_codes), sorted(extra_ids)) if basket_codes or extra_ids else {}

    source = None
    if source_row is not None:
        price_list = None
        if source_row["price_list_id"] is not None:
            entries = {
                sku_id: PriceEntryInfo(price, effective_from, effective_to)
                for sku_id, price, effective_from, effective_to in PriceListEntry.objects.filter(
                    price_list_id=source_row["price_list_id"], sku_id__in=[sku.id for sku in skus.values()]
                ).values_list("sku_id", "price", "effective_from", "effective_to")
            } if skus else {}
            price_list = PriceListInfo(
                id=source_row["price_list_id"], code=source_row["price_list__code"],
                currency=source_row["price_list__currency"], entries=entries,
                effective_from=source_row["price_list__effective_from"],
                effective_to=source_row["price_list__effective_to"],
                customer_types=frozenset(source_row["price_list__customer_types"]),
                is_active=source_row["price_list__is_active"],
            )
        source = SourceCodeInfo(
            id=source_row["id"], code=source_row["code"], campaign_code=source_row["campaign__code"],
            price_list=price_list, promotion_ids=frozenset(source_row["promotion_ids"]),
            offers_free_shipping=source_row["offers_free_shipping"],
            free_shipping_minimum=source_row["free_shipping_minimum"],
            active_from=source_row["active_from"], active_to=source_row["active_to"],
        )

    customer_uses: dict[int, int] = {}
    customer_id = request.customer.customer_id
    limited = [promotion["id"] for promotion in promotions if promotion["max_uses_per_customer"] is not None]
    if customer_id is not None and limited:
        customer_uses = dict(PromotionCustomerUsage.objects.filter(
            customer_id=customer_id, promotion_id__in=limited).values_list("promotion_id", "uses_count"))

    return PricingData(
        skus=skus,
        today=today,
        default_currency=settings.DEFAULT_CURRENCY,
        source_code=source,
        promotions=tuple(_promotion_info(row, customer_uses.get(row["id"], 0)) for row in promotions),
        coupons=coupons,
    )


def _load_skus(codes: list[str], ids: list[int]) -> dict[str, SkuInfo]:
    with connection.cursor() as cursor:
        cursor.execute(_skus_sql(), {"codes": codes, "ids": ids})
        return {code: SkuInfo(id=sku_id, code=code, name=name, category=category, list_price=list_price,
                              currency=currency, personalization_addon=addon or SkuInfo.personalization_addon)
                for sku_id, code, name, category, list_price, currency, addon in cursor.fetchall()}


@functools.cache
def _skus_sql() -> str:
    from catalog.models import PersonalizationTemplate, Style

    return (f"SELECT k.id, k.code, k.name, s.category, k.list_price, k.currency, t.price_addon "
            f"FROM {Sku._meta.db_table} k JOIN {Style._meta.db_table} s ON s.id = k.style_id "
            f"LEFT JOIN {PersonalizationTemplate._meta.db_table} t ON t.id = k.personalization_template_id "
            "WHERE k.code = ANY(%(codes)s::text[]) OR k.id = ANY(%(ids)s::bigint[])")


def _load_source_code(code: str) -> dict | None:
    promotion_ids = ArraySubquery(SourceCode.promotions.through.objects.filter(sourcecode_id=OuterRef("pk"))
                                  .order_by("promotion_id").values("promotion_id"))
    return SourceCode.objects.filter(code=code).annotate(promotion_ids=promotion_ids).values(
        "id", "code", "campaign__code", "price_list_id", "price_list__code", "price_list__currency",
        "price_list__effective_from", "price_list__effective_to", "price_list__customer_types",
        "price_list__is_active", "promotion_ids", "offers_free_shipping", "free_shipping_minimum",
        "active_from", "active_to",
    ).first()


PROMOTION_COLUMNS = (
    "id", "name", "description", "kind", "target", "currency", "percent", "amount", "target_categories",
    "buy_quantity", "get_quantity", "get_sku_id", "tiers", "gift_sku_id", "gift_quantity", "shipping_methods",
    "is_active", "starts_at", "ends_at", "channels", "customer_types", "min_subtotal", "include_categories",
    "exclude_categories", "requires_coupon", "max_uses", "uses_count", "max_uses_per_customer", "priority",
    "is_exclusive",
)
# The many-to-many conditions, each read from its through table: (key, through model, value column).
_RELATIONS = (
    ("target_sku_ids", Promotion.target_skus.through, "sku_id"),
    ("include_sku_ids", Promotion.include_skus.through, "sku_id"),
    ("exclude_sku_ids", Promotion.exclude_skus.through, "sku_id"),
    ("segment_codes", Promotion.segments.through, "segment_id"),
    ("source_code_ids", SourceCode.promotions.through, "sourcecode_id"),
)


def _load_promotions(request: PricingRequest, source_row: dict | None, coupon_promotion_ids: set[int]) -> list[dict]:
    """Active promotions that could apply: a superset; the engine decides with every condition.

    Those running at ``request.at``, plus those the customer asked for by coupon or source code
    (so the engine can say why they did not apply); without the ones that need a coupon nobody
    gave or a source code the order does not carry. One query, with their many-to-many
    conditions as arrays; written as SQL once, since order entry runs it on every keystroke.
    """
    source_ids = sorted(source_row["promotion_ids"]) if source_row else []
    with connection.cursor() as cursor:
        cursor.execute(_promotions_sql(), {
            "at": request.at, "requested": sorted(set(coupon_promotion_ids) | set(source_ids)),
            "coupon_ids": sorted(coupon_promotion_ids), "source_ids": source_ids})
        rows = [dict(zip(_PROMOTION_KEYS, values, strict=True)) for values in cursor.fetchall()]
    for row in rows:
        if isinstance(row["tiers"], str):  # Django reads jsonb as text on its own cursors
            row["tiers"] = json.loads(row["tiers"])
    return rows


_PROMOTION_KEYS = PROMOTION_COLUMNS + tuple(key for key, _through, _column in _RELATIONS)


@functools.cache
def _promotions_sql() -> str:
    quote = connection.ops.quote_name
    columns = [f"p.{quote(Promotion._meta.get_field(name).column)}" for name in PROMOTION_COLUMNS]
    for key, through, column in _RELATIONS:
        table = quote(through._meta.db_table)
        if key == "segment_codes":
            value = (f"SELECT s.code FROM {table} t JOIN {quote(Segment._meta.db_table)} s "
                     f"ON s.id = t.{quote(column)} WHERE t.promotion_id = p.id ORDER BY s.code")
        else:
            value = f"SELECT t.{quote(column)} FROM {table} t WHERE t.promotion_id = p.id ORDER BY 1"
        columns.append(f"ARRAY({value})")
    tied = quote(SourceCode.promotions.through._meta.db_table)
    return (
        f"SELECT {', '.join(columns)} FROM {quote(Promotion._meta.db_table)} p "
        "WHERE p.is_active "
        "AND ((p.starts_at IS NULL OR p.starts_at <= %(at)s) AND (p.ends_at IS NULL OR p.ends_at > %(at)s) "
        "     OR p.id = ANY(%(requested)s::bigint[])) "
        "AND (NOT p.requires_coupon OR p.id = ANY(%(coupon_ids)s::bigint[])) "
        f"AND (NOT EXISTS (SELECT FROM {tied} t WHERE t.promotion_id = p.id) "
        "     OR p.id = ANY(%(source_ids)s::bigint[])) "
        "ORDER BY p.priority, p.id"
    )


def _promotion_info(row: dict, customer_uses: int) -> PromotionInfo:
    try:
        tiers = tuple(parse_tiers(row["tiers"])) if row["tiers"] else ()
    except ValueError:
        tiers = ()  # refused by the form and the model; an empty tier list never applies
    return PromotionInfo(
        id=row["id"], name=row["name"], description=row["description"], kind=row["kind"], target=row["target"],
        currency=row["currency"], percent=row["percent"], amount=row["amount"],
        target_sku_ids=frozenset(row["target_sku_ids"]), target_categories=frozenset(row["target_categories"]),
        buy_quantity=row["buy_quantity"], get_quantity=row["get_quantity"], get_sku_id=row["get_sku_id"],
        tiers=tiers, gift_sku_id=row["gift_sku_id"], gift_quantity=row["gift_quantity"],
        shipping_methods=frozenset(row["shipping_methods"]), is_active=row["is_active"],
        starts_at=row["starts_at"], ends_at=row["ends_at"], channels=frozenset(row["channels"]),
        customer_types=frozenset(row["customer_types"]), segment_codes=frozenset(row["segment_codes"]),
        source_code_ids=frozenset(row["source_code_ids"]), min_subtotal=row["min_subtotal"],
        include_sku_ids=frozenset(row["include_sku_ids"]), exclude_sku_ids=frozenset(row["exclude_sku_ids"]),
        include_categories=frozenset(row["include_categories"]),
        exclude_categories=frozenset(row["exclude_categories"]), requires_coupon=row["requires_coupon"],
        max_uses=row["max_uses"], uses_count=row["uses_count"], max_uses_per_customer=row["max_uses_per_customer"],
        customer_uses=customer_uses, priority=row["priority"], is_exclusive=row["is_exclusive"],
    )
