"""Exports of the import kinds as CSV or XLSX, through their django-import-export resources.

An export has the columns of the kind's import file, so it can be edited and imported back.
CSV is streamed row by row; XLSX is written by openpyxl's write-only workbook. Every cell goes
through :mod:`oms.exports`, so that text which looks like a formula is shown as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from oms.exports import spreadsheet_safe_row, xlsx_cell
from oms.imports.kinds import get_kind

CSV = "csv"
XLSX = "xlsx"
FORMATS = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_BATCH = 1_000


def export_rows(*, kind: str, native_numbers: bool = False, **options: Any) -> tuple[list[str], Iterator[list]]:
    """The header and the rows of an export of ``kind``, as its resource renders them."""
    spec = get_kind(kind)
    resource = spec.resource()
    headers = resource.get_export_headers()
    queryset = spec.export_queryset(resource, **options)

    def rows() -> Iterator[list]:
        for instance in resource.iter_queryset(queryset):
            yield resource.export_resource(instance, force_native_type=native_numbers)

    return headers, rows()


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_csv(*, kind: str, **options: Any) -> Iterator[str]:
    """The CSV text in pieces, UTF-8 with a byte-order mark so that spreadsheets read it as UTF-8."""
    headers, rows = export_rows(kind=kind, **options)
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(headers)
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow(spreadsheet_safe_row(row)))
        if len(batch) == _BATCH:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def export_xlsx(*, kind: str, **options: Any) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=kind[:31])
    headers, rows = export_rows(kind=kind, native_numbers=True, **options)
    sheet.append(headers)
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
