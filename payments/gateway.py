"""The Stripe gateway, through the official SDK (``stripe.StripeClient``), and nothing else.

``STRIPE_API_BASE`` set (``make run`` and the tests set it to a localstripe on loopback): the
client talks to it; unset: to Stripe. Amounts cross this boundary as integer minor units
(:func:`to_minor` / :func:`from_minor`); everything above it works in ``Decimal``. Every call
that changes something carries the idempotency key its caller derived from our own record.
Stripe honours the keys; localstripe does not, so the services never rely on them alone (see
``payments.tenders.services``: a PaymentIntent is created unconfirmed, its id committed, then
confirmed).

Results come back as :class:`IntentState`, read the same way from Stripe and localstripe
(localstripe has no ``amount_capturable`` / ``amount_received``; they are derived from the
status and the charge). Card declines raise ``stripe.CardError`` (callers record them); network
failures raise ``stripe.APIConnectionError`` (tasks retry them with backoff).

Never call this module while a database transaction is open (``assert_no_transaction``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

import stripe
from django.conf import settings
from django.db import connection

from oms.money import minor_unit_exponent, round_money

# Errors worth retrying with backoff: the request may not have reached the gateway, or it was busy.
RETRYABLE_ERRORS = (stripe.APIConnectionError, stripe.RateLimitError)
AUTHORIZATION_LIFETIME_DAYS = 7  # Stripe holds a manual-capture card authorization for 7 days


class GatewayCallInTransaction(RuntimeError):
    """A gateway call was made while a database transaction was open (never allowed)."""


def assert_no_transaction() -> None:
    if connection.in_atomic_block:
        raise GatewayCallInTransaction("the gateway is never called inside a database transaction")


@cache
def _client(api_key: str, api_base: str) -> stripe.StripeClient:
    if api_base:
        return stripe.StripeClient(api_key, base_addresses={"api": api_base}, max_network_retries=0)
    return stripe.StripeClient(api_key, max_network_retries=0)


def client() -> stripe.StripeClient:
    """The SDK client for the configured gateway (localstripe when ``STRIPE_API_BASE`` is set)."""
    if not settings.STRIPE_API_KEY:
        raise stripe.AuthenticationError("STRIPE_API_KEY is not set")
    return _client(settings.STRIPE_API_KEY, settings.STRIPE_API_BASE)


def is_test_gateway() -> bool:
    """Whether we talk to a test gateway (localstripe, or Stripe with a test key): the page's badge."""
    return bool(settings.STRIPE_API_BASE) or settings.STRIPE_API_KEY.startswith(("sk_test_", "rk_test_"))


def to_minor(amount: Decimal, currency: str) -> int:
    """``Decimal("12.34")`` USD → 1234; JPY has no minor unit, KWD three."""
    return int(round_money(amount, currency) / minor_unit_exponent(currency))


def from_minor(amount: int, currency: str) -> Decimal:
    return round_money(Decimal(int(amount)) * minor_unit_exponent(currency), currency)


def _options(idempotency_key: str | None) -> dict:
    return {"idempotency_key": idempotency_key} if idempotency_key else {}


def _plain(obj: Any) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


@dataclass(frozen=True)
class IntentState:
    """What a PaymentIntent says, in our units."""

    id: str
    status: str  # requires_payment_method, requires_confirmation, requires_action, requires_capture, succeeded...
    currency: str
    amount: Decimal
    capturable: Decimal  # what a capture may still take
    received: Decimal | None  # what was captured (None: the gateway does not say; localstripe)
    charge_id: str
    payment_method: str
    client_secret: str
    error_code: str
    error_message: str
    created: int

    @property
    def is_authorized(self) -> bool:
        return self.status == "requires_capture"

    @property
    def is_captured(self) -> bool:
        return self.status == "succeeded"

    @property
    def needs_action(self) -> bool:
        return self.status == "requires_action"

    @property
    def is_unconfirmed(self) -> bool:
        return self.status == "requires_confirmation"

    @property
    def is_failed(self) -> bool:
        return self.status in ("requires_payment_method", "canceled")


def intent_state(data: Any) -> IntentState:
    data = _plain(data)
    currency = (data.get("currency") or "").upper()
    amount = from_minor(data.get("amount") or 0, currency)
    charge = data.get("latest_charge") or {}
    if isinstance(charge, str):
        charge = {"id": charge}
    status = data.get("status") or ""
    if data.get("amount_capturable") is not None:
        capturable = from_minor(data["amount_capturable"], currency)
    else:
        capturable = amount if status == "requires_capture" else Decimal("0")
    received = None
    if data.get("amount_received") is not None:
        received = from_minor(data["amount_received"], currency)
    error = data.get("last_payment_error") or {}
    return IntentState(
        id=data.get("id") or "", status=status, currency=currency, amount=amount, capturable=capturable,
        received=received, charge_id=charge.get("id") or "", payment_method=_id(data.get("payment_method")),
        client_secret=data.get("client_secret") or "", error_code=error.get("decline_code") or error.get("code") or "",
        error_message=error.get("message") or "", created=int(data.get("created") or 0),
    )


def _id(value: Any) -> str:
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


# --- PaymentIntents ---------------------------------------------------------------------------


def payment_intent_create(*, amount: Decimal, currency: str, payment_method: str, idempotency_key: str,
                          customer: str = "", metadata: dict | None = None) -> IntentState:
    """A manual-capture PaymentIntent, created UNCONFIRMED (no money moves until it is confirmed)."""
    assert_no_transaction()
    params: dict[str, Any] = {"amount": to_minor(amount, currency), "currency": currency.lower(),
                              "payment_method": payment_method, "capture_method": "manual",
                              "metadata": {key: str(value) for key, value in (metadata or {}).items()}}
    if customer:
        params["customer"] = customer
    return intent_state(client().v1.payment_intents.create(params=params, options=_options(idempotency_key)))


