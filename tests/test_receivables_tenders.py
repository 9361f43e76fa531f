"""Check, cash and marketplace-collected tenders record and post; applications hold under concurrency."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from payments.models import JournalEntry, PaymentApplication, ReceivedCheck, Tender
from payments.receivables import services
from payments.receivables.services import ReceivablesError
from tests.ledger_helpers import balance, lines_of
from tests.receivables_helpers import payments_violations, shipped_order, wholesale

D = Decimal
DEPOSITS, CASH, UNDEPOSITED, CLEARING, BANK, AR = "2300", "1000", "1060", "1070", "1010", "1100"


def tender(order, kind: str, amount: str, reference: str = "") -> Tender:
    return Tender.objects.create(order=order, kind=kind, currency=order.currency, amount=D(amount),
                                 reference=reference, sequence=order.tenders.count() + 1)


def entry_of(source, kind: str) -> JournalEntry:
    return JournalEntry.objects.get(source_type=f"payments.{source._meta.model_name}", source_id=str(source.pk),
                                    kind=kind)


@pytest.mark.django_db
def test_a_check_tender_is_a_check_on_hand_until_deposited():
    order = shipped_order(wholesale(), "45.00")
    check_tender = tender(order, Tender.Kind.CHECK, "45.00", reference="4411")

    check = services.tender_record(tender=check_tender, user=None, check_date=date(2026, 11, 28))

    assert (check.tender, check.order, check.number, check.amount, check.check_date) == (
        check_tender, order, "4411", D("45.00"), date(2026, 11, 28))
    assert lines_of(entry_of(check, "check.receive")) == [(UNDEPOSITED, D("45.00"), 0), (DEPOSITS, 0, D("45.00"))]
    services.deposit_batch_deposit(batch=services.deposit_batch_create(checks=[check], user=None), user=None)
    assert (balance(BANK), balance(UNDEPOSITED)) == (D("45.00"), D("0"))
    assert payments_violations() == []


@pytest.mark.django_db
def test_cash_posts_at_once():
    order = shipped_order(wholesale(), "12.50")
    cash = tender(order, Tender.Kind.CASH, "12.50")

    entry = services.tender_record(tender=cash, user=None)

    assert lines_of(entry) == [(CASH, D("12.50"), 0), (DEPOSITS, 0, D("12.50"))]
    assert entry.kind == "tender.cash"


@pytest.mark.django_db
def test_what_a_marketplace_collected_is_owed_by_the_marketplace():
    order = shipped_order(wholesale(), "33.00")
    order.channel = "marketplace:amazon"
    order.save(update_fields=["channel"])
    collected = tender(order, Tender.Kind.MARKETPLACE, "33.00", reference="PAYOUT-77")

    entry = services.tender_record(tender=collected, user=None)

    # "marketplace_clearing:amazon" has no rule of its own: it falls back to the shared clearing account
    assert lines_of(entry) == [(CLEARING, D("33.00"), 0), (DEPOSITS, 0, D("33.00"))]
    assert "PAYOUT-77" in entry.memo


@pytest.mark.django_db
def test_card_gift_card_and_on_account_tenders_record_nothing_here():
    order = shipped_order(wholesale(), "10.00")

    for kind in (Tender.Kind.CARD, Tender.Kind.GIFT_CARD, Tender.Kind.ON_ACCOUNT):
        assert services.tender_record(tender=tender(order, kind, "10.00"), user=None) is None
    assert JournalEntry.objects.count() == 0 and ReceivedCheck.objects.count() == 0


def _race(work, count: int = 8) -> list[str]:
    """Run ``work(i)`` in ``count`` threads started together; 'ok' or the error's message for each."""
    barrier = threading.Barrier(count)
    results: list[str] = [""] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
            results[index] = "ok"
        except ReceivablesError as error:
            results[index] = str(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_never_overpay_an_invoice():
    customer = wholesale()
    invoice = services.invoice_create(order=shipped_order(customer, "100.00"), amount=D("100.00"), user=None)
    payments = [services.customer_payment_receive(customer=customer, amount=D("30.00"), method="wire", user=None)
                for _ in range(8)]

    results = _race(lambda index: services.payment_apply(payment=payments[index], amounts={invoice: D("30.00")},
                                                         user=None))

    invoice.refresh_from_db()
    assert results.count("ok") == 3
    assert invoice.amount_paid == D("90.00") == sum(PaymentApplication.objects.values_list("amount", flat=True))
    assert balance(AR) == D("10.00")
    assert payments_violations() == []


@pytest.mark.django_db(transaction=True)
def test_a_payment_applied_concurrently_is_never_applied_twice():
    customer = wholesale()
    invoices = [services.invoice_create(order=shipped_order(customer, "30.00"), amount=D("30.00"), user=None)
                for _ in range(8)]
    payment = services.customer_payment_receive(customer=customer, amount=D("100.00"), method="wire", user=None)

    results = _race(lambda index: services.payment_apply(payment=payment, amounts={invoices[index]: D("30.00")},
                                                         user=None))

    payment.refresh_from_db()
    assert results.count("ok") == 3
    assert payment.amount_applied == D("90.00")
    assert sorted(set(results) - {"ok"}) == ["The payment has 10.00 unapplied; 30.00 cannot be applied."]
    assert payments_violations() == []


@pytest.mark.django_db
def test_invoicing_captures_the_orders_on_account_tender():
    order = shipped_order(wholesale(), "100.00")
    on_account = tender(order, Tender.Kind.ON_ACCOUNT, "100.00")

    first = services.invoice_create(order=order, amount=D("60.00"), user=None)
    second = services.invoice_create(order=order, amount=D("40.00"), user=None)

    on_account.refresh_from_db()
    assert (on_account.status, on_account.captured_amount) == (Tender.Status.CAPTURED, D("100.00"))
    assert on_account.reference == f"{first.number}, {second.number}"


@pytest.mark.django_db
def test_a_refund_on_account_is_a_credit_note_on_the_orders_invoices():
    customer = wholesale()
    order = shipped_order(customer, "100.00")
    invoice = services.invoice_create(order=order, amount=D("100.00"), user=None)

    credit = services.invoice_credit(order=order, amount=D("30.00"), user=None, reason="Two mugs broken")

    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.open_amount) == (D("30.00"), D("70.00"))
    assert (credit.method, credit.amount, credit.amount_applied) == ("credit_note", D("30.00"), D("30.00"))
    assert lines_of(entry_of(credit, "credit_note.issue")) == [("4000", D("30.00"), 0), (DEPOSITS, 0, D("30.00"))]
    assert balance(AR) == D("70.00")
    assert balance("4000") == D("30.00")  # revenue reduced (debit) by the credit
    assert payments_violations() == []


@pytest.mark.django_db
def test_a_credit_note_beyond_what_is_open_stays_a_credit_on_the_account():
    from payments.receivables.selectors import unapplied_credit

    customer = wholesale()
    order = shipped_order(customer, "50.00")
    invoice = services.invoice_create(order=order, amount=D("50.00"), user=None)
    payment = services.customer_payment_receive(customer=customer, amount=D("50.00"), method="wire", user=None)
    services.payment_apply(payment=payment, amounts={invoice: D("50.00")}, user=None)

    services.invoice_credit(order=order, amount=D("20.00"), user=None, reason="Returned")

    assert unapplied_credit(customer=customer) == D("20.00")
    assert balance(AR) == D("0")
    assert payments_violations() == []
