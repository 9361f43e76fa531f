"""Refund services: request, approve, reject, and give the money back to the tenders that paid.

A refund goes back to the order's tenders newest first (``Tender.sequence``), each taking at
most what it has left: what it captured, less what it refunded, less what other open refunds
hold on it. The order's tenders are locked in pk order while the refund is split, so two
refunds of one order cannot both take the same money; the tender's CHECK (captured >=
refunded) is the last guard when the refunds are recorded. localstripe refunds whatever it is
asked: our records must stop an over-refund, and they do here.

Above ``RefundPolicy.approval_threshold`` a refund waits for a Manager or an Accountant
(:func:`refund_approve`, :func:`refund_reject`); at or below it, it is approved at once.

Once approved:

- a **card** allocation commits a ``PaymentAttempt`` (action ``refund``, key
  ``refund-allocation-<id>``) with the approval; after the commit, :func:`refund_process` (the
  ``payments`` queue's task) asks the gateway for the refund, carrying the key and the attempt's
  id in the metadata, and records the result in a new transaction. A retry that finds the
  attempt still pending first looks for a refund with that metadata at the gateway, so a worker
  killed between the call and the commit never refunds twice; two runs at once take turns
  (core's ``gateway_turn``, a session advisory lock per tender);
- a **check**, **cash** or **on-account** allocation is recorded at once, in the approval's
  transaction; a **gift card** one through the gift-card app's refunder
  (:func:`register_tender_refunder`), which gives the money back to the card.

Postings (in the transaction that records each allocation, source the allocation, kind
``payment.refund``): the capture reversed. Dr ``customer_deposits`` (the order has not shipped)
or ``receivables`` (it has), Cr ``card_clearing`` (card), ``bank`` (check), ``cash`` (cash). An
on-account refund is a credit against receivables: Dr ``customer_deposits`` (not shipped) or
``revenue`` (shipped), Cr ``receivables`` (the receivables app may register its own refunder
to write the credit memo in its subledger too).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import stripe
from django.db import transaction
from django.db.models import OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.postings import business_date
from oms.hooks import PostingLine, ledger_post
from oms.money import round_money
from orders.models import Order
from payments import gateway
from payments.refunds.models import Refund, RefundAllocation, RefundPolicy
from payments.tenders.models import PaymentAttempt, Tender
from payments.tenders.services import SHIPPED_STATUSES, gateway_turn

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
RS = Refund.Status
AS = RefundAllocation.Status
Kind = Tender.Kind
REFUND_KIND = "payment.refund"


class RefundError(Exception):
    """A refund that cannot be requested, approved or rejected; the message is for the user."""


# --- refunders by tender kind ---------------------------------------------------------------------
#
# A refunder records one non-card allocation, in the caller's transaction (which holds the
# tender's lock): it gives the money back (a gift card's balance) and posts the entry. Cards go
# through the gateway instead (below).

TenderRefunder = Callable[..., None]  # refunder(*, allocation, tender, user) -> None
_refunders: dict[str, TenderRefunder] = {}


def register_tender_refunder(kind: str, refunder: TenderRefunder) -> TenderRefunder:
    """Register how allocations to tenders of ``kind`` are recorded (the last registration wins).

    The gift-card app registers ``gift_card`` (its ``gift_card_refund``: the money goes back on
    the card); until one is registered, gift-card tenders take no refund. For instance, in
    ``PaymentsConfig.ready``::

        def gift_card_refunder(*, allocation, tender, user):
            redeemed = GiftCardTransaction.objects.select_related("card").get(tender_id=tender.pk, kind="redeem")
            gift_card_refund(card=redeemed.card, amount=allocation.amount, order=tender.order, user=user,
                             tender_id=tender.pk, debit_role=refund_debit_role(tender.order))

        register_tender_refunder(Tender.Kind.GIFT_CARD, gift_card_refunder)

    The refunder posts its own entry; the refunds service then marks the allocation done and adds
    it to the tender's ``refunded_amount``. The receivables app may replace the ``on_account``
    refunder with one that writes a credit memo in its subledger.
    """
    _refunders[kind] = refunder
    return refunder


def refundable_kinds() -> set[str]:
    return {Kind.CARD, *_refunders}


def refund_debit_role(order: Order) -> str:
    """The account a refund is taken from: customer deposits, the account the capture credited.

    One rule for every tender (payments.receivables.services): money received is a customer
    deposit and only invoices reach receivables, so the receivables control account always equals
    the open invoices; a refund reverses the capture against the same account.
    """
    return "customer_deposits"


def refund_post(*, allocation: RefundAllocation, tender: Tender, user, debit_role: str, credit_role: str):
    """The entry of one refunded allocation (the capture reversed)."""
    memo = _("Refund, order %(number)s") % {"number": tender.order.number}
    return ledger_post(
        source=allocation, kind=REFUND_KIND, user=user, on_date=business_date(allocation.completed_at),
        currency=tender.currency, memo=memo,
        lines=[PostingLine(role=debit_role, debit=allocation.amount, memo=memo),
               PostingLine(role=credit_role, credit=allocation.amount, memo=memo)],
    )


def _recorded_refunder(credit_role: str) -> TenderRefunder:
    def record(*, allocation: RefundAllocation, tender: Tender, user) -> None:
        refund_post(allocation=allocation, tender=tender, user=user, debit_role=refund_debit_role(tender.order),
                    credit_role=credit_role)

    return record


def _on_account_refunder(*, allocation: RefundAllocation, tender: Tender, user) -> None:
    shipped = tender.order.status in SHIPPED_STATUSES
    refund_post(allocation=allocation, tender=tender, user=user,
                debit_role="revenue" if shipped else "customer_deposits", credit_role="receivables")


register_tender_refunder(Kind.CHECK, _recorded_refunder("bank"))
register_tender_refunder(Kind.CASH, _recorded_refunder("cash"))
register_tender_refunder(Kind.ON_ACCOUNT, _on_account_refunder)


# --- what may be refunded ----------------------------------------------------------------------------


def _lock_tenders(order: Order) -> list[Tender]:
    """The order's tenders, locked in pk order (FOR NO KEY UPDATE: their keys never change)."""
    return list(Tender.objects.filter(order=order).order_by("pk")
                .select_for_update(no_key=True, of=("self",)).select_related("order"))


