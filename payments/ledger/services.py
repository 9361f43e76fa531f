"""Ledger writes: the one posting service, reversals, manual entries, fiscal periods.

Every journal entry is written by :func:`ledger_post` (business events, through
``oms.hooks.ledger_post``, inside the event's own transaction) or by the two accountant
services below, which call the same internals. Nothing here updates a balance row: an entry
inserts one entry row and its lines, so concurrent postings never wait on each other for an
account (the foreign-key checks take KEY SHARE locks, which do not conflict with one another).
"""

from __future__ import annotations

import calendar
import weakref
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.hooks import PostingLine
from oms.money import round_money
from payments.ledger.errors import LedgerError
from payments.ledger.models import (
    Account, ClosingBalance, FiscalPeriod, FiscalYear, JournalEntry, JournalLine, PeriodEvent, PostingRule,
)

ZERO = Decimal("0")
MANUAL = "manual"
REVERSAL = "reversal"


# --- fiscal periods ---------------------------------------------------------------------------


def fiscal_year_ensure(year: int) -> FiscalYear:
    """Calendar fiscal year ``year`` with its twelve monthly periods, created when missing.

    Safe under concurrency (conflicting inserts are ignored, then the rows are read back);
    runs in the caller's transaction.
    """
    FiscalYear.objects.bulk_create(
        [FiscalYear(name=f"FY{year}", starts_on=date(year, 1, 1), ends_on=date(year, 12, 31))],
        ignore_conflicts=True)
    fiscal_year = FiscalYear.objects.get(starts_on=date(year, 1, 1))
    FiscalPeriod.objects.bulk_create(
        [FiscalPeriod(year=fiscal_year, number=month, starts_on=date(year, month, 1),
                      ends_on=date(year, month, calendar.monthrange(year, month)[1]))
         for month in range(1, 13)],
        ignore_conflicts=True)
    return fiscal_year


_PERIOD_FOR = """
SELECT id, year_id, number, starts_on, ends_on, status, closed_at, closed_by_id FROM payments_fiscalperiod
WHERE starts_on <= %s AND ends_on >= %s LIMIT 1
"""


def period_for(on_date: date) -> FiscalPeriod:
    """The fiscal period containing ``on_date`` (its year is created when missing)."""
    # Plain SQL (every posting asks): at most one period contains a date, periods do not overlap.
    with connection.cursor() as cursor:
        cursor.execute(_PERIOD_FOR, [on_date, on_date])
        row = cursor.fetchone()
    if row is not None:
        period = FiscalPeriod(id=row[0], year_id=row[1], number=row[2], starts_on=row[3], ends_on=row[4],
                              status=row[5], closed_at=row[6], closed_by_id=row[7])
        period._state.adding = False
        return period
    fiscal_year_ensure(on_date.year)
    return FiscalPeriod.objects.get(starts_on__lte=on_date, ends_on__gte=on_date)


def open_period_for(on_date: date) -> tuple[FiscalPeriod, date]:
    """The period an event dated ``on_date`` posts in, and the entry's date: the event's own
    period and date when it is open, else the first day of the next open period."""
    period = period_for(on_date)
    posting_date = on_date
    while period.is_closed:
        posting_date = period.ends_on + timedelta(days=1)
        period = period_for(posting_date)
    return period, posting_date


def _lock_period(period: FiscalPeriod) -> FiscalPeriod:
    # FOR UPDATE, not NO KEY UPDATE: it conflicts with the KEY SHARE lock that every posting takes
    # on its period (the foreign key and the insert trigger), so a close waits for postings in
    # flight to commit, and postings that come after see the period closed.
    return FiscalPeriod.objects.select_for_update().get(pk=period.pk)


_CLOSING_TOTALS = """
INSERT INTO payments_closingbalance (period_id, account_id, debit_total, credit_total)
SELECT %(period)s, account_id, sum(debit), sum(credit) FROM payments_journalline
WHERE entry_date BETWEEN %(starts)s AND %(ends)s
GROUP BY account_id
"""


def period_close(*, period: FiscalPeriod, user) -> FiscalPeriod:
    """Close a period: nothing posts into it any more, and its closing balances are written once."""
    with transaction.atomic(durable=True):
        locked = _lock_period(period)
        if locked.is_closed:
            raise LedgerError(_("Period %(period)s is already closed.") % {"period": locked})
        with connection.cursor() as cursor:
            cursor.execute(_CLOSING_TOTALS, {"period": locked.pk, "starts": locked.starts_on, "ends": locked.ends_on})
        locked.status = FiscalPeriod.Status.CLOSED
        locked.closed_at = timezone.now()
        locked.closed_by = _user_or_none(user)
        locked.save(update_fields=["status", "closed_at", "closed_by"])
        PeriodEvent.objects.create(period=locked, action=PeriodEvent.Action.CLOSE, user=_user_or_none(user))
    return locked


