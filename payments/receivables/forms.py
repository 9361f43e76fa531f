from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from oms.forms import FreeTextFormMixin
from payments.receivables.models import CustomerPayment
from payments.receivables.selectors import SORTS


class AgingFilterForm(FreeTextFormMixin, forms.Form):
    q = forms.CharField(label=_("Customer"), required=False, max_length=100)
    as_of = forms.DateField(label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    past_due = forms.BooleanField(label=_("Past due only"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[
        ("customer", _("Customer")), ("total", _("Total open")), ("over_90", _("Over 90 days"))])
    after = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def clean_sort(self) -> str:
        return self.cleaned_data.get("sort") if self.cleaned_data.get("sort") in SORTS else "customer"


class StatementForm(FreeTextFormMixin, forms.Form):
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("starts_on") and cleaned.get("ends_on") and cleaned["starts_on"] > cleaned["ends_on"]:
            raise forms.ValidationError(_("The statement starts after it ends."))
        return cleaned


class PaymentReceiveForm(FreeTextFormMixin, forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=3, min_value=0)
    method = forms.ChoiceField(label=_("Method"), choices=[
        choice for choice in CustomerPayment.Method.choices if choice[0] != CustomerPayment.Method.CREDIT_NOTE])
    reference = forms.CharField(label=_("Reference"), max_length=30, required=False,
                                help_text=_("The check number for a check."))
    received_on = forms.DateField(label=_("Received on"), initial=date.today,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    check_date = forms.DateField(label=_("Check date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    apply_to_oldest = forms.BooleanField(label=_("Apply to the oldest open invoices"), required=False, initial=True)


class ApplyForm(FreeTextFormMixin, forms.Form):
    invoice = forms.IntegerField(widget=forms.HiddenInput)
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=3, min_value=0)
