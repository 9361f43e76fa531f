"""What the accountant's screens show, gathered in a few queries each (the views stay thin)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from payments.ledger.export_selectors import source_text
from payments.ledger.forms import ReasonForm
from inventory.models import Warehouse
from payments.ledger.models import Account, FiscalPeriod, JournalEntry, JournalLine, PeriodEvent, PostingRule
from payments.ledger.models_export import ExportBatch
from payments.ledger.selectors import TrialBalance, trial_balance

ZERO = Decimal("0")


def parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class BalanceRow:
    account: object
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit

    @property
    def balance_debit(self) -> Decimal | None:
        return self.balance if self.balance > 0 else None

    @property
    def balance_credit(self) -> Decimal | None:
        return -self.balance if self.balance < 0 else None


@dataclass(frozen=True)
class BalanceTotals:
    rows: list[BalanceRow]

    @property
    def debit(self) -> Decimal:
        return sum((row.debit for row in self.rows), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((row.credit for row in self.rows), ZERO)

    @property
    def balance_debit(self) -> Decimal:
        return sum((row.balance_debit or ZERO for row in self.rows), ZERO)

    @property
    def balance_credit(self) -> Decimal:
        return sum((row.balance_credit or ZERO for row in self.rows), ZERO)

    @property
    def difference(self) -> Decimal:
        """Debits less credits over every account: zero, as double entry promises."""
        return self.debit - self.credit

    @property
    def is_balanced(self) -> bool:
        return self.difference == 0 and self.balance_debit == self.balance_credit


def trial_balance_rows(balance: TrialBalance) -> BalanceTotals:
    return BalanceTotals([BalanceRow(row.account, row.debit, row.credit) for row in balance.rows])


@dataclass(frozen=True)
class EntryRow:
    entry: JournalEntry
    total: Decimal
    line_count: int

    @property
    def source(self) -> str:
        return source_text(self.entry.source_type, self.entry.source_id)


def entry_rows(entries: list[JournalEntry]) -> list[EntryRow]:
    """The journal's entries with their totals, in one query for the page."""
    totals = {row["entry"]: row for row in JournalLine.objects.filter(entry__in=[entry.pk for entry in entries])
              .values("entry").annotate(total=Sum("debit"), count=Count("id"))}
    return [EntryRow(entry, totals.get(entry.pk, {}).get("total") or ZERO, totals.get(entry.pk, {}).get("count") or 0)
            for entry in entries]


def entry_context(entry: JournalEntry, *, user) -> dict:
    lines = list(entry.lines.select_related("account", "warehouse").order_by("pk"))
    try:
        reversed_by = entry.reversed_by
    except JournalEntry.DoesNotExist:
        reversed_by = None
    return {
        "entry": entry,
        "lines": lines,
        "total_debit": sum((line.debit for line in lines), ZERO),
        "total_credit": sum((line.credit for line in lines), ZERO),
        "source": source_text(entry.source_type, entry.source_id),
        "source_url": entry.get_source_url() if entry.source_type != "payments.journalentry" else
        entry.reversal_of.get_absolute_url() if entry.reversal_of else "",
        "reversed_by": reversed_by,
        "can_reverse": reversed_by is None and user.has_perm("payments.reverse_entry"),
        "reverse_form": ReasonForm(),
        "exports": list(ExportBatch.objects.filter(exported_entries__entry=entry, exported_entries__is_active=True)
                        .order_by("pk")),
    }


def period_context(*, user) -> dict:
    today = timezone.localdate()
    periods = list(FiscalPeriod.objects.select_related("closed_by").filter(starts_on__lte=today + timedelta(days=31))
                   .order_by("-starts_on")[:24])
    return {
        "periods": periods,
        "today": today,
        "events": list(PeriodEvent.objects.select_related("period", "user")[:20]),
        "can_close": user.has_perm("payments.close_period"),
        "reopen_form": ReasonForm(),
    }


def last_month(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def export_initial() -> dict:
    first, last = last_month()
    return {"date_from": first, "date_to": last, "format": "gp-xml", "scope": "range"}


def home_panel(*, user) -> dict | None:
    """The accountant's panel on the home page: today's trial balance and the periods to close."""
    if not user.has_perm("payments.view_ledger"):
        return None
    balance = trial_balance_rows(trial_balance(on_date=timezone.localdate()))
    first, last = last_month()
    last_period = FiscalPeriod.objects.filter(starts_on=first).first()
    return {
        "template": "payments/_home_panel.html",
        "balance": balance,
        "last_period": last_period,
        "open_before_today": FiscalPeriod.objects.filter(
            Q(status=FiscalPeriod.Status.OPEN) & Q(ends_on__lt=timezone.localdate())).count(),
        "recent_batches": list(ExportBatch.objects.order_by("-pk")[:3]),
    }


# --- chart of accounts and posting map ---------------------------------------------------------


def chart_context(*, user) -> dict:
    """Every account, with whether it has lines (its type is fixed then)."""
    has_lines = Exists(JournalLine.objects.filter(account=OuterRef("pk")))
    accounts = list(Account.objects.annotate(has_lines=has_lines).order_by("code"))
    return {"accounts": accounts, "can_add": user.has_perm("payments.add_account")}


def posting_roles() -> list[str]:
    """The roles of the posting map (each has its default rule, warehouse empty)."""
    return list(PostingRule.objects.filter(warehouse__isnull=True).order_by("role").values_list("role", flat=True))


def warehouses():
    return Warehouse.objects.order_by("code")


def posting_map_context(*, user) -> dict:
    """The rules in role order, each role's default first, then its warehouses' own rules."""
    rules = sorted(PostingRule.objects.select_related("warehouse", "account"),
                   key=lambda rule: (rule.role, rule.warehouse is not None,
                                     rule.warehouse.code if rule.warehouse else ""))
    return {"rules": rules, "can_add": user.has_perm("payments.add_postingrule"),
            "can_delete": user.has_perm("payments.delete_postingrule")}
