"""CSV export of the reconciliation report, safe to open in a spreadsheet.

A local helper until the shared ``oms/exports.py`` lands: a cell that a spreadsheet would read
as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed
with a single quote, as OWASP's CSV injection advice says.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """The cell text of ``value``; text a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # numbers stay numbers (a negative variance is not a formula)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_rows(rows: Iterable[Iterable]) -> Iterator[str]:
    """Each row as one CSV line (for a streaming response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([value if isinstance(value, int) else spreadsheet_safe(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
