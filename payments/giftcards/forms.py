from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from oms.forms import FreeTextFormMixin
from payments.giftcards.models import GiftCard


class GiftCardSearchForm(FreeTextFormMixin, forms.Form):
    q = forms.CharField(label=_("Last four characters"), max_length=20, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status"))] + list(GiftCard.Status.choices))


class GiftCardEnquiryForm(FreeTextFormMixin, forms.Form):
    code = forms.CharField(label=_("Gift card code"), max_length=40,
                           widget=forms.TextInput(attrs={"class": "form-control font-monospace", "autocomplete": "off",
                                                         "spellcheck": "false", "autofocus": True}))


class GiftCardIssueForm(FreeTextFormMixin, forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"),
                                widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}))
    currency = forms.CharField(label=_("Currency"), max_length=3, initial=settings.DEFAULT_CURRENCY,
                               widget=forms.TextInput(attrs={"class": "form-control text-uppercase"}))
    reason = forms.CharField(label=_("Reason"), max_length=500,
                             widget=forms.TextInput(attrs={"class": "form-control"}),
                             help_text=_("Why the customer gets it: it is kept with the card."))
    expires_on = forms.DateField(label=_("Expires on"), required=False,
                                 widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}))

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError(_("A currency is a three-letter ISO code."))
        return currency
