"""Cells of exported files that a spreadsheet shows as text and never evaluates.

Every CSV or XLSX file the back office writes (catalog, stock, price lists, coupons, and every
later report) passes its cells through here, because its text comes from users and from
imported files: a SKU name ``=HYPERLINK("http://…","click")`` must come back out as that
text, not as a live formula (OWASP "CSV injection").
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

# A spreadsheet reads a cell that begins with one of these as a formula (or, for tab and CR,
# strips them and then may).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_QUOTED = FORMULA_TRIGGERS + tuple("'" + trigger for trigger in FORMULA_TRIGGERS)
# What a CSV file holds where spreadsheet_safe quoted a cell: an import that finds none of these
# in the raw bytes need not look at its cells one by one.
QUOTED_MARKERS = tuple(("'" + trigger).encode() for trigger in FORMULA_TRIGGERS)


def spreadsheet_safe(value: Any) -> Any:
    """``value`` for a CSV cell: text that would start a formula gets a leading single quote.

    Numbers (``int``, ``float``, ``Decimal``) stay numbers, negative ones too; so does text
    that is a plain number ("-3.50", as the exports write decimals), which a spreadsheet reads
    as a number and cannot run. Text that already begins with a quote and then such a
    character gets one more, so that :func:`spreadsheet_unquote` gives every value back.
    Other values pass unchanged.
    """
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_TRIGGERS):
        return value if _is_plain_number(value) else "'" + value
    if value[0] == "'" and value[1:].startswith(_QUOTED):
        return "'" + value
    return value


def spreadsheet_unquote(text: str) -> str:
    """The value a cell written by :func:`spreadsheet_safe` stood for (imports read exports back)."""
    if text[:1] == "'" and text[1:].startswith(_QUOTED):
        return text[1:]
    return text


def spreadsheet_safe_row(values: Iterable[Any]) -> list[Any]:
    return [spreadsheet_safe(value) for value in values]


def _is_plain_number(text: str) -> bool:
    if text[0] not in "+-" or len(text) > 40:
        return False
    try:
        number = Decimal(text)
    except ArithmeticError:
        return False
    return number.is_finite() and text.strip() == text


def xlsx_cell(sheet, value: Any):
    """``value`` for a row of a write-only openpyxl sheet: text is always stored as text.

    openpyxl stores any ``str`` that begins with "=" as a formula; such text gets a cell whose
    type is string, which a spreadsheet shows and never evaluates. Characters XML cannot hold
    become U+FFFD. Numbers, dates and blanks pass unchanged.
    """
    if not isinstance(value, str):
        return value
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
    if value.startswith(FORMULA_TRIGGERS):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value
