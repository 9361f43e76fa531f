"""Forms of the stock and purchasing screens. They check input; the services check the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.forms import BootstrapFormMixin, SkuCodeField
from catalog.models import Sku, Vendor
from inventory.models import PurchaseOrder, PurchaseOrderLine, Warehouse
from inventory.selectors import RECEIVABLE, vendor_costs

MAX_UNITS = 1_000_000


def warehouse_field(label) -> forms.ModelChoiceField:
    """A choice of the active warehouses, in fulfillment order."""
    return forms.ModelChoiceField(label=label, empty_label=_("Choose a warehouse"),
                                  queryset=Warehouse.objects.filter(is_active=True).order_by("priority", "code"))


class StockAdjustForm(BootstrapFormMixin, forms.Form):
    sku = SkuCodeField()
    warehouse = warehouse_field(_("Warehouse"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=-MAX_UNITS, max_value=MAX_UNITS,
                                  help_text=_("Positive adds units, negative takes them away."))
    reason = forms.CharField(label=_("Reason"), max_length=200,
                             help_text=_("Why the stock changes, e.g. damaged in storage or found on the shelf."))

    def clean_quantity(self) -> int:
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError(_("Enter a quantity other than zero."), code="zero")
        return quantity


class StockTransferForm(BootstrapFormMixin, forms.Form):
    sku = SkuCodeField()
    source = warehouse_field(_("From"))
    destination = warehouse_field(_("To"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_UNITS)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class StockCountForm(BootstrapFormMixin, forms.Form):
    sku = SkuCodeField()
    warehouse = warehouse_field(_("Warehouse"))
    counted = forms.IntegerField(label=_("Counted quantity"), min_value=0, max_value=MAX_UNITS,
                                 help_text=_("Everything on the shelf; the difference to on hand is booked."))
    reason = forms.CharField(label=_("Note"), max_length=200, required=False)


# --- purchase orders ------------------------------------------------------------------------


class PurchaseOrderFilterForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("All statuses")), (RECEIVABLE, _("To receive")), *PurchaseOrder.Status.choices],
    )
    vendor = forms.ModelChoiceField(label=_("Vendor"), required=False, queryset=Vendor.objects.order_by("name"),
                                    empty_label=_("All vendors"))


class PurchaseOrderForm(BootstrapFormMixin, forms.Form):
    vendor = forms.ModelChoiceField(label=_("Vendor"), queryset=Vendor.objects.filter(is_active=True).order_by("name"),
                                    empty_label=_("Choose a vendor"))
    warehouse = warehouse_field(_("Deliver to"))
    expected_on = forms.DateField(label=_("Expected on"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PurchaseOrderLineForm(BootstrapFormMixin, forms.Form):
    sku = SkuCodeField(required=False, help_text="")
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_UNITS, required=False)
    unit_cost = forms.DecimalField(label=_("Unit cost"), min_value=Decimal("0"), max_digits=14, decimal_places=3,
                                   required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sku") and not cleaned.get("quantity") and "quantity" not in self.errors:
            self.add_error("quantity", _("Enter the quantity to order."))
        if cleaned.get("quantity") and not cleaned.get("sku") and "sku" not in self.errors:
            self.add_error("sku", _("Enter the SKU to order."))
        return cleaned


class BasePurchaseOrderLineFormSet(forms.BaseFormSet):
    def lines(self, *, vendor: Vendor) -> list[tuple[Sku, int, Decimal]] | None:
        """(sku, quantity, unit cost) of the filled rows, a blank cost taken from the vendor's price.

        Returns None, with an error on the row, when a blank cost has no vendor price to use.
        """
        filled = [form for form in self.forms if form.cleaned_data.get("sku")]
        costs = vendor_costs(vendor=vendor, sku_ids=[form.cleaned_data["sku"].pk for form in filled])
        lines, complete = [], True
        for form in filled:
            sku, cost = form.cleaned_data["sku"], form.cleaned_data.get("unit_cost")
            if cost is None:
                cost = costs.get(sku.pk)
            if cost is None:
                form.add_error("unit_cost", _("%(vendor)s has no price for %(code)s: enter the unit cost.")
                               % {"vendor": vendor.name, "code": sku.code})
                complete = False
                continue
            lines.append((sku, form.cleaned_data["quantity"], cost))
        return lines if complete else None


PurchaseOrderLineFormSet = forms.formset_factory(
    PurchaseOrderLineForm, formset=BasePurchaseOrderLineFormSet, extra=3, max_num=200, absolute_max=200,
)


class PurchaseOrderReceiveForm(BootstrapFormMixin, forms.Form):
    """One quantity per open line (``line_<id>``), and over-receipt for those allowed it."""

    def __init__(self, *args, lines: list[PurchaseOrderLine], can_over_receive: bool, **kwargs) -> None:
        self.lines = lines
        super().__init__(*args, **kwargs)
        for line in lines:
            self.fields[self.field_name(line)] = forms.IntegerField(
                label=line.sku.code, min_value=0, max_value=MAX_UNITS, required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0"}),
            )
        if can_over_receive:
            self.fields["allow_over_receipt"] = forms.BooleanField(
                label=_("Allow over-receipt (receive more than is still expected)"), required=False)
        for name, field in self.fields.items():  # the mixin ran before these fields existed
            if name != "allow_over_receipt":
                field.widget.attrs["class"] = "form-control text-end"
            else:
                field.widget.attrs["class"] = "form-check-input"

    @staticmethod
    def field_name(line: PurchaseOrderLine) -> str:
        return f"line_{line.pk}"

    def rows(self) -> list[tuple[PurchaseOrderLine, forms.BoundField]]:
        return [(line, self[self.field_name(line)]) for line in self.lines]

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data.get(self.field_name(line)) or 0 for line in self.lines
                if self.cleaned_data.get(self.field_name(line))}