def _held(tenders: list[Tender]) -> dict[int, Decimal]:
    """What open allocations (not yet done) hold on each tender."""
    rows = (RefundAllocation.objects.filter(tender__in=tenders, status__in=(AS.PENDING, AS.PROCESSING))
            .values("tender_id").annotate(total=Sum("amount")))
    return {row["tender_id"]: row["total"] for row in rows}


def tender_refundable(tender: Tender, held: Decimal = ZERO) -> Decimal:
    """What ``tender`` may still give back: captured less refunded less held by open refunds."""
    return max(tender.captured_amount - tender.refunded_amount - held, ZERO)


@dataclass(frozen=True)
class RefundableTender:
    tender: Tender
    refundable: Decimal


def order_refundable(order: Order) -> list[RefundableTender]:
    """The order's tenders a refund may go to, newest first, with what each has left (no locks)."""
    held = (RefundAllocation.objects.filter(tender=OuterRef("pk"), status__in=(AS.PENDING, AS.PROCESSING))
            .values("tender").annotate(total=Sum("amount")).values("total"))
    tenders = (Tender.objects.filter(order=order, kind__in=refundable_kinds()).select_related("card")
               .annotate(held=Subquery(held)).order_by("-sequence"))
    return [RefundableTender(tender, tender_refundable(tender, tender.held or ZERO)) for tender in tenders]


def order_refundable_total(order: Order) -> Decimal:
    return sum((row.refundable for row in order_refundable(order)), ZERO)


def _card_captures(tender: Tender) -> list[tuple[str, Decimal]]:
    """(PaymentIntent id, what it has left to refund) of a card tender, newest intent first."""
    captured: dict[str, Decimal] = defaultdict(lambda: ZERO)
    newest: dict[str, int] = {}
    for attempt in PaymentAttempt.objects.filter(tender=tender, action=PaymentAttempt.Action.CAPTURE,
                                                 status=PaymentAttempt.Status.SUCCEEDED).order_by("pk"):
        captured[attempt.gateway_id] += attempt.amount
        newest[attempt.gateway_id] = attempt.pk
    if not captured and tender.captured_amount > 0 and tender.stripe_payment_intent_id:
        captured[tender.stripe_payment_intent_id] = tender.captured_amount  # captured before attempts were kept
        newest[tender.stripe_payment_intent_id] = 0
    held = dict(RefundAllocation.objects.filter(tender=tender, status__in=RefundAllocation.HOLDING_STATUSES)
                .values("payment_intent_id").annotate(total=Sum("amount")).values_list("payment_intent_id", "total"))
    return [(intent, captured[intent] - held.get(intent, ZERO))
            for intent in sorted(captured, key=lambda intent: newest[intent], reverse=True)
            if captured[intent] - held.get(intent, ZERO) > 0]


