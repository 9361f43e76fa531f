"""The Stripe calls the card screens make, outside any database transaction (none moves money).

A SetupIntent for the customer's Stripe Customer is created when the agent is about to
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
from payments.tenders.models import PaymentCard


class CardGatewayError(Exception):
    """The gateway refused or could not be reached; ``message`` is for the agent."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def client() -> stripe.StripeClient:
    """A Stripe client on ``STRIPE_API_KEY``, pointed at localstripe when ``STRIPE_API_BASE`` is set."""
    base = settings.STRIPE_API_BASE
    return stripe.StripeClient(settings.STRIPE_API_KEY or "sk_test_localstripe",
                               base_addresses={"api": base} if base else None, max_network_retries=2)


def is_test_gateway() -> bool:
    """True when payments go to a test gateway (localstripe, or Stripe with test keys)."""
    return bool(settings.STRIPE_API_BASE) or not settings.STRIPE_API_KEY or \
        settings.STRIPE_API_KEY.startswith(("sk_test_", "rk_test_"))


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
    return settings.STRIPE_PUBLISHABLE_KEY or "pk_test_localstripe"


def stripe_customer_id(customer: Customer) -> str:
    """The customer's Stripe Customer id (from a card of theirs we already keep), or a new one."""
    known = (PaymentCard.objects.filter(customer=customer).exclude(stripe_customer_id="")
             .order_by("-created_at", "-pk").values_list("stripe_customer_id", flat=True).first())
    if known:
        return known
    try:
        created = client().v1.customers.create(params={
            "name": customer.display_name[:200], "metadata": {"oms_customer": customer.number}})
    except stripe.StripeError as error:
        raise CardGatewayError(error.user_message or str(error)) from error
    return created.id


def setup_intent_create(*, customer: Customer) -> dict:
    """A SetupIntent for an off-session card of ``customer``: its id and the browser's client secret."""
    stripe_customer = stripe_customer_id(customer)
    try:
        intent = client().v1.setup_intents.create(params={
            "customer": stripe_customer, "usage": "off_session", "payment_method_types": ["card"],
            "metadata": {"oms_customer": customer.number}})
    except stripe.StripeError as error:
        raise CardGatewayError(error.user_message or str(error)) from error
    return {"id": intent.id, "client_secret": intent.client_secret}


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


def setup_intent_card(setup_intent_id: str) -> ConfirmedCard:
    """The card of a SetupIntent the browser confirmed, attached to the intent's Customer."""
    if not setup_intent_id.startswith("seti_"):
        raise CardGatewayError(_("That is not a card set up through Stripe."))
    gateway = client()
    try:
        intent = gateway.v1.setup_intents.retrieve(setup_intent_id)
        if intent.status != "succeeded" or not intent.payment_method:
            raise CardGatewayError(_status_message(intent.status))
        payment_method_id = intent.payment_method if isinstance(intent.payment_method, str) else intent.payment_method.id
        payment_method = gateway.v1.payment_methods.retrieve(payment_method_id)
        customer = intent.customer if isinstance(intent.customer, str) else getattr(intent.customer, "id", "")
        if customer and not payment_method.customer:
            payment_method = gateway.v1.payment_methods.attach(payment_method_id, params={"customer": customer})
    except stripe.StripeError as error:
        raise CardGatewayError(error.user_message or str(error)) from error
    card = payment_method.card
    return ConfirmedCard(payment_method=payment_method.id, stripe_customer=customer or "",
                         brand=str(card.brand or ""), last4=str(card.last4 or ""),
                         exp_month=int(card.exp_month) if card.exp_month else None,
                         exp_year=int(card.exp_year) if card.exp_year else None)


def _status_message(status: str) -> str:
    if status == "requires_action":
        return _("The card needs the caller's authentication (3-D Secure), which did not finish. Try again or use another card.")
    return _("The card was not set up (Stripe says %(status)s). Key it in again or use another card.") % {"status": status}
