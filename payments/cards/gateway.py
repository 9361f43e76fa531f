"""The Stripe calls the card screens make, outside any database transaction (none moves money).

Built on ``payments.gateway`` (core's client). A SetupIntent for the customer's Stripe Customer is created when the agent is about to
tokenize a card; once the browser has confirmed it, :func:`setup_intent_card` reads it back,
attaches its PaymentMethod to the Customer (Stripe does that itself for a SetupIntent with a
customer; localstripe does not, and attaching again is harmless) and returns what we may keep:
ids, brand, last four and expiry.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass
from functools import lru_cache

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from orders.models import Customer
from payments import gateway as payment_gateway
from payments.tenders.models import PaymentCard


class CardGatewayError(Exception):
    """The gateway refused or could not be reached; ``message`` is for the agent."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def is_test_gateway() -> bool:
    """True when payments go to a test gateway (localstripe, or Stripe with test keys): the badge."""
    return payment_gateway.is_test_gateway()


STRIPE_JS = "https://js.stripe.com/v3/"


def stripe_js_url() -> str:
    """Where the page loads stripe.js from: Stripe's (or ``STRIPE_JS_URL``), or, with localstripe,
    its stand-in wrapped by our server (:func:`localstripe_js`)."""
    if settings.STRIPE_API_BASE:
        from django.urls import reverse

        return reverse("payments_cards:localstripe_js")
    return getattr(settings, "STRIPE_JS_URL", "") or STRIPE_JS


@lru_cache(maxsize=4)
def localstripe_js(api_base: str) -> str:
    """localstripe's stand-in for stripe.js, made safe to share a page with htmx and Bootstrap.

    It declares ``class Element`` at the top level of a classic script, which shadows the DOM's
    ``Element`` for every script of the page (htmx's ``Element.prototype.matches.call`` then
    fails). Wrapped in a function its declarations stay its own; ``Stripe`` is still assigned
    to the window, and it still talks to localstripe (its address is written in, since
    ``document.currentScript`` is now our URL). Only for the test gateway: real Stripe.js loads
    from js.stripe.com.
    """
    base = api_base.rstrip("/")
    with urllib.request.urlopen(f"{base}/js.stripe.com/v3/", timeout=10) as response:  # loopback, test only
        source = response.read().decode()
    source = source.replace("document.currentScript.src", json.dumps(f"{base}/js.stripe.com/v3/"))
    return f"(function () {{\n{source}\nwindow.Stripe = Stripe;\n}})();\n"


def publishable_key() -> str:
    return settings.STRIPE_PUBLISHABLE_KEY


def stripe_customer_id(customer: Customer) -> str:
    """The customer's Stripe Customer id (from a card of theirs we already keep), or a new one.

    The idempotency key is the customer's: two agents setting up a card for the same caller at
    once get one Stripe Customer (Stripe honours the key; localstripe may make two, harmlessly).
    """
    known = (PaymentCard.objects.filter(customer=customer).exclude(stripe_customer_id="")
             .order_by("-created_at", "-pk").values_list("stripe_customer_id", flat=True).first())
    if known:
        return known
    try:
        return payment_gateway.customer_create(
            email=customer.primary_email or "", name=customer.display_name[:200],
            idempotency_key=f"customer-{customer.pk}-stripe-customer", metadata={"oms_customer": customer.number})
    except stripe.StripeError as error:
        raise CardGatewayError(_gateway_message(error)) from error


def setup_intent_create(*, customer: Customer) -> dict:
    """A SetupIntent for an off-session card of ``customer``: its id and the browser's client secret."""
    stripe_customer = stripe_customer_id(customer)
    try:
        intent = payment_gateway.setup_intent_create(customer=stripe_customer, idempotency_key=None)
    except stripe.StripeError as error:
        raise CardGatewayError(_gateway_message(error)) from error
    return {"id": intent["id"], "client_secret": intent["client_secret"]}


def _gateway_message(error: stripe.StripeError) -> str:
    if isinstance(error, (stripe.APIConnectionError, stripe.AuthenticationError)):
        return _("The payment gateway cannot be reached just now. Try again in a moment.")
    return str(error.user_message or _("The gateway refused the card."))


@dataclass(frozen=True)
class ConfirmedCard:
    """What Stripe says about the card behind a confirmed SetupIntent (never the number)."""

    payment_method: str
    stripe_customer: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None

    def details(self) -> dict:
        """The card's fields of a payment instruction (``payments.tenders.services.card_from_instruction``)."""
        return {"brand": self.brand, "last4": self.last4, "exp_month": self.exp_month, "exp_year": self.exp_year,
                "stripe_customer": self.stripe_customer}


def setup_intent_card(setup_intent_id: str, *, customer_number: str | None = None) -> ConfirmedCard:
    """The card of a SetupIntent the browser confirmed, attached to the intent's Customer.

    With ``customer_number``, the intent's Stripe Customer must be that customer's (its
    ``oms_customer`` metadata): a SetupIntent id posted for one caller never puts another's card
    on the order.
    """
    if not setup_intent_id.startswith("seti_") or len(setup_intent_id) > 255:
        raise CardGatewayError(_("That is not a card set up through Stripe."))
    payment_gateway.assert_no_transaction()
    try:
        stripe_client = payment_gateway.client()
        intent = stripe_client.v1.setup_intents.retrieve(setup_intent_id)
        if intent.status != "succeeded" or not intent.payment_method:
            raise CardGatewayError(_status_message(intent.status))
        payment_method_id = _id(intent.payment_method)
        customer = _id(intent.customer)
        if customer_number is not None:
            owner = stripe_client.v1.customers.retrieve(customer).to_dict() if customer else {}
            if (owner.get("metadata") or {}).get("oms_customer") != customer_number:
                raise CardGatewayError(_("That card was set up for another customer: key it in again."))
        payment_method = payment_gateway.payment_method_retrieve(payment_method_id)
        if customer and not payment_method.get("customer"):
            payment_method = payment_gateway.payment_method_attach(
                payment_method=payment_method_id, customer=customer,
                idempotency_key=f"{setup_intent_id}-attach")
    except stripe.StripeError as error:
        raise CardGatewayError(_gateway_message(error)) from error
    card = payment_method.get("card") or {}
    return ConfirmedCard(payment_method=payment_method_id, stripe_customer=customer,
                         brand=str(card.get("brand") or ""), last4=str(card.get("last4") or ""),
                         exp_month=int(card["exp_month"]) if card.get("exp_month") else None,
                         exp_year=int(card["exp_year"]) if card.get("exp_year") else None)


def _id(value) -> str:
    if not value:
        return ""
    return value if isinstance(value, str) else str(getattr(value, "id", "") or "")


def _status_message(status: str) -> str:
    if status == "requires_action":
        return _("The card needs the caller's authentication (3-D Secure), which did not finish. Try again or use another card.")
    return _("The card was not set up (Stripe says %(status)s). Key it in again or use another card.") % {"status": status}