def period_reopen(*, period: FiscalPeriod, reason: str, user) -> FiscalPeriod:
    """Reopen a closed period (a reason is required and recorded); its closing balances go."""
    if not reason or not reason.strip():
        raise LedgerError(_("Reopening a period needs a reason."))
    with transaction.atomic(durable=True):
        locked = _lock_period(period)
        if not locked.is_closed:
            raise LedgerError(_("Period %(period)s is not closed.") % {"period": locked})
        ClosingBalance.objects.filter(period=locked).delete()
        locked.status = FiscalPeriod.Status.OPEN
        locked.closed_at = None
        locked.closed_by = None
        locked.save(update_fields=["status", "closed_at", "closed_by"])
        PeriodEvent.objects.create(period=locked, action=PeriodEvent.Action.REOPEN, reason=reason.strip(),
                                   user=_user_or_none(user))
    return locked


# --- posting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    account_id: int
    debit: Decimal
    credit: Decimal
    warehouse_id: int | None
    memo: str


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _source_key(source) -> tuple[str, str]:
    if source is None:
        return "", ""
    if isinstance(source, tuple):
        source_type, source_id = source
        return str(source_type), str(source_id)
    meta = source._meta
    return f"{meta.app_label}.{meta.model_name}", str(source.pk)


def _role_candidates(role: str) -> list[str]:
    """``a.b:c`` → [``a.b:c``, ``a.b``]: a qualified role falls back to its base."""
    candidates = [role]
    if ":" in role:
        candidates.append(role.split(":", 1)[0])
    return candidates


# The rules of the roles and, in the same round trip, the period of the event's date (every
# posting needs both; one row per rule, or one row of NULL rule columns when none matches).
_RULES_AND_PERIOD_FOR = """
SELECT r.role, r.warehouse_id, r.account_id, r.code, r.name, r.is_active,
       p.id, p.year_id, p.number, p.starts_on, p.ends_on, p.status, p.closed_at, p.closed_by_id
FROM (SELECT id, year_id, number, starts_on, ends_on, status, closed_at, closed_by_id FROM payments_fiscalperiod
      WHERE starts_on <= %(on_date)s AND ends_on >= %(on_date)s LIMIT 1) p
FULL JOIN (SELECT r.role, r.warehouse_id, r.account_id, a.code, a.name, a.is_active
           FROM payments_postingrule r JOIN payments_account a ON a.id = r.account_id
           WHERE r.role = ANY(%(roles)s)) r ON true
"""


def _resolve(lines: list[PostingLine], currency: str,
             on_date: date | None = None) -> tuple[list[_Line], FiscalPeriod | None]:
    """Accounts for the lines' roles and codes, amounts rounded to the currency, sides checked;
    with ``on_date``, the period containing it too when it is known already (else ``None``)."""
    roles = {candidate for line in lines if line.role for candidate in _role_candidates(line.role)}
    codes = {line.account_code for line in lines if line.account_code}
    rules: dict[tuple[str, int | None], int] = {}
    accounts: dict[int, Account] = {}
    period = None
    if roles:
        # Plain SQL rather than model instances: this runs for every posting of every event.
        with connection.cursor() as cursor:
            cursor.execute(_RULES_AND_PERIOD_FOR, {"roles": sorted(roles), "on_date": on_date})
            found = cursor.fetchall()
        for role, warehouse_id, account_id, code, name, is_active, *period_row in found:
            if period is None and period_row[0] is not None:
                period = FiscalPeriod(id=period_row[0], year_id=period_row[1], number=period_row[2],
                                      starts_on=period_row[3], ends_on=period_row[4], status=period_row[5],
                                      closed_at=period_row[6], closed_by_id=period_row[7])
                period._state.adding = False
            if role is not None:
                rules[(role, warehouse_id)] = account_id
                accounts[account_id] = Account(pk=account_id, code=code, name=name, is_active=is_active)
    by_code = {account.code: account for account in Account.objects.filter(code__in=codes)} if codes else {}
    resolved = []
    for line in lines:
        if (line.role is None) == (line.account_code is None):
            raise LedgerError(_("A journal line names either a posting role or an account code."))
        if line.debit < 0 or line.credit < 0:
            raise LedgerError(_("A journal line's amounts are never negative."))
        debit, credit = round_money(line.debit, currency), round_money(line.credit, currency)
        if debit and credit:
            raise LedgerError(_("A journal line is a debit or a credit, not both."))
        if not debit and not credit:
            continue  # nothing to post on this line
        if line.account_code is not None:
            account = by_code.get(line.account_code)
            if account is None:
                raise LedgerError(_("There is no account %(code)s.") % {"code": line.account_code})
        else:
            account_id = next(
                (rules[key] for candidate in _role_candidates(line.role)
                 for key in ((candidate, line.warehouse_id), (candidate, None)) if key in rules), None)
            if account_id is None:
                raise LedgerError(_("The posting map has no account for “%(role)s”; an accountant adds it.")
                                  % {"role": line.role})
            account = accounts[account_id]
        if not account.is_active:
            raise LedgerError(_("Account %(account)s is inactive.") % {"account": account})
        resolved.append(_Line(account.pk, debit, credit, line.warehouse_id, line.memo[:500]))
    return resolved, period


