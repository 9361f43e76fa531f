"""Reading an uploaded CSV or XLSX file as a header and numbered rows of text cells.

Everything that makes a file unreadable as a whole (text that is neither UTF-8 nor
Windows-1252, a spreadsheet format we do not read, no header) raises :class:`FileError` with
a message for the user. A CSV file that is not UTF-8 but reads as Windows-1252 (what Excel on
Windows saves as "CSV") is read as such, and the table says so. Row numbers are the ones a
spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from oms.exports import QUOTED_MARKERS

CSV = "csv"
XLSX = "xlsx"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls)
_DELIMITERS = (",", ";", "\t")
UTF_8 = "utf-8"
WINDOWS_1252 = "windows-1252"
# Characters no cell may hold: NUL (which PostgreSQL refuses in text) and the other C0 controls
# and DEL. Tab, line feed and carriage return may sit inside a quoted cell.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same as bytes: in UTF-8 and in Windows-1252 each of them is that one byte, and no other
# character's bytes include one, so the raw file can be searched before it is decoded.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# csv's default limit of 128 KiB per cell is far above any column we import; keep it.


class FileError(Exception):
    """The file cannot be read as a whole; each argument is a message saying why and what to do."""

    @property
    def messages(self) -> list[str]:
        return [str(message) for message in self.args]


@dataclass
class Table:
    """A header (as written in the file) and an iterator of (row number, cells)."""

    file_format: str
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    encoding: str = UTF_8
    # False when the whole file was searched for control characters and has none, so that its
    # rows need not be searched one by one.
    may_hold_control_characters: bool = True
    # True when cells may be quoted by oms.exports.spreadsheet_safe (an export imported back):
    # the engine then gives them their values back.
    may_hold_quoted_formulas: bool = False

    def close(self) -> None:
        close = getattr(self.rows, "close", None)
        if close:
            close()


def detect_format(data: bytes) -> str:
    """``csv`` or ``xlsx`` from the file's first bytes; FileError for anything else we recognise."""
    if data.startswith(_ZIP_MAGIC):
        return XLSX
    if data.startswith(_OLE_MAGIC):
        raise FileError(_("This is an Excel 97-2003 (.xls) file. Save it as .xlsx or as “CSV UTF-8” "
                          "and upload it again."))
    return CSV


def estimate_rows(data: bytes) -> int:
    """A quick count of the data rows, to decide whether a file is checked in the background."""
    if detect_format(data) == XLSX:
        return _estimate_xlsx_rows(data)
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    return max(lines - 1, 0)


def _estimate_xlsx_rows(data: bytes) -> int:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # unreadable: reading it for real says why
        return 0
    try:
        sheet = workbook.worksheets[0]
        if sheet.max_row is not None:
            return max(sheet.max_row - 1, 0)
        # An unsized sheet (write-only writers, ours included): count its <row> elements instead.
        rows, tail = 0, b""
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(sheet._worksheet_path) as xml:
            while chunk := xml.read(1 << 20):
                rows += (tail + chunk).count(b"<row ")  # a <row> cut in two by the chunks counts once
                tail = chunk[-4:]
        return max(rows - 1, 0)
    except (IndexError, KeyError, zipfile.BadZipFile):
        return 0
    finally:
        workbook.close()


def read_table(data: bytes) -> Table:
    """Open ``data`` as CSV (UTF-8, comma, semicolon or tab separated) or XLSX (first sheet)."""
    if not data.strip():
        raise FileError(_("The file is empty."))
    if detect_format(data) == XLSX:
        return _read_xlsx(data)
    return _read_csv(data)


def _read_csv(data: bytes) -> Table:
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise FileError(_("The file is UTF-32 text. Save it as “CSV UTF-8” and upload it again."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileError(_("The file is UTF-16 text (Excel’s “Unicode text”). Save it as “CSV UTF-8” "
                          "and upload it again."))
    if _looks_like_utf16(data):
        raise FileError(_("The file contains NUL bytes: it is UTF-16 text or not a text file at all. "
                          "Save it as “CSV UTF-8” and upload it again."))
    encoding = UTF_8
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        try:
            # Five byte values mean nothing in Windows-1252: a file that has one is neither.
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            line = data.count(b"\n", 0, error.start) + 1
            raise FileError(
                _("The file is not UTF-8 text: line %(line)d has the byte 0x%(byte)02X, which UTF-8 does not "
                  "allow, and it does not read as Windows-1252 either. Save it as “CSV UTF-8” "
                  "and upload it again.") % {"line": line, "byte": data[error.start]}
            ) from None
        encoding = WINDOWS_1252
    end_of_header = text.find("\n")
    first_line = text if end_of_header < 0 else text[:end_of_header]
    delimiter = max(_DELIMITERS, key=first_line.count)
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise FileError(_("The file has no header row.")) from None
    # One pass over the raw bytes (translate is several times faster than a regular expression).
    holds_control_bytes = len(data.translate(None, _CONTROL_BYTES)) != len(data)
    holds_quoted_formulas = b"'" in data and any(marker in data for marker in QUOTED_MARKERS)
    return Table(CSV, header, _csv_rows(reader), encoding, holds_control_bytes, holds_quoted_formulas)


def _looks_like_utf16(data: bytes) -> bool:
    """UTF-16 text without a byte-order mark: every other byte of its (mostly ASCII) start is NUL.

    A NUL here and there is a bad cell, which the checks report by row and column instead.
    """
    start = data[:200]
    return start.count(b"\x00") * 4 >= len(start)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their line ends, as csv wants them.

    Slicing the one string as we go keeps memory at the size of the file; io.StringIO would hold
    a copy four times as large.
    """
    first_cr, first_lf = text.find("\r"), text.find("\n")
    # The header's line end is the file's: "\r" alone (old Mac files) or "\n" (with or without "\r").
    separator = "\r" if first_cr >= 0 and (first_lf < 0 or first_lf > first_cr + 1) else "\n"
    find, start, length = text.find, 0, len(text)
    while start < length:
        end = find(separator, start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def _csv_rows(reader) -> Iterator[tuple[int, list[str]]]:
    number = 1
    try:
        for cells in reader:
            number += 1
            yield number, cells
    except csv.Error as error:
        raise FileError(_("Row %(row)d cannot be read as CSV: %(problem)s.")
                        % {"row": number + 1, "problem": error}) from None


def _read_xlsx(data: bytes) -> Table:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FileError(_("The file is not a readable XLSX workbook.")) from None
    if not workbook.worksheets:
        workbook.close()
        raise FileError(_("The workbook has no sheets."))
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    try:
        header = [cell_text(value) for value in next(rows)]
    except StopIteration:
        workbook.close()
        raise FileError(_("The first sheet is empty.")) from None
    return Table(XLSX, header, _xlsx_rows(rows, workbook))


def _xlsx_rows(rows, workbook) -> Iterator[tuple[int, list[str]]]:
    try:
        for number, values in enumerate(rows, start=2):
            yield number, [cell_text(value) for value in values]
    finally:
        workbook.close()


def cell_text(value) -> str:
    """A spreadsheet cell as the text a CSV file would hold (12.0 → "12", dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_SEPARATORS = re.compile(r"[\s\-]+")


def normalize_header(name: str) -> str:
    """``" SKU code "`` and ``"sku-code"`` both mean ``sku_code``."""
    return _SEPARATORS.sub("_", name.strip().lstrip("\ufeff").lower())
