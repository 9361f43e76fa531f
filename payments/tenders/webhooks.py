"""Stripe webhooks: each verified event processed once per event id, in any order.

The view (``payments.views.stripe_webhook``) verifies the signature with
``stripe.Webhook.construct_event`` before anything of the payload is read, then calls
:func:`webhook_receive`. Processing runs in one transaction with the event's
:class:`WebhookEvent` row (unique ``event_id``): a second delivery of an event waits for the
first on that row and finds it processed. Handlers never call the gateway (they are inside the
transaction): they record what the event says and enqueue the services that read the gateway
(the same ones that picked up after a killed worker), so the order of arrival does not matter.

Events: ``payment_intent.succeeded`` / ``amount_capturable_updated`` / ``payment_failed``
(resume the tender's open attempt: it reads the intent and records what happened),
``payment_intent.canceled`` and ``charge.expired`` (an authorization that lapsed: the tender is
marked expired and re-authorized off-session, or the order held), ``charge.refunded``
(recorded; the refunds service may register its own handler), ``charge.dispute.created``
(an order not yet shipped goes on a fraud hold; a note is opened on the customer).
Other apps add handlers with :func:`register_webhook_handler`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.money import round_money
from orders.models import CustomerNote, Hold, Order
from orders.services import HOLDABLE_STATUSES, OrderError, order_hold
from payments import gateway
from payments.tenders.models import PaymentAttempt, Tender, WebhookEvent

logger = logging.getLogger(__name__)

Handler = Callable[[dict], str]  # the event's data.object -> a short note of what was done
_handlers: dict[str, Handler] = {}
TS = Tender.Status
AS = PaymentAttempt.Status
Action = PaymentAttempt.Action


def register_webhook_handler(event_type: str, handler: Handler) -> Handler:
    """Handle ``event_type`` with ``handler`` (the last registration wins). It runs in the event's
    transaction: no gateway calls; enqueue work with ``transaction.on_commit``."""
    _handlers[event_type] = handler
    return handler


def webhook_receive(*, event: dict) -> tuple[WebhookEvent, bool]:
    """Process one verified event once; ``(record, processed now)`` (False: a repeat delivery)."""
    event_id = str(event.get("id") or "")
    event_type = str(event.get("type") or "")
    if not event_id:
        raise ValueError("a webhook event without an id")
    obj = ((event.get("data") or {}).get("object")) or {}
    with transaction.atomic(durable=True):
        record, _created = WebhookEvent.objects.get_or_create(event_id=event_id[:255],
                                                              defaults={"type": event_type[:100]})
        record = WebhookEvent.objects.select_for_update().get(pk=record.pk)
        if record.processed_at is not None:
            return record, False
        handler = _handlers.get(event_type)
        result = handler(obj) if handler else "ignored"
        record.processed_at = timezone.now()
        record.result = (result or "")[:300]
        record.save(update_fields=["processed_at", "result"])
    return record, True


# --- finding our rows ------------------------------------------------------------------------------


def tender_for_intent(intent_id: str) -> Tender | None:
    """The tender a PaymentIntent belongs to (its current one, or one an attempt made)."""
    if not intent_id:
        return None
    tender = Tender.objects.filter(stripe_payment_intent_id=intent_id).first()
    if tender is None:
        attempt = PaymentAttempt.objects.filter(gateway_id=intent_id).select_related("tender").first()
        tender = attempt.tender if attempt else None
    return tender


def _intent_id(obj: dict) -> str:
    if obj.get("object") == "payment_intent":
        return obj.get("id") or ""
    value = obj.get("payment_intent") or ""
    return value.get("id", "") if isinstance(value, dict) else value


def _resume_on_commit(tender: Tender) -> None:
    """Enqueue whatever the tender's open attempts need (each reads the gateway before doing anything)."""
    from payments import tasks

    tender_id, order_id = tender.pk, tender.order_id
    open_attempts = PaymentAttempt.objects.filter(tender=tender, status__in=(AS.PENDING, AS.REQUIRES_ACTION))
    for attempt in open_attempts:
        if attempt.action == Action.AUTHORIZE:
            transaction.on_commit(lambda: tasks.payment_authorize_task.delay(tender_id=tender_id))
        elif attempt.action == Action.REAUTHORIZE:
            transaction.on_commit(lambda: tasks.payment_reauthorize_task.delay(tender_id=tender_id))
        elif attempt.action == Action.CAPTURE:
            amount = str(attempt.amount)
            transaction.on_commit(lambda amount=amount: tasks.payment_capture_task.delay(order_id=order_id,
                                                                                       amount=amount))
        elif attempt.action == Action.VOID:
            transaction.on_commit(lambda: tasks.payment_void_task.delay(order_id=order_id))


