"""Gift cards in the Django admin, read-only: balances move only through the services (and their postings)."""

from django.contrib import admin

from payments.giftcards.models import GiftCard, GiftCardTransaction


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class GiftCardTransactionInline(admin.TabularInline):
    model = GiftCardTransaction
    fields = ("created_at", "kind", "amount", "order", "tender_id", "created_by", "memo")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(GiftCard)
class GiftCardAdmin(_ReadOnly):
    list_display = ("masked_code", "kind", "status", "balance", "currency", "expires_on", "created_at")
    list_filter = ("status", "kind", "currency")
    search_fields = ("last4",)
    exclude = ("code_hash",)  # the hash is a lookup key, not something to show
    inlines = [GiftCardTransactionInline]
