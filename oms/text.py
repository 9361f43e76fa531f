"""What text the app accepts from outside: no control characters but the whitespace of text.

PostgreSQL refuses a NUL byte in text (psycopg raises before the query is sent), and the other
control characters have no business in a name, a code or a note: they come from a fuzzer, a
broken client or a file saved by the wrong program. Tab, line feed and carriage return are
text (a pasted note, a multi-line address); everything else of Unicode's Cc category is not:
the C0 controls, DEL and the C1 controls (U+0080-U+009F, which show up when Windows-1252 is
read as Latin-1). A lone surrogate (what JSON's ``"\\ud800"`` decodes to) cannot be encoded
as UTF-8, so PostgreSQL cannot store it either.

The pages check every query parameter, form field and the path in
``oms.middleware.ControlCharacterMiddleware``; the REST API checks JSON bodies in its parser.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

TEXT_WHITESPACE = "\t\n\r"
_REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

CONTROL_CHARACTER_MESSAGE = _("Remove the control character %(character)s: it cannot be part of the text.")


def first_control_character(text: str) -> str | None:
    """The first character of ``text`` that the app refuses, or None when it has none."""
    match = _REFUSED.search(text)
    return match[0] if match else None


def control_character_message(character: str) -> str:
    """The error shown next to a field: names the character by its code (U+0000), never prints it."""
    return str(CONTROL_CHARACTER_MESSAGE % {"character": f"U+{ord(character):04X}"})


# --- card numbers -------------------------------------------------------------------------------
#
# Card numbers are taken only through the card field (Stripe Elements: the number goes from the
# browser to Stripe and never reaches this server). Text that looks like one, typed into a note,
# an address or a personalization, is refused: 13 to 19 digits, single spaces or dashes allowed
# between them, starting with 3, 4, 5 or 6 (American Express, Diners, JCB, Visa, Mastercard,
# Discover, UnionPay…) and passing the Luhn check. Phone and barcode fields keep their own formats
# and are not scanned (``card_number_scanned``).

CARD_NUMBER_MESSAGE = _("This looks like a card number; card numbers are taken only through the card field.")
# A run of digits with single spaces or dashes between them, long enough to hold a card number.
_DIGIT_RUN = re.compile(r"[0-9](?:[ -]?[0-9]){12,}")
# What the import engine asks PostgreSQL for first (POSIX regex): only these cells get the Luhn test.
CARD_NUMBER_CANDIDATE_SQL = "[3-6]([ -]?[0-9]){12}"
CARD_LENGTHS = range(13, 20)
# Field names that hold phone numbers, barcodes, codes and ids (and their list forms): not scanned.
# A SKU code may be an EAN barcode and a channel's order id a long number; neither is typed as text.
NOT_SCANNED_NAMES = ("phone", "phones", "barcode", "barcodes", "mobile", "fax", "gtin", "ean", "upc",
                     "code", "codes", "id", "ids", "token")


def _luhn_valid(digits: str) -> bool:
    from stdnum import luhn

    return luhn.is_valid(digits)


def card_numbers_in(text: str) -> list[str]:
    """The card numbers ``text`` seems to hold (digits only), in the order they appear.

    A run of digits may carry more than a card number (a card typed with its expiry or security
    code after it, or a reference before it): every stretch of 13 to 19 digits of the run that
    starts and ends where the digits are grouped (the run's ends, or a space or dash) is tried.
    """
    found: list[str] = []
    if not text or len(text) < 13:
        return found
    for run in _DIGIT_RUN.finditer(text):
        groups = re.split(r"[ -]", run[0])
        for first in range(len(groups)):
            if groups[first][0] not in "3456":
                continue
            digits = ""
            for last in range(first, len(groups)):
                digits += groups[last]
                if len(digits) > CARD_LENGTHS[-1]:
                    break
                if len(digits) in CARD_LENGTHS and _luhn_valid(digits):
                    found.append(digits)
                    break
    return found


def holds_card_number(text: str) -> bool:
    """Whether ``text`` holds something that looks like a card number (see ``card_numbers_in``)."""
    return bool(card_numbers_in(text))


def mask_card_numbers(text: str) -> str:
    """``text`` with every digit of what looks like a card number but the last four shown as •.

    What an error message or a log may repeat of a refused value.
    """
    if not holds_card_number(text):
        return text

    def masked(run: re.Match) -> str:
        value = run[0]
        if not card_numbers_in(value):
            return value
        digit_count = sum(character.isdigit() for character in value)
        seen = 0
        characters = []
        for character in value:
            if character.isdigit():
                seen += 1
                characters.append(character if seen > digit_count - 4 else "•")
            else:
                characters.append(character)
        return "".join(characters)

    return _DIGIT_RUN.sub(masked, text)


def card_number_scanned(name: str) -> bool:
    """Whether a field of this name is free text that is scanned (phones, barcodes, codes and ids are not).

    ``phone``, ``ship-phone``, ``phones``, ``sku_code``, ``external_id`` are not; ``notes``, ``line1`` are.
    """
    base = name.rsplit("-", 1)[-1].rsplit(".", 1)[-1].lower()
    return not any(base == word or base.endswith("_" + word) for word in NOT_SCANNED_NAMES)


def validate_no_card_number(value) -> None:
    """A validator (forms, serializers, models): refuses text that looks like a card number."""
    from django.core.exceptions import ValidationError

    if isinstance(value, str) and holds_card_number(value):
        raise ValidationError(CARD_NUMBER_MESSAGE, code="card_number")
