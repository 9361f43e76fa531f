"""Forms for the marketing screens and the pricing simulator."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from catalog.models import Sku
from marketing.models import (
    Campaign,
    CustomerType,
    PriceList,
    Promotion,
    Segment,
    SourceCode,
    parse_tiers,
)
from marketing.services import normalize_code
from oms.forms import FreeTextFormMixin
from oms.imports.forms import check_upload

CHANNEL_PATTERN = re.compile(r"^(phone|web|pos|store|marketplace|marketplace:[a-z0-9_.-]+)$")
CHANNEL_CHOICES = [("phone", _lazy("Phone")), ("web", _lazy("Web")), ("pos", _lazy("POS")),
                   ("store", _lazy("Store")), ("marketplace", _lazy("Marketplace (any)"))]


def _split(value: str) -> list[str]:
    return [item for item in re.split(r"[\s,;]+", value or "") if item]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class BootstrapMixin(FreeTextFormMixin):
    """Bootstrap classes on every widget (and no card number in free text: ``oms.forms``)."""

    def _style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple)):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class TextListField(forms.CharField):
    """A list of words typed with commas or spaces between them (categories, channels, methods)."""

    def __init__(self, *, pattern: re.Pattern | None = None, lower: bool = False, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.pattern, self.lower = pattern, lower

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        if "," in text or ";" in text:
            items = [item.strip() for item in re.split(r"[,;]", text) if item.strip()]
        else:
            items = _split(text)
        if self.lower:
            items = [item.lower() for item in items]
        if self.pattern is not None:
            wrong = [item for item in items if not self.pattern.match(item)]
            if wrong:
                raise forms.ValidationError(_("Not understood: %(items)s.") % {"items": ", ".join(wrong)})
        return list(dict.fromkeys(items))


class SkuCodesField(forms.CharField):
    """SKUs by code, separated by commas or spaces; every code must exist."""

    card_scan = False  # codes, never free text

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if value is None or isinstance(value, str):
            return value
        items = list(value)  # the related SKUs of an instance, or their ids
        ids = [item for item in items if not isinstance(item, Sku)]
        codes_by_id = dict(Sku.objects.filter(pk__in=ids).values_list("pk", "code")) if ids else {}
        return ", ".join(item.code if isinstance(item, Sku) else codes_by_id.get(item, str(item)) for item in items)

    def to_python(self, value):
        codes = list(dict.fromkeys(_split(super().to_python(value))))
        if not codes:
            return []
        found = {sku.code: sku for sku in Sku.objects.filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise forms.ValidationError(_("Unknown SKU: %(codes)s.") % {"codes": ", ".join(unknown)})
        return [found[code] for code in codes]


class SkuCodeField(forms.CharField):
    """One SKU by code."""

    card_scan = False  # a code, never free text

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, Sku):
            return value.code
        if isinstance(value, int):
            return Sku.objects.filter(pk=value).values_list("code", flat=True).first() or ""
        return value

    def to_python(self, value):
        code = super().to_python(value).strip()
        if not code:
            return None
        sku = Sku.objects.filter(code=code).first()
        if sku is None:
            raise forms.ValidationError(_("Unknown SKU: %(codes)s.") % {"codes": code})
        return sku


class CampaignForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["code", "name", "medium", "starts_on", "ends_on", "cost", "currency", "quantity_circulated",
                  "notes"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class SourceCodeForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = SourceCode
        fields = ["code", "campaign", "description", "price_list", "promotions", "offers_free_shipping",
                  "free_shipping_minimum", "active_from", "active_to", "mailed_on", "quantity_circulated", "cost"]
        widgets = {"active_from": DateInput(), "active_to": DateInput(), "mailed_on": DateInput(),
                   "promotions": forms.SelectMultiple(attrs={"size": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["promotions"].queryset = Promotion.objects.active().order_by("priority", "pk")
        self.fields["price_list"].queryset = PriceList.objects.filter(is_active=True)
        # A code's own circulation and cost are optional (its campaign's may be all there is).
        self.fields["quantity_circulated"].required = False
        self.fields["cost"].required = False
        self._style()

    def clean_code(self) -> str:
        return normalize_code(self.cleaned_data["code"])

    def clean_quantity_circulated(self) -> int:
        return self.cleaned_data.get("quantity_circulated") or 0

    def clean_cost(self) -> Decimal:
        return self.cleaned_data.get("cost") or Decimal("0")


class PriceListForm(BootstrapMixin, forms.ModelForm):
    customer_types = forms.MultipleChoiceField(
        label=_lazy("Customer types"), choices=CustomerType.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_lazy("None ticked serves every customer type."))

    class Meta:
        model = PriceList
        fields = ["code", "name", "currency", "effective_from", "effective_to", "customer_types", "is_active"]
        widgets = {"effective_from": DateInput(), "effective_to": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class PriceListEntryForm(BootstrapMixin, forms.Form):
    sku = SkuCodeField(label=_lazy("SKU code"), required=True)
    price = forms.DecimalField(label=_lazy("Price"), max_digits=14, decimal_places=3, min_value=Decimal("0"))
    effective_from = forms.DateField(label=_lazy("Effective from"), required=False, widget=DateInput())
    effective_to = forms.DateField(label=_lazy("Effective to"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("effective_from"), cleaned.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", _("The end must not come before the start."))
        return cleaned


class PriceListImportForm(FreeTextFormMixin, forms.Form):
    file = forms.FileField(label=_lazy("CSV or XLSX file"),
                           widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,.xlsx"}))

    def clean_file(self):
        return check_upload(self.cleaned_data["file"])


def _tiers_to_text(tiers) -> str:
    lines = []
    for tier in tiers or []:
        if "percent" in tier:
            lines.append(f"{tier['threshold']}: {tier['percent']}%")
        else:
            lines.append(f"{tier['threshold']}: {tier.get('amount', '')}")
    return "\n".join(lines)


class TiersField(forms.CharField):
    """Tiers typed one a line: ``100: 10%`` (percent off) or ``250: 40`` (amount off)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "placeholder": "100: 10%\n250: 40"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return _tiers_to_text(value) if isinstance(value, list) else value

    def to_python(self, value):
        tiers = []
        for number, line in enumerate((super().to_python(value) or "").splitlines(), 1):
            if not line.strip():
                continue
            match = re.match(r"^\s*([0-9.,]+)\s*[:=]\s*([0-9.,]+)\s*(%?)\s*$", line)
            if not match:
                raise forms.ValidationError(_("Line %(n)s: write a threshold, a colon and a discount, "
                                              "e.g. 100: 10%% or 250: 40.") % {"n": number})
            try:
                threshold, value_ = (str(Decimal(part.replace(",", "."))) for part in match.group(1, 2))
            except InvalidOperation:
                raise forms.ValidationError(_("Line %(n)s is not a number.") % {"n": number}) from None
            tiers.append({"threshold": threshold, "percent" if match.group(3) else "amount": value_})
        try:
            parse_tiers(tiers)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return sorted(tiers, key=lambda tier: Decimal(tier["threshold"]))


