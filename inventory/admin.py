"""Inventory in the Django admin.

Administrators manage warehouses here. Stock itself changes only through the services (every
change of on hand is a movement), so stock rows, movements, reservations and purchase orders
are shown read-only; the screens under /inventory/ are where they change.
"""

from django.contrib import admin

from inventory.models import PurchaseOrder, PurchaseOrderLine, Reservation, StockLevel, StockMovement, Warehouse


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "ships", "allows_pickup", "priority", "is_active", "city", "country")
    list_editable = ("priority",)
    list_filter = ("kind", "ships", "allows_pickup", "is_active", "country")
    search_fields = ("code", "name", "city", "postal_code")
    ordering = ("priority", "code")


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnlyAdmin):
    list_display = ("sku", "warehouse", "on_hand", "reserved", "value", "updated_at")
    list_filter = ("warehouse",)
    search_fields = ("sku__code",)
    list_select_related = ("sku", "warehouse")
    show_full_result_count = False


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "sku", "warehouse", "kind", "quantity", "reason", "reference", "created_by")
    list_filter = ("kind", "warehouse")
    search_fields = ("sku__code", "reference")
    list_select_related = ("sku", "warehouse", "created_by")
    ordering = ("-pk",)  # newest first along the primary key: no sort over millions of rows
    show_full_result_count = False


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "reference", "sku", "warehouse", "quantity", "status", "requested_sku")
    list_filter = ("status", "warehouse")
    search_fields = ("reference", "sku__code")
    list_select_related = ("sku", "warehouse", "requested_sku")
    ordering = ("-pk",)
    show_full_result_count = False


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    fields = ("sku", "quantity_ordered", "quantity_received", "unit_cost")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    list_display = ("number", "vendor", "warehouse", "status", "expected_on", "created_at")
    list_filter = ("status", "warehouse", "vendor")
    search_fields = ("number", "vendor__name")
    list_select_related = ("vendor", "warehouse")
    inlines = [PurchaseOrderLineInline]
