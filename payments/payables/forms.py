"""Forms of the vendor bill screens. They check input; the services and the match check the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog.forms import BootstrapFormMixin
from catalog.models import Vendor
from inventory.postings import business_date
from payments.payables.matching import BillLineFacts, OrderLineFacts
from payments.payables.models import VendorBill
from payments.payables.selectors import billable_purchase_orders

MAX_UNITS = 1_000_000
MONEY_FIELD = {"max_digits": 14, "decimal_places": 3, "min_value": Decimal("0")}


class PurchaseOrderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, order) -> str:
        return f"{order.number} · {order.vendor.name}"


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VendorBillForm(BootstrapFormMixin, forms.Form):
    """The bill's header, and a quantity and unit cost per line of the chosen purchase order
    (``quantity_<line id>``, ``unit_cost_<line id>``), prefilled with what was received and not billed."""

    purchase_order = PurchaseOrderChoiceField(label=_("Purchase order"), queryset=billable_purchase_orders(),
                                              empty_label=_("Choose a purchase order"))
    bill_number = forms.CharField(label=_("Bill number"), max_length=50,
                                  help_text=_("The vendor's invoice number."))
    bill_date = forms.DateField(label=_("Bill date"), widget=_date_input())
    due_date = forms.DateField(label=_("Due date"), required=False, widget=_date_input())
    freight = forms.DecimalField(label=_("Freight"), required=False, **MONEY_FIELD)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, lines: list[OrderLineFacts], bill: VendorBill | None = None, **kwargs) -> None:
        """``bill``: a draft being corrected; its purchase order stays and its own lines fill the form."""
        self.lines = lines
        self.bill = bill
        initial = kwargs.setdefault("initial", {})
        if bill is not None:
            billed = {line.purchase_order_line_id: line for line in bill.lines.all()}
            initial.update(purchase_order=bill.purchase_order_id, bill_number=bill.bill_number,
                           bill_date=bill.bill_date, due_date=bill.due_date, freight=bill.freight,
                           notes=bill.notes)
            for line in lines:
                on_bill = billed.get(line.line_id)
                initial[self.quantity_name(line)] = on_bill.quantity if on_bill else None
                initial[self.cost_name(line)] = on_bill.unit_cost if on_bill else line.unit_cost
        for line in lines:
            initial.setdefault(self.quantity_name(line), line.unbilled or None)
            initial.setdefault(self.cost_name(line), line.unit_cost)
        initial.setdefault("bill_date", business_date())
        super().__init__(*args, **kwargs)
        if bill is not None:
            self.fields["purchase_order"].disabled = True
        else:
            self.fields["purchase_order"].widget.attrs.update({
                "autofocus": not lines, "hx-get": reverse("payables:bill_create"), "hx-trigger": "change",
                "hx-target": "#bill-lines", "hx-swap": "outerHTML",
            })
        self.fields["bill_number"].widget.attrs.update({"autofocus": bool(lines), "autocomplete": "off",
                                                        "spellcheck": "false"})
        self.fields["freight"].widget.attrs.update({"inputmode": "decimal", "placeholder": "0.00",
                                                    "class": "form-control text-end"})
        for line in lines:
            self.fields[self.quantity_name(line)] = forms.IntegerField(
                label=_("Quantity of %(code)s") % {"code": line.sku_code}, min_value=0, max_value=MAX_UNITS,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": "0",
                                                "class": "form-control text-end"}))
            self.fields[self.cost_name(line)] = forms.DecimalField(
                label=_("Unit cost of %(code)s") % {"code": line.sku_code}, required=False, **MONEY_FIELD,
                widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.001",
                                                "class": "form-control text-end"}))

    @staticmethod
    def quantity_name(line: OrderLineFacts) -> str:
        return f"quantity_{line.line_id}"

    @staticmethod
    def cost_name(line: OrderLineFacts) -> str:
        return f"unit_cost_{line.line_id}"

    def rows(self) -> list[tuple[OrderLineFacts, forms.BoundField, forms.BoundField]]:
        return [(line, self[self.quantity_name(line)], self[self.cost_name(line)]) for line in self.lines]

    def clean(self):
        cleaned = super().clean()
        due, billed = cleaned.get("due_date"), cleaned.get("bill_date")
        if due and billed and due < billed:
            self.add_error("due_date", _("The due date cannot be before the bill date."))
        if self.lines and not self.bill_lines() and not any(
                name.startswith("quantity_") for name in self.errors):
            self.add_error(None, _("Enter a quantity for at least one line."))
        return cleaned

    def bill_lines(self) -> list[BillLineFacts]:
        """The lines with a quantity; a blank unit cost is the purchase order's."""
        data = getattr(self, "cleaned_data", {})
        lines = []
        for line in self.lines:
            quantity = data.get(self.quantity_name(line))
            if quantity:
                cost = data.get(self.cost_name(line))
                lines.append(BillLineFacts(line_id=line.line_id, quantity=quantity,
                                           unit_cost=line.unit_cost if cost is None else cost))
        return lines


class BillPostForm(BootstrapFormMixin, forms.Form):
    override_reason = forms.CharField(
        label=_("Reason for the override"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed only when the match flags differences: why the bill is right as it is."))


class BillVoidForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why is the bill voided?"), max_length=1000)


class BillFilterForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *VendorBill.Status.choices])
    vendor = forms.ModelChoiceField(label=_("Vendor"), required=False,
                                    queryset=Vendor.objects.order_by("name"), empty_label=_("All vendors"))
    q = forms.CharField(label=_("Bill or PO number"), required=False, max_length=50)


class ReconciliationFilterForm(BootstrapFormMixin, forms.Form):
    vendor = forms.ModelChoiceField(label=_("Vendor"), required=False,
                                    queryset=Vendor.objects.order_by("name"), empty_label=_("All vendors"))
    date_from = forms.DateField(label=_("Orders created from"), required=False, widget=_date_input())
    date_to = forms.DateField(label=_("As of"), required=False, widget=_date_input())

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", _("The end date cannot be before the start."))
        return cleaned