def _net(lines: list[_Line]) -> list[_Line]:
    """One line per account, debits and credits netted; accounts that net to zero drop out."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    first: dict[int, _Line] = {}
    for line in lines:
        totals[line.account_id] += line.debit - line.credit
        first.setdefault(line.account_id, line)
    return [
        _Line(account_id, max(amount, ZERO), max(-amount, ZERO), first[account_id].warehouse_id,
              first[account_id].memo)
        for account_id, amount in totals.items() if amount
    ]


def _check_balanced(lines: list[_Line], currency: str) -> None:
    if len(lines) < 2:
        raise LedgerError(_("A journal entry needs at least two lines with an amount."))
    debits = sum((line.debit for line in lines), ZERO)
    credits = sum((line.credit for line in lines), ZERO)
    if debits != credits:
        raise LedgerError(_("The entry does not balance: debits %(debits)s, credits %(credits)s (%(currency)s).")
                          % {"debits": debits, "credits": credits, "currency": currency})


# The entry and its lines in one statement (one round trip); no row back when the source's entry
# exists already. The lines keep their order (their ids follow it).
# Every posting runs it: prepared once per database session (as the gift card redemption and
# inventory's one-row reservation are), so the server does not parse and plan it each time.
_INSERT_ENTRY_STATEMENT = "payments_journal_entry_insert"
_INSERT_ENTRY_PREPARE = f"""
PREPARE {_INSERT_ENTRY_STATEMENT} (date, bigint, text, text, text, text, text, bigint, bigint, timestamptz,
                                   bigint[], numeric[], numeric[], text[], bigint[]) AS
