"""Admin for the carriers' settings: table-rate zones and their weight bands, label printers.
Labels and manifests are read-only here; they change through the services."""

from __future__ import annotations

from django.contrib import admin

from orders.fulfillment.carriers.models import (
    CarrierLabel,
    CarrierManifest,
    CarrierRate,
    CarrierZone,
    LabelPrinter,
)


class CarrierRateInline(admin.TabularInline):
    model = CarrierRate
    extra = 1
    fields = ("service", "max_weight_grams", "amount", "currency", "transit_days")


@admin.register(CarrierZone)
class CarrierZoneAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "country", "region", "postal_prefix", "is_active")
    list_filter = ("country", "is_active")
    search_fields = ("code", "name", "postal_prefix")
    inlines = [CarrierRateInline]


@admin.register(LabelPrinter)
class LabelPrinterAdmin(admin.ModelAdmin):
    list_display = ("name", "warehouse", "label_format", "is_active")
    list_filter = ("label_format", "warehouse", "is_active")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CarrierLabel)
class CarrierLabelAdmin(ReadOnlyAdmin):
    list_display = ("tracking_number", "carrier", "service", "warehouse", "cost", "currency", "bought_at",
                    "tracking_status", "delivered_at", "voided_at", "manifest")
    list_filter = ("carrier", "warehouse", "tracking_status")
    search_fields = ("tracking_number", "shipment_reference")
    exclude = ("content",)


@admin.register(CarrierManifest)
class CarrierManifestAdmin(ReadOnlyAdmin):
    list_display = ("carrier", "warehouse", "day", "label_count", "closed_by", "closed_at")
    list_filter = ("carrier", "warehouse")
    exclude = ("pdf",)
