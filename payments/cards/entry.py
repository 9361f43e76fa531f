"""The payment section of the order-entry page (an ``orders.hooks`` entry panel) and its POST.

The section offers the customer's saved cards (brand, last four, expiry), a new card keyed into
Stripe Elements, or no card. Its inputs:

* ``card_choice``: ``new``, the pk of a saved :class:`PaymentCard`, or ``none``; ``new`` with the
  card field left empty is no card (the script sets a card up only when one was keyed in);
* ``card_setup_intent``: the SetupIntent the browser confirmed with the new card (``seti_…``);
* ``card_save``: keep the new card for the customer's next orders.

:func:`entry_payment_read` turns them into the payment instruction order entry passes to
``order_place``. It runs in the view before placement, outside any transaction, so it may read
the SetupIntent back from Stripe: the card's details are what Stripe says, not what the page
says. What goes wrong becomes an ``entry_error`` that :func:`entry_payment_validate` reports
as a field error, so the order is refused with the message and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Customer
from payments.cards import gateway
from payments.tenders.models import PaymentCard

CHOICE_NEW = "new"
CHOICE_NONE = "none"
TAKE_PAYMENT = "payments.take_payment"


def saved_cards(customer: Customer | None, *, today: dt.date | None = None) -> list[PaymentCard]:
    """The cards ``customer`` asked us to keep and that have not expired, newest first (one query)."""
    if customer is None:
        return []
    today = today or timezone.localdate()
    cards = PaymentCard.objects.filter(customer=customer, is_saved=True).order_by("-created_at", "-pk")[:20]
    # A card is good to the end of its expiry month.
    return [card for card in cards
            if not card.exp_year or not card.exp_month or (card.exp_year, card.exp_month) >= (today.year, today.month)]


def entry_payment_panel(*, user, customer: Customer | None = None, quote=None) -> dict | None:
    """The payment section, for those who take payments (agents, managers)."""
    if user is None or not user.has_perm(TAKE_PAYMENT):
        return None
    cards = saved_cards(customer)
    return {
        "template": "payments/cards/_entry_panel.html",
        "update_template": "payments/cards/_entry_panel.html#saved_cards",
        "customer": customer,
        "saved_cards": cards,
        "default_choice": str(cards[0].pk) if cards else CHOICE_NEW,
        "choice_new": CHOICE_NEW,
        "choice_none": CHOICE_NONE,
        "publishable_key": gateway.publishable_key(),
        "stripe_js_url": gateway.stripe_js_url(),
        "is_test_gateway": gateway.is_test_gateway(),
    }


def entry_payment_read(data: Mapping) -> list[dict]:
    """The card instruction in the order-entry POST ``data`` (``[]`` when no card is chosen)."""
    choice = str(data.get("card_choice") or "").strip()
    if choice == CHOICE_NEW:
        setup_intent = str(data.get("card_setup_intent") or "").strip()
        if not setup_intent:  # the card field was left empty: no card on this order (other tenders may pay)
            return []
        customer_id = str(data.get("customer") or "")
        customer = Customer.objects.filter(pk=int(customer_id)).first() if customer_id.isdigit() else None
        if customer is None:
            return [{"kind": "card", "entry_error": _("Choose the customer first: the card is kept on their account.")}]
        try:
            card = gateway.setup_intent_card(setup_intent, customer_number=customer.number)
        except gateway.CardGatewayError as error:
            return [{"kind": "card", "entry_error": error.message}]
        return [{"kind": "card", "payment_method": card.payment_method,
                 "save": data.get("card_save") in ("on", "1", "true"), **card.details()}]
    if choice.isdigit():
        customer = str(data.get("customer") or "")
        card = PaymentCard.objects.filter(pk=int(choice), is_saved=True,
                                          customer_id=int(customer) if customer.isdigit() else None).first()
        if card is None:
            return [{"kind": "card", "entry_error": _("That saved card is not the customer's: choose another.")}]
        return [{"kind": "card", "card_id": card.pk}]
    return []


def entry_payment_validate(basket, payment: Sequence[Mapping]) -> dict[str, list[str]]:
    """Refuse the order when the card section could not be read (see :func:`entry_payment_read`)."""
    messages = [str(item["entry_error"]) for item in payment if item.get("kind") == "card" and item.get("entry_error")]
    return {"payment": messages} if messages else {}
