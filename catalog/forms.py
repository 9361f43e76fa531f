"""Catalog forms, and the small pieces the stock forms share with them."""

from __future__ import annotations

from django import forms
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from catalog.models import Sku
from oms.forms import FreeTextFormMixin


class BootstrapFormMixin(FreeTextFormMixin):
    """Gives widgets Bootstrap's classes, and marks the fields that have errors (free text that looks
    like a card number is one: ``oms.forms``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


def sku_by_code(value: str) -> Sku | None:
    """The SKU whose code (exact, then any case) or barcode is ``value``."""
    value = value.strip()
    if not value:
        return None
    return (
        Sku.objects.filter(Q(code=value) | Q(barcode=value) | Q(code__iexact=value))
        .annotate(rank=Case(When(code=value, then=Value(0)), When(barcode=value, then=Value(1)), default=Value(2)))
        .order_by("rank", "code").first()
    )


class SkuCodeField(forms.CharField):
    """A SKU typed or scanned as its code or barcode; cleans to the Sku."""

    default_error_messages = {"unknown": _("No SKU has the code or barcode “%(code)s”.")}
    card_scan = False  # a code or a barcode, never free text

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("label", _("SKU"))
        kwargs.setdefault("help_text", _("Code or barcode; type to search."))
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "off", "list": "sku-options", "spellcheck": "false"})

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        sku = sku_by_code(code)
        if sku is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown", params={"code": code})
        return sku


class SkuSearchForm(FreeTextFormMixin, forms.Form):
    not_scanned = ("q",)  # a search stores nothing and may be given a barcode
    q = forms.CharField(label=_("Search SKUs"), required=False, max_length=100)


class KitComponentAddForm(BootstrapFormMixin, forms.Form):
    component = SkuCodeField(label=_("Component"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100_000, initial=1)


class KitComponentQuantityForm(BootstrapFormMixin, forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100_000)