WITH entry AS (
    INSERT INTO payments_journalentry
        (entry_date, period_id, kind, source_type, source_id, memo, currency, reversal_of_id, created_by_id,
         created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (source_type, source_id, kind) WHERE NOT (source_type = '') DO NOTHING
    RETURNING id
), lines AS (
    INSERT INTO payments_journalline (entry_id, account_id, entry_date, debit, credit, currency, memo, warehouse_id)
    SELECT entry.id, line.account_id, $1, line.debit, line.credit, $7, line.memo, line.warehouse_id
    FROM entry CROSS JOIN unnest($11, $12, $13, $14, $15)
         WITH ORDINALITY AS line(account_id, debit, credit, memo, warehouse_id, number)
    ORDER BY line.number
)
SELECT id FROM entry
"""
_INSERT_ENTRY = (f"EXECUTE {_INSERT_ENTRY_STATEMENT} (%(entry_date)s, %(period)s, %(kind)s, %(source_type)s, "
                 "%(source_id)s, %(memo)s, %(currency)s, %(reversal_of)s, %(user)s, %(now)s, %(accounts)s::bigint[], "
                 "%(debits)s::numeric[], %(credits)s::numeric[], %(memos)s::text[], %(warehouses)s::bigint[])")
_prepared_sessions: weakref.WeakSet = weakref.WeakSet()  # the psycopg connections that have it prepared


def _prepare_insert_entry() -> None:
    session = connection.connection
    if session not in _prepared_sessions:
        with connection.wrap_database_errors:
            session.execute(_INSERT_ENTRY_PREPARE)
        _prepared_sessions.add(session)


def _write(*, source_type: str, source_id: str, kind: str, lines: list[_Line], on_date: date, user, memo: str,
           currency: str, reversal_of: JournalEntry | None = None, redirect_closed: bool = True,
           period: FiscalPeriod | None = None) -> JournalEntry:
    """Insert the entry and its lines (the caller checked them); the existing entry for a repeated source.

    ``period``: the period of ``on_date`` when the caller read it already (:func:`_resolve`)."""
    if redirect_closed and period is not None and not period.is_closed:
        entry_date = on_date
    elif redirect_closed:
        period, entry_date = open_period_for(on_date)
        if entry_date != on_date:
            memo = _("%(memo)s [event dated %(date)s, posted in the next open period]") % {
                "memo": memo, "date": on_date.isoformat()}
    else:
        period, entry_date = period_for(on_date), on_date
        if period.is_closed:
            raise LedgerError(_("Period %(period)s is closed; nothing can be posted on %(date)s.")
                              % {"period": period, "date": on_date.isoformat()})
    user = _user_or_none(user)
    now = timezone.now()
    fields = {"entry_date": entry_date, "period": period.pk, "kind": kind, "source_type": source_type,
              "source_id": source_id, "memo": memo.strip()[:500], "currency": currency,
              "reversal_of": reversal_of.pk if reversal_of else None, "user": user.pk if user else None, "now": now,
              "accounts": [line.account_id for line in lines], "debits": [line.debit for line in lines],
              "credits": [line.credit for line in lines], "memos": [line.memo for line in lines],
              "warehouses": [line.warehouse_id for line in lines]}
    with connection.cursor() as cursor:
        _prepare_insert_entry()
        try:
            cursor.execute(_INSERT_ENTRY, fields)
        except DatabaseError as error:
            if isinstance(error.__cause__, psycopg.errors.InvalidSqlStatementName):
                _prepared_sessions.discard(connection.connection)  # lost (DISCARD ALL): prepared again next time
            raise
        row = cursor.fetchone()
    if row is None:  # written before, by this transaction or one that committed meanwhile
        return JournalEntry.objects.get(source_type=source_type, source_id=source_id, kind=kind)
    entry = JournalEntry(pk=row[0], entry_date=entry_date, period=period, kind=kind, source_type=source_type,
                         source_id=source_id, memo=fields["memo"], currency=currency, reversal_of=reversal_of,
                         created_by=user, created_at=now)
    entry._state.adding = False
    return entry


def ledger_post(*, source, kind: str, lines: list[PostingLine], on_date: date, user, memo: str = "",
                currency: str | None = None, net_same_account: bool = False) -> JournalEntry | None:
    """Post the entry of one business event, in the caller's transaction; idempotent on (source, kind).

    The lines' amounts are rounded to the currency and must balance (LedgerError otherwise;
    the database checks again at commit). An event dated in a closed period posts on the first
    day of the next open period, the event's own date kept in the memo. Posting an event again
    returns the entry written the first time. ``net_same_account``: see ``oms.hooks.ledger_post``.
    """
    source_type, source_id = _source_key(source)
    if not source_type or not source_id:
        raise LedgerError(_("A posting names its source document; manual entries use journal_entry_manual."))
    if not kind or len(kind) > 50:
        raise LedgerError(_("A posting needs a kind of at most 50 characters."))
    currency = currency or settings.DEFAULT_CURRENCY
    # Checks first (reads only): a refused posting leaves the caller's transaction usable.
    resolved, period = _resolve(lines, currency, on_date=on_date)
    if net_same_account:
        resolved = _net(resolved)
        if not resolved:
            return None
    _check_balanced(resolved, currency)
    with transaction.atomic(savepoint=False):
        return _write(source_type=source_type, source_id=source_id, kind=kind, lines=resolved, on_date=on_date,
                      user=user, memo=memo, currency=currency, period=period)


def _require(user, permission: str, action: str) -> None:
    if user is None or not user.has_perm(permission):
        raise LedgerError(_("You may not %(action)s.") % {"action": action})


def journal_entry_manual(*, on_date: date, memo: str, lines: list[PostingLine], user,
                         currency: str | None = None) -> JournalEntry:
    """A manual entry by an accountant: balanced lines (account codes or roles) and a reason.

    Refused in a closed period (no redirect: the accountant chose the date).
    """
    _require(user, "payments.post_manual_entry", _("post manual journal entries"))
    if not memo or not memo.strip():
        raise LedgerError(_("A manual entry needs a reason."))
    currency = currency or settings.DEFAULT_CURRENCY
    with transaction.atomic(durable=True):
        resolved, _period = _resolve(lines, currency)
        _check_balanced(resolved, currency)
        return _write(source_type="", source_id="", kind=MANUAL, lines=resolved, on_date=on_date, user=user,
                      memo=memo, currency=currency, redirect_closed=False)


def journal_entry_reverse(*, entry: JournalEntry, reason: str, user, on_date: date | None = None) -> JournalEntry:
    """Reverse an entry: a new entry with every line on the other side, linked both ways
    (``reversal.reversal_of`` is the entry, ``entry.reversed_by`` the reversal).

    Dated ``on_date`` (today by default), or the next open period's first day when that is closed.
    ``user`` None is the system (a return reversing its sale); a person needs ``payments.reverse_entry``.
    """
    if user is not None:
        _require(user, "payments.reverse_entry", _("reverse journal entries"))
    if not reason or not reason.strip():
        raise LedgerError(_("A reversal needs a reason."))
    with transaction.atomic(durable=True):
        original = JournalEntry.objects.select_related("period").get(pk=entry.pk)
        if JournalEntry.objects.filter(reversal_of=original).exists():
            raise LedgerError(_("Entry %(number)s is already reversed.") % {"number": original.pk})
        lines = [
            _Line(line.account_id, line.credit, line.debit, line.warehouse_id, line.memo)
            for line in original.lines.order_by("pk")
        ]
        if on_date is None:
            from inventory.postings import business_date

            on_date = business_date()
        memo = _("Reversal of entry %(number)s: %(reason)s") % {"number": original.pk, "reason": reason.strip()}
        return _write(source_type="payments.journalentry", source_id=str(original.pk), kind=REVERSAL, lines=lines,
                      on_date=on_date, user=user, memo=memo, currency=original.currency, reversal_of=original)


# --- the chart of accounts and the posting map ---------------------------------------------------

ACCOUNT_FIELDS = ("name", "type", "is_active", "gp_account_number", "sage50_account_id", "quickbooks_account_name")
INVENTORY_ROLE = "inventory"


class AccountInvalid(LedgerError):
    """An account's values that the chart refuses; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(" ".join(message for messages in errors.values() for message in messages))
        self.errors = errors


