"""Tender services: add tenders; authorize, capture, void and re-authorize cards, exactly once.

**The shape of every gateway call** (the gateway is never called while a transaction is open):

1. a transaction commits a :class:`PaymentAttempt` (``pending``) with an idempotency key derived
   from our record (``tender-<id>-<action>-<n>``, or ``tender-<id>-capture-<reference>``);
2. after that commit, the call, carrying that key (plus a suffix per step: ``-create``,
   ``-confirm``);
3. a new transaction records the result on the attempt and the tender, with its ledger posting.

A worker killed between 2 and 3 leaves the attempt ``pending``; whoever runs the service again
(the task's retry, a webhook, an agent) finds it and *reads* the gateway's object before doing
anything: Stripe honours idempotency keys but localstripe does not, so nothing relies on them
alone.

- **Authorize.** The PaymentIntent (manual capture) is created *unconfirmed* (no money moves)
  and its id committed on the attempt (and the tender) before it is confirmed. A retry finds
  the id and confirms, or just reads, that same intent; at most one intent per attempt is ever
  confirmed. (A worker killed between the creation and the commit of its id leaves an
  unconfirmed intent behind that nothing confirms: no money moves on it.)
- **Capture.** The attempt carries the intent's id from the start; a retry reads the intent and
  records a capture that happened instead of capturing again. Stripe releases what a partial
  capture leaves of an authorization, so the rest of the tender is authorized again at once,
  off-session, with a new intent (:func:`payment_reauthorize`).
- **Lapsed authorizations.** Nothing is captured against an authorization that has expired or
  expires within ``PAYMENTS_AUTHORIZATION_MARGIN_HOURS``: it is re-authorized off-session first;
  when that fails the order goes on a payment hold (or, past the point where orders may be
  held, the tender says why in ``failure_message`` and :func:`order_payment_is_good` is False,
  which fulfillment checks before shipping).

**Several intents per tender.** ``tender.stripe_payment_intent_id`` is the tender's *current*
authorization. After a partial capture and a renewal, the money captured sits on earlier
intents: each succeeded ``capture`` attempt names its intent (``gateway_id``) and amount, which
is what a refund goes back against (newest first, never more than that attempt captured).

Postings: an authorization posts nothing. A capture posts Dr ``card_clearing``, Cr
``customer_deposits``, in the transaction that records it, with the capture attempt as its
source. One rule for every tender (payments.receivables.services): money received is a customer
deposit, shipment recognises revenue against customer deposits, and only an invoice on account
moves the balance into receivables, so the receivables control account always equals the open
invoices.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal, InvalidOperation

import stripe
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from inventory.postings import business_date
from oms.hooks import PostingLine, ledger_post
from oms.money import round_money
from orders import hooks as order_hooks
from orders.models import Customer, Hold, Order, OrderStatus
from orders.services import HOLDABLE_STATUSES, OrderError, order_hold, order_release_hold
from payments import gateway
from payments.tenders.models import PaymentAttempt, PaymentCard, Tender

logger = logging.getLogger(__name__)

ZERO = Decimal("0")
Kind = Tender.Kind
TS = Tender.Status
AS = PaymentAttempt.Status
Action = PaymentAttempt.Action

LIVE_STATUSES = (TS.PENDING, TS.REQUIRES_ACTION, TS.AUTHORIZED, TS.CAPTURED)  # a tender that covers its amount
OPEN_CARD_STATUSES = (TS.PENDING, TS.REQUIRES_ACTION)  # waiting for the gateway or the customer
# Orders past the point of a hold; capture there posts against receivables (revenue was recognised at shipment).
SHIPPED_STATUSES = (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CLOSED,
                    OrderStatus.RETURN_REQUESTED, OrderStatus.RETURNED)
PAYMENT_METHOD_PREFIXES = ("pm_", "card_", "src_")


class PaymentError(Exception):
    """A payment operation that cannot be done (``field_errors`` by form field, as OrderError)."""

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.field_errors = field_errors or {"payment": [message]}


def awaiting_authorization_note() -> str:
    return _("Awaiting card authorization.")


def margin() -> timedelta:
    """An authorization expiring within this is not captured against: it is renewed first."""
    return timedelta(hours=settings.PAYMENTS_AUTHORIZATION_MARGIN_HOURS)


# --- locks and keys -------------------------------------------------------------------------------


def lock_tender(tender: Tender | int) -> Tender:
    """The tender, re-read and locked (FOR NO KEY UPDATE: its key never changes, attempts may be added)."""
    pk = tender.pk if isinstance(tender, Tender) else tender
    return Tender.objects.select_for_update(no_key=True, of=("self",)).select_related("card", "order").get(pk=pk)


def lock_attempt(attempt: PaymentAttempt | int) -> PaymentAttempt:
    pk = attempt.pk if isinstance(attempt, PaymentAttempt) else attempt
    return PaymentAttempt.objects.select_for_update(no_key=True).get(pk=pk)


GATEWAY_LOCK_CLASS = 7312  # the first key of payments' advisory locks (the second is the tender's id)


@contextmanager
def gateway_turn(tender_id: int) -> Iterator[None]:
    """One run at a time talks to the gateway about a tender: a session advisory lock, held across
    the call (no transaction is open) and released when the block ends or the process dies.

    Two runs resuming the same attempt at once (a task retry and a webhook) would otherwise both
    see an authorized intent, both capture, and the one localstripe refuses would record a failure
    over the other's success. PostgreSQL's advisory locks are re-entrant in a session, so a
    service holding the turn may call another that takes it (capture → re-authorize).
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [GATEWAY_LOCK_CLASS, tender_id])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [GATEWAY_LOCK_CLASS, tender_id])