def _allocate(refund: Refund, tenders: list[Tender]) -> list[RefundAllocation]:
    """Split ``refund`` over the (locked) tenders, newest first. Raises RefundError when they cannot cover it."""
    held = _held(tenders)
    kinds = refundable_kinds()
    remaining = refund.amount
    allocations = []
    for tender in sorted(tenders, key=lambda tender: tender.sequence, reverse=True):
        if remaining <= 0:
            break
        if tender.kind not in kinds or tender.currency != refund.currency:
            continue
        available = min(tender_refundable(tender, held.get(tender.pk, ZERO)), remaining)
        if available <= 0:
            continue
        if tender.kind == Kind.CARD:
            for intent, left in _card_captures(tender):
                chunk = min(left, available, remaining)
                if chunk <= 0:
                    break
                allocations.append(RefundAllocation(refund=refund, tender=tender, amount=chunk,
                                                    payment_intent_id=intent))
                available -= chunk
                remaining -= chunk
        else:
            allocations.append(RefundAllocation(refund=refund, tender=tender, amount=available))
            remaining -= available
    if remaining > 0:
        raise RefundError(_("The tenders that paid can give back %(available)s %(currency)s at most; "
                            "%(amount)s %(currency)s was asked.") % {
            "available": round_money(refund.amount - remaining, refund.currency),
            "amount": round_money(refund.amount, refund.currency), "currency": refund.currency})
    RefundAllocation.objects.bulk_create(allocations)
    return allocations


# --- request, approve, reject --------------------------------------------------------------------------


def refund_request(*, order: Order, amount: Decimal, reason: str, user) -> Refund:
    """Ask for ``amount`` back to the tenders that paid ``order``, newest first.

    At or below the policy's threshold the refund is approved at once (and processed after the
    commit); above it, it waits in the approval queue. Raises RefundError when the tenders
    cannot cover the amount (nothing is written then).
    """
    reason = reason.strip()
    if not reason:
        raise RefundError(_("Give the reason for the refund."))
    with transaction.atomic(durable=True):
        locked_order = Order.objects.select_for_update(no_key=True).get(pk=order.pk)
        amount = round_money(amount, locked_order.currency)
        if amount <= 0:
            raise RefundError(_("A refund must be more than zero."))
        tenders = _lock_tenders(locked_order)
        refund = Refund.objects.create(order=locked_order, amount=amount, currency=locked_order.currency,
                                       reason=reason[:300], requested_by=user)
        _allocate(refund, tenders)
        if amount > RefundPolicy.current().approval_threshold:
            _move(refund, RS.PENDING_APPROVAL)
        else:
            _approve_and_start(refund, tenders, user=None)
    return refund


def refund_approve(*, refund: Refund, user) -> Refund:
    """A Manager or an Accountant approves a refund awaiting approval; it is processed after the commit."""
    with transaction.atomic(durable=True):
        locked = _lock_refund(refund)
        if locked.status != RS.PENDING_APPROVAL:
            raise RefundError(_("This refund is %(status)s: it is not awaiting approval.") % {
                "status": locked.get_status_display().lower()})
        if locked.requested_by_id is not None and locked.requested_by_id == getattr(user, "pk", None):
            raise RefundError(_("A refund is approved by someone other than who asked for it."))
        tenders = _lock_tenders(locked.order)
        _approve_and_start(locked, tenders, user=user)
    return locked


def refund_reject(*, refund: Refund, user, reason: str) -> Refund:
    """Reject a refund awaiting approval, with the reason; what it held on the tenders is freed."""
    reason = reason.strip()
    if not reason:
        raise RefundError(_("Give the reason for rejecting the refund."))
    with transaction.atomic(durable=True):
        locked = _lock_refund(refund)
        if locked.status != RS.PENDING_APPROVAL:
            raise RefundError(_("This refund is %(status)s: it is not awaiting approval.") % {
                "status": locked.get_status_display().lower()})
        locked.allocations.filter(status=AS.PENDING).update(status=AS.CANCELLED, completed_at=timezone.now())
        locked.approved_by, locked.approved_at, locked.rejection_reason = user, timezone.now(), reason[:300]
        _move(locked, RS.REJECTED, fields=["approved_by", "approved_at", "rejection_reason"])
    return locked


