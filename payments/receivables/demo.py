"""Demo receivables (``seed_demo``, after the orders' step): the wholesale customers' shipped
orders of the last thirteen months taken on account (an on-account tender) and invoiced, payments received by check and wire
applied to most of the older ones (some only in part, some leaving a credit), and the checks
of all but the last two weeks deposited in weekly batches. So a fresh ``make run`` shows
receivables across every aging bucket, statements and deposits.

Everything goes through the services (``invoice_create``, ``customer_payment_receive``,
``payment_apply``, ``deposit_batch_create``/``deposit``), so the postings and the invariants
are those of real work. The volume is small (wholesale customers are about 3 % of the demo's),
a few thousand documents at the default size, so one service call per document is fast enough.

Idempotent: it does nothing when there are invoices already. The random generator is seeded
from ``--seed``, so the same commands build the same data.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from inventory.postings import business_date
from oms.demo import DEFAULT_SEED
from oms.money import round_money
from payments.receivables.selectors import bucket_of
from payments.receivables.services import TERMS_DAYS, due_date

SHIPPED = ("partially_shipped", "shipped", "delivered", "closed")
WINDOW_DAYS = 395  # invoices of the orders shipped in the last thirteen months
MAX_INVOICES = 5000
# How many days past due an invoice re-dated into an empty bucket is (``_fill_empty_buckets``).
EMPTY_BUCKET_LATE_DAYS = {"current": -5, "days_1_30": 15, "days_31_60": 45, "days_61_90": 75, "over_90": 120}


def _shipped_amount(order) -> Decimal:
    """What the order's shipments booked (``orders.fulfillment.demo``): its total, or for a partly
    shipped order its shipped lines' share of their totals plus the shipping."""
    if order.status != "partially_shipped":
        return order.total
    share = sum((line.line_total * line.quantity_shipped / line.quantity for line in order.lines.all()
                 if line.quantity), Decimal("0"))
    return round_money(share, order.currency) + order.shipping_total


@dataclass
class _Planned:
    order: object
    amount: Decimal
    issued_on: date


def _fill_empty_buckets(plan: list[_Planned], today: date) -> None:
    """Re-date an invoice into each aging bucket the dice left empty, so every bucket shows.

    Which buckets the orders' ship dates fill depends on the day the demo is loaded (a small demo
    may have no invoice falling 1–30 days past due today). For an empty bucket, the invoice is
    issued later than its order shipped, on the day that makes it that many days late: the
    invoice of the latest-shipped order that shipped by then and whose own bucket keeps another.
    """
    def bucket(planned: _Planned) -> str:
        return bucket_of(due_on=due_date(issued_on=planned.issued_on, terms=planned.order.customer.terms), as_of=today)

    counts = Counter(bucket(planned) for planned in plan)
    for name, late in EMPTY_BUCKET_LATE_DAYS.items():
        if counts[name]:
            continue
        candidates = []
        for planned in plan:
            issued_on = today - timedelta(days=late + TERMS_DAYS[planned.order.customer.terms])
            if counts[bucket(planned)] > 1 and planned.issued_on <= issued_on:
                candidates.append((planned.issued_on, planned.order.pk, planned, issued_on))
        if not candidates:
            continue
        *_, planned, issued_on = max(candidates, key=lambda candidate: candidate[:2])
        counts[bucket(planned)] -= 1
        planned.issued_on = issued_on
        counts[name] += 1


