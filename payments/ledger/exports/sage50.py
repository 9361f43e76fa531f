"""Sage 50 (Peachtree) US: the General Journal import file (CSV).

Sage's "General Journal Fields (Import/Export)" table: Date (``MM/DD/YY``), Reference (up to 20
characters), Number of Distributions (2 to 560), G/L Account (up to 15), Description (up to
160), Amount (a debit positive, a credit negative). Each distribution is a row that repeats the
transaction's date, reference and count; the first row holds the headings ("First Row Contains
Headings" in Sage's import options). Windows-1252, CRLF.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from payments.ledger.exports.base import (
    ExportEntry,
    ExportLine,
    ExportRefused,
    amount_text,
    check_code,
    clean_text,
    csv_chunks,
    us_short_date,
)

HEADINGS = ("Date", "Reference", "Number of Distributions", "G/L Account", "Description", "Amount")
REFERENCE_LIMIT = 20
ACCOUNT_LIMIT = 15
DESCRIPTION_LIMIT = 160
MIN_DISTRIBUTIONS = 2
MAX_DISTRIBUTIONS = 560
ENCODING = "cp1252"


def reference(entry: ExportEntry) -> str:
    return f"OMS-{entry.number}"


def combined(entry: ExportEntry) -> list[ExportLine]:
    """An entry's lines, one debit and one credit per account: for an entry of more lines than Sage takes."""
    totals: dict[tuple[str, bool], ExportLine] = {}
    for line in entry.lines:
        key = (line.account, line.debit > 0)
        known = totals.get(key)
        totals[key] = line if known is None else ExportLine(
            account=line.account, debit=known.debit + line.debit, credit=known.credit + line.credit,
            memo=_("Entry %(entry)s, lines combined") % {"entry": entry.number})
    return list(totals.values())


def distributions(entry: ExportEntry) -> list[ExportLine]:
    lines = list(entry.lines)
    if len(lines) > MAX_DISTRIBUTIONS:
        lines = combined(entry)
    if len(lines) > MAX_DISTRIBUTIONS:
        raise ExportRefused(
            _("Journal entry %(entry)s has %(count)d lines on different accounts; Sage 50 takes at most "
              "%(limit)d distributions per entry. Export it in the summary mode or in another format.")
            % {"entry": entry.number, "count": len(lines), "limit": MAX_DISTRIBUTIONS})
    if len(lines) < MIN_DISTRIBUTIONS:
        raise ExportRefused(_("Journal entry %(entry)s has fewer than two lines; Sage 50 needs at least two.")
                            % {"entry": entry.number})
    return lines


def rows(entries: Iterable[ExportEntry]) -> Iterator[tuple[str, ...]]:
    yield HEADINGS
    accounts: dict[str, str] = {}
    for entry in entries:
        lines = distributions(entry)
        day, ref, count = us_short_date(entry.date), reference(entry), str(len(lines))
        places = entry.places
        for line in lines:
            account = accounts.get(line.account)
            if account is None:
                account = accounts[line.account] = check_code(
                    line.account, ACCOUNT_LIMIT, what=_("Sage 50 account ID"), entry=entry, legacy=True)
            yield (day, ref, count, account,
                   clean_text(line.memo or entry.memo, DESCRIPTION_LIMIT, legacy=True),
                   amount_text(line.debit - line.credit, places))


def write(entries: Iterable[ExportEntry], *, batch_number: str) -> Iterator[bytes]:
    """The General Journal file of ``entries`` (``batch_number`` is not part of Sage's layout)."""
    return csv_chunks(rows(entries), encoding=ENCODING)