def idempotency_key(tender: Tender, action: str, reference: str = "") -> str:
    """The key of the next attempt of ``action`` on a locked tender (derived from our own rows)."""
    if reference:
        return f"tender-{tender.pk}-{action}-{slugify(reference)[:50]}"
    number = PaymentAttempt.objects.filter(tender=tender, action=action).count() + 1
    return f"tender-{tender.pk}-{action}-{number}"


# --- payment instructions (orders.hooks) ----------------------------------------------------------


def instruction_amount(instruction: Mapping, currency: str) -> Decimal | None:
    """An instruction's ``amount`` as money (None: none given). Raises PaymentError when malformed."""
    raw = instruction.get("amount")
    if raw in (None, ""):
        return None
    if isinstance(raw, float):
        raw = str(raw)
    try:
        amount = round_money(Decimal(str(raw)), currency)
    except (InvalidOperation, ValueError, TypeError) as error:
        raise PaymentError(_("The payment amount %(amount)s is not a number.") % {"amount": raw}) from error
    if amount <= 0:
        raise PaymentError(_("A payment amount must be more than zero."))
    return amount


def payment_amounts(*, total: Decimal, currency: str, payment: Sequence[Mapping]) -> list[Decimal]:
    """What each payment instruction covers: its ``amount``, or for the first without one, the rest.

    Later instructions without an amount cover nothing (zero). Raises PaymentError when an
    amount is malformed or the amounts given add up to more than ``total``.
    """
    given = [instruction_amount(instruction, currency) for instruction in payment]
    explicit = sum((amount for amount in given if amount is not None), ZERO)
    if explicit > total:
        raise PaymentError(_("The payments (%(paid)s) add up to more than the order total (%(total)s).") % {
            "paid": explicit, "total": total})
    rest = total - explicit
    amounts = []
    for amount in given:
        if amount is None:
            amount, rest = rest, ZERO
        amounts.append(amount)
    return amounts


def card_instruction_errors(instruction: Mapping, customer: Customer | None) -> list[str]:
    """What is wrong with one ``{"kind": "card", ...}`` instruction (empty: nothing)."""
    card_id = instruction.get("card_id")
    if card_id not in (None, ""):
        try:
            card_pk = int(card_id)
        except (TypeError, ValueError):
            return [_("Unknown saved card.")]
        if customer is None or not PaymentCard.objects.filter(pk=card_pk, customer=customer, is_saved=True).exists():
            return [_("That saved card is not this customer's.")]
        return []
    payment_method = str(instruction.get("payment_method") or "")
    if not payment_method.startswith(PAYMENT_METHOD_PREFIXES) or len(payment_method) > 255:
        return [_("Enter the card (the payment form gave no card).")]
    last4 = str(instruction.get("last4") or "")
    if last4 and (not last4.isdigit() or len(last4) != 4):
        return [_("The card's last four digits are malformed.")]
    return []


def payment_validate(basket, payment: Sequence[Mapping]) -> dict[str, list[str]]:
    """``orders.hooks.payment_validate``: amounts add up, card instructions are well formed. No writes."""
    if not payment:
        return {}
    priced = basket.priced
    errors: list[str] = []
    try:
        payment_amounts(total=priced.total, currency=priced.currency, payment=payment)
    except PaymentError as error:
        errors.append(str(error))
    for instruction in payment:
        if instruction.get("kind") not in Kind.values:
            errors.append(_("Unknown payment kind %(kind)s.") % {"kind": instruction.get("kind") or "?"})
        elif instruction.get("kind") == Kind.CARD and instruction.get("entry_error"):
            continue  # the entry page could not read its card; its own validator says why (payments.cards.entry)
        elif instruction.get("kind") == Kind.CARD:
            errors.extend(card_instruction_errors(instruction, basket.customer))
    return {"payment": errors} if errors else {}


def card_payment_check(order: Order, payment: Sequence[Mapping]):
    """``orders.hooks.payment_check`` for cards: one tender per card instruction, a hold until authorized.

    Runs in the placement transaction: it writes the tenders and enqueues their authorization on
    commit (the gateway is called by the task, never here).
    """
    from orders.hooks import PaymentCheckFailure

    cards = [(instruction, amount) for instruction, amount in
             zip(payment, payment_amounts(total=order.total, currency=order.currency, payment=payment))
             if instruction.get("kind") == Kind.CARD and amount > 0]
    if not cards:
        return None
    for instruction, amount in cards:
        card = card_from_instruction(instruction, customer=order.customer)
        tender = tender_create(order=order, kind=Kind.CARD, amount=amount, user=order.created_by, card=card)
        _authorize_on_commit(tender)
    return PaymentCheckFailure(note=awaiting_authorization_note())


