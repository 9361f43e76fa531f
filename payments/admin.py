"""The ledger in the Django admin.

The chart of accounts (with each account's codes in the export targets) and the posting map are
edited here. The journal is append-only (database triggers) and periods close through the
services, so entries, lines, periods and their events are shown read-only.
"""

from django.contrib import admin

from payments.models import (
    Account,
    ClosingBalance,
    FiscalPeriod,
    JournalEntry,
    JournalLine,
    PaymentAttempt,
    PaymentCard,
    PeriodEvent,
    PostingRule,
    Tender,
    WebhookEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "type", "is_active", "gp_account_number", "sage50_account_id",
                    "quickbooks_account_name")
    list_filter = ("type", "is_active")
    search_fields = ("code", "name")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # an account with lines is kept; deactivate it instead


@admin.register(PostingRule)
class PostingRuleAdmin(admin.ModelAdmin):
    list_display = ("role", "warehouse", "account")
    list_filter = ("warehouse",)
    search_fields = ("role", "account__code", "account__name")
    list_select_related = ("warehouse", "account")
    autocomplete_fields = ("account",)


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    fields = ("account", "debit", "credit", "currency", "warehouse", "memo")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("pk", "entry_date", "kind", "source_type", "source_id", "memo", "created_by")
    list_filter = ("kind", "period")
    search_fields = ("memo", "source_id")
    date_hierarchy = "entry_date"
    inlines = [JournalLineInline]


@admin.register(FiscalPeriod)
class FiscalPeriodAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "year", "number", "starts_on", "ends_on", "status", "closed_at", "closed_by")
    list_filter = ("status", "year")


@admin.register(PeriodEvent)
class PeriodEventAdmin(ReadOnlyAdmin):
    list_display = ("period", "action", "reason", "user", "at")


@admin.register(ClosingBalance)
class ClosingBalanceAdmin(ReadOnlyAdmin):
    list_display = ("period", "account", "debit_total", "credit_total")
    list_filter = ("period",)


# --- tenders: read-only (they change only through the payment services, which call the gateway) ---


class PaymentAttemptInline(admin.TabularInline):
    model = PaymentAttempt
    fields = ("action", "amount", "status", "idempotency_key", "gateway_id", "error_code", "error_message",
              "created_at", "completed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Tender)
class TenderAdmin(ReadOnlyAdmin):
    list_display = ("pk", "order", "sequence", "kind", "status", "amount", "authorized_amount", "captured_amount",
                    "refunded_amount", "currency", "authorization_expires_at")
    list_filter = ("kind", "status")
    search_fields = ("order__number", "reference", "stripe_payment_intent_id")
    list_select_related = ("order",)
    inlines = [PaymentAttemptInline]


@admin.register(PaymentCard)
class PaymentCardAdmin(ReadOnlyAdmin):
    list_display = ("pk", "customer", "brand", "last4", "exp_month", "exp_year", "is_saved")
    search_fields = ("customer__number", "last4")
    list_select_related = ("customer",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "type", "received_at", "processed_at", "result")
    list_filter = ("type",)
    search_fields = ("event_id",)


# Gift cards register theirs (read-only) in payments.giftcards.admin.
from payments.giftcards import admin as gift_card_admin  # noqa: E402,F401


# --- refunds ----------------------------------------------------------------------------------------

from payments.refunds.models import RefundPolicy  # noqa: E402


@admin.register(RefundPolicy)
class RefundPolicyAdmin(admin.ModelAdmin):
    """The one settings row of refunds: the amount above which a refund needs approval."""

    list_display = ("approval_threshold", "updated_at")

    def has_add_permission(self, request) -> bool:
        return not RefundPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
