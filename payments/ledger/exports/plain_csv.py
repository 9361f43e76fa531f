"""Plain CSV: one row per journal line, for a spreadsheet or any other package.

Columns: entry number, date (ISO 8601), account code, debit, credit, memo, source. UTF-8 with a
byte-order mark (so that Excel reads the accents), CRLF, RFC 4180 quoting; no text cell starts
with ``= + - @``, so a spreadsheet never runs one as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from payments.ledger.exports.base import ExportEntry, amount_text, check_code, clean_text, csv_chunks

HEADINGS = ("entry", "date", "account", "debit", "credit", "memo", "source")
ACCOUNT_LIMIT = 20
MEMO_LIMIT = 255
SOURCE_LIMIT = 100
ENCODING = "utf-8"
BOM = "\ufeff"


def rows(entries: Iterable[ExportEntry]) -> Iterator[tuple[str, ...]]:
    yield HEADINGS
    accounts: dict[str, str] = {}
    for entry in entries:
        number, day, places = str(entry.number), entry.date.isoformat(), entry.places
        source = clean_text(entry.source, SOURCE_LIMIT)
        for line in entry.lines:
            account = accounts.get(line.account)
            if account is None:
                account = accounts[line.account] = check_code(line.account, ACCOUNT_LIMIT,
                                                              what=_("account code"), entry=entry)
            yield (number, day, account,
                   amount_text(line.debit, places) if line.debit else "",
                   amount_text(line.credit, places) if line.credit else "",
                   clean_text(line.memo or entry.memo, MEMO_LIMIT), source)


def write(entries: Iterable[ExportEntry], *, batch_number: str) -> Iterator[bytes]:
    return csv_chunks(rows(entries), encoding=ENCODING, prefix=BOM)