def payment_intent_confirm(*, id: str, idempotency_key: str, off_session: bool = False) -> IntentState:
    """Confirm (authorize) a PaymentIntent. A decline raises ``stripe.CardError``."""
    assert_no_transaction()
    params: dict[str, Any] = {}
    if off_session and not settings.STRIPE_API_BASE:
        params["off_session"] = True  # localstripe takes off_session only at creation
    return intent_state(client().v1.payment_intents.confirm(id, params=params, options=_options(idempotency_key)))


def payment_intent_retrieve(id: str) -> IntentState:
    assert_no_transaction()
    return intent_state(client().v1.payment_intents.retrieve(id))


def payment_intent_capture(*, id: str, amount: Decimal, currency: str, idempotency_key: str) -> IntentState:
    """Capture ``amount`` of an authorized PaymentIntent (Stripe releases the rest of it)."""
    assert_no_transaction()
    params = {"amount_to_capture": to_minor(amount, currency)}
    return intent_state(client().v1.payment_intents.capture(id, params=params, options=_options(idempotency_key)))


def payment_intent_cancel(*, id: str, idempotency_key: str) -> IntentState:
    """Cancel (void) a PaymentIntent that was not captured."""
    assert_no_transaction()
    return intent_state(client().v1.payment_intents.cancel(id, options=_options(idempotency_key)))


def payment_intent_captured_amount(id: str) -> Decimal:
    """What the gateway says was captured on a PaymentIntent, net of what was refunded."""
    assert_no_transaction()
    data = _plain(client().v1.payment_intents.retrieve(id))
    currency = (data.get("currency") or "").upper()
    charge = data.get("latest_charge") or {}
    if isinstance(charge, str):
        charge = _plain(client().v1.charges.retrieve(charge))
    if not charge.get("captured"):
        return Decimal("0")
    return from_minor((charge.get("amount_captured") or charge.get("amount") or 0)
                      - (charge.get("amount_refunded") or 0), currency)


# --- refunds, cards, customers -----------------------------------------------------------------


def refund_create(*, payment_intent: str, amount: Decimal, currency: str, idempotency_key: str,
                  metadata: dict | None = None) -> dict:
    """Refund ``amount`` of a captured PaymentIntent; the refund as a dict (``id``, ``status``...).

    localstripe does not refuse an over-refund: the caller's records must (the refunds service).
    """
    assert_no_transaction()
    params = {"payment_intent": payment_intent, "amount": to_minor(amount, currency),
              "metadata": {key: str(value) for key, value in (metadata or {}).items()}}
    return _plain(client().v1.refunds.create(params=params, options=_options(idempotency_key)))


def payment_method_retrieve(id: str) -> dict:
    """A PaymentMethod as a dict; ``card`` holds brand, last4, exp_month, exp_year (never the number)."""
    assert_no_transaction()
    return _plain(client().v1.payment_methods.retrieve(id))


def card_details(payment_method: str) -> dict:
    """Brand, last four and expiry of a payment method ({} when the gateway cannot say)."""
    try:
        card = payment_method_retrieve(payment_method).get("card") or {}
    except stripe.InvalidRequestError:
        return {}
    return {"brand": card.get("brand") or "", "last4": card.get("last4") or "",
            "exp_month": card.get("exp_month"), "exp_year": card.get("exp_year")}


def customer_create(*, email: str, name: str, idempotency_key: str, metadata: dict | None = None) -> str:
    assert_no_transaction()
    params: dict[str, Any] = {"metadata": {key: str(value) for key, value in (metadata or {}).items()}}
    if email:
        params["email"] = email
    if name:
        params["name"] = name
    return client().v1.customers.create(params=params, options=_options(idempotency_key)).id


def payment_method_attach(*, payment_method: str, customer: str, idempotency_key: str) -> dict:
    """Attach a payment method to a Stripe customer (a decline at attach raises ``stripe.CardError``)."""
    assert_no_transaction()
    return _plain(client().v1.payment_methods.attach(payment_method, params={"customer": customer},
                                                     options=_options(idempotency_key)))


def setup_intent_create(*, customer: str, idempotency_key: str) -> dict:
    """A SetupIntent for saving a card off-session (its ``client_secret`` goes to Elements)."""
    assert_no_transaction()
    params = {"customer": customer, "usage": "off_session", "payment_method_types": ["card"]}
    return _plain(client().v1.setup_intents.create(params=params, options=_options(idempotency_key)))


# --- webhooks ------------------------------------------------------------------------------------


def webhook_event(*, payload: bytes, signature: str) -> dict:
    """The verified event of a webhook delivery, as a dict.

    Raises ``stripe.SignatureVerificationError`` (or ``ValueError`` for a payload that is not
    JSON) before anything of the payload is used.
    """
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise stripe.SignatureVerificationError("STRIPE_WEBHOOK_SECRET is not set", signature)
    event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    return _plain(event)


def refunds_of_payment_intent(payment_intent: str) -> list[dict]:
    """The refunds the gateway holds for a PaymentIntent (newest first), as dicts.

    A refund whose worker was killed between the call and the commit is found here by the
    metadata it carries (``attempt``): localstripe ignores idempotency keys, so a retry looks
    before it refunds again.
    """
    assert_no_transaction()
    listed = client().v1.refunds.list(params={"payment_intent": payment_intent, "limit": 100})
    return [_plain(item) for item in _plain(listed).get("data") or []]
