"""CSV export of the reconciliation report, safe to open in a spreadsheet.

The rule is the shared one (``oms.exports.spreadsheet_safe``): a cell that a spreadsheet would
read as a formula gets a leading single quote; this module only writes the report's rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from oms.exports import spreadsheet_safe as _safe


def spreadsheet_safe(value) -> str:
    """The cell text of ``value``; text a spreadsheet would run as a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # numbers stay numbers (a negative variance is not a formula)
    return _safe(str(value))


def csv_rows(rows: Iterable[Iterable]) -> Iterator[str]:
    """Each row as one CSV line (for a streaming response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([value if isinstance(value, int) else spreadsheet_safe(value) for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