# Which fields each kind uses; the template shows only those (all of them without JavaScript).
KIND_FIELDS = {
    "percent": ["percent_off"],
    "amount": ["amount_off"],
    "target": ["percent_off", "amount_off"],
    "target_skus": ["percent_off", "amount_off"],
    "target_categories": ["percent_off", "amount_off"],
    "buy_quantity": ["buy_x_get_y"],
    "get_quantity": ["buy_x_get_y"],
    "get_sku": ["buy_x_get_y"],
    "tiers": ["tiered"],
    "gift_sku": ["free_gift"],
    "gift_quantity": ["free_gift"],
    "shipping_methods": ["free_shipping"],
}


class PromotionForm(BootstrapMixin, forms.ModelForm):
    target_skus = SkuCodesField(label=_lazy("Target SKUs"), help_text=_lazy("SKU codes, for “Lines of some SKUs”."))
    target_categories = TextListField(label=_lazy("Target categories"),
                                      help_text=_lazy("Categories, for “Lines of some categories”."))
    get_sku = SkuCodeField(label=_lazy("Free SKU"), help_text=_lazy("Leave empty to give the cheapest units free."))
    tiers = TiersField(label=_lazy("Tiers"), help_text=_lazy("One a line: spend threshold, colon, discount "
                                                            "(10% for percent off, 40 for an amount off)."))
    gift_sku = SkuCodeField(label=_lazy("Gift SKU"))
    shipping_methods = TextListField(label=_lazy("Shipping methods"),
                                     help_text=_lazy("Free shipping only on these methods; empty means any."))
    channels = TextListField(label=_lazy("Channels"), pattern=CHANNEL_PATTERN, lower=True,
                             help_text=_lazy("phone, web, pos, store, marketplace (any) or marketplace:<name>; "
                                             "empty means every channel."))
    customer_types = forms.MultipleChoiceField(label=_lazy("Customer types"), choices=CustomerType.choices,
                                               required=False, widget=forms.CheckboxSelectMultiple,
                                               help_text=_lazy("None ticked means every type."))
    segments = forms.ModelMultipleChoiceField(label=_lazy("Segments"), queryset=Segment.objects.none(),
                                              required=False, widget=forms.CheckboxSelectMultiple)
    include_skus = SkuCodesField(label=_lazy("Only SKUs"))
    exclude_skus = SkuCodesField(label=_lazy("Except SKUs"))
    include_categories = TextListField(label=_lazy("Only categories"))
    exclude_categories = TextListField(label=_lazy("Except categories"))

    class Meta:
        model = Promotion
        fields = [
            "name", "description", "kind", "campaign", "is_active", "priority", "is_exclusive",
            "target", "percent", "amount", "currency", "target_skus", "target_categories",
            "buy_quantity", "get_quantity", "get_sku", "tiers", "gift_sku", "gift_quantity", "shipping_methods",
            "starts_at", "ends_at", "channels", "customer_types", "segments", "min_subtotal",
            "include_skus", "exclude_skus", "include_categories", "exclude_categories", "requires_coupon",
            "max_uses", "max_uses_per_customer",
        ]
        widgets = {"starts_at": DateTimeInput(), "ends_at": DateTimeInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segments"].queryset = Segment.objects.filter(is_active=True)
        self.fields["starts_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        self.fields["ends_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        self.fields["kind"].widget.attrs["data-promotion-kind"] = ""
        for name, kinds in KIND_FIELDS.items():
            self.fields[name].kinds = " ".join(kinds)  # read by templates/marketing/_field.html
        self._style()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") in ("percent_off", "amount_off") and cleaned.get("target") == "sku" \
                and not cleaned.get("target_skus"):
            self.add_error("target_skus", _("Name at least one SKU."))
        return cleaned

    def _post_clean(self):
        # The model's clean() checks what each kind needs; fields of other kinds are cleared so that
        # a promotion never keeps a stale tier list or gift from an earlier kind.
        kind = self.cleaned_data.get("kind")
        if kind:
            for name, kinds in KIND_FIELDS.items():
                if kind not in kinds and name in self.cleaned_data:
                    self.cleaned_data[name] = [] if name in ("tiers", "target_skus", "target_categories",
                                                             "shipping_methods") else None
            if kind not in ("percent_off", "amount_off"):
                self.cleaned_data["target"] = Promotion.Target.ORDER
            if self.cleaned_data.get("gift_quantity") is None:
                self.cleaned_data["gift_quantity"] = 1
        super()._post_clean()


class CouponForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_lazy("Code"), max_length=40)
    max_uses = forms.IntegerField(label=_lazy("Uses allowed"), min_value=1, required=False,
                                  help_text=_lazy("Empty for unlimited."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


class CouponGenerateForm(BootstrapMixin, forms.Form):
    quantity = forms.IntegerField(label=_lazy("How many"), min_value=1, max_value=100_000, initial=100)
    prefix = forms.CharField(label=_lazy("Prefix"), max_length=12, required=False)
    length = forms.IntegerField(label=_lazy("Random characters"), min_value=6, max_value=20, initial=8)
    max_uses = forms.IntegerField(label=_lazy("Uses allowed per code"), min_value=1, initial=1, required=False)
    campaign = forms.ModelChoiceField(label=_lazy("Campaign"), queryset=Campaign.objects.all(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()


# --- the simulator ------------------------------------------------------------------------------------


class BasketLineForm(FreeTextFormMixin, forms.Form):
    not_scanned = ("sku_code",)  # a code or a barcode
    sku_code = forms.CharField(label=_lazy("SKU code"), required=False, max_length=40,
                               widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                                             "autocomplete": "off", "spellcheck": "false"}))
    quantity = forms.IntegerField(label=_lazy("Quantity"), min_value=1, max_value=100_000, required=False,
                                  widget=forms.NumberInput(attrs={"class": "form-control form-control-sm",
                                                                  "min": 1}))
    personalized = forms.BooleanField(label=_lazy("Personalized"), required=False,
                                      widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


BasketFormSet = forms.formset_factory(BasketLineForm, extra=0, max_num=200, absolute_max=200)
BASKET_ROWS = 5


class SimulatorForm(BootstrapMixin, forms.Form):
    channel = forms.CharField(label=_lazy("Channel"), initial="phone",
                              widget=forms.TextInput(attrs={"list": "channel-options"}))
    customer_type = forms.ChoiceField(label=_lazy("Customer type"), choices=CustomerType.choices,
                                      initial=CustomerType.RETAIL)
    customer_id = forms.IntegerField(label=_lazy("Customer id"), required=False, min_value=1,
                                     help_text=_lazy("For the per-customer limits; empty for a new customer."))
    segments = TextListField(label=_lazy("Segments"), help_text=_lazy("Segment codes the customer is in."))
    source_code = forms.CharField(label=_lazy("Source code"), required=False, max_length=40)
    coupons = TextListField(label=_lazy("Coupons"))
    shipping_method = forms.CharField(label=_lazy("Shipping method"), required=False, max_length=40,
                                      initial="ground")
    shipping_charge = forms.DecimalField(label=_lazy("Shipping charge"), required=False, min_value=Decimal("0"),
                                         max_digits=14, decimal_places=3)
    currency = forms.CharField(label=_lazy("Currency"), max_length=3, initial=settings.DEFAULT_CURRENCY)
    at = forms.DateTimeField(label=_lazy("Priced at"), required=False, widget=DateTimeInput(),
                             input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
                             help_text=_lazy("Empty for now."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style()

    def clean_channel(self) -> str:
        channel = self.cleaned_data["channel"].strip().lower()
        if channel == "marketplace" or not CHANNEL_PATTERN.match(channel):
            raise forms.ValidationError(_("Use phone, web, pos, store or marketplace:<name>."))
        return channel

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()
