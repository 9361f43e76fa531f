"""What the GL export writers share: the entries they write, the text helper, and chunked output.

A writer takes an iterable of :class:`ExportEntry` (each with its :class:`ExportLine` lines,
already carrying the target's account codes) and yields the file as ``bytes`` chunks of about
:data:`CHUNK_SIZE`, so that a file of any size is written with flat memory. Writers are pure:
the same entries give the same bytes, every time.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from django.utils.translation import gettext as _

CHUNK_SIZE = 64 * 1024  # bytes: large enough that a write is cheap, small enough that memory stays flat
FORMULA_STARTS = "=+-@"  # a spreadsheet reads a cell that starts with one of these as a formula
ZERO = Decimal("0")


class ExportRefused(Exception):
    """The entries cannot be written in this format (an account code too long, too many lines);
    the message says which entry or account, for the accountant."""


class ExportLine(NamedTuple):
    """One distribution: the target's account code, a debit or a credit (never both), a memo.

    (A named tuple rather than a dataclass: a million of them are made per large batch.)
    """

    account: str
    debit: Decimal
    credit: Decimal
    memo: str = ""


class ExportEntry(NamedTuple):
    """One journal entry as the export writes it (in summary mode, one day's totals per account)."""

    number: int
    date: date
    memo: str
    source: str  # the source document, readable ("Purchase order PO-00012"), "" for manual entries
    currency: str
    lines: Sequence[ExportLine]
    places: int = 2  # the currency's minor unit: amounts are written with this many decimals


# --- text ----------------------------------------------------------------------------------------

# Letters that Unicode does not decompose into a base letter and a mark, spelt as a reader would.
_UNDECOMPOSED = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "ĸ": "k",
                               "Ŀ": "L", "ŀ": "l", "Ŧ": "T", "ŧ": "t"})
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


_BAD_FIRST = frozenset(FORMULA_STARTS + " ")


def _legacy(text: str) -> str:
    """Text Windows-1252 can encode: accents kept where it has them, else dropped ("ő" → "o"), else "?"."""
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        pass
    characters = []
    for character in text.translate(_UNDECOMPOSED):
        try:
            character.encode("cp1252")
            characters.append(character)
            continue
        except UnicodeEncodeError:
            pass
        decomposed = "".join(part for part in unicodedata.normalize("NFKD", character)
                             if not unicodedata.combining(part))
        try:
            decomposed.encode("cp1252")
            characters.append(decomposed)
        except UnicodeEncodeError:
            characters.append("?")
    return "".join(characters)


def cut_at_word(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at the last space when there is one."""
    if len(text) <= limit:
        return text
    if text[limit] == " ":
        return text[:limit].rstrip(" ,;:")
    space = text.rfind(" ", 0, limit)
    if space > 0:
        return text[:space].rstrip(" ,;:")
    return text[:limit]  # one word longer than the field: cut inside it


def clean_text(value: str | None, limit: int, *, legacy: bool = False) -> str:
    """A text field as every export writes it: one line, no tabs, no control or invisible
    characters, no leading ``= + - @`` (so that no spreadsheet runs it as a formula), at most
    ``limit`` characters, cut at a word boundary. With ``legacy``, only Windows-1252 characters.
    """
    if not value:
        return ""
    # The common case, decided at C speed: short printable ASCII that needs no change.
    if (len(value) <= limit and value.isascii() and value.isprintable() and value[0] not in _BAD_FIRST
            and value[-1] != " " and "  " not in value):
        return value
    characters = []
    for character in value:
        if character.isspace():
            characters.append(" ")
        elif unicodedata.category(character) not in _DROPPED_CATEGORIES:
            characters.append(character)
    text = "".join(characters)
    if legacy:
        text = _legacy(text)
    text = " ".join(text.split())
    while text and (text[0] in FORMULA_STARTS or text[0] == " "):
        text = text[1:]
    return cut_at_word(text, limit).rstrip()


def check_code(value: str, limit: int, *, what: str, entry: ExportEntry | None = None,
               legacy: bool = False) -> str:
    """An account code or other key, which must not be changed to fit: refuse it when it does not."""
    if not value:
        raise ExportRefused(_("Entry %(entry)s has a line without a %(what)s; set it on the account.")
                            % {"entry": entry.number if entry else "?", "what": what})
    if clean_text(value, limit, legacy=legacy) != value:
        raise ExportRefused(
            _("The %(what)s “%(value)s” cannot be written: it must be at most %(limit)d characters, "
              "on one line, and not start with = + - or @. Change it on the account.")
            % {"what": what, "value": value[:60], "limit": limit})
    return value


# --- numbers and dates -----------------------------------------------------------------------------


def amount_text(amount: Decimal, places: int) -> str:
    """A plain decimal with ``places`` decimals and no thousands separator ("-1234.50")."""
    return f"{amount:.{places}f}"


@lru_cache(maxsize=4096)
def us_date(day: date) -> str:
    return f"{day.month:02d}/{day.day:02d}/{day.year:04d}"


@lru_cache(maxsize=4096)
def us_short_date(day: date) -> str:
    return f"{day.month:02d}/{day.day:02d}/{day.year % 100:02d}"


# --- output --------------------------------------------------------------------------------------


class ChunkBuffer:
    """Collects text and hands it out as encoded chunks of about ``CHUNK_SIZE`` bytes."""

    def __init__(self, encoding: str = "utf-8") -> None:
        self.encoding = encoding
        self.parts: list[str] = []
        self.size = 0

    def add(self, text: str) -> bytes | None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= CHUNK_SIZE:
            return self.take()
        return None

    def take(self) -> bytes:
        data = "".join(self.parts).encode(self.encoding)
        self.parts.clear()
        self.size = 0
        return data


def csv_chunks(rows: Iterable[Sequence[str]], *, encoding: str, prefix: str = "") -> Iterator[bytes]:
    """CSV (RFC 4180: commas, quotes where needed, CRLF) from ``rows``, in chunks."""
    buffer = io.StringIO()
    buffer.write(prefix)
    writer = csv.writer(buffer, lineterminator="\r\n")
    write = writer.writerow
    for row in rows:
        write(row)
        if buffer.tell() >= CHUNK_SIZE:
            yield buffer.getvalue().encode(encoding)
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode(encoding)