def card_from_instruction(instruction: Mapping, *, customer: Customer | None) -> PaymentCard:
    """The saved card an instruction names, or a new card row from the ids and details Elements gave."""
    problems = card_instruction_errors(instruction, customer)
    if problems:
        raise PaymentError(problems[0])
    if instruction.get("card_id") not in (None, ""):
        return PaymentCard.objects.get(pk=int(instruction["card_id"]), customer=customer)

    def small_int(key: str) -> int | None:
        try:
            value = int(instruction.get(key) or 0)
        except (TypeError, ValueError):
            return None
        return value if 0 < value < 10000 else None

    return PaymentCard.objects.create(
        customer=customer, stripe_payment_method_id=str(instruction["payment_method"]),
        stripe_customer_id=str(instruction.get("stripe_customer") or "")[:255],
        brand=str(instruction.get("brand") or "")[:30], last4=str(instruction.get("last4") or ""),
        exp_month=small_int("exp_month"), exp_year=small_int("exp_year"),
        is_saved=bool(instruction.get("save")) and customer is not None,
    )


# --- adding tenders ---------------------------------------------------------------------------------


def order_balance_due(order: Order) -> Decimal:
    """What the order's live tenders (pending, needing action, authorized, captured) leave uncovered."""
    covered = (Tender.objects.filter(order=order, status__in=LIVE_STATUSES)
               .aggregate(total=Sum("amount"))["total"]) or ZERO
    return max(order.total - covered, ZERO)


def tender_create(*, order: Order, kind: str, amount: Decimal, user, card: PaymentCard | None = None,
                   reference: str = "", status: str = TS.PENDING) -> Tender:
    """A tender of ``order``, numbered next, in the caller's transaction (which holds the order's lock
    or created the order)."""
    sequence = (Tender.objects.filter(order=order).aggregate(last=Max("sequence"))["last"] or 0) + 1
    return Tender.objects.create(order=order, kind=kind, status=status, currency=order.currency,
                                 amount=round_money(amount, order.currency), card=card, reference=reference[:100],
                                 created_by=user, sequence=sequence)


def tender_add(*, order: Order, kind: str, user, amount: Decimal | None = None, card: PaymentCard | None = None,
               payment_method: str = "", card_details: Mapping | None = None, reference: str = "",
               status: str = TS.PENDING, authorize: bool = True) -> Tender:
    """Add a tender to ``order`` (``amount`` None: what the live tenders leave uncovered).

    For a card give ``card`` (a saved one) or ``payment_method`` (Stripe's id from Elements) with
    ``card_details`` (brand, last4, exp_month, exp_year, save, stripe_customer); it is authorized
    after the commit (``authorize``) and releases the order's payment hold when the gateway says
    yes: this is how an agent tries another card after a decline. Other kinds are added with the
    ``status`` their own service decides (gift cards, checks: see their apps).
    """
    if kind not in Kind.values:
        raise PaymentError(_("Unknown payment kind %(kind)s.") % {"kind": kind})
    with transaction.atomic(durable=True):
        locked = Order.objects.select_for_update(no_key=True).select_related("customer").get(pk=order.pk)
        if locked.status in (OrderStatus.CANCELLED, OrderStatus.CLOSED):
            raise PaymentError(_("The order is %(status)s: it takes no payment.") % {
                "status": locked.get_status_display().lower()})
        if amount is None:
            amount = order_balance_due(locked)
        amount = round_money(amount, locked.currency)
        if amount <= 0:
            raise PaymentError(_("Nothing is left to pay on this order."))
        if kind == Kind.CARD and card is None:
            card = card_from_instruction({"payment_method": payment_method, **(card_details or {})},
                                         customer=locked.customer)
        tender = tender_create(order=locked, kind=kind, amount=amount, user=user, card=card, reference=reference,
                                status=status)
        if kind == Kind.CARD and authorize:
            _authorize_on_commit(tender)
    return tender


def _authorize_on_commit(tender: Tender) -> None:
    from payments import tasks  # tasks call services; the services enqueue them only after commit

    tender_id = tender.pk
    transaction.on_commit(lambda: tasks.payment_authorize_task.delay(tender_id=tender_id))


# --- authorize ------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    """What a gateway call came back with: an intent's state, or the error it raised."""

    state: gateway.IntentState | None = None
    error_code: str = ""
    error_message: str = ""


def payment_authorize(*, tender: Tender, user=None) -> Tender:
    """Authorize a card tender (PaymentIntent, manual capture), exactly once; release the hold on success.

    Safe to run again at any point (a task retry, a webhook, an agent after 3-D Secure): it picks
    up the tender's open attempt. A decline or a card that needs authentication keeps the order
    on its payment hold and says why in ``tender.failure_message``.
    """
    with gateway_turn(tender.pk):
        attempt = _open_authorization_attempt(tender, user=user, action=Action.AUTHORIZE)
        if attempt is not None:
            outcome = _authorization_call(attempt)
            _authorization_record(attempt, outcome, user=user)
    fresh = Tender.objects.select_related("card", "order").get(pk=tender.pk)
    if fresh.status == TS.AUTHORIZED:
        release_payment_hold_if_paid(order=fresh.order)
    return fresh


