"""Admin: the return windows per channel are data; RMAs, receipts and vendor credits are read-only here."""

from __future__ import annotations

from django.contrib import admin

from orders.returns.models import ReturnPolicy, ReturnReceipt, Rma, VendorCredit, WarrantyClaim


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    list_display = ("channel", "window_days")
    search_fields = ("channel",)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Rma)
class RmaAdmin(_ReadOnly):
    list_display = ("number", "order", "status", "outcome", "source", "warehouse", "created_at")
    list_filter = ("status", "outcome", "source")
    search_fields = ("number", "order__number")


@admin.register(ReturnReceipt)
class ReturnReceiptAdmin(_ReadOnly):
    list_display = ("rma_line", "disposition", "warehouse", "received_by", "received_at")
    list_filter = ("disposition",)


@admin.register(VendorCredit)
class VendorCreditAdmin(_ReadOnly):
    list_display = ("kind", "vendor", "sku", "quantity", "amount", "status", "created_at")
    list_filter = ("kind", "status")


@admin.register(WarrantyClaim)
class WarrantyClaimAdmin(_ReadOnly):
    list_display = ("order_line", "quantity", "status", "created_at")
    list_filter = ("status",)
