"""Shared helpers of the ledger tests."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection

from payments.models import Account, JournalEntry, JournalLine


def account(code: str) -> Account:
    return Account.objects.get(code=code)


def balance(code: str) -> Decimal:
    """Debit-positive balance of an account over every line."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(sum(l.debit - l.credit), 0) FROM payments_journalline l "
                       "JOIN payments_account a ON a.id = l.account_id WHERE a.code = %s", [code])
        return cursor.fetchone()[0]


def lines_of(entry: JournalEntry) -> list[tuple[str, Decimal, Decimal]]:
    """(account code, debit, credit) of an entry's lines, in line order."""
    return [(line.account.code, line.debit, line.credit)
            for line in JournalLine.objects.filter(entry=entry).select_related("account").order_by("pk")]


def stock_valuation() -> Decimal:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(sum(value), 0) FROM inventory_stocklevel")
        return cursor.fetchone()[0]
