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
