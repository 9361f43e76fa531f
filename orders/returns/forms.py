from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import Warehouse
from oms.forms import FreeTextFormMixin
from orders.returns.models import Disposition, ReturnReason, Rma

_SELECT = {"class": "form-select"}
_TEXT = {"class": "form-control"}


class RmaForm(FreeTextFormMixin, forms.Form):
    """The RMA's head; each returnable line adds ``quantity_<line id>`` and ``reason_<line id>``."""

    outcome = forms.ChoiceField(label=_("Outcome"), choices=Rma.Outcome.choices, initial=Rma.Outcome.REFUND,
                                widget=forms.Select(attrs=_SELECT))
    note = forms.CharField(label=_("Note"), max_length=300, required=False, widget=forms.TextInput(attrs=_TEXT))
    override_reason = forms.CharField(
        label=_("Manager's override: why"), max_length=300, required=False, widget=forms.TextInput(attrs=_TEXT),
        help_text=_("Needed for a personalized or non-returnable item, or past the return window."))

    def __init__(self, *args, returnable=(), warehouses=None, exchange: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.returnable = list(returnable)
        if warehouses is not None:
            self.fields["warehouse"] = forms.ModelChoiceField(
                label=_("Returned at"), queryset=warehouses, widget=forms.Select(attrs=_SELECT))
        if not exchange:
            self.fields["outcome"].choices = [(Rma.Outcome.REFUND, Rma.Outcome.REFUND.label)]
        for item in self.returnable:
            self.fields[f"quantity_{item.line.pk}"] = forms.IntegerField(
                label=_("Units of line %(line)d") % {"line": item.line.line_number}, min_value=0,
                max_value=item.returnable, initial=0, required=False,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "inputmode": "numeric"}))
            self.fields[f"reason_{item.line.pk}"] = forms.ChoiceField(
                label=_("Reason for line %(line)d") % {"line": item.line.line_number}, choices=ReturnReason.choices,
                initial=ReturnReason.DEFECTIVE, widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
            self.fields[f"replacement_{item.line.pk}"] = forms.CharField(
                label=_("Exchange line %(line)d for SKU") % {"line": item.line.line_number}, max_length=40,
                required=False, widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))

    def rows(self):
        return [(item, self[f"quantity_{item.line.pk}"], self[f"reason_{item.line.pk}"],
                 self[f"replacement_{item.line.pk}"]) for item in self.returnable]


class ReturnFindForm(FreeTextFormMixin, forms.Form):
    not_scanned = ("code",)  # a scanned RMA, order or tracking number
    code = forms.CharField(label=_("Scan the RMA, order or tracking number"), max_length=80,
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off",
                                                         "class": "form-control form-control-lg font-monospace",
                                                         "data-scan-field": ""}))


class ReceiveForm(FreeTextFormMixin, forms.Form):
    not_scanned = ("code",)  # a scanned item barcode
    token = forms.UUIDField(widget=forms.HiddenInput)
    code = forms.CharField(label=_("Scan the item's barcode"), max_length=80,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True,
                                                         "class": "form-control form-control-lg font-monospace",
                                                         "data-scan-field": ""}))
    disposition = forms.ChoiceField(label=_("Disposition"), choices=Disposition.choices, initial=Disposition.RESTOCK,
                                    widget=forms.Select(attrs=_SELECT))
    condition = forms.CharField(label=_("Inspection"), max_length=300, required=False,
                                widget=forms.TextInput(attrs=_TEXT))


class WarehouseChoiceForm(FreeTextFormMixin, forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Store"), queryset=Warehouse.objects.filter(is_active=True),
                                       widget=forms.Select(attrs=_SELECT))


class SelfServiceRmaForm(RmaForm):
    """The customer's own: lines, units and reasons; no override, no exchange, no warehouse choice."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["override_reason"]
        self.fields["note"].label = _("Anything we should know?")


class WarrantyClaimForm(FreeTextFormMixin, forms.Form):
    line = forms.TypedChoiceField(label=_("Item"), coerce=int, widget=forms.Select(attrs=_SELECT))
    quantity = forms.IntegerField(label=_("Units"), min_value=1, initial=1,
                                  widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}))
    description = forms.CharField(label=_("What is wrong"), max_length=500, widget=forms.TextInput(attrs=_TEXT))

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [(line.pk, f"{line.line_number}: {line.sku_code} {line.description}")
                                       for line in lines]
