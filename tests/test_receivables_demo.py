"""The demo's receivables: invoices across every aging bucket, payments applied, checks deposited."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from inventory.postings import business_date
from oms.invariants import all_violations
from payments.models import CustomerPayment, DepositBatch, Invoice, JournalEntry, ReceivedCheck, Tender
from payments.receivables.selectors import BUCKETS, aging_totals

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", styles=40, orders=4000, stdout=out)
    return out.getvalue()


def test_the_demo_has_receivables_in_every_aging_bucket_posted_through_the_services():
    output = seed()

    totals = aging_totals(as_of=business_date())["USD"]
    assert all(totals[bucket] > 0 for bucket in BUCKETS), totals
    assert Invoice.objects.filter(status="paid").exists()
    assert Invoice.objects.filter(status="open", amount_paid__gt=0).exists()  # paid in part
    assert CustomerPayment.objects.filter(method="check").exists() and CustomerPayment.objects.filter(method="wire").exists()
    assert DepositBatch.objects.filter(status="deposited").exists()
    two_weeks_ago = business_date() - timedelta(days=14)
    assert not ReceivedCheck.objects.filter(batch__isnull=True, received_on__lt=two_weeks_ago).exists()
    assert JournalEntry.objects.filter(kind="invoice.issue").count() == Invoice.objects.count()
    on_account = Tender.objects.filter(kind="on_account")
    assert on_account.count() == Invoice.objects.count()
    assert not on_account.exclude(status="captured").exists()
    assert not on_account.exclude(captured_amount=F("amount")).exists()
    assert all_violations() == []
    assert "Demo receivables:" in output

    again = seed()

    assert f"Demo receivables: {Invoice.objects.count():,} invoices already." in again


def test_an_aging_bucket_the_dates_leave_empty_gets_an_invoice_re_dated_into_it():
    from types import SimpleNamespace

    from payments.receivables.demo import _fill_empty_buckets, _Planned
    from payments.receivables.selectors import bucket_of
    from payments.receivables.services import due_date

    today = business_date()

    def planned(pk, terms, days_ago):
        order = SimpleNamespace(pk=pk, customer=SimpleNamespace(terms=terms))
        return _Planned(order=order, amount=1, issued_on=today - timedelta(days=days_ago))

    # All shipped long ago or yesterday: only "over_90" and "current" have invoices.
    plan = [planned(1, "net30", 400), planned(2, "net15", 300), planned(3, "net60", 250), planned(4, "net30", 200),
            planned(5, "net30", 1)]
    shipped = [p.issued_on for p in plan]

    _fill_empty_buckets(plan, today)

    buckets = [bucket_of(due_on=due_date(issued_on=p.issued_on, terms=p.order.customer.terms), as_of=today)
               for p in plan]
    # Three re-dated from "over_90", which keeps one; the only "current" invoice stays as it was.
    assert sorted(buckets) == sorted(BUCKETS), buckets
    assert plan[4].issued_on == today - timedelta(days=1)
    assert all(p.issued_on >= on for p, on in zip(plan, shipped))  # never invoiced before it shipped
