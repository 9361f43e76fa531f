"""Django admin for orders: settings are edited here (delivery methods, tax rates); orders are read.

Orders change only through the services (``orders.services``): the order admin is read-only,
and its one action cancels through ``order_cancel``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from orders.models import (
    Address,
    Customer,
    Hold,
    LineAllocation,
    Order,
    OrderEvent,
    OrderLine,
    ShippingMethod,
    TaxRate,
)


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "carrier", "fulfillment_type", "base_charge", "per_item_charge",
                    "currency", "serves_po_boxes", "transit_days", "is_active", "position")
    list_filter = ("fulfillment_type", "is_active", "serves_po_boxes")
    list_editable = ("is_active", "position")
    search_fields = ("code", "name", "carrier")


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ("country", "region", "tax_class", "rate", "applies_to_shipping")
    list_filter = ("tax_class", "country", "applies_to_shipping")
    search_fields = ("country", "region")


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("number", "first_name", "last_name", "company", "customer_type", "terms", "is_tax_exempt",
                    "marketing_opt_in")
    list_filter = ("customer_type", "terms", "is_tax_exempt", "marketing_opt_in")
    search_fields = ("number", "last_name", "first_name", "company")
    readonly_fields = ("number", "created_at", "updated_at")
    raw_id_fields = ("default_ship_address", "default_bill_address")
    inlines = [AddressInline]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("line_number", "sku_code", "description", "quantity", "quantity_allocated", "quantity_shipped",
              "quantity_cancelled", "unit_price", "personalization_amount", "discount_amount", "tax_amount",
              "line_total", "expected_on", "substituted_from")


class HoldInline(ReadOnlyInline):
    model = Hold
    fk_name = "order"
    fields = ("reason", "note", "created_by", "created_at", "released_by", "released_at", "release_note")


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "kind", "from_status", "to_status", "message", "actor")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "channel", "customer", "status", "total", "currency", "placed_at")
    list_filter = ("status", "channel", "fulfillment_type")
    search_fields = ("number", "external_id", "customer__number", "customer__last_name")
    date_hierarchy = "placed_at"
    list_select_related = ("customer",)
    inlines = [OrderLineInline, HoldInline, OrderEventInline]
    actions = ["cancel_orders"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Cancel the selected orders"), permissions=["cancel"])
    def cancel_orders(self, request, queryset):
        from orders.services import OrderError, order_cancel

        done = 0
        for order in queryset.order_by("pk"):
            try:
                order_cancel(order=order, user=request.user, reason=str(_("Cancelled in the admin.")))
                done += 1
            except OrderError as error:
                self.message_user(request, f"{order.number}: {error}", messages.WARNING)
        self.message_user(request, _("%(count)d orders cancelled.") % {"count": done})

    def has_cancel_permission(self, request) -> bool:
        return request.user.has_perm("orders.cancel_order")


@admin.register(LineAllocation)
class LineAllocationAdmin(admin.ModelAdmin):
    list_display = ("line", "warehouse", "quantity", "is_open", "reason", "created_at")
    list_filter = ("is_open", "warehouse")
    raw_id_fields = ("line",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


from orders.fulfillment.carriers import admin as carriers_admin  # noqa: E402,F401  (registers its models)
from orders.stafftasks import admin as stafftasks_admin  # noqa: E402,F401  (registers its models)
from orders.returns import admin as returns_admin  # noqa: E402,F401  (registers its models)
