"""Catalog in the Django admin. Kit contents are edited in the kit editor, which refuses cycles."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from catalog.models import KitComponent, PersonalizationField, PersonalizationTemplate, Sku, Style, Vendor, VendorItem


class SkuInline(admin.TabularInline):
    model = Sku
    fields = ("code", "name", "barcode", "option_values", "list_price", "status")
    show_change_link = True
    extra = 0


@admin.register(Style)
class StyleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "category", "status", "created_at")
    list_filter = ("status", "category")
    search_fields = ("code", "name")
    inlines = [SkuInline]


class KitComponentInline(admin.TabularInline):
    """Read-only: a change here would bypass the cycle check of ``kit_component_set``."""

    model = KitComponent
    fk_name = "kit"
    fields = ("component", "quantity")
    readonly_fields = ("component", "quantity")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class VendorItemInline(admin.TabularInline):
    model = VendorItem
    fields = ("vendor", "vendor_sku", "cost", "lead_time_days", "minimum_order_quantity", "pack_size", "is_preferred")
    autocomplete_fields = ("vendor",)
    extra = 0


@admin.register(Sku)
class SkuAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "style", "status", "is_kit", "list_price", "currency")
    list_filter = ("status", "is_kit", "gift_card", "tax_class", "currency")
    search_fields = ("code", "name", "barcode")
    list_select_related = ("style",)
    autocomplete_fields = ("style", "personalization_template")
    readonly_fields = ("is_kit", "average_cost", "kit_editor", "created_at", "updated_at")
    inlines = [KitComponentInline, VendorItemInline]
    show_full_result_count = False  # no COUNT(*) over every SKU on each page of the list

    @admin.display(description=_("Kit contents"))
    def kit_editor(self, sku: Sku) -> str:
        if not sku.pk:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("catalog:kit_edit", args=[sku.pk]), _("Open the kit editor"))


class PersonalizationFieldInline(admin.TabularInline):
    model = PersonalizationField
    fields = ("position", "key", "label", "kind", "is_required", "max_length", "allowed_characters", "choices")
    extra = 0


@admin.register(PersonalizationTemplate)
class PersonalizationTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "price_addon", "currency")
    search_fields = ("name",)
    inlines = [PersonalizationFieldInline]


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "email", "currency", "lead_time_days", "is_active")
    list_filter = ("is_active", "currency")
    search_fields = ("code", "name", "email")


@admin.register(VendorItem)
class VendorItemAdmin(admin.ModelAdmin):
    list_display = ("vendor", "sku", "vendor_sku", "cost", "minimum_order_quantity", "is_preferred")
    list_filter = ("is_preferred", "vendor")
    search_fields = ("sku__code", "vendor_sku", "vendor__name")
    list_select_related = ("vendor", "sku")
    autocomplete_fields = ("vendor", "sku")