# --- handlers ------------------------------------------------------------------------------------------


def intent_changed(obj: dict) -> str:
    """succeeded, amount_capturable_updated, payment_failed: the open attempt reads the intent again."""
    tender = tender_for_intent(_intent_id(obj))
    if tender is None:
        return "unknown payment intent"
    _resume_on_commit(tender)
    return f"tender {tender.pk}: resumed"


def authorization_lapsed(obj: dict) -> str:
    """payment_intent.canceled, charge.expired: the authorization is gone; renew it off-session, or hold."""
    from payments import tasks

    intent_id = _intent_id(obj)
    tender = tender_for_intent(intent_id)
    if tender is None:
        return "unknown payment intent"
    locked = Tender.objects.select_for_update(no_key=True).get(pk=tender.pk)
    if locked.stripe_payment_intent_id != intent_id or locked.status != TS.AUTHORIZED:
        _resume_on_commit(locked)
        return f"tender {locked.pk}: not its live authorization"  # replaced, voided or captured already
    locked.status = TS.EXPIRED if locked.captured_amount == 0 else TS.CAPTURED
    locked.authorized_amount = locked.captured_amount
    locked.failure_message = _("The card authorization expired.")
    locked.save(update_fields=["status", "authorized_amount", "failure_message", "updated_at"])
    tender_id = locked.pk
    transaction.on_commit(lambda: tasks.payment_reauthorize_task.delay(tender_id=tender_id))
    return f"tender {locked.pk}: authorization lapsed, renewing"


def charge_refunded(obj: dict) -> str:
    """A refund at the gateway: recorded here; the refunds service's own attempts settle through it."""
    tender = tender_for_intent(_intent_id(obj))
    if tender is None:
        return "unknown charge"
    _resume_on_commit(tender)
    currency = (obj.get("currency") or tender.currency).upper()
    refunded = gateway.from_minor(obj.get("amount_refunded") or 0, currency)
    return f"tender {tender.pk}: gateway refunded {refunded}, recorded {tender.refunded_amount}"


def dispute_created(obj: dict) -> str:
    """A dispute: an order not yet shipped goes on a fraud hold; a note is opened on the customer."""
    from payments import tasks

    tender = tender_for_intent(_intent_id(obj))
    if tender is None:
        return "unknown charge"
    order = Order.objects.select_related("customer").get(pk=tender.order_id)
    currency = (obj.get("currency") or order.currency).upper()
    amount = round_money(gateway.from_minor(obj.get("amount") or 0, currency), currency)
    reason = str(obj.get("reason") or "general")[:60]
    note = _("Card payment disputed (%(reason)s, %(amount)s %(currency)s) on order %(number)s.") % {
        "reason": reason, "amount": amount, "currency": currency, "number": order.number}
    if order.customer_id:
        CustomerNote.objects.create(customer=order.customer, text=note, author=None)
    if order.status in HOLDABLE_STATUSES:
        order_id = order.pk
        transaction.on_commit(lambda: tasks.payment_dispute_hold_task.delay(order_id=order_id, note=note))
        return f"order {order.number}: fraud hold"
    return f"order {order.number}: noted ({order.status})"


def dispute_hold(*, order: Order, note: str) -> bool:
    """Put a disputed order on a fraud hold (outside any transaction); False when it was not possible."""
    order = Order.objects.get(pk=order.pk)
    if order.status not in HOLDABLE_STATUSES:
        return False
    if Hold.objects.filter(Q(order=order) & Q(reason=Hold.Reason.FRAUD) & Q(released_at__isnull=True)).exists():
        return False
    try:
        order_hold(order=order, reason=Hold.Reason.FRAUD, note=note[:300], user=None)
    except OrderError:
        return False
    return True


def register_defaults() -> None:
    for event_type in ("payment_intent.succeeded", "payment_intent.amount_capturable_updated",
                       "payment_intent.payment_failed", "payment_intent.requires_action"):
        register_webhook_handler(event_type, intent_changed)
    register_webhook_handler("payment_intent.canceled", authorization_lapsed)
    register_webhook_handler("charge.expired", authorization_lapsed)
    register_webhook_handler("charge.refunded", charge_refunded)
    register_webhook_handler("charge.dispute.created", dispute_created)

