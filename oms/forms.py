"""What every form of the app shares: free text that looks like a card number is refused at its field.

The one check for the pages' forms (see ``oms.text``): :class:`FreeTextFormMixin` is the base of
the forms' Bootstrap mixins (``catalog.forms.BootstrapFormMixin``, ``marketing.forms.BootstrapMixin``)
and of the forms that have none, so a new free-text field is scanned without anyone thinking of
it (``tests/test_card_number_scan.py`` checks that every form of the project has the mixin).

Scanned: every field that cleans to text (or a list of texts) — notes, names, addresses, reasons,
messages. Not scanned: phone and barcode fields (by name, ``oms.text.card_number_scanned``),
hidden inputs (tokens the page made itself), telephone inputs, fields that say ``card_scan =
False`` (SKU codes, which may be barcodes) and the names a form lists in ``not_scanned`` (search
boxes, which store nothing and may be given a barcode).
"""

from __future__ import annotations

from django import forms

from oms.text import CARD_NUMBER_MESSAGE, card_number_scanned, holds_card_number


def field_is_scanned(name: str, field: forms.Field, not_scanned: tuple[str, ...] = ()) -> bool:
    """Whether the field ``name`` of a form is free text that must not hold a card number."""
    if name in not_scanned or not getattr(field, "card_scan", True):
        return False
    if not isinstance(field, forms.CharField) or not card_number_scanned(name):
        return False
    widget = field.widget
    return not (widget.is_hidden or getattr(widget, "input_type", "") == "tel")


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [item for item in value if isinstance(item, str)]
    return []


class FreeTextFormMixin:
    """Refuses, next to the field, free text that looks like a card number (after the field's own checks)."""

    not_scanned: tuple[str, ...] = ()
    card_number_message = CARD_NUMBER_MESSAGE

    def full_clean(self) -> None:
        super().full_clean()
        cleaned = getattr(self, "cleaned_data", None)
        if cleaned is None:
            return  # an unbound form
        for name, field in self.fields.items():
            if name not in cleaned or not field_is_scanned(name, field, self.not_scanned):
                continue
            if any(holds_card_number(text) for text in _texts(cleaned[name])):
                self.add_error(name, forms.ValidationError(self.card_number_message, code="card_number"))


class FreeTextForm(FreeTextFormMixin, forms.Form):
    """A plain form whose free-text fields are scanned for card numbers."""


class FreeTextModelForm(FreeTextFormMixin, forms.ModelForm):
    """A model form whose free-text fields are scanned for card numbers."""
