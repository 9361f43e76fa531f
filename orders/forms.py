"""Forms of the customer and order screens. They bind and check input; services do the writes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from catalog.forms import BootstrapFormMixin, SkuCodeField
from catalog.models import Sku
from inventory.models import Warehouse
from oms.forms import FreeTextFormMixin
from orders.models import Address, Customer, Hold, OrderStatus, ShippingMethod
from orders.selectors import ANY_HOLD, DEFAULT_PAGE_SIZE, PAGE_SIZES, customer_duplicates

CHANNELS = ("phone", "web", "pos", "store")


def split_list(value: str) -> list[str]:
    """Items typed one per line or separated by commas or semicolons."""
    return [item.strip() for item in re.split(r"[,;\n]+", value or "") if item.strip()]


class ListField(forms.CharField):
    """Several values in one box (one per line or comma-separated); cleans to a list."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:
        if isinstance(value, (list, tuple)):
            return [str(item).strip() for item in value if str(item).strip()]
        return split_list(super().to_python(value))


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except forms.ValidationError:
        return False
    return True


# --- customers --------------------------------------------------------------------------------


class CustomerSearchForm(FreeTextFormMixin, forms.Form):
    not_scanned = ("q",)  # a search stores nothing (and finds customers by phone)
    q = forms.CharField(label=_("Find a customer"), required=False, max_length=200)


