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
    CHUNK_SIZE,
    ExportEntry,
    ExportLine,
    ExportRefused,
    check_code,
    clean_text,
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


def csv_field(text: str) -> str:
    """One CSV field as the csv module writes it (quoted only when it holds a comma or a quote;
    the text helpers have already taken out every line break)."""
    if "," in text or '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def write(entries: Iterable[ExportEntry], *, batch_number: str) -> Iterator[bytes]:
    """The General Journal file of ``entries`` (``batch_number`` is not part of Sage's layout).

    Written as one tight loop (a million lines is a normal month for a busy shop): rows are
    joined by hand, as the csv module would write them (the property tests read every file
    back with it), because its writer costs more than everything else a line needs.
    """
    parts = [",".join(HEADINGS) + "\r\n"]
    size = 0
    accounts: dict[str, str] = {}
    formats: dict[int, str] = {}
    for entry in entries:
        lines = distributions(entry)
        head = f"{us_short_date(entry.date)},{reference(entry)},{len(lines)},"
        number_format = formats.get(entry.places) or formats.setdefault(entry.places, f".{entry.places}f")
        entry_memo = None
        for line in lines:
            account = accounts.get(line.account)
            if account is None:
                account = accounts[line.account] = csv_field(check_code(
                    line.account, ACCOUNT_LIMIT, what=_("Sage 50 account ID"), entry=entry, legacy=True))
            memo = line.memo
            if memo:
                description = csv_field(clean_text(memo, DESCRIPTION_LIMIT, legacy=True))
            else:
                if entry_memo is None:
                    entry_memo = csv_field(clean_text(entry.memo, DESCRIPTION_LIMIT, legacy=True))
                description = entry_memo
            text = f"{head}{account},{description},{format(line.debit - line.credit, number_format)}\r\n"
            parts.append(text)
            size += len(text)
        if size >= CHUNK_SIZE:
            yield "".join(parts).encode(ENCODING)
            parts.clear()
            size = 0
    yield "".join(parts).encode(ENCODING)