def payment_reauthorize(*, tender: Tender, user=None, amount: Decimal | None = None) -> Tender:
    """Authorize a tender's uncaptured remainder again, off-session, with a new PaymentIntent.

    Used when an authorization has lapsed or is about to (its expiry within the margin, or
    Stripe's ``charge.expired``) and after a partial capture (Stripe releases the rest). On
    success the old intent, if still authorized, is voided; on failure the order goes on a
    payment hold when it may still be held, and the tender says why.
    """
    failed = None
    with gateway_turn(tender.pk):
        attempt = _open_authorization_attempt(tender, user=user, action=Action.REAUTHORIZE, amount=amount)
        if attempt is not None:
            previous = Tender.objects.values_list("stripe_payment_intent_id", flat=True).get(pk=tender.pk)
            outcome = _authorization_call(attempt, off_session=True)
            _authorization_record(attempt, outcome, user=user)
            fresh = Tender.objects.get(pk=tender.pk)
            attempt.refresh_from_db()
            if attempt.status == AS.SUCCEEDED and previous and previous != fresh.stripe_payment_intent_id:
                _cancel_quietly(previous, key=f"{attempt.idempotency_key}-release-{previous}")
            elif attempt.status != AS.SUCCEEDED:
                failed = fresh
    if failed is not None:
        _hold_for_payment(failed, note=_("The card could not be authorized again: %(reason)s") % {
            "reason": failed.failure_message or _("declined")}, user=user)
    fresh = Tender.objects.select_related("card", "order").get(pk=tender.pk)
    if fresh.status == TS.AUTHORIZED:
        release_payment_hold_if_paid(order=fresh.order)
    return fresh


def _open_authorization_attempt(tender: Tender, *, user, action: str,
                                amount: Decimal | None = None) -> PaymentAttempt | None:
    """Step 1: the attempt to carry on with (an open one) or a new one, committed; None: nothing to do."""
    with transaction.atomic(durable=True):
        locked = lock_tender(tender)
        if locked.kind != Kind.CARD or locked.card is None:
            raise PaymentError(_("Only card tenders are authorized at the gateway."))
        open_attempt = (PaymentAttempt.objects.filter(tender=locked, action__in=(Action.AUTHORIZE, Action.REAUTHORIZE),
                                                      status__in=(AS.PENDING, AS.REQUIRES_ACTION))
                        .order_by("-pk").first())
        if open_attempt is not None:
            return open_attempt
        remainder = locked.amount - locked.captured_amount
        if action == Action.AUTHORIZE:
            if locked.status not in OPEN_CARD_STATUSES:
                return None  # authorized, captured, declined or voided already
        else:
            if locked.status in (TS.VOIDED, TS.DECLINED, TS.PENDING, TS.REQUIRES_ACTION) or remainder <= 0:
                return None
            if locked.order.status in (OrderStatus.CANCELLED, OrderStatus.CLOSED):
                return None
        wanted = round_money(amount if amount is not None else remainder, locked.currency)
        if wanted <= 0:
            return None
        return PaymentAttempt.objects.create(tender=locked, action=action, amount=wanted, created_by=user,
                                             idempotency_key=idempotency_key(locked, action))


def _authorization_call(attempt: PaymentAttempt, *, off_session: bool = False) -> _Outcome:
    """Step 2, after commit: create the intent unconfirmed and commit its id (once), then confirm or read it."""
    tender = Tender.objects.select_related("card", "order").get(pk=attempt.tender_id)
    card = tender.card
    key = attempt.idempotency_key
    try:
        intent_id = attempt.gateway_id
        if not intent_id:
            created = gateway.payment_intent_create(
                amount=attempt.amount, currency=tender.currency, payment_method=card.stripe_payment_method_id,
                customer=card.stripe_customer_id, idempotency_key=f"{key}-create",
                metadata={"order": tender.order.number, "tender": tender.pk, "attempt": key})
            intent_id = _commit_intent_id(attempt, created.id)
            if intent_id != created.id:  # another run committed its intent first; ours was never confirmed
                _cancel_quietly(created.id, key=f"{key}-orphan-{created.id}")
        state = gateway.payment_intent_retrieve(intent_id)
        if state.is_unconfirmed:
            if Tender.objects.filter(pk=tender.pk, status=TS.VOIDED).exists():
                return _Outcome(state=gateway.payment_intent_cancel(id=intent_id, idempotency_key=f"{key}-cancel"))
            state = gateway.payment_intent_confirm(id=intent_id, idempotency_key=f"{key}-confirm",
                                                   off_session=off_session)
        return _Outcome(state=state)
    except stripe.CardError as error:
        return _Outcome(error_code=str(error.code or "card_declined")[:100],
                        error_message=_decline_message(error))
    except stripe.InvalidRequestError as error:
        # The gateway refuses the request itself (an unknown or used-up payment method): a decline for the agent.
        return _Outcome(error_code=str(error.code or "invalid_request")[:100],
                        error_message=(error.user_message or str(error.user_message or "") or
                                       _("The gateway refused the card."))[:500])


def _decline_message(error: stripe.CardError) -> str:
    message = error.user_message or _("The card was declined.")
    return str(message)[:500]


def _commit_intent_id(attempt: PaymentAttempt, intent_id: str) -> str:
    """Commit the new intent's id on the attempt and the tender (the first one committed wins)."""
    with transaction.atomic(durable=True):
        locked = lock_attempt(attempt)
        if not locked.gateway_id:
            locked.gateway_id = intent_id
            locked.save(update_fields=["gateway_id"])
            Tender.objects.filter(pk=locked.tender_id).update(stripe_payment_intent_id=intent_id,
                                                               updated_at=timezone.now())
    attempt.gateway_id = locked.gateway_id
    return locked.gateway_id


