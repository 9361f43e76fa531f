"""Microsoft Dynamics GP: a General Journal source file for Integration Manager (CSV).

Integration Manager's GL transaction integration reads one file in which each row is a
distribution and the header fields (batch, journal entry, reference, date) repeat on every
row of their journal: IM groups the rows into journal entries by Batch ID and Journal Entry.
The first row holds the column headings ("First row contains headings"). Limits as GP's
fields: Batch ID 15, Reference 30, Account the account number string, Distribution Reference
30. Dates as MM/DD/YYYY. Windows-1252, CRLF.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _

from payments.ledger.exports.base import ExportEntry, amount_text, check_code, clean_text, csv_chunks, us_date
from payments.ledger.exports.gp_xml import ACCOUNT_LIMIT, BATCH_LIMIT, DESCRIPTION_LIMIT, reference

HEADINGS = ("Batch ID", "Journal Entry", "Reference", "Transaction Date", "Account", "Debit", "Credit",
            "Distribution Reference")
ENCODING = "cp1252"


def rows(entries: Iterable[ExportEntry], *, batch_number: str) -> Iterator[tuple[str, ...]]:
    batch = check_code(batch_number, BATCH_LIMIT, what=_("batch number"))
    yield HEADINGS
    accounts: dict[str, str] = {}
    for entry in entries:
        number, day, places = str(entry.number), us_date(entry.date), entry.places
        ref = clean_text(reference(entry), 30, legacy=True)
        for line in entry.lines:
            account = accounts.get(line.account)
            if account is None:
                account = accounts[line.account] = check_code(
                    line.account, ACCOUNT_LIMIT, what=_("Dynamics GP account number"), entry=entry, legacy=True)
            yield (batch, number, ref, day, account,
                   amount_text(line.debit, places), amount_text(line.credit, places),
                   clean_text(line.memo or entry.memo, DESCRIPTION_LIMIT, legacy=True))


def write(entries: Iterable[ExportEntry], *, batch_number: str) -> Iterator[bytes]:
    return csv_chunks(rows(entries, batch_number=batch_number), encoding=ENCODING)
