"""The database itself keeps the journal: raw SQL cannot commit an unbalanced entry, edit or
delete an entry or a line, or post into a closed period.

These tests commit for real (``transaction=True``): the balance check is a deferred
constraint trigger that runs at COMMIT, which a test wrapped in a rolled-back transaction
would never reach.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from payments.ledger.services import period_close, period_for
from payments.models import Account, JournalEntry, JournalLine

pytestmark = pytest.mark.django_db(transaction=True)

ON = date(2026, 3, 10)


def insert_entry(cursor, *, period_id: int, on: date = ON, memo: str = "raw") -> int:
    cursor.execute(
        "INSERT INTO payments_journalentry (entry_date, period_id, kind, source_type, source_id, memo, currency, "
        "created_at) VALUES (%s, %s, 'test', '', '', %s, 'USD', now()) RETURNING id", [on, period_id, memo])
    return cursor.fetchone()[0]


def insert_line(cursor, *, entry_id: int, account_id: int, debit: str = "0", credit: str = "0",
                on: date = ON) -> None:
    cursor.execute(
        "INSERT INTO payments_journalline (entry_id, account_id, entry_date, debit, credit, currency, memo) "
        "VALUES (%s, %s, %s, %s, %s, 'USD', '')", [entry_id, account_id, on, Decimal(debit), Decimal(credit)])


@pytest.fixture
def accounts():
    return Account.objects.get(code="1000"), Account.objects.get(code="4000")


def committed_balanced_entry(cash, revenue) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        entry_id = insert_entry(cursor, period_id=period_for(ON).pk)
        insert_line(cursor, entry_id=entry_id, account_id=cash.pk, debit="10.00")
        insert_line(cursor, entry_id=entry_id, account_id=revenue.pk, credit="10.00")
    return entry_id


def test_an_unbalanced_entry_is_refused_at_commit_and_nothing_stays(accounts):
    cash, revenue = accounts
    period_id = period_for(ON).pk

    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            entry_id = insert_entry(cursor, period_id=period_id)
            insert_line(cursor, entry_id=entry_id, account_id=cash.pk, debit="10.00")
            insert_line(cursor, entry_id=entry_id, account_id=revenue.pk, credit="9.99")
            # Inside the transaction the statements pass: the check waits for the commit.
            cursor.execute("SELECT count(*) FROM payments_journalline WHERE entry_id = %s", [entry_id])
            assert cursor.fetchone()[0] == 2

    assert not JournalEntry.objects.filter(memo="raw").exists()
    assert not JournalLine.objects.exists()


def test_an_entry_without_lines_or_with_one_line_is_refused_at_commit(accounts):
    cash, _revenue = accounts
    period_id = period_for(ON).pk

    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            insert_entry(cursor, period_id=period_id)
    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            entry_id = insert_entry(cursor, period_id=period_id)
            cursor.execute(
                "INSERT INTO payments_journalline (entry_id, account_id, entry_date, debit, credit, currency, memo) "
                "VALUES (%s, %s, %s, 0, 0.001, 'USD', '')", [entry_id, cash.pk, ON])

    assert not JournalEntry.objects.exists()


def test_a_line_added_later_to_a_committed_entry_must_keep_it_balanced(accounts):
    cash, revenue = accounts
    entry_id = committed_balanced_entry(cash, revenue)

    with pytest.raises(IntegrityError, match="does not balance"):
        with transaction.atomic(), connection.cursor() as cursor:
            insert_line(cursor, entry_id=entry_id, account_id=cash.pk, debit="1.00")

    assert JournalLine.objects.filter(entry_id=entry_id).count() == 2


def test_a_line_off_its_entrys_date_is_refused_at_commit(accounts):
    cash, revenue = accounts

    with pytest.raises(IntegrityError, match="date or currency"):
        with transaction.atomic(), connection.cursor() as cursor:
            entry_id = insert_entry(cursor, period_id=period_for(ON).pk)
            insert_line(cursor, entry_id=entry_id, account_id=cash.pk, debit="5.00")
            insert_line(cursor, entry_id=entry_id, account_id=revenue.pk, credit="5.00", on=date(2026, 3, 11))


@pytest.mark.parametrize("statement", [
    "UPDATE payments_journalline SET debit = debit + 1 WHERE entry_id = %s",
    "UPDATE payments_journalline SET memo = 'edited' WHERE entry_id = %s",
    "DELETE FROM payments_journalline WHERE entry_id = %s",
    "UPDATE payments_journalentry SET memo = 'edited' WHERE id = %s",
    "DELETE FROM payments_journalentry WHERE id = %s",
])
def test_entries_and_lines_are_never_edited_or_deleted(accounts, statement):
    cash, revenue = accounts
    entry_id = committed_balanced_entry(cash, revenue)

    with pytest.raises(IntegrityError, match="never edited or deleted"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [entry_id])

    entry = JournalEntry.objects.get(pk=entry_id)
    assert entry.memo == "raw"
    assert sorted((line.debit, line.credit) for line in entry.lines.all()) == [
        (Decimal("0"), Decimal("10.00")), (Decimal("10.00"), Decimal("0"))]


def test_the_database_refuses_an_entry_in_a_closed_period(accounts, make_user):
    cash, revenue = accounts
    period = period_for(ON)
    period_close(period=period, user=make_user("Accountant"))

    with pytest.raises(IntegrityError, match="is closed"):
        committed_balanced_entry(cash, revenue)

    assert not JournalEntry.objects.exists()


def test_the_database_refuses_an_entry_dated_outside_its_period(accounts):
    cash, _revenue = accounts

    with pytest.raises(IntegrityError, match="outside its period"):
        with transaction.atomic(), connection.cursor() as cursor:
            insert_entry(cursor, period_id=period_for(ON).pk, on=date(2026, 4, 1))