def _lock_refund(refund: Refund) -> Refund:
    return Refund.objects.select_for_update(no_key=True, of=("self",)).select_related("order").get(pk=refund.pk)


def _move(refund: Refund, status: str, *, fields: list[str] | None = None) -> None:
    if status not in Refund.TRANSITIONS[refund.status]:
        raise RefundError(_("A refund cannot go from %(from)s to %(to)s.") % {
            "from": refund.get_status_display(), "to": RS(status).label})
    refund.status = status
    refund.save(update_fields=["status", "updated_at", *(fields or [])])


def _approve_and_start(refund: Refund, tenders: list[Tender], *, user) -> None:
    """Approve (``user`` None: by the policy), record the non-card allocations, commit the card attempts."""
    now = timezone.now()
    refund.approved_by, refund.approved_at = user, now
    _move(refund, RS.APPROVED, fields=["approved_by", "approved_at"])
    by_pk = {tender.pk: tender for tender in tenders}
    has_card = False
    for allocation in refund.allocations.filter(status=AS.PENDING).order_by("pk"):
        tender = by_pk[allocation.tender_id]
        if tender.kind == Kind.CARD:
            allocation.attempt = PaymentAttempt.objects.create(
                tender=tender, action=PaymentAttempt.Action.REFUND, amount=allocation.amount, created_by=user,
                idempotency_key=f"refund-allocation-{allocation.pk}")
            allocation.status = AS.PROCESSING
            allocation.save(update_fields=["attempt", "status"])
            has_card = True
        else:
            allocation.completed_at = now
            _refunders[tender.kind](allocation=allocation, tender=tender, user=user)
            _allocation_done(allocation, tender, now=now)
    _move(refund, RS.PROCESSING)
    if has_card:
        refund_id = refund.pk
        transaction.on_commit(lambda: _process_on_commit(refund_id))
    else:
        _move(refund, RS.DONE)


def _allocation_done(allocation: RefundAllocation, tender: Tender, *, now) -> None:
    """The allocation refunded: the tender's refunded amount grows (its CHECK stops an over-refund)."""
    allocation.status, allocation.completed_at = AS.DONE, allocation.completed_at or now
    allocation.save(update_fields=["status", "completed_at"])
    tender.refunded_amount += allocation.amount
    tender.save(update_fields=["refunded_amount", "updated_at"])


def _process_on_commit(refund_id: int) -> None:
    from payments import tasks  # tasks call services; the services enqueue them only after commit

    tasks.refund_process_task.delay(refund_id=refund_id)


# --- the gateway part (after commit) ---------------------------------------------------------------------


def refund_process(*, refund: Refund, user=None) -> Refund:
    """Send the refund's card allocations to the gateway, exactly once each, and record what it said.

    Safe to run again (the task's retries, an agent): an allocation whose attempt is done is left
    alone; one whose attempt is pending is first looked for at the gateway. Network errors
    propagate (the task retries them with backoff); a refusal fails the allocation and the refund.
    """
    gateway.assert_no_transaction()
    for allocation in (RefundAllocation.objects.filter(refund=refund, status=AS.PROCESSING)
                       .select_related("attempt", "tender").order_by("pk")):
        _process_allocation(allocation, user=user)
    return _refund_settle(refund)


def _process_allocation(allocation: RefundAllocation, *, user) -> None:
    # One run at a time per tender (a task retry and an agent): the look-then-refund below must
    # not race another run's, or both would find nothing and both refund.
    with gateway_turn(allocation.tender_id):
        allocation = RefundAllocation.objects.select_related("attempt", "tender").get(pk=allocation.pk)
        if allocation.status != AS.PROCESSING or allocation.attempt.status != PaymentAttempt.Status.PENDING:
            return  # the other run recorded it
        _call_and_record(allocation, user=user)


