"""The REST API's JSON parser: text with a control character is a 400 with an error at its field.

The one check for every JSON body (see ``oms.text``): a NUL byte that got as far as a query
(a lookup by code before the fields are validated, say) would be a 500, as PostgreSQL refuses
it. The errors are nested like the payload, as DRF reports its own (``{"lines": {"1":
{"sku_code": ["…"]}}}``); a key with a control character in it is named as Python writes it
(``name\\x01``). Query parameters and the path are checked by
``oms.middleware.ControlCharacterMiddleware``.

The same walk refuses text that looks like a card number (``oms.text.holds_card_number``) in any
field but phones and barcodes (``oms.text.card_number_scanned``): notes, addresses,
personalization values, payment instructions. Card numbers are taken only through Stripe.
"""

from __future__ import annotations

from rest_framework import parsers
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError, ValidationError

from oms.text import (
    CARD_NUMBER_MESSAGE, card_number_scanned, control_character_message, first_control_character, holds_card_number,
)


def control_character_errors(data) -> dict | list | None:
    """The errors of every string in ``data`` (parsed JSON) with a refused character, nested like it."""
    if isinstance(data, str):
        character = first_control_character(data)
        return [control_character_message(character)] if character else None
    if isinstance(data, dict):
        errors = {}
        for key, value in data.items():
            key_character = first_control_character(key)
            name = repr(key)[1:-1] if key_character else key
            if key_character:
                errors[name] = [control_character_message(key_character)]
            elif (error := control_character_errors(value)) is not None:
                errors[name] = error
        return errors or None
    if isinstance(data, list):
        errors = {str(index): error for index, item in enumerate(data)
                  if (error := control_character_errors(item)) is not None}
        if not errors:
            return None
        return errors
    return None


def card_number_errors(data, name: str = "") -> dict | list | None:
    """The errors of every string in ``data`` that looks like a card number, nested like it.

    ``name`` is the key the value sits under (a list's items sit under the list's key): a phone
    or barcode field is not scanned.
    """
    if isinstance(data, str):
        return [str(CARD_NUMBER_MESSAGE)] if card_number_scanned(name) and holds_card_number(data) else None
    if isinstance(data, dict):
        errors = {key: error for key, value in data.items()
                  if (error := card_number_errors(value, str(key))) is not None}
        return errors or None
    if isinstance(data, list):
        errors = {str(index): error for index, item in enumerate(data)
                  if (error := card_number_errors(item, name)) is not None}
        return errors or None
    return None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser that refuses text with a control character or a card number, naming the fields."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
            errors = control_character_errors(data)
            if errors is None:
                errors = card_number_errors(data)
        except RecursionError:  # json.loads, and this walk, recurse once per level of nesting
            raise ParseError(_("JSON parse error - the data is nested too deeply.")) from None
        if errors is not None:
            raise ValidationError(errors if isinstance(errors, dict) else {"non_field_errors": errors})
        return data
