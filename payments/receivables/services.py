"""Receivables writes: invoices, payments received and their applications, checks and deposits,
cash and marketplace-collected tenders. Every money movement posts through
``oms.hooks.ledger_post`` in the same transaction as the change.

**The posting rule.** Every tender credits ``customer_deposits`` (money, or a promise of it,
held for the customer's order); the fulfillment issue's shipment posting recognises revenue
against ``customer_deposits`` for every tender alike. An invoice on account is such a tender:
it is the one document that debits ``receivables``. So the receivables control account moves
only with the invoices and the payments applied to them, and always equals the receivables
subledger, Σ (amount − paid) over invoices that are not void (``check_invariants``):

=========================  =================================  ===========================================
event                      debit                              credit
=========================  =================================  ===========================================
invoice issued             ``receivables``                    ``customer_deposits`` (the order's deposit)
invoice voided (unpaid)    ``customer_deposits``              ``receivables``
payment received           by method: check ``undeposited_    ``customer_deposits:unapplied`` (a credit on
                           checks``, wire ``bank``, cash      the customer's account; falls back to
                           ``cash``, card ``card_clearing``   ``customer_deposits`` unless the posting map
                                                              gives it its own account)
payment applied            ``customer_deposits:unapplied``    ``receivables``
check taken for an order   ``undeposited_checks``             ``customer_deposits``
deposit batch deposited    ``bank``                           ``undeposited_checks``
cash tender (store, POS)   ``cash``                           ``customer_deposits``
marketplace-collected      ``marketplace_clearing:<name>``    ``customer_deposits``
=========================  =================================  ===========================================

A payment received and applied at once thus nets to bank (or cash) against receivables; what
is left unapplied stays a liability to the customer. A check is on hand (``undeposited_checks``)
from the day it is received until its batch is deposited, when it reaches the bank: the balance
of undeposited checks equals the checks in no deposited batch (``check_invariants``). What a
marketplace collected is owed to us by the marketplace until its payout, so it is recorded
against a clearing account for that marketplace (``marketplace_clearing:<name>``, which falls back
to one shared clearing account), not left unposted: the shipment's revenue posting draws on
``customer_deposits`` for every order alike.

An invoice also counts as captured on the order's on-account tender (``captured_amount``, the
most a refund may give back to that tender), whose ``reference`` lists the order's invoices.

Locks: a payment's application locks the payment, then the invoices in pk order
(``FOR NO KEY UPDATE``: only non-key columns change), and refuses to apply more than the
invoice's open amount or the payment's unapplied amount; CHECK constraints back this up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from inventory.postings import business_date
from oms.hooks import PostingLine, ledger_post
from oms.money import round_money
from orders.models import Customer, Order
from payments.receivables.models import (
    CustomerPayment,
    DepositBatch,
    Invoice,
    PaymentApplication,
    ReceivedCheck,
)

ZERO = Decimal("0")

RECEIVABLES = "receivables"
DEPOSITS = "customer_deposits"
UNAPPLIED = "customer_deposits:unapplied"
UNDEPOSITED_CHECKS = "undeposited_checks"
BANK = "bank"
CASH = "cash"
MARKETPLACE_CLEARING = "marketplace_clearing"
METHOD_ROLES = {
    CustomerPayment.Method.CHECK: UNDEPOSITED_CHECKS,
    CustomerPayment.Method.WIRE: BANK,
    CustomerPayment.Method.CASH: CASH,
    CustomerPayment.Method.CARD: "card_clearing",
}
RECEIVED_METHODS = [method for method in CustomerPayment.Method.values if method != CustomerPayment.Method.CREDIT_NOTE]
# Days from the invoice date to its due date, by the customer's terms (prepaid: due at once).
TERMS_DAYS = {
    Customer.Terms.PREPAID: 0,
    Customer.Terms.NET15: 15,
    Customer.Terms.NET30: 30,
    Customer.Terms.NET60: 60,
}


class ReceivablesError(Exception):
    """A receivables rule was broken; nothing was written. The message is for the user."""


def due_date(*, issued_on: date, terms: str) -> date:
    """When an invoice issued on ``issued_on`` under ``terms`` falls due."""
    try:
        return issued_on + timedelta(days=TERMS_DAYS[terms])
    except KeyError:
        raise ReceivablesError(_("Unknown terms “%(terms)s”.") % {"terms": terms}) from None


def _positive(amount, currency: str) -> Decimal:
    if isinstance(amount, float):
        raise TypeError("money is never a float")
    amount = round_money(Decimal(amount), currency)
    if amount <= 0:
        raise ReceivablesError(_("The amount must be more than zero."))
    return amount


def _user(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# --- invoices -------------------------------------------------------------------------------------


def invoice_create(*, order: Order, amount: Decimal, user, issued_on: date | None = None,
                   shipment_reference: str = "") -> Invoice:
    """Invoice ``amount`` of ``order`` on the customer's account (fulfillment calls it at shipment).

    Due after the customer's terms (net 30: thirty days). Posts receivables against the
    order's customer deposits (the module docstring) and counts as captured on the order's
    on-account tender. Runs in the caller's transaction when
    there is one (the shipment's), else in its own. Refuses to invoice more than the order's
    total over all its invoices that are not void. With a ``shipment_reference`` it is idempotent:
    invoicing the same shipment again returns the invoice written the first time.
    """
    currency = order.currency
    amount = _positive(amount, currency)
    issued_on = issued_on or business_date()
    with transaction.atomic():
        # The order row is locked so that two shipments cannot both invoice its last amount.
        locked = Order.objects.select_for_update(no_key=True).select_related("customer").get(pk=order.pk)
        shipment_reference = (shipment_reference or "").strip()[:100]
        if shipment_reference:
            existing = Invoice.objects.filter(order=locked, shipment_reference=shipment_reference).first()
            if existing is not None:
                return existing
        invoiced = (Invoice.objects.filter(order=locked).exclude(status=Invoice.Status.VOID)
                    .aggregate(total=Sum("amount"))["total"] or ZERO)
        if invoiced + amount > locked.total:
            raise ReceivablesError(_("Order %(order)s has %(invoiced)s invoiced of %(total)s; %(amount)s more is "
                                     "too much.") % {"order": locked.number, "invoiced": round_money(invoiced, currency),
                                                      "total": round_money(locked.total, currency), "amount": amount})
        customer = locked.customer
        invoice = Invoice.objects.create(
            customer=customer, order=locked, currency=currency, terms=customer.terms, issued_on=issued_on,
            shipment_reference=shipment_reference,
            due_on=due_date(issued_on=issued_on, terms=customer.terms), amount=amount, created_by=_user(user))
        _on_account_tender_invoiced(locked, invoice)
        ledger_post(source=invoice, kind="invoice.issue", on_date=issued_on, user=user, currency=currency,
                    memo=_("Invoice %(number)s, order %(order)s") % {"number": invoice.number, "order": locked.number},
                    lines=[PostingLine(role=RECEIVABLES, debit=amount), PostingLine(role=DEPOSITS, credit=amount)])
    return invoice


def shipment_invoice(*, order_id: int, amount: Decimal, reference: str, user=None) -> Invoice | None:
    """The invoice of what shipment ``reference`` shipped on account (payments' task on
    ``orders.hooks.shipment_confirmed``, after the shipment's commit), or None when the order has
    nothing on account left to invoice.

    The invoice takes the shipped ``amount`` up to what the order's on-account tender has not
    invoiced yet (a card on the same order is captured for the shipment first: capture's rule).
    Due by the customer's terms from today (the shipment's business date). Idempotent per
    shipment: a second call for the same ``reference`` returns the first invoice.
    """
    from payments.tenders.models import Tender

    with transaction.atomic():
        order = Order.objects.select_for_update(no_key=True).get(pk=order_id)
        existing = Invoice.objects.filter(order=order, shipment_reference=reference[:100]).first()
        if existing is not None:
            return existing
        tenders = (Tender.objects.filter(order=order, kind=Tender.Kind.ON_ACCOUNT)
                   .exclude(status__in=(Tender.Status.VOIDED, Tender.Status.DECLINED, Tender.Status.EXPIRED)))
        open_amount = sum((tender.amount - tender.captured_amount for tender in tenders), ZERO)
        invoiced = round_money(min(Decimal(amount), open_amount), order.currency)
        if invoiced <= 0:
            return None
        return invoice_create(order=order, amount=invoiced, user=user, shipment_reference=reference)


def _on_account_tender_invoiced(order: Order, invoice: Invoice) -> None:
    """The order's on-account tender (when it has one) counts what is invoiced as captured (what a
    refund may give back) and names its invoices in its reference."""
    from payments.tenders.models import Tender

    tender = (Tender.objects.filter(order=order, kind=Tender.Kind.ON_ACCOUNT)
              .exclude(status__in=(Tender.Status.VOIDED, Tender.Status.DECLINED, Tender.Status.EXPIRED))
              .order_by("sequence", "pk").select_for_update(no_key=True).first())
    if tender is None:
        return
    tender.captured_amount += invoice.amount
    tender.status = Tender.Status.CAPTURED
    tender.reference = ", ".join(part for part in (tender.reference, invoice.number) if part)[:100]
    tender.save(update_fields=["captured_amount", "status", "reference", "updated_at"])


def invoice_void(*, invoice: Invoice, user, reason: str) -> Invoice:
    """Void an invoice nothing has been applied to; its posting is turned back."""
    if not reason or not reason.strip():
        raise ReceivablesError(_("Voiding an invoice needs a reason."))
    with transaction.atomic(durable=True):
        locked = Invoice.objects.select_for_update(no_key=True).get(pk=invoice.pk)
        if locked.status != Invoice.Status.OPEN or locked.amount_paid:
            raise ReceivablesError(_("Only an open invoice with nothing paid can be voided."))
        locked.status = Invoice.Status.VOID
        locked.voided_at = timezone.now()
        locked.save(update_fields=["status", "voided_at"])
        ledger_post(source=locked, kind="invoice.void", on_date=business_date(), user=user, currency=locked.currency,
                    memo=_("Invoice %(number)s void: %(reason)s") % {"number": locked.number, "reason": reason.strip()},
                    lines=[PostingLine(role=DEPOSITS, debit=locked.amount),
                           PostingLine(role=RECEIVABLES, credit=locked.amount)])
    return locked


# --- payments received and their applications ---------------------------------------------------


def customer_payment_receive(*, customer: Customer, amount: Decimal, method: str, user, received_on: date | None = None,
                             reference: str = "", check_date: date | None = None,
                             currency: str | None = None) -> CustomerPayment:
    """Record money received on ``customer``'s account; it stays unapplied (a credit) until applied.

    A check (``method="check"``) is also a :class:`ReceivedCheck` (number ``reference``) that
    waits for a deposit batch. Posts the method's account against the unapplied credit.
    """
    currency = currency or customer.currency
    amount = _positive(amount, currency)
    if method not in RECEIVED_METHODS:
        raise ReceivablesError(_("Unknown payment method."))
    reference = (reference or "").strip()
    if method == CustomerPayment.Method.CHECK and not reference:
        raise ReceivablesError(_("A check payment needs the check number."))
    received_on = received_on or business_date()
    with transaction.atomic(durable=True):
        payment = CustomerPayment.objects.create(
            customer=customer, currency=currency, amount=amount, method=method, reference=reference[:100],
            received_on=received_on, created_by=_user(user))
        if method == CustomerPayment.Method.CHECK:
            ReceivedCheck.objects.create(number=reference[:30], amount=amount, currency=currency,
                                         check_date=check_date or received_on, customer=customer, payment=payment,
                                         received_on=received_on, received_by=_user(user))
        ledger_post(source=payment, kind="customer_payment.receive", on_date=received_on, user=user, currency=currency,
                    memo=_("Payment from %(customer)s: %(method)s %(reference)s") % {
                        "customer": customer.number, "method": payment.get_method_display(), "reference": reference},
                    lines=[PostingLine(role=METHOD_ROLES[method], debit=amount),
                           PostingLine(role=UNAPPLIED, credit=amount)])
    return payment


@dataclass(frozen=True)
class _Planned:
    invoice: Invoice
    amount: Decimal


def _apply(payment: CustomerPayment, planned: Sequence[_Planned], *, user, applied_on: date) -> list[PaymentApplication]:
    """Apply to locked invoices from a locked payment, checking every limit first."""
    total = sum((item.amount for item in planned), ZERO)
    if total > payment.unapplied_amount:
        raise ReceivablesError(_("The payment has %(unapplied)s unapplied; %(amount)s cannot be applied.")
                               % {"unapplied": round_money(payment.unapplied_amount, payment.currency),
                                  "amount": total})
    for item in planned:
        invoice = item.invoice
        if invoice.customer_id != payment.customer_id:
            raise ReceivablesError(_("Invoice %(number)s is another customer's.") % {"number": invoice.number})
        if invoice.currency != payment.currency:
            raise ReceivablesError(_("Invoice %(number)s is in another currency.") % {"number": invoice.number})
        if invoice.status != Invoice.Status.OPEN:
            raise ReceivablesError(_("Invoice %(number)s is not open.") % {"number": invoice.number})
        if item.amount > invoice.open_amount:
            raise ReceivablesError(_("Invoice %(number)s has %(open)s open; %(amount)s is more than that.")
                                   % {"number": invoice.number, "open": round_money(invoice.open_amount, invoice.currency),
                                      "amount": item.amount})
    applications = []
    for item in planned:
        invoice = item.invoice
        invoice.amount_paid += item.amount
        if invoice.amount_paid == invoice.amount:
            invoice.status = Invoice.Status.PAID
        invoice.save(update_fields=["amount_paid", "status"])
        application = PaymentApplication.objects.create(payment=payment, invoice=invoice, amount=item.amount,
                                                        applied_on=applied_on, created_by=_user(user))
        ledger_post(source=application, kind="payment.apply", on_date=applied_on, user=user, currency=payment.currency,
                    memo=_("Payment %(payment)s applied to invoice %(invoice)s") % {
                        "payment": payment.pk, "invoice": invoice.number},
                    lines=[PostingLine(role=UNAPPLIED, debit=item.amount),
                           PostingLine(role=RECEIVABLES, credit=item.amount)])
        applications.append(application)
    CustomerPayment.objects.filter(pk=payment.pk).update(amount_applied=F("amount_applied") + total)
    payment.amount_applied += total
    return applications


def _lock_payment(payment: CustomerPayment) -> CustomerPayment:
    return CustomerPayment.objects.select_for_update(no_key=True).get(pk=payment.pk)


def _lock_invoices(invoice_ids: Iterable[int]) -> dict[int, Invoice]:
    # Always the payment first, then its invoices in pk order: two applications never wait in a cycle.
    return {invoice.pk: invoice for invoice in
            Invoice.objects.filter(pk__in=set(invoice_ids)).order_by("pk").select_for_update(no_key=True)}


def payment_apply(*, payment: CustomerPayment, amounts: dict[Invoice, Decimal] | Sequence[tuple[Invoice, Decimal]],
                  user, applied_on: date | None = None) -> list[PaymentApplication]:
    """Apply parts of ``payment`` to invoices (``{invoice: amount}``), fully or partly; all or nothing.

    Never more than an invoice's open amount or the payment's unapplied amount (ReceivablesError).
    """
    pairs = list(amounts.items()) if isinstance(amounts, dict) else list(amounts)
    if not pairs:
        raise ReceivablesError(_("Choose the invoices to apply the payment to."))
    applied_on = applied_on or business_date()
    with transaction.atomic(durable=True):
        locked_payment = _lock_payment(payment)
        invoices = _lock_invoices(invoice.pk for invoice, _amount in pairs)
        planned = [_Planned(invoices[invoice.pk], _positive(amount, locked_payment.currency)) for invoice, amount in pairs]
        applications = _apply(locked_payment, planned, user=user, applied_on=applied_on)
    payment.amount_applied = locked_payment.amount_applied
    return applications


def payment_apply_oldest(*, payment: CustomerPayment, user, applied_on: date | None = None) -> list[PaymentApplication]:
    """Apply what is unapplied of ``payment`` to the customer's open invoices, the oldest due first."""
    applied_on = applied_on or business_date()
    with transaction.atomic(durable=True):
        locked_payment = _lock_payment(payment)
        open_ids = list(Invoice.objects.filter(customer_id=locked_payment.customer_id, status=Invoice.Status.OPEN,
                                               currency=locked_payment.currency).values_list("pk", flat=True))
        invoices = sorted(_lock_invoices(open_ids).values(), key=lambda invoice: (invoice.due_on, invoice.pk))
        left = locked_payment.unapplied_amount
        planned = []
        for invoice in invoices:
            if left <= 0:
                break
            amount = min(left, invoice.open_amount)
            planned.append(_Planned(invoice, amount))
            left -= amount
        applications = _apply(locked_payment, planned, user=user, applied_on=applied_on) if planned else []
    payment.amount_applied = locked_payment.amount_applied
    return applications


def invoice_credit(*, order: Order, amount: Decimal, user, reason: str, debit_role: str = "revenue",
                   source=None, kind: str = "credit_note.issue") -> CustomerPayment:
    """A credit note for ``order`` (a refund of what it had on account): applied to the order's open
    invoices, oldest first; what they do not take stays a credit on the customer's account.

    Posts ``debit_role`` (revenue for goods shipped) against the unapplied credit, then each
    application as any payment's: so the credit reduces receivables exactly by what it takes off
    the invoices. ``source`` (default the credit note) and ``kind`` name the entry (a refund
    allocation). In the caller's transaction (the refund's).
    """
    currency = order.currency
    amount = _positive(amount, currency)
    today = business_date()
    with transaction.atomic():
        locked = Order.objects.select_for_update(no_key=True).select_related("customer").get(pk=order.pk)
        credit = CustomerPayment.objects.create(
            customer=locked.customer, currency=currency, amount=amount, method=CustomerPayment.Method.CREDIT_NOTE,
            reference=_("Credit, order %(order)s") % {"order": locked.number}, received_on=today,
            created_by=_user(user))
        ledger_post(source=source if source is not None else credit, kind=kind, on_date=today, user=user,
                    currency=currency, memo=_("Credit note for order %(order)s: %(reason)s") % {
                        "order": locked.number, "reason": (reason or "").strip()},
                    lines=[PostingLine(role=debit_role, debit=amount), PostingLine(role=UNAPPLIED, credit=amount)])
        open_ids = Invoice.objects.filter(order=locked, status=Invoice.Status.OPEN).values_list("pk", flat=True)
        invoices = sorted(_lock_invoices(open_ids).values(), key=lambda invoice: (invoice.due_on, invoice.pk))
        left, planned = amount, []
        for invoice in invoices:
            if left <= 0:
                break
            take = min(left, invoice.open_amount)
            planned.append(_Planned(invoice, take))
            left -= take
        if planned:
            _apply(credit, planned, user=user, applied_on=today)
    return credit


def on_account_refund(*, allocation, tender, user) -> None:
    """A refund allocation to an on-account tender, as the refunds' registry calls it
    (``register_tender_refunder("on_account", on_account_refund)``): a credit note on the order."""
    invoice_credit(order=tender.order, amount=allocation.amount, user=user, reason=_("Refund"),
                   source=allocation, kind="payment.refund")


# --- checks and deposit batches -------------------------------------------------------------------


def check_receive(*, order: Order, number: str, amount: Decimal, check_date: date, user,
                  received_on: date | None = None, tender=None, check_permission: bool = True) -> ReceivedCheck:
    """A check taken for ``order`` (its check ``tender``): on hand until deposited; posts undeposited
    checks against the order's customer deposits. Runs in the caller's transaction (placement).
    Needs ``payments.take_payment`` (agents, managers); ``user=None`` is the system (a channel).
    Placement does not check it again (``check_permission=False``): placing the order did."""
    if check_permission and user is not None and not user.has_perm("payments.take_payment"):
        raise PermissionDenied(_("You may not take check payments."))
    number = (number or "").strip()
    if not number:
        raise ReceivablesError(_("Enter the check number."))
    amount = _positive(amount, order.currency)
    received_on = received_on or business_date()
    with transaction.atomic():
        check = ReceivedCheck.objects.create(number=number[:30], amount=amount, currency=order.currency,
                                             check_date=check_date, customer_id=order.customer_id, order=order,
                                             tender=tender, received_on=received_on, received_by=_user(user))
        ledger_post(source=check, kind="check.receive", on_date=received_on, user=user, currency=order.currency,
                    memo=_("Check %(number)s for order %(order)s") % {"number": number, "order": order.number},
                    lines=[PostingLine(role=UNDEPOSITED_CHECKS, debit=amount), PostingLine(role=DEPOSITS, credit=amount)])
    return check


def deposit_batch_create(*, checks: Iterable[ReceivedCheck], user) -> DepositBatch:
    """A new open batch holding ``checks`` (on hand, in no batch yet, one currency)."""
    check_ids = {check.pk for check in checks}
    if not check_ids:
        raise ReceivablesError(_("Choose the checks to deposit."))
    with transaction.atomic(durable=True):
        locked = list(ReceivedCheck.objects.filter(pk__in=check_ids).order_by("pk").select_for_update(no_key=True))
        if len(locked) != len(check_ids) or any(check.batch_id for check in locked):
            raise ReceivablesError(_("A check chosen is in a batch already."))
        currencies = {check.currency for check in locked}
        if len(currencies) != 1:
            raise ReceivablesError(_("A deposit batch holds checks of one currency."))
        batch = DepositBatch.objects.create(currency=currencies.pop(), created_by=_user(user))
        ReceivedCheck.objects.filter(pk__in=check_ids).update(batch=batch)
    return batch


def deposit_batch_deposit(*, batch: DepositBatch, user, deposited_on: date | None = None) -> DepositBatch:
    """The batch went to the bank: it posts bank against undeposited checks for its total."""
    deposited_on = deposited_on or business_date()
    with transaction.atomic(durable=True):
        locked = DepositBatch.objects.select_for_update(no_key=True).get(pk=batch.pk)
        if locked.status != DepositBatch.Status.OPEN:
            raise ReceivablesError(_("Batch %(number)s is deposited already.") % {"number": locked.number})
        total = locked.checks.aggregate(total=Sum("amount"))["total"] or ZERO
        if not total:
            raise ReceivablesError(_("Batch %(number)s holds no checks.") % {"number": locked.number})
        locked.status = DepositBatch.Status.DEPOSITED
        locked.deposited_on = deposited_on
        locked.deposited_by = _user(user)
        locked.save(update_fields=["status", "deposited_on", "deposited_by"])
        ledger_post(source=locked, kind="deposit_batch.deposit", on_date=deposited_on, user=user,
                    currency=locked.currency,
                    memo=_("Deposit batch %(number)s, %(count)s checks") % {
                        "number": locked.number, "count": locked.checks.count()},
                    lines=[PostingLine(role=BANK, debit=total), PostingLine(role=UNDEPOSITED_CHECKS, credit=total)])
    return locked


# --- cash and marketplace-collected tenders -------------------------------------------------------


def tender_record(*, tender, user, check_date: date | None = None):
    """What a new check, cash or marketplace-collected tender records and posts, in the caller's
    transaction (the tender service calls it when it adds such a tender): a check becomes a
    :class:`ReceivedCheck` on hand (number: the tender's ``reference``); cash and marketplace
    money post at once. Card, gift-card and on-account tenders record nothing here (the
    invoice posts an on-account order at shipment). Returns the check or the journal entry."""
    from payments.tenders.models import Tender

    if tender.kind == Tender.Kind.CHECK:
        return check_receive(order=tender.order, number=tender.reference, amount=tender.amount,
                             check_date=check_date or business_date(), user=user, tender=tender,
                             check_permission=False)
    if tender.kind == Tender.Kind.CASH:
        return cash_tender_post(tender=tender, user=user)
    if tender.kind == Tender.Kind.MARKETPLACE:
        return marketplace_tender_post(tender=tender, user=user)
    return None


def cash_tender_post(*, tender, user, on_date: date | None = None):
    """Cash taken in a store or at a POS for the tender's order: posts at once, cash against deposits.
    In the caller's transaction (the tender's)."""
    amount = _positive(tender.amount, tender.currency)
    return ledger_post(source=tender, kind="tender.cash", on_date=on_date or business_date(), user=user,
                       currency=tender.currency, memo=_("Cash for order %(order)s") % {"order": tender.order.number},
                       lines=[PostingLine(role=CASH, debit=amount), PostingLine(role=DEPOSITS, credit=amount)])


def marketplace_role(channel: str) -> str:
    """The clearing role of the marketplace an order came from (``marketplace:amazon`` → its own role)."""
    name = slugify(channel.split(":", 1)[1]) if channel.startswith("marketplace:") else ""
    return f"{MARKETPLACE_CLEARING}:{name[:60]}" if name else MARKETPLACE_CLEARING


def marketplace_tender_post(*, tender, user, on_date: date | None = None):
    """What a marketplace collected for the tender's order (reference: its payout or order id):
    owed to us by the marketplace, recorded against its clearing account. In the caller's transaction."""
    amount = _positive(tender.amount, tender.currency)
    order = tender.order
    return ledger_post(source=tender, kind="tender.marketplace", on_date=on_date or business_date(), user=user,
                       currency=tender.currency,
                       memo=_("Collected by %(channel)s for order %(order)s (%(reference)s)") % {
                           "channel": order.channel, "order": order.number, "reference": tender.reference},
                       lines=[PostingLine(role=marketplace_role(order.channel), debit=amount),
                              PostingLine(role=DEPOSITS, credit=amount)])