def _call_and_record(allocation: RefundAllocation, *, user) -> None:
    attempt = allocation.attempt
    metadata = {"attempt": attempt.pk, "allocation": allocation.pk, "refund": allocation.refund_id,
                "tender": allocation.tender_id}
    error_code = error_message = ""
    found = None
    try:
        found = next((item for item in gateway.refunds_of_payment_intent(allocation.payment_intent_id)
                      if (item.get("metadata") or {}).get("attempt") == str(attempt.pk)), None)
        if found is None:
            found = gateway.refund_create(payment_intent=allocation.payment_intent_id, amount=allocation.amount,
                                          currency=allocation.tender.currency, idempotency_key=attempt.idempotency_key,
                                          metadata=metadata)
    except (stripe.InvalidRequestError, stripe.CardError) as refused:
        error_code = str(getattr(refused, "code", "") or "refused")[:100]
        error_message = str(getattr(refused, "user_message", "") or _("The gateway refused the refund."))[:500]
    _record(allocation.pk, found, error_code=error_code, error_message=error_message, user=user)


def _record(allocation_id: int, found: dict | None, *, error_code: str, error_message: str, user) -> None:
    """Step 3: the attempt, the allocation, the tender and the ledger entry, in one transaction."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        allocation = RefundAllocation.objects.select_for_update(no_key=True).get(pk=allocation_id)
        tender = Tender.objects.select_for_update(no_key=True, of=("self",)).select_related("order").get(
            pk=allocation.tender_id)
        attempt = PaymentAttempt.objects.select_for_update(no_key=True).get(pk=allocation.attempt_id)
        if attempt.status != PaymentAttempt.Status.PENDING:
            return
        attempt.completed_at = now
        status = (found or {}).get("status") or ""
        if found is not None and status in ("succeeded", "pending"):
            attempt.status, attempt.gateway_id = PaymentAttempt.Status.SUCCEEDED, str(found.get("id") or "")[:255]
            attempt.save(update_fields=["status", "gateway_id", "completed_at"])
            allocation.completed_at = now
            _allocation_done(allocation, tender, now=now)
            refund_post(allocation=allocation, tender=tender, user=user, debit_role=refund_debit_role(tender.order),
                        credit_role="card_clearing")
            return
        attempt.status = PaymentAttempt.Status.FAILED
        attempt.gateway_id = str((found or {}).get("id") or "")[:255]
        attempt.error_code = error_code or status or "failed"
        attempt.error_message = (error_message or _("The gateway did not refund (%(status)s).") % {
            "status": status or "?"})[:500]
        attempt.save(update_fields=["status", "gateway_id", "error_code", "error_message", "completed_at"])
        allocation.status, allocation.completed_at, allocation.failure_message = AS.FAILED, now, attempt.error_message
        allocation.save(update_fields=["status", "completed_at", "failure_message"])


def _refund_settle(refund: Refund) -> Refund:
    """Done when every allocation is done; failed when one failed (the others stay refunded)."""
    with transaction.atomic(durable=True):
        locked = _lock_refund(refund)
        if locked.status != RS.PROCESSING:
            return locked
        statuses = set(locked.allocations.values_list("status", flat=True))
        if AS.PROCESSING in statuses or AS.PENDING in statuses:
            return locked
        if AS.FAILED in statuses:
            locked.failure_message = "; ".join(sorted(set(
                locked.allocations.filter(status=AS.FAILED).values_list("failure_message", flat=True))))[:500]
            _move(locked, RS.FAILED, fields=["failure_message"])
        else:
            _move(locked, RS.DONE)
    return locked


# --- reads ----------------------------------------------------------------------------------------------------


def refunds_awaiting_approval():
    """The approval queue: oldest first, with what the pages show."""
    return (Refund.objects.awaiting_approval().select_related("order", "order__customer", "requested_by")
            .prefetch_related("allocations__tender__card").order_by("created_at", "pk"))


# --- returns (orders.hooks.return_refund) ------------------------------------------------------------


def return_refund(order_id: int, amount: Decimal, reference: str) -> Refund | None:
    """The refund of a received return (after its commit): to the tenders that paid, newest first.

    Once per return: a refund already asked for this reference is not asked again. Above the
    threshold it waits for approval like any other refund.
    """
    reason = _("Return %(reference)s") % {"reference": reference}
    order = Order.objects.get(pk=order_id)
    existing = Refund.objects.filter(order=order, reason=reason).first()
    if existing is not None:
        return existing
    try:
        return refund_request(order=order, amount=amount, reason=reason, user=None)
    except RefundError:
        logger.exception("The refund of return %s (order %s) could not be requested", reference, order.number)
        return None
