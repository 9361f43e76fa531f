"""Ledger reads: the trial balance and an account's ledger, as sums over lines.

A closed period's lines are read through its closing balances (one row per account), so a
balance reads only the lines of open periods, through the (account, entry_date, id) index
that carries the amounts (an index-only scan).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection

from payments.ledger.models import Account, FiscalPeriod, JournalLine

ZERO = Decimal("0")


@dataclass(frozen=True)
class TrialBalanceRow:
    account: Account
    debit: Decimal  # total debits up to the date
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        """Debit-positive balance."""
        return self.debit - self.credit


@dataclass(frozen=True)
class TrialBalance:
    on_date: date | None
    rows: list[TrialBalanceRow]

    @property
    def total_debit(self) -> Decimal:
        return sum((row.debit for row in self.rows), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((row.credit for row in self.rows), ZERO)

    @property
    def is_balanced(self) -> bool:
        return self.total_debit == self.total_credit


# Totals per account of the lines dated up to %(on_date)s (all, when NULL), closed periods read
# from their closing balances.
_TOTALS = """
WITH closed AS (
    SELECT id, starts_on, ends_on FROM payments_fiscalperiod
    WHERE status = 'closed' AND (%(on_date)s::date IS NULL OR ends_on <= %(on_date)s::date)
      {account_filter_periods}
), parts AS (
    SELECT account_id, debit_total AS debit, credit_total AS credit FROM payments_closingbalance
    WHERE period_id IN (SELECT id FROM closed) {account_filter}
    UNION ALL
    SELECT l.account_id, l.debit, l.credit FROM payments_journalline l
    WHERE (%(on_date)s::date IS NULL OR l.entry_date <= %(on_date)s::date) {account_filter_lines}
      AND NOT EXISTS (SELECT 1 FROM closed c WHERE l.entry_date BETWEEN c.starts_on AND c.ends_on)
)
SELECT account_id, COALESCE(sum(debit), 0), COALESCE(sum(credit), 0) FROM parts GROUP BY account_id
"""


def _account_totals(*, on_date: date | None, account_id: int | None = None) -> dict[int, tuple[Decimal, Decimal]]:
    account_filter = "AND account_id = %(account)s" if account_id else ""
    sql = _TOTALS.format(account_filter_periods="", account_filter=account_filter,
                         account_filter_lines="AND l.account_id = %(account)s" if account_id else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"on_date": on_date, "account": account_id})
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def trial_balance(*, on_date: date | None = None, period: FiscalPeriod | None = None) -> TrialBalance:
    """Every account's debits and credits up to ``on_date`` (or the end of ``period``; all time when neither)."""
    if period is not None:
        on_date = period.ends_on
    totals = _account_totals(on_date=on_date)
    rows = [
        TrialBalanceRow(account=account, debit=totals.get(account.pk, (ZERO, ZERO))[0],
                        credit=totals.get(account.pk, (ZERO, ZERO))[1])
        for account in Account.objects.order_by("code")
        if account.is_active or account.pk in totals
    ]
    return TrialBalance(on_date=on_date, rows=rows)


def account_balance(*, account: Account, on_date: date | None = None) -> Decimal:
    """Debit-positive balance of ``account`` at the end of ``on_date`` (all time when None)."""
    debit, credit = _account_totals(on_date=on_date, account_id=account.pk).get(account.pk, (ZERO, ZERO))
    return debit - credit


@dataclass
class LedgerLine:
    line: JournalLine
    balance: Decimal  # running, debit-positive, after this line


@dataclass
class AccountLedgerPage:
    account: Account
    opening_balance: Decimal  # before the first line of this page
    lines: list[LedgerLine] = field(default_factory=list)
    next_after: tuple[date, int] | None = None  # the cursor of the next page, None on the last


def account_ledger_page(*, account: Account, after: tuple[date, int] | None = None, size: int = 50,
                        date_from: date | None = None, date_to: date | None = None) -> AccountLedgerPage:
    """One page of an account's lines in (date, id) order with running balances, keyset-paginated.

    ``after`` is the (entry_date, line id) of the last line of the previous page.
    """
    lines = JournalLine.objects.filter(account=account).select_related("entry")
    if date_from:
        lines = lines.filter(entry_date__gte=date_from)
    if date_to:
        lines = lines.filter(entry_date__lte=date_to)
    if after:
        after_date, after_id = after
        lines = lines.filter(entry_date__gte=after_date).exclude(entry_date=after_date, id__lte=after_id)
    page = list(lines.order_by("entry_date", "id")[: size + 1])
    # The balance before the page: everything before its first line (or before the cursor).
    if after:
        opening = _balance_before(account=account, before_date=after[0], through_id=after[1])
    elif date_from:
        opening = account_balance(account=account, on_date=date_from - timedelta(days=1))
    else:
        opening = ZERO
    result = AccountLedgerPage(account=account, opening_balance=opening)
    balance = opening
    for line in page[:size]:
        balance += line.debit - line.credit
        result.lines.append(LedgerLine(line=line, balance=balance))
    if len(page) > size:
        last = page[size - 1]
        result.next_after = (last.entry_date, last.pk)
    return result


def _balance_before(*, account: Account, before_date: date, through_id: int) -> Decimal:
    """Balance through line ``through_id`` of ``before_date``: the days before, then that day's lines."""
    balance = account_balance(account=account, on_date=before_date - timedelta(days=1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(sum(debit - credit), 0) FROM payments_journalline "
                       "WHERE account_id = %s AND entry_date = %s AND id <= %s", [account.pk, before_date, through_id])
        return balance + cursor.fetchone()[0]