class CustomerForm(BootstrapFormMixin, forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    emails = ListField(label=_("Emails"), max_length=1000,
                       help_text=_("The first is the primary address; separate several with commas."))
    phones = ListField(label=_("Phones"), max_length=500,
                       help_text=_("Any format; the first is the primary number."))
    customer_type = forms.ChoiceField(label=_("Type"), choices=Customer.Type.choices, initial=Customer.Type.RETAIL)
    terms = forms.ChoiceField(label=_("Terms"), choices=Customer.Terms.choices, initial=Customer.Terms.PREPAID)
    credit_limit = forms.DecimalField(label=_("Credit limit"), min_value=Decimal(0), max_digits=14, decimal_places=3,
                                      initial=Decimal(0))
    is_tax_exempt = forms.BooleanField(label=_("Tax exempt"), required=False)
    tax_exempt_number = forms.CharField(label=_("Tax exemption number"), max_length=50, required=False)
    marketing_opt_in = forms.BooleanField(label=_("Agrees to marketing"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["emails"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["phones"].widget.attrs.update({"autocomplete": "off", "inputmode": "tel"})

    def clean_emails(self) -> list[str]:
        emails = self.cleaned_data["emails"]
        bad = [email for email in emails if not _is_email(email)]
        if bad:
            raise forms.ValidationError(_("Not an email address: %(emails)s") % {"emails": ", ".join(bad)})
        return emails

    def clean(self):
        cleaned = super().clean()
        if not any((cleaned.get(name) or "").strip() for name in ("first_name", "last_name", "company")):
            self.add_error("last_name", _("Give a name or a company."))
        return cleaned

    def service_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in (
            "first_name", "last_name", "company", "emails", "phones", "customer_type", "terms", "credit_limit",
            "is_tax_exempt", "tax_exempt_number", "marketing_opt_in", "notes")}


ADDRESS_KEYS = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")


class AddressForm(BootstrapFormMixin, forms.Form):
    """An address; with ``required=False`` it may be left blank (``is_blank``)."""

    name = forms.CharField(label=_("Name"), max_length=200)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    line1 = forms.CharField(label=_("Address line 1"), max_length=200)
    line2 = forms.CharField(label=_("Address line 2"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    region = forms.CharField(label=_("State / region"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    country = forms.CharField(label=_("Country"), max_length=2, min_length=2, initial="US",
                              help_text=_("Two letters: US, CA, GB…"))
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)

    def __init__(self, *args, required: bool = True, compact: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for key in ADDRESS_KEYS:
            field = self.fields[key]
            if not required:
                field.required = False
            field.widget.attrs["autocomplete"] = "off"
            if compact:
                field.widget.attrs["class"] += " form-control-sm"

    @classmethod
    def optional(cls, data, *, prefix: str, **kwargs) -> AddressForm:
        """An address that may be left blank, but once started needs its required fields."""
        blank = not any(str(data.get(f"{prefix}-{key}", "")).strip() for key in ADDRESS_KEYS if key != "country")
        return cls(data, prefix=prefix, required=not blank, **kwargs)

    def is_blank(self) -> bool:
        return not any(str(self.data.get(self.add_prefix(key), "")).strip()
                       for key in ADDRESS_KEYS if key != "country")

    def address(self) -> dict:
        return {key: self.cleaned_data.get(key, "") for key in ADDRESS_KEYS}


class AddressBookForm(AddressForm):
    default_ship = forms.BooleanField(label=_("Default ship-to"), required=False)
    default_bill = forms.BooleanField(label=_("Default bill-to"), required=False)

    @classmethod
    def for_address(cls, address: Address, customer: Customer) -> AddressBookForm:
        initial = {key: getattr(address, key) for key in ADDRESS_KEYS}
        initial["default_ship"] = customer.default_ship_address_id == address.pk
        initial["default_bill"] = customer.default_bill_address_id == address.pk
        return cls(initial=initial)


class CustomerCreateForm(CustomerForm):
    """A new customer who must not be a likely duplicate unless the agent says so.

    The first ship and bill addresses are separate ``AddressForm``s (prefixes ship and bill).
    """

    create_anyway = forms.BooleanField(label=_("Create anyway"), required=False)
    bill_same_as_ship = forms.BooleanField(label=_("Bill to the same address"), required=False, initial=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.duplicates: list[Customer] = []

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        self.duplicates = list(customer_duplicates(emails=cleaned.get("emails", []),
                                                   phones=cleaned.get("phones", [])))
        if self.duplicates and not cleaned.get("create_anyway"):
            raise forms.ValidationError(
                _("This may be a customer we already have (same email or phone). Open them instead, or tick "
                  "“Create anyway”."), code="duplicate")
        return cleaned


class DuplicateCheckForm(FreeTextFormMixin, forms.Form):
    emails = ListField(max_length=1000)
    phones = ListField(max_length=500)
    exclude = forms.IntegerField(required=False)


class NoteForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


# --- the order list ---------------------------------------------------------------------------


class OrderFilterForm(BootstrapFormMixin, forms.Form):
    not_scanned = ("q", "sku", "customer")  # searches store nothing and may be given a barcode
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(label=_("Status"), required=False)
    channel = forms.CharField(label=_("Channel"), required=False, max_length=50)
    placed_from = forms.DateField(label=_("Placed from"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    placed_to = forms.DateField(label=_("Placed to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    customer = forms.CharField(label=_("Customer number"), required=False, max_length=20)
    sku = forms.CharField(label=_("SKU"), required=False, max_length=40)
    source_code = forms.CharField(label=_("Source code"), required=False, max_length=40)
    hold = forms.ChoiceField(label=_("Hold"), required=False)
    size = forms.TypedChoiceField(label=_("Per page"), required=False, coerce=int, empty_value=DEFAULT_PAGE_SIZE,
                                  choices=[(size, size) for size in PAGE_SIZES])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("Any status"))] + [
            choice for choice in OrderStatus.choices if choice[0] != OrderStatus.DRAFT]
        self.fields["hold"].choices = [("", _("Held or not")), (ANY_HOLD, _("Any open hold"))] + [
            (value, _("On %(reason)s hold") % {"reason": label.lower()}) for value, label in Hold.Reason.choices]
        self.fields["channel"].widget.attrs["list"] = "channel-options"

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "query": data["q"], "status": data["status"], "channel": data["channel"].strip(),
            "placed_from": data["placed_from"], "placed_to": data["placed_to"], "customer": data["customer"],
            "sku": data["sku"], "source_code": data["source_code"], "hold": data["hold"],
            "size": data["size"] or DEFAULT_PAGE_SIZE,
        }


# --- order actions ----------------------------------------------------------------------------


class HoldForm(BootstrapFormMixin, forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Hold.Reason.choices, initial=Hold.Reason.MANUAL)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ReleaseHoldForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class CancelOrderForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class CancelLinesForm(BootstrapFormMixin, forms.Form):
    """One quantity box per open line (``cancel_<line id>``), and the reason."""

    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, lines=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"cancel_{line.pk}"] = forms.IntegerField(
                label=line.sku_code, min_value=0, max_value=line.quantity_open - line.quantity_shipped, required=False,
                initial=0,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}))

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[f"cancel_{line.pk}"] for line in self.lines
                if self.cleaned_data.get(f"cancel_{line.pk}")}

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.quantities():
            raise forms.ValidationError(_("Give the number of units to cancel on at least one line."))
        return cleaned


class SubstituteForm(BootstrapFormMixin, forms.Form):
    sku = SkuCodeField(label=_("Substitute SKU"))
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class OrderEditForm(BootstrapFormMixin, forms.Form):
    """Quantities and removals of existing lines, new lines, another ship-to or shipping method."""

    shipping_method = forms.ModelChoiceField(label=_("Shipping method"), required=False,
                                             queryset=ShippingMethod.objects.filter(is_active=True))
    change_address = forms.BooleanField(label=_("Ship to another address"), required=False)
    add_sku = SkuCodeField(label=_("Add SKU"), required=False)
    add_quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=10_000, required=False, initial=1)

    def __init__(self, *args, order, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        self.open_lines = [line for line in order.lines.all() if line.quantity_open > 0]
        for line in self.open_lines:
            self.fields[f"quantity_{line.pk}"] = forms.IntegerField(
                label=line.sku_code, min_value=1, max_value=10_000, initial=line.quantity,
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}))
            self.fields[f"remove_{line.pk}"] = forms.BooleanField(
                label=_("Remove"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
        self.fields["shipping_method"].initial = order.shipping_method_id

    def rows(self):
        return [(line, self[f"quantity_{line.pk}"], self[f"remove_{line.pk}"]) for line in self.open_lines]

    def remove_line_ids(self) -> list[int]:
        return [line.pk for line in self.open_lines if self.cleaned_data.get(f"remove_{line.pk}")]

    def quantities(self) -> dict[int, int]:
        removed = set(self.remove_line_ids())
        return {line.pk: self.cleaned_data[f"quantity_{line.pk}"] for line in self.open_lines
                if line.pk not in removed and self.cleaned_data[f"quantity_{line.pk}"] != line.quantity}


# --- order entry ------------------------------------------------------------------------------

LINE_FIELD = re.compile(r"^line-(\d+)-sku$")
NEW_ADDRESS = "new"


@dataclass
class DraftLine:
    """A line of the order being entered, as the form holds it (``key`` is stable while editing)."""

    key: int
    sku: Sku
    quantity_text: str
    personalization: dict[str, str] = field(default_factory=dict)

    @property
    def quantity(self) -> int:
        try:
            return int(self.quantity_text)
        except (TypeError, ValueError):
            return 0

    @property
    def personalization_fields(self) -> list:
        template = self.sku.personalization_template
        return list(template.fields.all()) if template else []


class EntryForm(FreeTextFormMixin, forms.Form):
    """The order being entered. Its lines are ``line-<key>-sku``, ``line-<key>-quantity`` and
    ``line-<key>-p-<field>`` (see ``draft_lines``); the ship-to typed by hand is an AddressForm
    with the prefix ``ship``."""

    customer = forms.ModelChoiceField(queryset=Customer.objects.all(), required=False,
                                      widget=forms.HiddenInput(attrs={"id": "customer-id"}))
    source_code = forms.CharField(label=_("Source code"), max_length=40, required=False)
    coupons = ListField(label=_("Coupons"), max_length=200)
    ship_choice = forms.CharField(required=False)
    shipping_method = forms.ModelChoiceField(label=_("Shipping method"), required=False,
                                             queryset=ShippingMethod.objects.filter(is_active=True))
    pickup_warehouse = forms.ModelChoiceField(label=_("Pickup store"), required=False,
                                              queryset=Warehouse.objects.filter(is_active=True, allows_pickup=True))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000)
    # Identifies this entry (a new one per page load): placing twice (a double Ctrl+Enter, a
    # re-sent POST) returns the order the first one made, through the (channel, external_id) key.
    entry_token = forms.RegexField(regex=r"^[0-9a-f]{32}$", required=False, widget=forms.HiddenInput)

    def clean_source_code(self) -> str:
        return self.cleaned_data["source_code"].strip().upper()


def draft_lines(data) -> list[DraftLine]:
    """The lines of an entry form, in the order of their keys; lines of unknown SKUs are dropped.

    One query for the SKUs (with their personalization templates and fields).
    """
    keys = sorted(int(match.group(1)) for name in data if (match := LINE_FIELD.match(name)))
    sku_ids = {}
    for key in keys:
        try:
            sku_ids[key] = int(data.get(f"line-{key}-sku"))
        except (TypeError, ValueError):
            continue
    skus = Sku.objects.select_related("personalization_template").prefetch_related(
        "personalization_template__fields").in_bulk(set(sku_ids.values())) if sku_ids else {}
    lines = []
    for key in keys:
        sku = skus.get(sku_ids.get(key))
        if sku is None:
            continue
        prefix = f"line-{key}-p-"
        personalization = {name[len(prefix):]: str(value) for name, value in data.items()
                           if name.startswith(prefix) and str(value).strip()}
        lines.append(DraftLine(key=key, sku=sku, quantity_text=str(data.get(f"line-{key}-quantity", "1")).strip(),
                               personalization=personalization))
    return lines