class StockWouldMove(LedgerError):
    """Changing where the inventory role points for warehouses that hold stock: needs a confirmation."""

    def __init__(self, message: str, warehouses: list):
        super().__init__(message)
        self.warehouses = warehouses


def _account_errors(values: dict) -> dict[str, list[str]]:
    from payments.ledger.codes import account_code_errors

    errors = account_code_errors({key: values[key] for key in values if isinstance(values[key], str)})
    if "name" in values and not values["name"].strip():
        errors["name"] = [_("Enter the account's name.")]
    if "type" in values and values["type"] not in Account.Type.values:
        errors["type"] = [_("Choose the account's type.")]
    return errors


def account_create(*, code: str, name: str, type: str, user, is_active: bool = True, gp_account_number: str = "",
                   sage50_account_id: str = "", quickbooks_account_name: str = "") -> Account:
    """Add an account to the chart; its codes must fit every export (AccountInvalid otherwise)."""
    _require(user, "payments.add_account", _("add accounts"))
    values = {"code": code, "name": name.strip(), "type": type, "gp_account_number": gp_account_number,
              "sage50_account_id": sage50_account_id, "quickbooks_account_name": quickbooks_account_name}
    errors = _account_errors(values)
    if errors:
        raise AccountInvalid(errors)
    with transaction.atomic(durable=True):
        account, created = Account.objects.get_or_create(code=code, defaults={**values, "is_active": is_active})
        if not created:
            raise AccountInvalid({"code": [_("There is already an account %(code)s.") % {"code": code}]})
    return account


def account_update(*, account: Account, user, **changes) -> Account:
    """Change an account's name, type, active flag or export codes (its code stays: entries name it).

    The type changes only while the account has no journal lines (its balances would change
    side); an account the posting map points to stays active (its postings would be refused).
    The account row is locked FOR UPDATE, which waits for postings in flight (they hold KEY
    SHARE on it), so the "no lines" check cannot race a posting.
    """
    _require(user, "payments.change_account", _("change accounts"))
    unknown = set(changes) - set(ACCOUNT_FIELDS)
    if unknown:
        raise TypeError(f"account_update() cannot change {sorted(unknown)}")
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    errors = _account_errors(changes)
    if errors:
        raise AccountInvalid(errors)
    with transaction.atomic(durable=True):
        locked = Account.objects.select_for_update().get(pk=account.pk)
        retyped = "type" in changes and changes["type"] != locked.type
        if retyped and JournalLine.objects.filter(account=locked).exists():
            raise AccountInvalid({"type": [_("The type cannot change: the account has journal lines.")]})
        if changes.get("is_active") is False and locked.is_active:
            roles = sorted(set(PostingRule.objects.filter(account=locked).values_list("role", flat=True)))
            if roles:
                raise AccountInvalid({"is_active": [
                    _("The posting map points to this account (%(roles)s); point those rules elsewhere first.")
                    % {"roles": ", ".join(roles)}]})
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(changes) or None)
    return locked


