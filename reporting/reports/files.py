"""A report's rows as files: CSV and XLSX of every row (page after page, by keyset), PDF to print.

Every cell goes through oms.exports (spreadsheet_safe, xlsx_cell): a SKU named ``=HYPERLINK(…)``
is text in the file, never a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import timezone

from oms.exports import spreadsheet_safe, xlsx_cell
from reporting.db import reporting_reads
from reporting.reports.base import Column, Report

PAGE_SIZE = 5_000  # rows read at a time while a file is written
PDF_ROW_LIMIT = 2_000  # a printed report shows this many rows at most (and says so)
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def all_rows(report: Report, filters: dict, *, sort: str, progress: Callable[[int], None] | None = None,
             limit: int | None = None) -> Iterator[dict]:
    """Every row of the report (or the first ``limit``), read a page at a time from the reporting database."""
    after, count = None, 0
    while True:
        size = PAGE_SIZE if limit is None else min(PAGE_SIZE, limit - count)
        if size <= 0:
            return
        with reporting_reads():
            page = report.rows(filters, sort=sort, after=after, limit=size)
        yield from page
        count += len(page)
        if progress is not None:
            progress(count)
        if len(page) < size:
            return
        after = page[-1]["_cursor"]


def cell_value(column: Column, row: dict):
    """The value a file holds for this column: numbers stay numbers, dates are dates, the rest text."""
    value = row.get(column.key)
    if value is None:
        return ""
    if column.kind in ("money", "decimal") and not isinstance(value, Decimal):
        return Decimal(str(value))
    if column.kind == "date" and isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if column.kind in ("text", "link"):
        return str(value)
    return value


def _csv_text(value) -> str | int | Decimal:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return spreadsheet_safe(value)


def csv_chunks(report: Report, rows: Iterator[dict]) -> Iterator[bytes]:
    """The CSV file (UTF-8 with a BOM, so that Excel reads it as UTF-8), a few hundred rows a chunk."""
    columns = list(report.columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([spreadsheet_safe(str(column.label)) for column in columns])
    for number, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(cell_value(column, row)) for column in columns])
        if number % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_chunks(report: Report, rows: Iterator[dict]) -> Iterator[bytes]:
    """The XLSX file: written by openpyxl's write-only workbook into a temporary file, then read out."""
    from openpyxl import Workbook

    columns = list(report.columns)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(report.title)[:31])
    sheet.append([xlsx_cell(sheet, str(column.label)) for column in columns])
    for row in rows:
        sheet.append([xlsx_cell(sheet, cell_value(column, row)) for column in columns])
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while data := file.read(1024 * 1024):
            yield data


def pdf_bytes(report: Report, filters: dict, *, sort: str, form=None) -> bytes:
    """The printed report: its title, filters and up to PDF_ROW_LIMIT rows (WeasyPrint)."""
    from weasyprint import HTML

    rows = list(all_rows(report, filters, sort=sort, limit=PDF_ROW_LIMIT + 1))
    html = render_to_string("reporting/report_pdf.html", {
        "report": report, "rows": rows[:PDF_ROW_LIMIT], "is_cut": len(rows) > PDF_ROW_LIMIT,
        "row_limit": PDF_ROW_LIMIT, "filters": describe_filters(report, filters), "columns": report.columns,
        "printed_at": timezone.now(),
    })
    return HTML(string=html).write_pdf()


def file_chunks(report: Report, file_format: str, filters: dict, *, sort: str,
                progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    if file_format == "pdf":
        yield pdf_bytes(report, filters, sort=sort)
        return
    rows = all_rows(report, filters, sort=sort, progress=progress)
    yield from (csv_chunks if file_format == "csv" else xlsx_chunks)(report, rows)


def file_name(report: Report, file_format: str) -> str:
    return f"{report.key}-{timezone.localdate():%Y-%m-%d}.{file_format}"


def describe_filters(report: Report, filters: dict) -> list[tuple[str, str]]:
    """(label, value) of each filter that is set, for the printed page and the email."""
    form = report.filter_form()
    described = []
    for name, field in form.fields.items():
        value = filters.get(name)
        if value in (None, "", [], ()):
            continue
        if hasattr(field, "choices"):
            value = dict((str(key), label) for key, label in field.choices).get(str(value), value)
        described.append((str(field.label or name), str(value)))
    return described