def seed_receivables(*, stdout, options: dict) -> None:
    from orders.models import Order
    from payments.receivables import services
    from payments.receivables.models import CustomerPayment, Invoice, ReceivedCheck

    if Invoice.objects.exists():
        stdout.write(f"Demo receivables: {Invoice.objects.count():,} invoices already.")
        return
    started = time.monotonic()
    rng = random.Random(f"{options.get('seed') or DEFAULT_SEED}-receivables")
    today = business_date()
    since = today - timedelta(days=WINDOW_DAYS)
    orders = list(
        Order.objects.filter(customer__customer_type="wholesale", status__in=SHIPPED, total__gt=0,
                             placed_at__date__gte=since)
        .exclude(customer__terms="prepaid").select_related("customer").prefetch_related("lines")
        .order_by("placed_at", "pk")[:MAX_INVOICES])
    from payments.tenders.models import Tender
    from payments.tenders.services import tender_create

    plan = []
    for order in orders:
        shipped_on = min(order.placed_at.date() + timedelta(days=rng.randint(1, 4)), today)
        amount = _shipped_amount(order)
        if amount > 0:
            plan.append(_Planned(order, amount, shipped_on))
    _fill_empty_buckets(plan, today)

    invoices = []
    with transaction.atomic():
        for planned in plan:
            order = planned.order
            # The order was taken on account (terms authorize it); invoicing captures the tender.
            if not order.tenders.exists():
                on_account = tender_create(order=order, kind=Tender.Kind.ON_ACCOUNT, amount=order.total, user=None,
                                            status=Tender.Status.AUTHORIZED)
                Tender.objects.filter(pk=on_account.pk).update(authorized_amount=on_account.amount)
            invoices.append(services.invoice_create(order=order, amount=planned.amount, user=None,
                                                    issued_on=planned.issued_on))

    payments = 0
    by_customer: dict[int, list] = defaultdict(list)
    for invoice in invoices:
        by_customer[invoice.customer_id].append(invoice)
    check_numbers: dict[int, int] = defaultdict(lambda: 1000 + rng.randint(0, 8000))
    # One invoice of each aging bucket stays open whatever the dice say, so every bucket shows.
    keep_open: dict[str, int] = {}
    for invoice in invoices:
        keep_open.setdefault(bucket_of(due_on=invoice.due_on, as_of=today), invoice.pk)
    for customer_invoices in by_customer.values():
        for invoice in customer_invoices:
            if invoice.pk in keep_open.values():
                continue
            age = (today - invoice.issued_on).days
            late = (today - invoice.due_on).days
            # Older invoices are mostly paid; the further past due, the likelier it is a straggler.
            chance = 0.97 if late > 150 else 0.75 if late > 60 else 0.45 if late > 0 else 0.15
            if rng.random() >= chance:
                continue
            paid_on = min(invoice.issued_on + timedelta(days=rng.randint(10, max(11, min(age, 75)))), today)
            share = Decimal("1") if rng.random() < 0.85 else Decimal(rng.choice(("0.25", "0.5", "0.6")))
            amount = round_money(invoice.amount * share, invoice.currency)
            extra = round_money(Decimal(rng.randint(5, 200)), invoice.currency) if rng.random() < 0.05 else Decimal(0)
            method = CustomerPayment.Method.CHECK if rng.random() < 0.6 else CustomerPayment.Method.WIRE
            check_numbers[invoice.customer_id] += 1
            reference = (str(check_numbers[invoice.customer_id]) if method == CustomerPayment.Method.CHECK
                         else f"WIRE-{rng.randint(100000, 999999)}")
            payment = services.customer_payment_receive(
                customer=invoice.customer, amount=amount + extra, method=method, reference=reference,
                received_on=paid_on, check_date=paid_on - timedelta(days=rng.randint(1, 6)), user=None)
            services.payment_apply(payment=payment, amounts={invoice: amount}, user=None, applied_on=paid_on)
            payments += 1

    # The checks of all but the last two weeks went to the bank in weekly batches.
    weeks: dict[tuple[int, int], list] = defaultdict(list)
    for check in ReceivedCheck.objects.filter(batch__isnull=True, received_on__lt=today - timedelta(days=14)):
        weeks[check.received_on.isocalendar()[:2]].append(check)
    for week in sorted(weeks):
        checks = weeks[week]
        batch = services.deposit_batch_create(checks=checks, user=None)
        services.deposit_batch_deposit(batch=batch, user=None,
                                       deposited_on=max(check.received_on for check in checks) + timedelta(days=1))
    stdout.write(f"Demo receivables: {len(invoices):,} invoices, {payments:,} payments, {len(weeks):,} deposit "
                 f"batches in {time.monotonic() - started:.1f} s.")
