"""The posting service, reversals, manual entries and fiscal periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from oms.hooks import PostingLine, ledger_post
from payments.invariants import violations as ledger_violations
from payments.ledger.errors import LedgerError
from payments.ledger.selectors import account_balance, account_ledger_page, trial_balance
from payments.ledger.services import (
    journal_entry_manual, journal_entry_reverse, period_close, period_for, period_reopen,
)
from payments.models import ClosingBalance, FiscalPeriod, JournalEntry, JournalLine, PeriodEvent, PostingRule
from tests.factories import SkuFactory, WarehouseFactory
from tests.ledger_helpers import account, balance, lines_of

pytestmark = pytest.mark.django_db

NOV = date(2026, 11, 15)


def sale(amount: str = "10.00") -> list[PostingLine]:
    return [PostingLine(role="cash", debit=Decimal(amount)), PostingLine(role="revenue", credit=Decimal(amount))]


@pytest.fixture
def source():
    """Any row serves as a source document; a warehouse is a cheap one."""
    return WarehouseFactory()


def test_a_posting_writes_one_balanced_entry_linked_to_its_source(source):
    entry = ledger_post(source=source, kind="test.sale", lines=sale(), on_date=NOV, user=None, memo="Sale")

    assert (entry.source_type, entry.source_id, entry.kind) == ("inventory.warehouse", str(source.pk), "test.sale")
    assert (entry.entry_date, entry.period, entry.memo) == (NOV, period_for(NOV), "Sale")
    assert lines_of(entry) == [("1000", Decimal("10.00"), Decimal("0")), ("4000", Decimal("0"), Decimal("10.00"))]
    assert set(JournalLine.objects.filter(entry=entry).values_list("entry_date", flat=True)) == {NOV}
    assert ledger_violations() == []


def test_posting_the_same_event_twice_writes_one_entry(source):
    first = ledger_post(source=source, kind="test.sale", lines=sale(), on_date=NOV, user=None)
    again = ledger_post(source=source, kind="test.sale", lines=sale("99.00"), on_date=NOV, user=None)
    other_kind = ledger_post(source=source, kind="test.refund", lines=sale(), on_date=NOV, user=None)

    assert again.pk == first.pk
    assert other_kind.pk != first.pk
    assert JournalEntry.objects.count() == 2
    assert balance("1000") == Decimal("20.00")


def test_an_unbalanced_posting_is_refused_with_a_clear_error_and_writes_nothing(source):
    lines = [PostingLine(role="cash", debit=Decimal("10.00")), PostingLine(role="revenue", credit=Decimal("9.99"))]

    with pytest.raises(LedgerError, match="does not balance: debits 10.00, credits 9.99"):
        ledger_post(source=source, kind="test.sale", lines=lines, on_date=NOV, user=None)

    assert not JournalEntry.objects.exists()


@pytest.mark.parametrize(("lines", "message"), [
    ([PostingLine(role="cash", debit=Decimal("1"), credit=Decimal("1")),
      PostingLine(role="revenue", credit=Decimal("0"))], "not both"),
    ([PostingLine(role="cash", debit=Decimal("-1")), PostingLine(role="revenue", credit=Decimal("-1"))],
     "never negative"),
    ([PostingLine(role="cash", debit=Decimal("1")), PostingLine(role="no-such-role", credit=Decimal("1"))],
     "no account for “no-such-role”"),
    ([PostingLine(role="cash", debit=Decimal("1"))], "at least two lines"),
    ([PostingLine(debit=Decimal("1")), PostingLine(role="cash", credit=Decimal("1"))], "either a posting role"),
])
def test_malformed_lines_are_refused(source, lines, message):
    with pytest.raises(LedgerError, match=message):
        ledger_post(source=source, kind="test.sale", lines=lines, on_date=NOV, user=None)

    assert not JournalEntry.objects.exists()


def test_amounts_are_rounded_to_the_currency_at_line_level(source):
    usd = ledger_post(source=source, kind="test.usd",
                      lines=[PostingLine(role="cash", debit=Decimal("10.005")),
                             PostingLine(role="revenue", credit=Decimal("10.005"))], on_date=NOV, user=None)
    jpy = ledger_post(source=source, kind="test.jpy", currency="JPY",
                      lines=[PostingLine(role="cash", debit=Decimal("1000.5")),
                             PostingLine(role="revenue", credit=Decimal("1000.5"))], on_date=NOV, user=None)

    assert [line[1] + line[2] for line in lines_of(usd)] == [Decimal("10.01"), Decimal("10.01")]
    assert [line[1] + line[2] for line in lines_of(jpy)] == [Decimal("1001"), Decimal("1001")]
    assert set(JournalLine.objects.filter(entry=jpy).values_list("currency", flat=True)) == {"JPY"}


def test_rounding_each_line_can_unbalance_an_entry_and_that_is_refused(source):
    # 3 × 3.335 rounds to 3 × 3.34 = 10.02 on one side, against 10.005 → 10.01 on the other.
    lines = [PostingLine(role="cash", debit=Decimal("10.005"))] + [
        PostingLine(role="revenue", credit=Decimal("3.335")) for _ in range(3)]

    with pytest.raises(LedgerError, match="does not balance"):
        ledger_post(source=source, kind="test.sale", lines=lines, on_date=NOV, user=None)


def test_a_per_warehouse_rule_wins_over_the_default_and_a_qualified_role_falls_back(source):
    store = WarehouseFactory()
    PostingRule.objects.create(role="inventory", warehouse=store, account=account("1050"))
    PostingRule.objects.create(role="adjustment.loss:stolen", account=account("5300"))

    entry = ledger_post(source=source, kind="test.map", on_date=NOV, user=None, lines=[
        PostingLine(role="inventory", warehouse_id=store.pk, debit=Decimal("4")),
        PostingLine(role="inventory", warehouse_id=source.pk, debit=Decimal("3")),
        PostingLine(role="adjustment.loss:stolen", credit=Decimal("2")),
        PostingLine(role="adjustment.loss:broken", credit=Decimal("5")),
    ])

    assert [line[0] for line in lines_of(entry)] == ["1050", "1200", "5300", "5100"]


def test_netting_lines_on_one_account_may_leave_nothing_to_post(source):
    lines = [PostingLine(role="inventory", warehouse_id=1, debit=Decimal("5")),
             PostingLine(role="inventory", warehouse_id=2, credit=Decimal("5"))]

    assert ledger_post(source=source, kind="test.net", lines=lines, on_date=NOV, user=None,
                       net_same_account=True) is None
    assert not JournalEntry.objects.exists()


# --- fiscal periods ---------------------------------------------------------------------------


def test_periods_are_created_on_demand_as_a_fiscal_year_of_twelve_months():
    period = period_for(date(2031, 2, 28))

    assert (period.number, period.starts_on, period.ends_on) == (2, date(2031, 2, 1), date(2031, 2, 28))
    assert period.year.name == "FY2031"
    assert [(p.starts_on, p.ends_on) for p in period.year.periods.order_by("number")][-1] == (
        date(2031, 12, 1), date(2031, 12, 31))
    assert period.year.periods.count() == 12
    assert period_for(date(2031, 2, 1)).pk == period.pk


def test_an_event_dated_in_a_closed_period_posts_on_the_first_day_of_the_next_open_one(source, make_user):
    accountant = make_user("Accountant")
    period_close(period=period_for(NOV), user=accountant)
    period_close(period=period_for(date(2026, 12, 1)), user=accountant)

    entry = ledger_post(source=source, kind="test.late", lines=sale(), on_date=NOV, user=None, memo="Late sale")

    assert entry.entry_date == date(2027, 1, 1)
    assert entry.period == period_for(date(2027, 1, 1))
    assert "Late sale" in entry.memo and "2026-11-15" in entry.memo


def test_closing_writes_closing_balances_and_reopening_needs_a_reason_and_is_recorded(source, make_user):
    accountant = make_user("Accountant")
    ledger_post(source=source, kind="test.sale", lines=sale("12.50"), on_date=NOV, user=None)
    november = period_for(NOV)

    period_close(period=november, user=accountant)

    assert {(row.account.code, row.debit_total, row.credit_total)
            for row in ClosingBalance.objects.filter(period=november)} == {
        ("1000", Decimal("12.50"), Decimal("0")), ("4000", Decimal("0"), Decimal("12.50"))}
    november.refresh_from_db()
    assert (november.status, november.closed_by) == (FiscalPeriod.Status.CLOSED, accountant)
    with pytest.raises(LedgerError, match="already closed"):
        period_close(period=november, user=accountant)
    with pytest.raises(LedgerError, match="needs a reason"):
        period_reopen(period=november, reason="  ", user=accountant)

    period_reopen(period=november, reason="Late supplier invoice", user=accountant)

    november.refresh_from_db()
    assert november.status == FiscalPeriod.Status.OPEN
    assert not ClosingBalance.objects.filter(period=november).exists()
    assert [(event.action, event.reason, event.user) for event in PeriodEvent.objects.order_by("pk")] == [
        ("close", "", accountant), ("reopen", "Late supplier invoice", accountant)]


def test_balances_read_closed_periods_from_their_closing_balances(source, make_user):
    ledger_post(source=source, kind="test.oct", lines=sale("5.00"), on_date=date(2026, 10, 3), user=None)
    ledger_post(source=source, kind="test.nov", lines=sale("7.00"), on_date=NOV, user=None)
    period_close(period=period_for(date(2026, 10, 3)), user=make_user("Accountant"))

    assert account_balance(account=account("1000"), on_date=date(2026, 10, 31)) == Decimal("5.00")
    assert account_balance(account=account("1000"), on_date=NOV) == Decimal("12.00")
    assert account_balance(account=account("4000")) == Decimal("-12.00")
    tb = trial_balance(period=period_for(NOV))
    assert (tb.total_debit, tb.total_credit, tb.is_balanced) == (Decimal("12.00"), Decimal("12.00"), True)
    assert ledger_violations() == []


def test_the_account_ledger_pages_by_keyset_with_running_balances(source):
    for index in range(5):
        ledger_post(source=source, kind=f"test.{index}", lines=sale(f"{index + 1}.00"),
                    on_date=date(2026, 11, 10 + index), user=None)

    first = account_ledger_page(account=account("1000"), size=2)
    second = account_ledger_page(account=account("1000"), size=2, after=first.next_after)
    last = account_ledger_page(account=account("1000"), size=2, after=second.next_after)
    dated = account_ledger_page(account=account("1000"), size=10, date_from=date(2026, 11, 13))

    assert [line.balance for line in first.lines] == [Decimal("1.00"), Decimal("3.00")]
    assert second.opening_balance == Decimal("3.00")
    assert [line.balance for line in second.lines] == [Decimal("6.00"), Decimal("10.00")]
    assert [line.balance for line in last.lines] == [Decimal("15.00")] and last.next_after is None
    assert dated.opening_balance == Decimal("6.00")
    assert [line.balance for line in dated.lines] == [Decimal("10.00"), Decimal("15.00")]


# --- reversal and manual entries --------------------------------------------------------------


def test_a_reversal_swaps_every_line_and_is_linked_both_ways(source, make_user):
    accountant = make_user("Accountant")
    entry = ledger_post(source=source, kind="test.sale", lines=sale("8.00"), on_date=NOV, user=None)

    reversal = journal_entry_reverse(entry=entry, reason="Posted twice", user=accountant, on_date=date(2026, 11, 20))

    assert lines_of(reversal) == [("1000", Decimal("0"), Decimal("8.00")), ("4000", Decimal("8.00"), Decimal("0"))]
    assert reversal.reversal_of == entry
    assert JournalEntry.objects.get(pk=entry.pk).reversed_by == reversal
    assert reversal.kind == "reversal" and "Posted twice" in reversal.memo and str(entry.pk) in reversal.memo
    assert balance("1000") == Decimal("0")
    with pytest.raises(LedgerError, match="already reversed"):
        journal_entry_reverse(entry=entry, reason="Again", user=accountant)
    with pytest.raises(LedgerError, match="needs a reason"):
        journal_entry_reverse(entry=reversal, reason="", user=accountant)


@pytest.mark.parametrize("role", ["Manager", "Agent", "Warehouse"])
def test_only_an_accountant_reverses_or_posts_by_hand(source, make_user, role):
    user = make_user(role)
    entry = ledger_post(source=source, kind="test.sale", lines=sale(), on_date=NOV, user=None)
    lines = [PostingLine(account_code="1000", debit=Decimal("1")), PostingLine(account_code="3000", credit=Decimal("1"))]

    with pytest.raises(LedgerError, match="may not reverse"):
        journal_entry_reverse(entry=entry, reason="Mistake", user=user)
    with pytest.raises(LedgerError, match="may not post manual"):
        journal_entry_manual(on_date=NOV, memo="Owner investment", lines=lines, user=user)

    assert JournalEntry.objects.count() == 1


def test_an_accountant_posts_a_manual_entry_with_a_reason_in_an_open_period(make_user):
    accountant = make_user("Accountant")
    lines = [PostingLine(account_code="1010", debit=Decimal("500.00"), memo="Deposit"),
             PostingLine(account_code="3000", credit=Decimal("500.00"))]

    entry = journal_entry_manual(on_date=NOV, memo="Owner investment", lines=lines, user=accountant)

    assert (entry.kind, entry.source_type, entry.memo, entry.created_by) == ("manual", "", "Owner investment",
                                                                               accountant)
    assert lines_of(entry) == [("1010", Decimal("500.00"), Decimal("0")), ("3000", Decimal("0"), Decimal("500.00"))]


def test_a_manual_entry_is_refused_in_a_closed_period_unbalanced_or_without_a_reason(make_user):
    accountant = make_user("Accountant")
    balanced = [PostingLine(account_code="1010", debit=Decimal("5")), PostingLine(account_code="3000",
                                                                                 credit=Decimal("5"))]
    period_close(period=period_for(NOV), user=accountant)

    with pytest.raises(LedgerError, match="is closed"):
        journal_entry_manual(on_date=NOV, memo="Late", lines=balanced, user=accountant)
    with pytest.raises(LedgerError, match="does not balance"):
        journal_entry_manual(on_date=date(2026, 12, 2), memo="Typo", user=accountant, lines=[
            PostingLine(account_code="1010", debit=Decimal("5")), PostingLine(account_code="3000",
                                                                              credit=Decimal("4"))])
    with pytest.raises(LedgerError, match="needs a reason"):
        journal_entry_manual(on_date=date(2026, 12, 2), memo=" ", lines=balanced, user=accountant)
    with pytest.raises(LedgerError, match="no account 9999"):
        journal_entry_manual(on_date=date(2026, 12, 2), memo="Typo", user=accountant, lines=[
            PostingLine(account_code="9999", debit=Decimal("5")), PostingLine(account_code="3000",
                                                                              credit=Decimal("5"))])

    assert not JournalEntry.objects.exists()


def test_the_hook_refuses_to_lose_a_posting_when_no_poster_is_registered(source, monkeypatch):
    from oms import hooks

    monkeypatch.setattr(hooks, "_posters", [])

    with pytest.raises(RuntimeError, match="never be lost"):
        ledger_post(source=source, kind="test.sale", lines=sale(), on_date=NOV, user=None)


def test_the_ledger_invariants_catch_an_inventory_account_out_of_step_with_the_stock(make_user):
    sku, warehouse = SkuFactory(), WarehouseFactory()
    from tests.factories import stock

    stock(sku, warehouse, 5)
    assert ledger_violations() == []

    journal_entry_manual(on_date=NOV, memo="Wrong account", user=make_user("Accountant"), lines=[
        PostingLine(account_code="1200", debit=Decimal("1")), PostingLine(account_code="3000", credit=Decimal("1"))])

    assert [(name, detail) for name, _first, _second, detail in ledger_violations()] == [
        ("the inventory accounts equal the stock valuation", "booked=21.000 valuation=20.000")]


# --- roles and the admin ----------------------------------------------------------------------

LEDGER_PERMISSIONS = ("payments.view_ledger", "payments.post_manual_entry", "payments.reverse_entry",
                      "payments.close_period", "payments.export_gl")


@pytest.mark.parametrize(("role", "granted"), [
    ("Accountant", set(LEDGER_PERMISSIONS)), ("Manager", set()), ("Agent", set()), ("Warehouse", set()),
])
def test_only_accountants_hold_the_ledger_permissions(make_user, role, granted):
    user = make_user(role)

    assert {permission for permission in LEDGER_PERMISSIONS if user.has_perm(permission)} == granted


@pytest.mark.parametrize("model", ["account", "postingrule", "journalentry", "fiscalperiod", "periodevent",
                                   "closingbalance"])
def test_the_ledger_admin_pages_render(role_client, source, model):
    from django.urls import reverse

    entry = ledger_post(source=source, kind="test.sale", lines=sale(), on_date=NOV, user=None)
    client = role_client("Admin")

    assert client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200
    assert client.get(reverse("admin:payments_journalentry_change", args=[entry.pk])).status_code == 200
