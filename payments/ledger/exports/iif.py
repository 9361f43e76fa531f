"""QuickBooks Desktop: an Intuit Interchange Format (IIF) file of general journal transactions.

Intuit's IIF reference for transactions: the header rows ``!TRNS``, ``!SPL`` and ``!ENDTRNS``
name the columns; then each transaction is one ``TRNS`` row (its first distribution), one
``SPL`` row per other distribution and an ``ENDTRNS`` row. TRNSTYPE is ``GENERAL JOURNAL``,
AMOUNT a debit positive and a credit negative, so the rows of a transaction sum to zero.
Fields are separated by tabs (so no field may hold one); DATE is written MM/DD/YYYY, which
QuickBooks reads as it reads MM/DD/YY, without a century to guess. TRNSID is left empty:
QuickBooks numbers the transactions; DOCNUM (the journal's "Entry No.", up to 11 characters)
carries our entry number. Windows-1252, CRLF.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from payments.ledger.exports.base import ChunkBuffer, ExportEntry, amount_text, check_code, clean_text, us_date

COLUMNS = ("TRNSID", "TRNSTYPE", "DATE", "ACCNT", "AMOUNT", "DOCNUM", "MEMO")
HEADER = (
    "!TRNS\t" + "\t".join(COLUMNS) + "\r\n"
    + "!SPL\t" + "\t".join("SPLID" if column == "TRNSID" else column for column in COLUMNS) + "\r\n"
    + "!ENDTRNS\r\n"
)
TRANSACTION_TYPE = "GENERAL JOURNAL"
ACCOUNT_LIMIT = 159  # a full account name, "Parent:Child", as QuickBooks allows
DOCNUM_LIMIT = 11
MEMO_LIMIT = 4095
ENCODING = "cp1252"


def write(entries: Iterable[ExportEntry], *, batch_number: str) -> Iterator[bytes]:
    """The IIF file of ``entries`` (``batch_number`` is not part of Intuit's layout)."""
    buffer = ChunkBuffer(ENCODING)
    buffer.add(HEADER)
    accounts: dict[str, str] = {}
    for entry in entries:
        day = us_date(entry.date)
        number = check_code(str(entry.number), DOCNUM_LIMIT, what=_("entry number"), entry=entry)
        entry_memo = clean_text(entry.memo, MEMO_LIMIT, legacy=True)
        rows = []
        for index, line in enumerate(entry.lines):
            account = accounts.get(line.account)
            if account is None:
                account = accounts[line.account] = check_code(
                    line.account, ACCOUNT_LIMIT, what=_("QuickBooks account name"), entry=entry, legacy=True)
            memo = clean_text(line.memo, MEMO_LIMIT, legacy=True) if line.memo else entry_memo
            rows.append(f"{'SPL' if index else 'TRNS'}\t\t{TRANSACTION_TYPE}\t{day}\t{account}\t"
                        f"{amount_text(line.debit - line.credit, entry.places)}\t{number}\t{memo}\r\n")
        rows.append("ENDTRNS\r\n")
        chunk = buffer.add("".join(rows))
        if chunk:
            yield chunk
    yield buffer.take()
