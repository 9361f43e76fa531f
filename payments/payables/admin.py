"""The match tolerances in the admin: one row, edited in place, never deleted."""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse

from payments.payables.models import MatchTolerance


@admin.register(MatchTolerance)
class MatchToleranceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "quantity_units", "quantity_percent", "price_percent", "price_amount",
                    "updated_at")
    fields = ("quantity_units", "quantity_percent", "price_percent", "price_amount")

    def has_add_permission(self, request) -> bool:
        return not MatchTolerance.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        """Straight to the one row (or to adding it, the first time)."""
        tolerance = MatchTolerance.objects.first()
        if tolerance is None:
            return HttpResponseRedirect(reverse("admin:payments_matchtolerance_add"))
        return HttpResponseRedirect(reverse("admin:payments_matchtolerance_change", args=[tolerance.pk]))
