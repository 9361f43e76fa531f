"""Exports of the import kinds as CSV or XLSX, through their django-import-export resources.

An export has the columns of the kind's import file, so it can be edited and imported back.
CSV is streamed row by row; XLSX is written by openpyxl's write-only workbook, with text that
looks like a formula kept as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from catalog.imports.kinds import get_kind

CSV = "csv"
XLSX = "xlsx"
FORMATS = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_BATCH = 1_000


def export_rows(*, kind: str, native_numbers: bool = False) -> tuple[list[str], Iterator[list]]:
    """The header and the rows of an export of ``kind``, as its resource renders them."""
    resource = get_kind(kind).resource()
    headers = resource.get_export_headers()

    def rows() -> Iterator[list]:
        for instance in resource.iter_queryset(resource.get_queryset()):
            yield resource.export_resource(instance, force_native_type=native_numbers)

    return headers, rows()


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_csv(*, kind: str) -> Iterator[str]:
    """The CSV text in pieces, UTF-8 with a byte-order mark so that spreadsheets read it as UTF-8."""
    headers, rows = export_rows(kind=kind)
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(headers)
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow(row))
        if len(batch) == _BATCH:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def export_xlsx(*, kind: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=kind[:31])
    headers, rows = export_rows(kind=kind, native_numbers=True)
    sheet.append(headers)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
                if value.startswith("="):
                    # openpyxl would store it as a formula, which a spreadsheet would run.
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"
                    value = cell
            cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
