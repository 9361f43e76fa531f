"""Helpers for the payments tests: test cards made at localstripe, signed webhooks, waiting on a worker."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from decimal import Decimal

GOOD_CARD = "4242424242424242"
DECLINED_AT_CONFIRMATION = "4000000000000341"
NEEDS_AUTHENTICATION = "4000002760003184"


def card_payment_method(number: str = GOOD_CARD) -> str:
    """A PaymentMethod made at localstripe as Elements would (the number never reaches our code)."""
    from payments.gateway import client

    return client().v1.payment_methods.create(params={
        "type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"}}).id


def card_instruction(number: str = GOOD_CARD, **extra) -> dict:
    return {"kind": "card", "payment_method": card_payment_method(number), **extra}


def intent(intent_id: str):
    """The PaymentIntent as localstripe has it (through the SDK), as a dict."""
    from payments.gateway import client

    return client().v1.payment_intents.retrieve(intent_id).to_dict()


def intents_of(tender) -> list[dict]:
    """Every PaymentIntent localstripe holds for the tender (by the metadata we send)."""
    from payments.gateway import client

    found = client().v1.payment_intents.list(params={"limit": 100}).to_dict()["data"]
    return [item for item in found if (item.get("metadata") or {}).get("tender") == str(tender.pk)]


def captured_at_gateway(intent_id: str) -> Decimal:
    from payments.gateway import payment_intent_captured_amount

    return payment_intent_captured_amount(intent_id)


def authenticate(intent_id: str, *, success: bool = True) -> None:
    """Finish 3-D Secure at localstripe, as the customer would in the bank's dialog."""
    import requests
    from django.conf import settings

    secret = intent(intent_id)["client_secret"]
    response = requests.post(f"{settings.STRIPE_API_BASE}/v1/payment_intents/{intent_id}/_authenticate",
                             auth=(settings.STRIPE_API_KEY, ""),
                             data={"client_secret": secret, "success": "true" if success else "false"}, timeout=10)
    response.raise_for_status()


def signed(payload: dict, *, secret: str, timestamp: int | None = None) -> tuple[bytes, str]:
    """The body and ``Stripe-Signature`` header Stripe would send for ``payload``."""
    body = json.dumps(payload).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={timestamp},v1={signature}"


def event(event_id: str, event_type: str, obj: dict) -> dict:
    return {"id": event_id, "object": "event", "type": event_type, "api_version": "2024-06-20",
            "created": int(time.time()), "livemode": False, "data": {"object": obj}}


def wait_for(condition, *, timeout: float = 40.0, interval: float = 0.25):
    """Poll ``condition()`` until it returns something true (a worker is doing the work); its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        time.sleep(interval)