def _authorization_expiry(state: gateway.IntentState, now: datetime) -> datetime:
    created = datetime.fromtimestamp(state.created, tz=dt_timezone.utc) if state.created else now
    return min(created, now) + timedelta(days=gateway.AUTHORIZATION_LIFETIME_DAYS)


def _authorization_record(attempt: PaymentAttempt, outcome: _Outcome, *, user) -> None:
    """Step 3: what the gateway said, on the attempt and the tender (an authorization posts nothing)."""
    details = {}
    state = outcome.state
    card = PaymentCard.objects.filter(tenders__pk=attempt.tender_id).first()
    if state is not None and state.is_authorized and card is not None and not card.last4:
        details = gateway.card_details(card.stripe_payment_method_id)  # a read, before the transaction
    now = timezone.now()
    with transaction.atomic(durable=True):
        tender = lock_tender(attempt.tender_id)
        locked = lock_attempt(attempt)
        if locked.status not in (AS.PENDING, AS.REQUIRES_ACTION):
            return  # recorded by another run
        fields = ["status", "updated_at", "failure_message"]
        was_voided = tender.status == TS.VOIDED
        if was_voided:
            locked.status, locked.completed_at = AS.FAILED, now
            locked.error_message = _("Voided while it was being authorized.")
        elif state is not None and state.is_authorized:
            locked.status, locked.completed_at = AS.SUCCEEDED, now
            tender.status = TS.AUTHORIZED
            tender.authorized_amount = tender.captured_amount + min(state.capturable, locked.amount)
            tender.stripe_payment_intent_id = state.id
            tender.authorized_at = now
            tender.authorization_expires_at = _authorization_expiry(state, now)
            tender.failure_message = ""
            fields += ["authorized_amount", "stripe_payment_intent_id", "authorized_at", "authorization_expires_at"]
            if details and card is not None:
                PaymentCard.objects.filter(pk=card.pk).update(
                    brand=(details.get("brand") or "")[:30], last4=(details.get("last4") or "")[:4],
                    exp_month=details.get("exp_month"), exp_year=details.get("exp_year"))
        elif state is not None and state.needs_action:
            locked.status = AS.REQUIRES_ACTION
            if tender.status in OPEN_CARD_STATUSES:
                tender.status = TS.REQUIRES_ACTION
            tender.failure_message = _(
                "The card needs authentication (3-D Secure): ask the customer to complete it, or try another card.")
        else:
            locked.status, locked.completed_at = AS.FAILED, now
            locked.error_code = outcome.error_code or (state.error_code if state else "")
            message = outcome.error_message or (state.error_message if state else "")
            if state is not None and state.status == "canceled":
                message = message or _("The authorization was cancelled.")
            locked.error_message = (message or _("The card was declined."))[:500]
            if locked.action == Action.AUTHORIZE and tender.status in OPEN_CARD_STATUSES:
                tender.status = TS.DECLINED
            elif (locked.action == Action.REAUTHORIZE and tender.status == TS.AUTHORIZED
                  and tender.authorization_expires_at and tender.authorization_expires_at > now):
                pass  # the old authorization is good until it expires; capture checks the margin
            elif locked.action == Action.REAUTHORIZE:
                tender.status = TS.EXPIRED if tender.captured_amount == 0 else TS.CAPTURED
                tender.authorized_amount = tender.captured_amount
                fields.append("authorized_amount")
            tender.failure_message = locked.error_message
        locked.save(update_fields=["status", "completed_at", "error_code", "error_message"])
        tender.save(update_fields=fields)
    if state is not None and state.is_authorized and was_voided:
        _cancel_quietly(state.id, key=f"{attempt.idempotency_key}-cancel")  # voided while it was being authorized


def _cancel_quietly(intent_id: str, *, key: str) -> None:
    """Cancel an intent nobody will capture (an orphan, or an old authorization replaced by a new one)."""
    try:
        state = gateway.payment_intent_retrieve(intent_id)
        if state.status in ("requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"):
            gateway.payment_intent_cancel(id=intent_id, idempotency_key=key)
    except stripe.StripeError:
        logger.warning("could not cancel payment intent %s", intent_id, exc_info=True)


# --- the payment hold -----------------------------------------------------------------------------------

HoldBlocker = Callable[[Order], str | None]
_hold_blockers: list[HoldBlocker] = []


def register_payment_hold_blocker(blocker: HoldBlocker) -> HoldBlocker:
    """Register ``blocker(order) -> str | None``: a reason (not None) keeps the payment hold on.

    For the other tender kinds that share the order's one payment hold (an on-account order
    over its credit limit): a card authorization releases the hold only when no blocker objects.
    """
    if blocker not in _hold_blockers:
        _hold_blockers.append(blocker)
    return blocker


def payment_hold_blockers(order: Order) -> list[str]:
    """Why the order's payment hold must stay on (empty: payments may release it)."""
    reasons = []
    tenders = list(Tender.objects.filter(order=order))
    live = [tender for tender in tenders if tender.status in LIVE_STATUSES]
    if any(tender.kind == Kind.CARD and tender.status in OPEN_CARD_STATUSES for tender in live):
        reasons.append(_("A card is waiting for authorization."))
    covered = sum((tender.amount for tender in live), ZERO)
    if covered < order.total:
        reasons.append(_("The tenders do not cover the order total."))
    for blocker in list(_hold_blockers):
        reason = blocker(order)
        if reason:
            reasons.append(reason)
    return reasons


