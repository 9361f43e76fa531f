"""Forms of the refund screens (free text scanned for card numbers, as every form: oms.forms)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.forms import BootstrapFormMixin


class RefundRequestForm(BootstrapFormMixin, forms.Form):
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), max_digits=14, decimal_places=3)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class RefundRejectForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why it is rejected"), max_length=300)
