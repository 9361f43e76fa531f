from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import Warehouse
from orders.fulfillment.services import MAX_WAVE_ORDERS, ShortPickChoice, ShortPickRoute
from orders.models import ShippingMethod


class WaveCreateForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.filter(is_active=True),
                                       widget=forms.Select(attrs={"class": "form-select"}))
    limit = forms.IntegerField(label=_("Orders"), min_value=1, max_value=MAX_WAVE_ORDERS, initial=25,
                               widget=forms.NumberInput(attrs={"class": "form-control"}))
    carrier = forms.CharField(label=_("Carrier"), required=False, max_length=50,
                              widget=forms.TextInput(attrs={"class": "form-control"}))
    shipping_method = forms.ModelChoiceField(label=_("Shipping method"), required=False,
                                             queryset=ShippingMethod.objects.filter(is_active=True),
                                             widget=forms.Select(attrs={"class": "form-select"}))
    promised_by = forms.DateField(label=_("Promised by"), required=False,
                                  help_text=_("Only orders promised on or before this day."),
                                  widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}))
    single_line_first = forms.BooleanField(label=_("Single-line orders first"), required=False, initial=True,
                                           widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


class ScanForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    code = forms.CharField(label=_("Scan"), max_length=80, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control form-control-lg font-monospace",
                                                         "autocomplete": "off", "autofocus": True,
                                                         "data-scan-field": ""}))


class ShortPickForm(forms.Form):
    reason = forms.CharField(label=_("Why is it short?"), max_length=200,
                             widget=forms.TextInput(attrs={"class": "form-control"}))
    route = forms.ChoiceField(label=_("Send the shortfall"), choices=[
        (ShortPickRoute.BACKORDER, _("Back to backorder")),
        (ShortPickRoute.OTHER_WAREHOUSE, _("To another warehouse that has it"))],
        initial=ShortPickRoute.BACKORDER, widget=forms.Select(attrs={"class": "form-select"}))


class ShortPickAnswerForm(forms.Form):
    choice = forms.ChoiceField(label=_("The customer's choice"), choices=[
        (ShortPickChoice.WAIT, _("Wait for stock")),
        (ShortPickChoice.SUBSTITUTE, _("Take a substitute")),
        (ShortPickChoice.CANCEL, _("Cancel the short units"))], widget=forms.Select(attrs={"class": "form-select"}))
    substitute = forms.CharField(label=_("Substitute SKU"), required=False, max_length=40,
                                 widget=forms.TextInput(attrs={"class": "form-control"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=200,
                           widget=forms.TextInput(attrs={"class": "form-control"}))


class BinForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.filter(is_active=True),
                                       widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    code = forms.CharField(label=_("Bin"), max_length=40, required=False,
                           help_text=_("Empty removes the bin."),
                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
