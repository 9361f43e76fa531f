from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.forms import BootstrapFormMixin
from inventory.postings import business_date

MAX_DAYS = 92  # a quarter: the report reads the gateway once per card tender in the range


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PaymentReconciliationForm(BootstrapFormMixin, forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("To"), required=False, widget=_date_input())

    def clean(self):
        cleaned = super().clean()
        today = business_date()
        cleaned["date_to"] = cleaned.get("date_to") or today
        cleaned["date_from"] = cleaned.get("date_from") or cleaned["date_to"] - timedelta(days=6)
        if cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("The end date cannot be before the start."))
        elif (cleaned["date_to"] - cleaned["date_from"]).days >= MAX_DAYS:
            self.add_error("date_from", _("Choose at most %(days)d days.") % {"days": MAX_DAYS})
        return cleaned
