"""Loads what the engine needs for one request, in a fixed number of queries (at most seven).

The queries do not depend on the number of lines or promotions: one each for the source code
(with its price list, campaign and promotion ids), the coupons, the promotions, their
many-to-many conditions (one UNION ALL over the through tables), the SKUs (basket, gifts and
free SKUs), the price list entries and the customer's past uses.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Exists, OuterRef, Q

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
    skus = {
        row["code"]: SkuInfo(
            id=row["id"], code=row["code"], name=row["name"], category=row["style__category"],
            list_price=row["list_price"], currency=row["currency"],
            personalization_addon=row["personalization_template__price_addon"] or SkuInfo.personalization_addon,
        )
        for row in Sku.objects.filter(Q(code__in=basket_codes) | Q(pk__in=extra_ids)).values(
            "id", "code", "name", "style__category", "list_price", "currency",
            "personalization_template__price_addon")
    } if basket_codes or extra_ids else {}

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
    gave or a source code the order does not carry. Two queries: the promotions, then all their
    many-to-many conditions at once.
    """
    requested = set(coupon_promotion_ids) | set(source_row["promotion_ids"] if source_row else ())
    running = (Q(starts_at__isnull=True) | Q(starts_at__lte=request.at)) & (
        Q(ends_at__isnull=True) | Q(ends_at__gt=request.at))
    tied_to_no_source_code = ~Exists(SourceCode.promotions.through.objects.filter(promotion_id=OuterRef("pk")))
    queryset = Promotion.objects.active().filter(
        running | Q(pk__in=requested),
        Q(requires_coupon=False) | Q(pk__in=coupon_promotion_ids),
        tied_to_no_source_code | Q(pk__in=source_row["promotion_ids"] if source_row else ()),
    )
    rows = [dict(zip(PROMOTION_COLUMNS, values, strict=True))
            for values in queryset.order_by("priority", "pk").values_list(*PROMOTION_COLUMNS)]
    if not rows:
        return rows
    related: dict[str, dict[int, list]] = {key: {} for key, _through, _column in _RELATIONS}
    for key, promotion_id, value in _related_rows([row["id"] for row in rows]):
        related[key].setdefault(promotion_id, []).append(value)
    for row in rows:
        for key, _through, _column in _RELATIONS:
            row[key] = related[key].get(row["id"], ())
    return rows


def _related_rows(promotion_ids: list[int]):
    """(relation key, promotion id, value) for every many-to-many condition of the promotions, in one query."""
    quote = connection.ops.quote_name
    parts = []
    for key, through, column in _RELATIONS:
        table = quote(through._meta.db_table)
        if key == "segment_codes":
            parts.append(f"SELECT '{key}', t.promotion_id, s.code FROM {table} t "
                         f"JOIN {quote(Segment._meta.db_table)} s ON s.id = t.{quote(column)} "
                         f"WHERE t.promotion_id = ANY(%s)")
        else:
            parts.append(f"SELECT '{key}', t.promotion_id, t.{quote(column)}::text FROM {table} t "
                         f"WHERE t.promotion_id = ANY(%s)")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), [promotion_ids] * len(parts))
        for key, promotion_id, value in cursor.fetchall():
            yield key, promotion_id, value if key == "segment_codes" else int(value)


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