def release_payment_hold_if_paid(*, order: Order) -> bool:
    """Release the order's open payment hold when nothing blocks it (the system releases it). Outside any
    transaction (the lifecycle services are durable); True when it was released."""
    hold = Hold.objects.filter(order_id=order.pk, reason=Hold.Reason.PAYMENT, released_at__isnull=True).first()
    if hold is None:
        return False
    order = Order.objects.get(pk=order.pk)
    if payment_hold_blockers(order):
        return False
    try:
        order_release_hold(hold=hold, user=None, note=_("The card was authorized."))
    except OrderError:
        return False  # released (or the order cancelled) meanwhile
    order_id = order.pk
    transaction.on_commit(lambda: order_hooks.order_paid(order_id))  # committed already: runs now
    return True


def _hold_for_payment(tender: Tender, *, note: str, user) -> None:
    """Put the tender's order on a payment hold when it may still be held; otherwise the tender says why."""
    order = Order.objects.get(pk=tender.order_id)
    if order.status not in HOLDABLE_STATUSES:
        logger.warning("order %s: %s (past the point of a hold)", order.number, note)
        return
    try:
        order_hold(order=order, reason=Hold.Reason.PAYMENT, note=note[:300], user=user)
    except OrderError:
        pass  # on payment hold already


def order_payment_is_good(order: Order) -> bool:
    """Whether what is left to capture on the order's cards is authorized beyond the margin (fulfillment
    checks it before shipping: nothing is shipped against a lapsed authorization)."""
    horizon = timezone.now() + margin()
    for tender in Tender.objects.filter(order=order, kind=Kind.CARD).exclude(status__in=(TS.VOIDED, TS.DECLINED)):
        if tender.amount - tender.captured_amount <= 0:
            continue
        if tender.status != TS.AUTHORIZED or tender.uncaptured_amount < tender.amount - tender.captured_amount:
            return False
        if tender.authorization_expires_at is None or tender.authorization_expires_at <= horizon:
            return False
    return True


# --- capture ------------------------------------------------------------------------------------------------


@dataclass
class CaptureResult:
    """What :func:`payment_capture` did: the amount captured, by tender, and what it could not."""

    captured: Decimal = ZERO
    tenders: list[Tender] = field(default_factory=list)
    shortfall: Decimal = ZERO  # asked for and not captured (no live authorization for it)
    messages: list[str] = field(default_factory=list)


def payment_capture(*, order: Order, amount: Decimal, user, reference: str = "") -> CaptureResult:
    """Capture ``amount`` (the shipped amount) from the order's card tenders, oldest first.

    Partial captures are allowed. An authorization that has lapsed or expires within the margin
    is renewed off-session first (never captured against); when that fails nothing is captured
    from it, the order goes on a payment hold if it still may be, and the result's ``shortfall``
    says how much was not captured. After a partial capture the tender's remainder is
    re-authorized at once (Stripe releases it). ``reference`` (a shipment id) makes the call
    idempotent: calling again with the same reference captures nothing more.
    """
    amount = round_money(amount, order.currency)
    if amount <= 0:
        raise PaymentError(_("A capture must be more than zero."))
    result = CaptureResult()
    remaining = amount
    tender_ids = list(Tender.objects.filter(order=order, kind=Kind.CARD)
                      .exclude(status__in=(TS.VOIDED, TS.DECLINED)).order_by("sequence").values_list("pk", flat=True))
    for tender_id in tender_ids:
        if remaining <= 0:
            break
        tender = Tender.objects.get(pk=tender_id)
        open_amount = tender.amount - tender.captured_amount
        pending = _open_capture(tender)
        if open_amount <= 0 and pending is None:
            continue
        if pending is None:
            chunk = min(remaining, open_amount)
            if _ensure_authorized(tender, user=user, result=result) is None:
                continue
        else:
            chunk = pending.amount  # a capture a killed run left: finish it, never capture twice
        captured = _capture_tender(tender_id, chunk, user=user, reference=reference, result=result)
        remaining -= captured
    result.captured = round_money(result.captured, order.currency)
    result.shortfall = round_money(max(remaining, ZERO), order.currency)
    return result


def _open_capture(tender: Tender) -> PaymentAttempt | None:
    return PaymentAttempt.objects.filter(tender=tender, action=Action.CAPTURE, status=AS.PENDING).first()


def _ensure_authorized(tender: Tender, *, user, result: CaptureResult) -> Tender | None:
    """The tender with a live authorization beyond the margin (renewed when needed), or None."""
    horizon = timezone.now() + margin()
    lapsing = tender.authorization_expires_at is None or tender.authorization_expires_at <= horizon
    if tender.status == TS.AUTHORIZED and not lapsing and tender.uncaptured_amount > 0:
        return tender
    if tender.status in (TS.AUTHORIZED, TS.EXPIRED, TS.CAPTURED):
        renewed = payment_reauthorize(tender=tender, user=user)
        if renewed.status == TS.AUTHORIZED and renewed.authorization_expires_at > horizon:
            return renewed
        result.messages.append(renewed.failure_message or _("The card authorization has lapsed."))
    else:
        result.messages.append(_("The card is not authorized (%(status)s).") % {"status": tender.get_status_display()})
    return None


