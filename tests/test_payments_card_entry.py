"""The card screens against a real localstripe: the SetupIntent the browser confirms, what the
server reads back (ids, brand, last four, expiry, never the number), placement through the entry
form, "Try another card" and 3-D Secure."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Hold, Order
from payments.cards import entry, gateway
from payments.tenders import services
from payments.tenders.models import PaymentCard, Tender
from tests.payments_helpers import DECLINED_AT_CONFIRMATION, GOOD_CARD, NEEDS_AUTHENTICATION, authenticate, wait_for
from tests.screens_orders_helpers import entry_world, roles_in_sync  # noqa: F401 - an autouse fixture

pytestmark = pytest.mark.django_db(transaction=True)  # the gateway is only called outside transactions


def confirm_in_browser(setup_intent: dict, number: str, *, base: str) -> dict:
    """What stripe.js's confirmCardSetup sends localstripe (the number goes there, not to us)."""
    body = json.dumps({"key": "pk_test_localstripe", "use_stripe_sdk": True, "client_secret": setup_intent["client_secret"],
                       "payment_method_data": {"type": "card", "card": {
                           "number": number, "exp_month": "11", "exp_year": "2032", "cvc": "123"}}}).encode()
    request = urllib.request.Request(f"{base}/v1/setup_intents/{setup_intent['id']}/confirm", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return json.loads(refused.read())


def keyed_card(client, customer, number: str, *, base: str) -> str:
    """The SetupIntent id the page posts after the agent keyed ``number`` into Elements."""
    response = client.post(reverse("payments_cards:setup_intent"), {"customer": str(customer.pk)})
    assert response.status_code == 200
    setup_intent = response.json()
    assert setup_intent["client_secret"].startswith(f"{setup_intent['id']}_secret_")
    confirm_in_browser(setup_intent, number, base=base)
    return setup_intent["id"]


def entry_post(world, **payment) -> dict:
    return {"customer": str(world.customer.pk), "ship_choice": str(world.home.pk),
            "shipping_method": str(world.ground.pk), "line-1-sku": str(world.mug.pk), "line-1-quantity": "2",
            "entry_token": "a" * 32, **payment}


def test_the_server_reads_the_confirmed_card_back_and_attaches_it_to_the_customer(role_client, stripe_gateway):
    world = entry_world()
    client = role_client("Agent")
    setup_intent = keyed_card(client, world.customer, GOOD_CARD, base=stripe_gateway)

    (instruction,) = entry.entry_payment_read({"card_choice": "new", "card_setup_intent": setup_intent,
                                               "card_save": "on", "customer": str(world.customer.pk)})

    payment_method = instruction["payment_method"]
    assert payment_method.startswith("pm_") and instruction["stripe_customer"].startswith("cus_")
    assert {key: instruction[key] for key in ("kind", "save", "brand", "last4", "exp_month", "exp_year")} == {
        "kind": "card", "save": True, "brand": "visa", "last4": "4242", "exp_month": 11, "exp_year": 2032}
    assert gateway.payment_gateway.payment_method_retrieve(payment_method)["customer"] == instruction["stripe_customer"]
    assert GOOD_CARD not in json.dumps(instruction)


def test_an_unconfirmed_or_unknown_setup_intent_refuses_the_order_with_a_message(role_client, stripe_gateway):
    world = entry_world()
    client = role_client("Agent")
    unconfirmed = client.post(reverse("payments_cards:setup_intent"), {"customer": str(world.customer.pk)}).json()

    response = client.post(reverse("orders:order_entry"), entry_post(world, card_choice="new",
                                                                    card_setup_intent=unconfirmed["id"]))
    unknown = entry.entry_payment_read({"card_choice": "new", "card_setup_intent": "seti_nothere",
                                        "customer": str(world.customer.pk)})

    assert response.status_code == 422
    assert "The card was not set up (Stripe says requires_payment_method)" in response.content.decode()
    assert (Order.objects.count(), Tender.objects.count(), PaymentCard.objects.count()) == (0, 0, 0)
    assert unknown[0]["kind"] == "card" and unknown[0]["entry_error"]
    assert entry.entry_payment_read({"card_choice": "new", "card_setup_intent": "pm_123",
                                     "customer": str(world.customer.pk)})[0]["entry_error"] == (
        "That is not a card set up through Stripe.")
    assert entry.entry_payment_read({"card_choice": "new", "card_setup_intent": "seti_x"})[0]["entry_error"] == (
        "Choose the customer first: the card is kept on their account.")


def test_a_card_set_up_for_one_caller_is_refused_on_another_s_order(role_client, stripe_gateway):
    from tests.screens_orders_helpers import CustomerFactory

    world = entry_world()
    client = role_client("Agent")
    someone_else = CustomerFactory()
    their_card = keyed_card(client, someone_else, GOOD_CARD, base=stripe_gateway)

    response = client.post(reverse("orders:order_entry"), entry_post(world, card_choice="new",
                                                                    card_setup_intent=their_card))

    assert response.status_code == 422
    assert "That card was set up for another customer: key it in again." in response.content.decode()
    assert (Order.objects.count(), Tender.objects.count(), PaymentCard.objects.count()) == (0, 0, 0)


def test_a_card_declined_when_set_up_never_reaches_the_server(role_client, stripe_gateway):
    world = entry_world()
    client = role_client("Agent")
    setup_intent = client.post(reverse("payments_cards:setup_intent"), {"customer": str(world.customer.pk)}).json()

    result = confirm_in_browser(setup_intent, "4000000000000002", base=stripe_gateway)

    assert result["error"]["message"] == "Your card was declined."  # what the page shows under the card field


def test_an_order_placed_through_the_entry_form_waits_on_a_payment_hold_for_its_card(role_client, stripe_gateway):
    world = entry_world()
    client = role_client("Agent")
    setup_intent = keyed_card(client, world.customer, GOOD_CARD, base=stripe_gateway)

    response = client.post(reverse("orders:order_entry"), entry_post(world, card_choice="new",
                                                                    card_setup_intent=setup_intent, card_save="on"))

    order = Order.objects.get()
    assert (response.status_code, response["Location"]) == (302, order.get_absolute_url())
    (tender,) = order.tenders.all()
    assert (tender.kind, tender.status, tender.amount, tender.card.last4, tender.card.brand, tender.card.is_saved) == (
        "card", "pending", order.total, "4242", "visa", True)
    assert (tender.card.exp_month, tender.card.exp_year, tender.card.customer) == (11, 2032, world.customer)
    assert Hold.objects.get(order=order, reason=Hold.Reason.PAYMENT).is_open

    authorized = services.payment_authorize(tender=tender, user=None)  # what the worker does after commit

    assert (authorized.status, authorized.authorized_amount) == ("authorized", order.total)
    assert not Hold.objects.get(order=order, reason=Hold.Reason.PAYMENT).is_open
    page = client.get(reverse("orders:order_entry"), {"customer": world.customer.pk}).content.decode()
    assert f'value="{tender.card.pk}" checked' in page and "•••• 4242" in page  # offered next time


def test_the_next_order_with_the_saved_card_is_authorized_off_the_same_customer(role_client, stripe_gateway):
    world = entry_world()
    client = role_client("Agent")
    setup_intent = keyed_card(client, world.customer, GOOD_CARD, base=stripe_gateway)
    client.post(reverse("orders:order_entry"), entry_post(world, card_choice="new", card_setup_intent=setup_intent,
                                                         card_save="on"))
    saved = PaymentCard.objects.get(is_saved=True)

    client.post(reverse("orders:order_entry"), entry_post(world, card_choice=str(saved.pk), entry_token="b" * 32))

    second = Order.objects.get(external_id=f"entry-{'b' * 32}")
    tender = services.payment_authorize(tender=second.tenders.get(), user=None)
    assert (tender.card_id, tender.status, PaymentCard.objects.count()) == (saved.pk, "authorized", 1)
    assert keyed_card(client, world.customer, GOOD_CARD, base=stripe_gateway)  # the same Stripe customer again
    assert {card.stripe_customer_id for card in PaymentCard.objects.all()} == {saved.stripe_customer_id}


def test_after_a_decline_the_agent_tries_another_card_and_it_is_authorized(role_client, stripe_gateway):
    world = entry_world()
    client = role_client("Agent")
    declined_card = keyed_card(client, world.customer, DECLINED_AT_CONFIRMATION, base=stripe_gateway)
    client.post(reverse("orders:order_entry"), entry_post(world, card_choice="new", card_setup_intent=declined_card))
    order = Order.objects.get()
    declined = services.payment_authorize(tender=order.tenders.get(), user=None)
    assert declined.status == "declined"
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Card •••• 0341 was declined." in page and reverse("payments_cards:tender_retry", args=[order.pk]) in page

    good_card = keyed_card(client, world.customer, GOOD_CARD, base=stripe_gateway)
    response = client.post(reverse("payments_cards:tender_retry", args=[order.pk]),
                           {"card_choice": "new", "card_setup_intent": good_card})

    assert (response.status_code, response["Location"]) == (302, order.get_absolute_url())
    first, second = order.tenders.order_by("sequence")
    assert (first.status, second.status, second.amount, second.card.last4) == ("declined", "pending", order.total, "4242")
    services.payment_authorize(tender=second, user=None)
    second.refresh_from_db()
    assert second.status == "authorized"
    assert not Hold.objects.filter(order=order, reason=Hold.Reason.PAYMENT, released_at__isnull=True).exists()
    assert "Try another card" not in client.get(order.get_absolute_url()).content.decode()


def test_3d_secure_shows_a_message_and_the_agent_checks_again_once_the_caller_authenticated(role_client,
                                                                                          payments_worker):
    world = entry_world()
    client = role_client("Agent")
    from tests.payments_helpers import card_payment_method

    payment_method = card_payment_method(NEEDS_AUTHENTICATION)
    client.post(reverse("orders:order_entry"), entry_post(world))  # no card: placed, then a card is added
    order = Order.objects.get()
    tender = services.tender_add(order=order, kind=Tender.Kind.CARD, user=None, payment_method=payment_method,
                                 card_details={"brand": "visa", "last4": "3184"})
    waiting = wait_for(lambda: Tender.objects.filter(pk=tender.pk, status="requires_action").first())

    page = client.get(order.get_absolute_url()).content.decode()
    assert "Card •••• 3184 needs the caller's authentication (3-D Secure)." in page
    assert reverse("payments_cards:tender_recheck", args=[order.pk, tender.pk]) in page

    authenticate(waiting.stripe_payment_intent_id)
    response = client.post(reverse("payments_cards:tender_recheck", args=[order.pk, tender.pk]))

    assert response.status_code == 302
    done = wait_for(lambda: Tender.objects.filter(pk=tender.pk, status="authorized").first())
    assert done.authorized_amount == order.total
    assert "3-D Secure" not in client.get(order.get_absolute_url()).content.decode()


def test_another_card_after_3d_secure_voids_the_waiting_one(role_client, stripe_gateway):
    world = entry_world()
    client = role_client("Agent")
    from tests.payments_helpers import card_payment_method

    client.post(reverse("orders:order_entry"), entry_post(world))
    order = Order.objects.get()
    waiting = services.tender_add(order=order, kind=Tender.Kind.CARD, user=None,
                                  payment_method=card_payment_method(NEEDS_AUTHENTICATION))
    waiting = services.payment_authorize(tender=waiting, user=None)
    assert waiting.status == "requires_action"

    good_card = keyed_card(client, world.customer, GOOD_CARD, base=stripe_gateway)
    client.post(reverse("payments_cards:tender_retry", args=[order.pk]),
                {"card_choice": "new", "card_setup_intent": good_card})

    first, second = order.tenders.order_by("sequence")
    assert (first.status, second.status, second.amount) == ("voided", "pending", order.total)
    assert gateway.payment_gateway.payment_intent_retrieve(first.stripe_payment_intent_id).status == "canceled"


@pytest.mark.parametrize("role, status", [("Agent", 302), ("Manager", 302), ("Warehouse", 403), ("Accountant", 403)])
def test_check_again_is_for_those_who_take_payments(role_client, role, status):
    from tests.test_payments_card_screens import tender as make_tender
    from tests.screens_orders_helpers import OrderFactory

    order = OrderFactory()
    waiting = make_tender(order, status=Tender.Status.DECLINED)  # not waiting for authentication: nothing to do

    response = role_client(role).post(reverse("payments_cards:tender_recheck", args=[order.pk, waiting.pk]))

    assert response.status_code == status


def test_localstripe_s_stripe_js_is_served_wrapped_so_it_does_not_shadow_the_dom(client, make_user, stripe_gateway,
                                                                                settings):
    client.force_login(make_user("Agent"))

    script = client.get(reverse("payments_cards:localstripe_js"))
    settings.STRIPE_API_BASE = ""
    live = client.get(reverse("payments_cards:localstripe_js"))

    body = script.content.decode()
    assert (script.status_code, script["Content-Type"]) == (200, "text/javascript")
    assert body.startswith("(function () {\n") and body.rstrip().endswith("window.Stripe = Stripe;\n})();")
    assert "document.currentScript.src" not in body and f'"{stripe_gateway}/js.stripe.com/v3/"' in body
    assert "class Element" in body  # inside the function, no longer a global
    assert live.status_code == 404


def test_amounts_are_decimal_in_the_panel_summary(role_client, stripe_gateway):
    world = entry_world()
    client = role_client("Agent")
    client.post(reverse("orders:order_entry"), entry_post(world, card_choice="new",
                                                         card_setup_intent=keyed_card(client, world.customer, GOOD_CARD,
                                                                                      base=stripe_gateway)))
    order = Order.objects.get()
    services.payment_authorize(tender=order.tenders.get(), user=None)

    panel = next(panel for panel in client.get(order.get_absolute_url()).context["panels"] if "tenders" in panel)

    assert (panel["summary"].authorized, panel["summary"].paid, panel["summary"].balance_due) == (
        order.total, Decimal("0"), order.total)


def test_a_refused_order_keeps_the_card_already_keyed_in(role_client, stripe_gateway):
    world = entry_world()
    client = role_client("Agent")
    setup_intent = keyed_card(client, world.customer, GOOD_CARD, base=stripe_gateway)
    data = entry_post(world, card_choice="new", card_setup_intent=setup_intent, card_save="on")
    data["line-1-quantity"] = "0"  # a mistake elsewhere on the form

    response = client.post(reverse("orders:order_entry"), data)

    body = response.content.decode()
    assert response.status_code == 422
    assert f'<input type="hidden" name="card_setup_intent" id="card-setup-intent" value="{setup_intent}">' in body
    assert 'id="card-kept"' in body and 'id="card-save" checked' in body
    assert (Order.objects.count(), Tender.objects.count()) == (0, 0)
