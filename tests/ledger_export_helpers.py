"""Setup shared by the GL export tests: journal entries posted through the ledger's own services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from oms.hooks import PostingLine
from payments.ledger.export_services import export_batch_file
from payments.ledger.models import JournalEntry


def post(user, on_date: date, amount: str = "10.00", *, memo: str = "Manual entry",
         debit: str = "1200", credit: str = "2050", lines: list[tuple[str, str, str]] | None = None) -> JournalEntry:
    """A manual entry: ``amount`` debited to ``debit`` and credited to ``credit`` (or ``lines`` of
    (account code, debit, credit))."""
    from payments.ledger.services import journal_entry_manual

    if lines is None:
        lines = [(debit, amount, "0"), (credit, "0", amount)]
    return journal_entry_manual(on_date=on_date, memo=memo, user=user, lines=[
        PostingLine(account_code=code, debit=Decimal(dr), credit=Decimal(cr)) for code, dr, cr in lines])


def file_bytes(batch) -> bytes:
    return export_batch_file(batch=batch).read()
