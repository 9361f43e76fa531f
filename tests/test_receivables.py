"""Invoices, payments received and applied, checks and deposit batches, cash and marketplace
tenders: their rules, their postings, and the receivables invariants."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from payments.models import (
    CustomerPayment,
    DepositBatch,
    Invoice,
    JournalEntry,
    PaymentApplication,
    ReceivedCheck,
)
from payments.receivables import services
from payments.receivables.selectors import (
    aging_rows,
    aging_totals,
    bucket_of,
    customer_statement,
    open_receivables,
    unapplied_credit,
)
from payments.receivables.services import ReceivablesError
from tests.ledger_helpers import balance, lines_of
from tests.receivables_helpers import payments_violations as all_violations
from tests.receivables_helpers import shipped_order, wholesale

pytestmark = pytest.mark.django_db

NOV_2 = date(2026, 11, 2)
D = Decimal
AR, DEPOSITS, BANK, CASH, UNDEPOSITED, CLEARING = "1100", "2300", "1010", "1000", "1060", "1070"


def entry_of(source, kind: str) -> JournalEntry:
    return JournalEntry.objects.get(source_type=f"{source._meta.app_label}.{source._meta.model_name}",
                                    source_id=str(source.pk), kind=kind)


# --- invoices ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("terms", "due_on"), [
    ("net15", date(2026, 11, 17)), ("net30", date(2026, 12, 2)), ("net60", date(2027, 1, 1)),
    ("prepaid", NOV_2),
])
def test_an_invoice_is_due_after_the_customers_terms(terms, due_on):
    customer = wholesale(terms=terms)
    order = shipped_order(customer, "250.00")

    invoice = services.invoice_create(order=order, amount=D("250.00"), user=None, issued_on=NOV_2)

    assert (invoice.customer, invoice.order, invoice.terms) == (customer, order, terms)
    assert (invoice.issued_on, invoice.due_on, invoice.amount, invoice.amount_paid) == (NOV_2, due_on, D("250.00"), 0)
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.number.isdigit()


def test_an_invoice_posts_receivables_against_the_orders_deposits():
    order = shipped_order(wholesale(), "250.00")

    invoice = services.invoice_create(order=order, amount=D("250.00"), user=None, issued_on=NOV_2)

    entry = entry_of(invoice, "invoice.issue")
    assert entry.entry_date == NOV_2
    assert lines_of(entry) == [(AR, D("250.00"), D("0")), (DEPOSITS, D("0"), D("250.00"))]
    assert all_violations() == []


def test_partial_shipments_invoice_parts_and_never_more_than_the_order_total():
    order = shipped_order(wholesale(), "100.00")
    services.invoice_create(order=order, amount=D("60.00"), user=None)
    services.invoice_create(order=order, amount=D("40.00"), user=None)

    with pytest.raises(ReceivablesError, match="100.00 invoiced of 100.00; 0.01 more is too much"):
        services.invoice_create(order=order, amount=D("0.01"), user=None)

    assert Invoice.objects.filter(order=order).count() == 2
    assert balance(AR) == D("100.00")


def test_an_invoice_amount_is_rounded_to_the_currency_and_must_be_positive():
    order = shipped_order(wholesale(), "100.00")

    with pytest.raises(ReceivablesError, match="more than zero"):
        services.invoice_create(order=order, amount=D("0.004"), user=None)
    invoice = services.invoice_create(order=order, amount=D("10.005"), user=None)

    assert invoice.amount == D("10.01")
    assert JournalEntry.objects.count() == 1


def test_voiding_an_unpaid_invoice_turns_its_posting_back():
    invoice = services.invoice_create(order=shipped_order(wholesale(), "80.00"), amount=D("80.00"), user=None)

    services.invoice_void(invoice=invoice, user=None, reason="Billed twice")

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID
    assert lines_of(entry_of(invoice, "invoice.void")) == [(DEPOSITS, D("80.00"), D("0")), (AR, D("0"), D("80.00"))]
    assert balance(AR) == D("0")
    assert all_violations() == []


def test_a_paid_invoice_cannot_be_voided():
    customer = wholesale()
    invoice = services.invoice_create(order=shipped_order(customer, "80.00"), amount=D("80.00"), user=None)
    payment = services.customer_payment_receive(customer=customer, amount=D("10.00"), method="wire", user=None)
    services.payment_apply(payment=payment, amounts={invoice: D("10.00")}, user=None)

    with pytest.raises(ReceivablesError, match="nothing paid"):
        services.invoice_void(invoice=invoice, user=None, reason="No")

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (Invoice.Status.OPEN, D("10.00"))


# --- payments received and applied ---------------------------------------------------------------


@pytest.mark.parametrize(("method", "account"), [("wire", BANK), ("cash", CASH), ("check", UNDEPOSITED),
                                                 ("card", "1050")])
def test_a_payment_received_posts_its_method_account_against_the_customers_credit(method, account):
    customer = wholesale()

    payment = services.customer_payment_receive(customer=customer, amount=D("75.50"), method=method,
                                                reference="1001", user=None, received_on=NOV_2)

    assert lines_of(entry_of(payment, "customer_payment.receive")) == [
        (account, D("75.50"), D("0")), (DEPOSITS, D("0"), D("75.50"))]
    assert unapplied_credit(customer=customer) == D("75.50")
    assert ReceivedCheck.objects.filter(payment=payment).count() == (1 if method == "check" else 0)


def test_a_check_payment_needs_its_number():
    with pytest.raises(ReceivablesError, match="check number"):
        services.customer_payment_receive(customer=wholesale(), amount=D("5.00"), method="check", user=None)
    assert CustomerPayment.objects.count() == 0


def test_a_payment_applied_fully_and_partly_leaves_the_rest_as_a_credit():
    customer = wholesale()
    first = services.invoice_create(order=shipped_order(customer, "100.00"), amount=D("100.00"), user=None)
    second = services.invoice_create(order=shipped_order(customer, "50.00"), amount=D("50.00"), user=None)
    payment = services.customer_payment_receive(customer=customer, amount=D("130.00"), method="wire", user=None)

    applications = services.payment_apply(payment=payment, amounts={first: D("100.00"), second: D("20.00")},
                                          user=None)

    first.refresh_from_db()
    second.refresh_from_db()
    payment.refresh_from_db()
    assert (first.status, first.amount_paid) == (Invoice.Status.PAID, D("100.00"))
    assert (second.status, second.amount_paid, second.open_amount) == (Invoice.Status.OPEN, D("20.00"), D("30.00"))
    assert (payment.amount_applied, payment.unapplied_amount) == (D("120.00"), D("10.00"))
    assert [lines_of(entry_of(application, "payment.apply")) for application in applications] == [
        [(DEPOSITS, D("100.00"), D("0")), (AR, D("0"), D("100.00"))],
        [(DEPOSITS, D("20.00"), D("0")), (AR, D("0"), D("20.00"))]]
    assert open_receivables(customer=customer) == D("30.00") == balance(AR)
    assert balance(BANK) == D("130.00")
    assert balance(DEPOSITS) == D("-160.00")  # 150.00 of order deposits and the 10.00 credit
    assert all_violations() == []


@pytest.mark.parametrize(("amount", "message"), [
    ("60.01", "has 60.00 open; 60.01 is more than that"),
    ("0", "more than zero"),
])
def test_no_more_than_the_invoices_open_amount_is_applied(amount, message):
    customer = wholesale()
    invoice = services.invoice_create(order=shipped_order(customer, "60.00"), amount=D("60.00"), user=None)
    payment = services.customer_payment_receive(customer=customer, amount=D("100.00"), method="wire", user=None)

    with pytest.raises(ReceivablesError, match=message):
        services.payment_apply(payment=payment, amounts={invoice: D(amount)}, user=None)

    assert PaymentApplication.objects.count() == 0
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert (invoice.amount_paid, payment.amount_applied) == (0, 0)


def test_no_more_than_the_payments_unapplied_amount_is_applied_and_nothing_is_written():
    customer = wholesale()
    first = services.invoice_create(order=shipped_order(customer, "60.00"), amount=D("60.00"), user=None)
    second = services.invoice_create(order=shipped_order(customer, "60.00"), amount=D("60.00"), user=None)
    payment = services.customer_payment_receive(customer=customer, amount=D("100.00"), method="wire", user=None)

    with pytest.raises(ReceivablesError, match="has 100.00 unapplied; 120.00 cannot be applied"):
        services.payment_apply(payment=payment, amounts={first: D("60.00"), second: D("60.00")}, user=None)

    assert PaymentApplication.objects.count() == 0
    assert balance(AR) == D("120.00")


def test_a_payment_cannot_pay_another_customers_invoice():
    invoice = services.invoice_create(order=shipped_order(wholesale(), "60.00"), amount=D("60.00"), user=None)
    payment = services.customer_payment_receive(customer=wholesale(), amount=D("60.00"), method="wire", user=None)

    with pytest.raises(ReceivablesError, match="another customer's"):
        services.payment_apply(payment=payment, amounts={invoice: D("60.00")}, user=None)


def test_applying_to_the_oldest_invoices_first():
    customer = wholesale()
    late = services.invoice_create(order=shipped_order(customer, "40.00"), amount=D("40.00"), user=None,
                                   issued_on=date(2026, 9, 1))
    recent = services.invoice_create(order=shipped_order(customer, "40.00"), amount=D("40.00"), user=None,
                                     issued_on=date(2026, 10, 1))
    payment = services.customer_payment_receive(customer=customer, amount=D("50.00"), method="wire", user=None)

    services.payment_apply_oldest(payment=payment, user=None)

    late.refresh_from_db()
    recent.refresh_from_db()
    assert (late.amount_paid, recent.amount_paid) == (D("40.00"), D("10.00"))
    assert all_violations() == []


# --- checks and deposit batches ------------------------------------------------------------------


def test_checks_wait_on_hand_until_their_batch_is_deposited(make_user):
    customer = wholesale()
    agent = make_user("Agent")
    order = shipped_order(customer, "30.00")
    order_check = services.check_receive(order=order, number="1234", amount=D("30.00"), check_date=NOV_2, user=agent)
    payment = services.customer_payment_receive(customer=customer, amount=D("70.00"), method="check",
                                                reference="1235", user=None)
    assert lines_of(entry_of(order_check, "check.receive")) == [
        (UNDEPOSITED, D("30.00"), D("0")), (DEPOSITS, D("0"), D("30.00"))]
    assert balance(UNDEPOSITED) == D("100.00")

    batch = services.deposit_batch_create(checks=[order_check, payment.received_check], user=None)
    assert balance(BANK) == D("0")  # a batch posts when it is deposited, not when it is made
    services.deposit_batch_deposit(batch=batch, user=None, deposited_on=date(2026, 11, 3))

    batch.refresh_from_db()
    assert (batch.status, batch.deposited_on) == (DepositBatch.Status.DEPOSITED, date(2026, 11, 3))
    assert lines_of(entry_of(batch, "deposit_batch.deposit")) == [
        (BANK, D("100.00"), D("0")), (UNDEPOSITED, D("0"), D("100.00"))]
    assert (balance(BANK), balance(UNDEPOSITED)) == (D("100.00"), D("0"))
    assert all_violations() == []


def test_a_check_goes_in_one_batch_and_a_batch_is_deposited_once():
    customer = wholesale()
    payment = services.customer_payment_receive(customer=customer, amount=D("70.00"), method="check",
                                                reference="77", user=None)
    batch = services.deposit_batch_create(checks=[payment.received_check], user=None)

    with pytest.raises(ReceivablesError, match="in a batch already"):
        services.deposit_batch_create(checks=[payment.received_check], user=None)
    services.deposit_batch_deposit(batch=batch, user=None)
    with pytest.raises(ReceivablesError, match="deposited already"):
        services.deposit_batch_deposit(batch=batch, user=None)

    assert DepositBatch.objects.count() == 1
    assert balance(BANK) == D("70.00")


@pytest.mark.parametrize(("role", "allowed"), [("Agent", True), ("Manager", True), ("Accountant", False),
                                               ("Warehouse", False)])
def test_who_takes_a_check_for_an_order(make_user, role, allowed):
    order = shipped_order(wholesale(), "30.00")

    if allowed:
        services.check_receive(order=order, number="9", amount=D("30.00"), check_date=NOV_2, user=make_user(role))
    else:
        with pytest.raises(PermissionDenied):
            services.check_receive(order=order, number="9", amount=D("30.00"), check_date=NOV_2,
                                   user=make_user(role))

    assert ReceivedCheck.objects.count() == (1 if allowed else 0)


# --- aging and statements -------------------------------------------------------------------------


@pytest.mark.parametrize(("due_on", "bucket"), [
    (date(2026, 12, 1), "current"), (date(2026, 11, 30), "current"), (date(2026, 11, 29), "days_1_30"),
    (date(2026, 10, 31), "days_1_30"), (date(2026, 10, 30), "days_31_60"), (date(2026, 10, 1), "days_31_60"),
    (date(2026, 9, 30), "days_61_90"), (date(2026, 9, 1), "days_61_90"), (date(2026, 8, 31), "over_90"),
])
def test_aging_buckets_count_days_past_due(due_on, bucket):
    assert bucket_of(due_on=due_on, as_of=date(2026, 11, 30)) == bucket


def test_the_aging_report_sums_open_amounts_by_bucket_and_pages_by_keyset():
    as_of = date(2026, 11, 30)
    customers = [wholesale(number=f"W{index}", credit_limit="99999.00") for index in range(3)]
    # net30 invoices issued so that their due dates fall 0, 10, 45, 75 and 120 days before as_of.
    for customer in customers:
        for days_late, amount in ((0, "10.00"), (10, "20.00"), (45, "30.00"), (75, "40.00"), (120, "50.00")):
            issued = date.fromordinal(as_of.toordinal() - days_late - 30)
            services.invoice_create(order=shipped_order(customer, amount), amount=D(amount), user=None,
                                    issued_on=issued)
    payment = services.customer_payment_receive(customer=customers[1], amount=D("5.00"), method="wire", user=None)
    over_90 = Invoice.objects.get(customer=customers[1], amount=D("50.00"))
    services.payment_apply(payment=payment, amounts={over_90: D("5.00")}, user=None)

    first_page, cursor = aging_rows(as_of=as_of, sort="customer", limit=2)
    second_page, last_cursor = aging_rows(as_of=as_of, sort="customer", limit=2, after=cursor)

    assert [row.customer_number for row in first_page + second_page] == ["W0", "W1", "W2"]
    assert last_cursor == ""
    assert first_page[0].bucket_amounts() == [D("10.00"), D("20.00"), D("30.00"), D("40.00"), D("50.00")]
    assert first_page[1].bucket_amounts() == [D("10.00"), D("20.00"), D("30.00"), D("40.00"), D("45.00")]
    assert (first_page[1].total, first_page[1].invoice_count) == (D("145.00"), 5)
    assert aging_totals(as_of=as_of) == {"USD": {"current": D("30.00"), "days_1_30": D("60.00"),
                                                 "days_31_60": D("90.00"), "days_61_90": D("120.00"),
                                                 "over_90": D("145.00"), "total": D("445.00")}}
    by_total, _cursor = aging_rows(as_of=as_of, sort="total")
    assert [row.customer_number for row in by_total] == ["W2", "W0", "W1"]  # equal totals: higher id first
    assert [row.customer_number for row in aging_rows(as_of=as_of, search="w1")[0]] == ["W1"]


def test_the_past_due_filter_leaves_out_customers_with_nothing_late():
    as_of = date(2026, 11, 30)
    on_time, late = wholesale(number="ONTIME"), wholesale(number="LATE")
    services.invoice_create(order=shipped_order(on_time, "10.00"), amount=D("10.00"), user=None, issued_on=as_of)
    services.invoice_create(order=shipped_order(late, "10.00"), amount=D("10.00"), user=None,
                            issued_on=date(2026, 9, 1))

    rows, _cursor = aging_rows(as_of=as_of, past_due_only=True)

    assert [row.customer_number for row in rows] == ["LATE"]


def test_a_statement_runs_from_the_opening_to_the_closing_balance():
    customer = wholesale()
    old = services.invoice_create(order=shipped_order(customer, "100.00"), amount=D("100.00"), user=None,
                                  issued_on=date(2026, 9, 20))
    services.customer_payment_receive(customer=customer, amount=D("40.00"), method="wire", user=None,
                                      received_on=date(2026, 9, 25))
    new = services.invoice_create(order=shipped_order(customer, "70.00"), amount=D("70.00"), user=None,
                                  issued_on=date(2026, 10, 5))
    payment = services.customer_payment_receive(customer=customer, amount=D("100.00"), method="check",
                                                reference="5521", user=None, received_on=date(2026, 10, 20))
    services.payment_apply(payment=payment, amounts={old: D("100.00")}, user=None)

    statement = customer_statement(customer=customer, starts_on=date(2026, 10, 1), ends_on=date(2026, 10, 31))

    assert statement.opening_balance == D("60.00")
    assert [(line.on_date, line.reference, line.charge, line.credit, line.balance) for line in statement.lines] == [
        (date(2026, 10, 5), new.number, D("70.00"), D("0"), D("130.00")),
        (date(2026, 10, 20), "5521", D("0"), D("100.00"), D("30.00")),
    ]
    assert statement.closing_balance == D("30.00")
    # what is open (70.00 on the new invoice) less the unapplied 40.00 wire
    assert open_receivables(customer=customer) - unapplied_credit(customer=customer) == D("30.00")
    assert statement.aging["current"] == D("70.00")


# --- cash and marketplace tenders, invariants ----------------------------------------------------


def test_the_marketplace_role_names_the_marketplace():
    assert services.marketplace_role("marketplace:Amazon US") == "marketplace_clearing:amazon-us"
    assert services.marketplace_role("web") == "marketplace_clearing"


def test_the_receivables_invariant_catches_a_journal_entry_that_bypasses_the_subledger():
    from oms.hooks import PostingLine, ledger_post

    order = shipped_order(wholesale(), "10.00")
    ledger_post(source=order, kind="test.bypass", on_date=NOV_2, user=None,
                lines=[PostingLine(role="receivables", debit=D("10.00")), PostingLine(role="revenue", credit=D("10.00"))])

    assert [(violation[1], violation[4]) for violation in all_violations()] == [
        ("the receivables subledger equals its control account", "USD invoices open=0 receivables account=10.000")]


def test_credit_exposure_counts_open_receivables():
    customer = wholesale()
    services.invoice_create(order=shipped_order(customer, "300.00"), amount=D("300.00"), user=None)

    assert open_receivables(customer=customer) == D("300.00")


def test_invoicing_the_same_shipment_again_returns_its_invoice():
    order = shipped_order(wholesale(), "100.00")

    first = services.invoice_create(order=order, amount=D("60.00"), user=None, shipment_reference="SHP-1")
    again = services.invoice_create(order=order, amount=D("60.00"), user=None, shipment_reference="SHP-1")
    other = services.invoice_create(order=order, amount=D("40.00"), user=None, shipment_reference="SHP-2")

    assert again.pk == first.pk and other.pk != first.pk
    assert Invoice.objects.filter(order=order).count() == 2
    assert balance(AR) == D("100.00")


def test_an_application_locks_the_payment_then_the_invoices_in_pk_order_before_writing():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customer = wholesale()
    invoices = [services.invoice_create(order=shipped_order(customer, "10.00"), amount=D("10.00"), user=None)
                for _ in range(3)]
    payment = services.customer_payment_receive(customer=customer, amount=D("30.00"), method="wire", user=None)

    with CaptureQueriesContext(connection) as queries:
        services.payment_apply(payment=payment, amounts={invoices[2]: D("10.00"), invoices[0]: D("10.00")}, user=None)

    sql = [query["sql"] for query in queries.captured_queries]

    def lock_of(table: str) -> int:
        return next(index for index, text in enumerate(sql) if f'FROM "{table}"' in text and "FOR NO KEY UPDATE" in text)

    lock_payment, lock_invoices = lock_of("payments_customerpayment"), lock_of("payments_invoice")
    first_write = next(i for i, text in enumerate(sql) if text.startswith(("UPDATE", "INSERT")))
    assert lock_payment < lock_invoices < first_write
    assert 'ORDER BY "payments_invoice"."id" ASC' in sql[lock_invoices]