def _stock_warehouses(*, role: str, warehouse, account: Account | None) -> list:
    """The warehouses holding stock whose inventory account a change of the rule (role, warehouse)
    to ``account`` (None: the rule goes, the default applies) would move."""
    if role.split(":", 1)[0] != INVENTORY_ROLE:
        return []
    from inventory.models import StockLevel, Warehouse

    rules = {rule.warehouse_id: rule.account_id for rule in PostingRule.objects.filter(role=role)}
    if warehouse is not None:
        before = rules.get(warehouse.pk, rules.get(None))
        after = account.pk if account is not None else rules.get(None)
        affected = [warehouse.pk] if before != after else []
    else:
        if account is None or rules.get(None) == account.pk:
            return []
        affected = [pk for pk in Warehouse.objects.values_list("pk", flat=True) if pk not in rules]
    holding = (StockLevel.objects.filter(warehouse_id__in=affected).exclude(on_hand=0, value=0)
               .values_list("warehouse_id", flat=True).distinct())
    return list(Warehouse.objects.filter(pk__in=list(holding)).order_by("code"))


def _check_stock(*, role: str, warehouse, account, confirm_stock: bool) -> None:
    warehouses = _stock_warehouses(role=role, warehouse=warehouse, account=account)
    if warehouses and not confirm_stock:
        raise StockWouldMove(
            _("%(warehouses)s hold stock valued on the current inventory account. After this change their "
              "stock posts to another account, and the inventory accounts no longer match the stock valuation "
              "until a manual entry transfers the value. Confirm to go on.")
            % {"warehouses": ", ".join(str(item) for item in warehouses)}, warehouses)


def posting_rule_set(*, role: str, warehouse, account: Account, user, confirm_stock: bool = False) -> PostingRule:
    """Point ``role`` (for ``warehouse``, or by default when it is None) to ``account``: the rule is
    added or changed. Changing the inventory account of warehouses that hold stock raises
    StockWouldMove unless ``confirm_stock``. The account must be active."""
    with transaction.atomic(durable=True):
        existing = (PostingRule.objects.select_for_update(of=("self",)).filter(role=role, warehouse=warehouse)
                    .order_by().first())
        _require(user, "payments.change_postingrule" if existing else "payments.add_postingrule",
                 _("change the posting map"))
        if not role or len(role) > 100:
            raise LedgerError(_("A posting role has 1 to 100 characters."))
        if not Account.objects.filter(pk=account.pk, is_active=True).exists():
            raise LedgerError(_("Account %(account)s is inactive.") % {"account": account})
        if existing is None and warehouse is not None and not PostingRule.objects.filter(
                role=role, warehouse__isnull=True).exists():
            raise LedgerError(_("The role “%(role)s” has no default rule.") % {"role": role})
        _check_stock(role=role, warehouse=warehouse, account=account, confirm_stock=confirm_stock)
        if existing is None:
            return PostingRule.objects.create(role=role, warehouse=warehouse, account=account)
        existing.account = account
        existing.save(update_fields=["account"])
        return existing


def posting_rule_delete(*, rule: PostingRule, user, confirm_stock: bool = False) -> None:
    """Remove a warehouse's own rule (its warehouse falls back to the role's default rule).
    A default rule (no warehouse) cannot be removed: postings would have no account."""
    _require(user, "payments.delete_postingrule", _("change the posting map"))
    with transaction.atomic(durable=True):
        locked = (PostingRule.objects.select_for_update(of=("self",)).select_related("warehouse")
                  .filter(pk=rule.pk).order_by().first())
        if locked is None:
            return
        if locked.warehouse_id is None:
            raise LedgerError(_("The default rule of “%(role)s” cannot be removed; point it to another account "
                                "instead.") % {"role": locked.role})
        _check_stock(role=locked.role, warehouse=locked.warehouse, account=None, confirm_stock=confirm_stock)
        locked.delete()