def _capture_tender(tender_id: int, amount: Decimal, *, user, reference: str, result: CaptureResult) -> Decimal:
    """Capture ``amount`` from one authorized tender, exactly once; what was captured."""
    with gateway_turn(tender_id):
        return _capture_tender_turn(tender_id, amount, user=user, reference=reference, result=result)


def _capture_tender_turn(tender_id: int, amount: Decimal, *, user, reference: str, result: CaptureResult) -> Decimal:
    attempt = _capture_attempt(tender_id, amount, user=user, reference=reference)
    if attempt is None:
        return ZERO
    if attempt.status == AS.SUCCEEDED:  # the same reference captured it already
        result.captured += attempt.amount
        result.tenders.append(Tender.objects.get(pk=tender_id))
        return attempt.amount
    if attempt.status != AS.PENDING:  # the same reference failed before: never call the gateway on a closed attempt
        result.messages.append(attempt.error_message or _("That capture failed."))
        return ZERO
    tender = Tender.objects.get(pk=tender_id)
    try:
        state = gateway.payment_intent_retrieve(attempt.gateway_id)
        if state.is_authorized:
            state = gateway.payment_intent_capture(id=attempt.gateway_id, amount=attempt.amount,
                                                   currency=tender.currency, idempotency_key=attempt.idempotency_key)
        outcome = _Outcome(state=state)
    except stripe.CardError as error:
        outcome = _Outcome(error_code=str(error.code or "card_error")[:100], error_message=_decline_message(error))
    except stripe.InvalidRequestError as error:
        outcome = _Outcome(error_code=str(error.code or "invalid_request")[:100],
                           error_message=str(error.user_message or _("The gateway refused the capture."))[:500])
    captured = _capture_record(attempt, outcome, user=user)
    tender = Tender.objects.get(pk=tender_id)
    if captured:
        result.captured += captured
        result.tenders.append(tender)
        if tender.amount - tender.captured_amount > 0 and tender.status == TS.CAPTURED:
            payment_reauthorize(tender=tender, user=user)  # Stripe released the rest of the authorization
    else:
        result.messages.append(tender.failure_message)
    return captured


def _capture_attempt(tender_id: int, amount: Decimal, *, user, reference: str) -> PaymentAttempt | None:
    with transaction.atomic(durable=True):
        tender = lock_tender(tender_id)
        pending = _open_capture(tender)
        if pending is not None:
            return pending  # a capture a killed run left: read it at the gateway, never capture twice
        if reference:
            done = PaymentAttempt.objects.filter(idempotency_key=idempotency_key(tender, Action.CAPTURE, reference),
                                                 ).first()
            if done is not None:
                return done
        if tender.status != TS.AUTHORIZED or not tender.stripe_payment_intent_id:
            return None
        amount = min(amount, tender.uncaptured_amount)
        if amount <= 0:
            return None
        try:
            with transaction.atomic():
                return PaymentAttempt.objects.create(
                    tender=tender, action=Action.CAPTURE, amount=amount, created_by=user,
                    gateway_id=tender.stripe_payment_intent_id,
                    idempotency_key=idempotency_key(tender, Action.CAPTURE, reference))
        except IntegrityError:
            return PaymentAttempt.objects.get(idempotency_key=idempotency_key(tender, Action.CAPTURE, reference))


def _capture_record(attempt: PaymentAttempt, outcome: _Outcome, *, user) -> Decimal:
    """Step 3 of a capture: the attempt, the tender and the ledger entry, in one transaction."""
    state = outcome.state
    now = timezone.now()
    with transaction.atomic(durable=True):
        tender = lock_tender(attempt.tender_id)
        locked = lock_attempt(attempt)
        if locked.status != AS.PENDING:
            return locked.amount if locked.status == AS.SUCCEEDED else ZERO
        if state is not None and state.is_captured:
            amount = locked.amount
            if state.received is not None:
                amount = min(amount, state.received)
            locked.status, locked.completed_at, locked.amount = AS.SUCCEEDED, now, amount
            locked.save(update_fields=["status", "completed_at", "amount"])
            tender.captured_amount += amount
            tender.authorized_amount = tender.captured_amount  # the gateway released the rest
            tender.status = TS.CAPTURED
            tender.failure_message = ""
            tender.save(update_fields=["captured_amount", "authorized_amount", "status", "failure_message",
                                       "updated_at"])
            capture_post(attempt=locked, tender=tender, user=user)
            return amount
        locked.status, locked.completed_at = AS.FAILED, now
        locked.error_code = outcome.error_code or (state.error_code if state else "")
        locked.error_message = (outcome.error_message or (state.error_message if state else "")
                                or _("The capture failed (%(status)s).") % {"status": state.status if state else "?"})[:500]
        locked.save(update_fields=["status", "completed_at", "error_code", "error_message"])
        if state is not None and state.status == "canceled":
            tender.status = TS.EXPIRED if tender.captured_amount == 0 else TS.CAPTURED
            tender.authorized_amount = tender.captured_amount
        tender.failure_message = locked.error_message
        tender.save(update_fields=["status", "authorized_amount", "failure_message", "updated_at"])
        return ZERO


