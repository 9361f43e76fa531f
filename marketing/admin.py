from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from marketing.models import (
    Campaign,
    Coupon,
    CouponBatch,
    PriceList,
    PriceListEntry,
    Promotion,
    PromotionCustomerUsage,
    PromotionUsage,
    Segment,
    SourceCode,
)
from marketing.resources import PriceListEntryResource


class SourceCodeInline(admin.TabularInline):
    model = SourceCode
    extra = 0
    fields = ["code", "description", "price_list", "offers_free_shipping", "active_from", "active_to",
              "mailed_on", "quantity_circulated", "cost"]
    show_change_link = True


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "medium", "starts_on", "ends_on", "cost", "quantity_circulated"]
    list_filter = ["medium"]
    search_fields = ["code", "name"]
    inlines = [SourceCodeInline]


@admin.register(SourceCode)
class SourceCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "campaign", "price_list", "offers_free_shipping", "active_from", "active_to",
                    "mailed_on", "quantity_circulated", "cost"]
    search_fields = ["code", "campaign__code"]
    list_select_related = ["campaign", "price_list"]
    filter_horizontal = ["promotions"]


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "currency", "effective_from", "effective_to", "is_active"]
    search_fields = ["code", "name"]


@admin.register(PriceListEntry)
class PriceListEntryAdmin(ImportExportModelAdmin):
    resource_classes = [PriceListEntryResource]
    list_display = ["price_list", "sku", "price", "effective_from", "effective_to"]
    list_select_related = ["price_list", "sku"]
    list_filter = ["price_list"]
    search_fields = ["sku__code"]
    raw_id_fields = ["sku"]


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "target", "priority", "is_exclusive", "is_active", "starts_at", "ends_at",
                    "uses_count", "max_uses"]
    list_filter = ["kind", "is_active", "is_exclusive"]
    search_fields = ["name"]
    raw_id_fields = ["get_sku", "gift_sku", "target_skus", "include_skus", "exclude_skus"]
    readonly_fields = ["uses_count"]


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ["code", "promotion", "campaign", "uses_count", "max_uses", "is_active"]
    search_fields = ["code"]
    list_select_related = ["promotion", "campaign"]
    raw_id_fields = ["batch"]
    readonly_fields = ["uses_count"]


@admin.register(CouponBatch)
class CouponBatchAdmin(admin.ModelAdmin):
    list_display = ["pk", "promotion", "campaign", "prefix", "quantity", "created_at"]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "min_spend", "min_order_count", "last_order_within_days", "channel", "is_active"]
    search_fields = ["code", "name"]


@admin.register(PromotionUsage)
class PromotionUsageAdmin(admin.ModelAdmin):
    list_display = ["promotion", "order_reference", "customer_id", "coupon", "used_at"]
    search_fields = ["order_reference"]
    raw_id_fields = ["promotion", "coupon"]


admin.site.register(PromotionCustomerUsage)