def capture_post(*, attempt: PaymentAttempt, tender: Tender, user):
    """The entry of a card capture: Dr card clearing, Cr customer deposits (see the module docstring)."""
    order = tender.order
    credit_role = "customer_deposits"
    memo = _("Card capture, order %(number)s") % {"number": order.number}
    return ledger_post(
        source=attempt, kind="payment.capture", user=user, on_date=business_date(attempt.completed_at),
        currency=tender.currency, memo=memo,
        lines=[PostingLine(role="card_clearing", debit=attempt.amount, memo=memo),
               PostingLine(role=credit_role, credit=attempt.amount, memo=memo)],
    )


# --- void ----------------------------------------------------------------------------------------------------


def payment_void(*, order: Order, user, reason: str = "") -> list[Tender]:
    """Void what is left of the order's card authorizations (cancel their PaymentIntents).

    What was captured stays captured (refunds give it back); a tender that captured nothing
    ends ``voided``. Safe to run again. Registered on ``orders.hooks.status_changed`` → cancelled.
    """
    voided = []
    for tender_id in Tender.objects.filter(order=order, kind=Kind.CARD).exclude(
            status__in=(TS.VOIDED, TS.DECLINED)).order_by("sequence").values_list("pk", flat=True):
        with gateway_turn(tender_id):
            attempt = _void_attempt(tender_id, user=user)
            if attempt is not None:
                _void_call_and_record(attempt, user=user)
        voided.append(Tender.objects.get(pk=tender_id))
    return voided


def tender_void(*, tender: Tender, user) -> Tender:
    """Void one card tender (cancel its PaymentIntent): an agent gives up a card that needs
    authentication to try another. Safe to run again; what was captured stays captured."""
    if tender.kind != Kind.CARD:
        raise PaymentError(_("Only card tenders are voided at the gateway."))
    attempt = _void_attempt(tender.pk, user=user)
    if attempt is not None:
        _void_call_and_record(attempt, user=user)
    return Tender.objects.get(pk=tender.pk)


def _void_attempt(tender_id: int, *, user) -> PaymentAttempt | None:
    now = timezone.now()
    with transaction.atomic(durable=True):
        tender = lock_tender(tender_id)
        if tender.status in (TS.VOIDED, TS.DECLINED):
            return None
        pending = PaymentAttempt.objects.filter(tender=tender, action=Action.VOID, status=AS.PENDING).first()
        if pending is not None:
            return pending
        # Open authorizations: the tender's current intent and any an open attempt holds.
        open_auth = list(PaymentAttempt.objects.filter(tender=tender, action__in=(Action.AUTHORIZE, Action.REAUTHORIZE),
                                                       status__in=(AS.PENDING, AS.REQUIRES_ACTION)))
        intent_id = tender.stripe_payment_intent_id or next((a.gateway_id for a in open_auth if a.gateway_id), "")
        for attempt in open_auth:
            attempt.status, attempt.completed_at = AS.FAILED, now
            attempt.error_message = _("Voided before it was authorized.")
            attempt.save(update_fields=["status", "completed_at", "error_message"])
        if not intent_id or tender.status == TS.CAPTURED and tender.uncaptured_amount == 0 and not open_auth:
            if tender.captured_amount == 0:
                tender.status = TS.VOIDED
                tender.save(update_fields=["status", "updated_at"])
            return None
        return PaymentAttempt.objects.create(tender=tender, action=Action.VOID, amount=tender.uncaptured_amount,
                                             gateway_id=intent_id, created_by=user,
                                             idempotency_key=idempotency_key(tender, Action.VOID))


def _void_call_and_record(attempt: PaymentAttempt, *, user) -> None:
    error = ""
    try:
        state = gateway.payment_intent_retrieve(attempt.gateway_id)
        if state.status in ("requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"):
            state = gateway.payment_intent_cancel(id=attempt.gateway_id, idempotency_key=attempt.idempotency_key)
    except stripe.InvalidRequestError as refused:
        state, error = None, str(refused.user_message or refused)[:500]
    now = timezone.now()
    with transaction.atomic(durable=True):
        tender = lock_tender(attempt.tender_id)
        locked = lock_attempt(attempt)
        if locked.status != AS.PENDING:
            return
        locked.completed_at = now
        if state is not None and state.status in ("canceled", "succeeded"):
            locked.status = AS.SUCCEEDED
            tender.authorized_amount = tender.captured_amount
            tender.status = TS.VOIDED if tender.captured_amount == 0 else TS.CAPTURED
            tender.save(update_fields=["status", "authorized_amount", "updated_at"])
        else:
            locked.status = AS.FAILED
            locked.error_message = error or _("The gateway did not cancel the authorization.")
        locked.save(update_fields=["status", "completed_at", "error_message"])


def authorizations_expiring(*, within: timedelta | None = None):
    """Authorized card tenders whose authorization expires within ``within`` (default: the margin)."""
    horizon = timezone.now() + (within if within is not None else margin())
    return (Tender.objects.filter(kind=Kind.CARD, status=TS.AUTHORIZED, authorization_expires_at__lte=horizon)
            .exclude(order__status__in=(OrderStatus.CANCELLED, OrderStatus.CLOSED))
            .filter(~Q(order__status__in=SHIPPED_STATUSES) | Q(order__status=OrderStatus.PARTIALLY_SHIPPED)))
