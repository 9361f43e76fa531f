"""Card payments on the order screens: the tender panel per role, the list's expiry flag, the
order-entry payment section (saved cards, the test-gateway badge) and "Try another card"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders import hooks as order_hooks
from orders.models import Hold
from payments.cards import panels
from payments.tenders.models import PaymentCard, Tender
from tests.screens_helpers import count_queries
from tests.screens_orders_helpers import (
    CustomerFactory,
    OrderFactory,
    hold,
    roles_in_sync,  # noqa: F401 - an autouse fixture
)

pytestmark = pytest.mark.django_db

ROLES = ["Agent", "Warehouse", "Manager", "Accountant", "Admin"]


def card(customer, *, last4="4242", brand="visa", saved=True, exp=(12, 2030), **fields) -> PaymentCard:
    return PaymentCard.objects.create(customer=customer, stripe_customer_id="cus_TEST1",
                                      stripe_payment_method_id=f"pm_TEST{last4}", brand=brand, last4=last4,
                                      exp_month=exp[0], exp_year=exp[1], is_saved=saved, **fields)


def tender(order, *, sequence=1, status=Tender.Status.AUTHORIZED, amount=None, authorized=None, captured="0",
           refunded="0", card_row=None, expires_in=dt.timedelta(days=6), **fields) -> Tender:
    amount = Decimal(amount) if amount is not None else order.total
    return Tender.objects.create(
        order=order, kind=Tender.Kind.CARD, status=status, currency=order.currency, amount=amount,
        authorized_amount=Decimal(authorized) if authorized is not None else (
            amount if status in (Tender.Status.AUTHORIZED, Tender.Status.CAPTURED) else Decimal("0")),
        captured_amount=Decimal(captured), refunded_amount=Decimal(refunded),
        card=card_row or card(order.customer, saved=False),
        stripe_payment_intent_id=f"pi_TEST{order.pk}x{sequence}",
        authorized_at=timezone.now() if status == Tender.Status.AUTHORIZED else None,
        authorization_expires_at=timezone.now() + expires_in if status == Tender.Status.AUTHORIZED else None,
        sequence=sequence, **fields)


# --- the order page's tender panel ------------------------------------------------------------


@pytest.mark.parametrize("role, sees_panel, sees_gateway_ids", [
    ("Agent", True, False), ("Manager", True, False), ("Accountant", True, True), ("Admin", True, True),
    ("Warehouse", False, False),
])
def test_the_tender_panel_shows_by_role_and_warehouse_sees_no_payment_data(role_client, role, sees_panel,
                                                                          sees_gateway_ids):
    order = OrderFactory(total=Decimal("21.600"))
    paid = tender(order, captured="21.600")

    response = role_client(role).get(order.get_absolute_url())

    body = response.content.decode()
    assert response.status_code == 200
    assert ('id="tender-panel"' in body) is sees_panel
    assert ("•••• 4242" in body) is sees_panel
    assert (paid.stripe_payment_intent_id in body) is sees_gateway_ids
    assert ("cus_TEST1" in body, "pm_TEST4242" in body) == (False, False)  # never on the page
    if not sees_panel:
        assert "Balance due" not in body and "tender" not in body.lower()


def test_the_panel_shows_each_tender_and_the_balance_due(role_client):
    order = OrderFactory(total=Decimal("100.000"))
    tender(order, sequence=1, amount="60.000", captured="60.000", refunded="10.000")
    tender(order, sequence=2, amount="40.000", card_row=card(order.customer, last4="1881", brand="mastercard"))

    response = role_client("Agent").get(order.get_absolute_url())

    panel = next(panel for panel in response.context["panels"] if "tenders" in panel)  # staff tasks' is first
    rows, summary = panel["tenders"], panel["summary"]
    body = response.content.decode()
    assert [(row.sequence, row.card.last4, row.status) for row in rows] == [(1, "4242", "authorized"),
                                                                           (2, "1881", "authorized")]
    assert (summary.authorized, summary.paid, summary.balance_due, summary.uncovered) == (
        Decimal("40.000"), Decimal("50.000"), Decimal("50.00"), Decimal("0.00"))
    assert '<dd class="col-5 text-end mb-0 fw-bold" id="balance-due">$50.00</dd>' in body
    assert '<dd class="col-5 text-end mb-1" id="tender-paid">$50.00</dd>' in body
    assert "tender-uncovered" not in body


def test_a_declined_card_says_why_and_offers_another_card_to_those_who_take_payments(role_client):
    order = OrderFactory(total=Decimal("30.000"))
    hold(order, Hold.Reason.PAYMENT, note="Awaiting authorization")
    tender(order, status=Tender.Status.DECLINED, failure_message="Your card was declined.")

    agent_page = role_client("Agent").get(order.get_absolute_url()).content.decode()
    accountant_page = role_client("Accountant").get(order.get_absolute_url()).content.decode()

    assert 'id="payment-problem" data-status="declined"' in agent_page
    assert "Card •••• 4242 was declined." in agent_page and "Your card was declined." in agent_page
    assert reverse("payments_cards:tender_retry", args=[order.pk]) in agent_page
    assert "Your card was declined." in accountant_page
    assert reverse("payments_cards:tender_retry", args=[order.pk]) not in accountant_page
    assert '<dd class="col-5 text-end mb-1 text-warning-emphasis" id="tender-uncovered">$30.00</dd>' in agent_page


def test_a_card_that_needs_authentication_says_so(role_client):
    order = OrderFactory(total=Decimal("30.000"))
    hold(order, Hold.Reason.PAYMENT)
    tender(order, status=Tender.Status.REQUIRES_ACTION, failure_message="The bank asks the caller to authenticate.")

    body = role_client("Agent").get(order.get_absolute_url()).content.decode()

    assert 'data-status="requires_action"' in body
    assert "Card •••• 4242 needs the caller's authentication (3-D Secure)." in body
    assert "Try another card" in body


def test_a_failure_covered_by_a_newer_card_is_no_longer_a_problem(role_client):
    order = OrderFactory(total=Decimal("30.000"))
    tender(order, sequence=1, status=Tender.Status.DECLINED, failure_message="Your card was declined.")
    tender(order, sequence=2)

    body = role_client("Agent").get(order.get_absolute_url()).content.decode()

    assert 'id="payment-problem"' not in body and "Try another card" not in body
    assert "Your card was declined." in body  # still on its own row


def test_a_pending_authorization_polls_and_reloads_the_page_once_decided(role_client):
    order = OrderFactory(total=Decimal("30.000"))
    pending = tender(order, status=Tender.Status.PENDING)
    client = role_client("Agent")
    url = reverse("payments_cards:tender_panel", args=[order.pk])

    page = client.get(order.get_absolute_url()).content.decode()
    still_pending = client.get(url, {"pending": "1"})
    Tender.objects.filter(pk=pending.pk).update(status=Tender.Status.AUTHORIZED, authorized_amount=Decimal("30"))
    decided = client.get(url, {"pending": "1"})

    assert f'hx-get="{url}?pending=1" hx-trigger="every 2s"' in page
    assert still_pending.status_code == 200 and 'data-pending="true"' in still_pending.content.decode()
    assert (decided.status_code, decided["HX-Refresh"]) == (204, "true")


@pytest.mark.parametrize("role, status", [("Agent", 200), ("Manager", 200), ("Accountant", 200), ("Admin", 200),
                                          ("Warehouse", 403)])
def test_the_polled_panel_is_refused_to_warehouse(role_client, role, status):
    order = OrderFactory()
    tender(order)

    response = role_client(role).get(reverse("payments_cards:tender_panel", args=[order.pk]))

    assert response.status_code == status
    if status == 403:
        assert "4242" not in response.content.decode()


# --- the order list's flag --------------------------------------------------------------------


def test_the_list_flags_authorizations_that_expire_within_a_day(role_client):
    soon, later, captured, none = (OrderFactory(number=number) for number in ("A-SOON", "A-LATER", "A-DONE", "A-NONE"))
    tender(soon, expires_in=dt.timedelta(hours=20))
    tender(later, expires_in=dt.timedelta(days=3))
    tender(captured, status=Tender.Status.CAPTURED, captured=str(captured.total))

    body = role_client("Agent").get(reverse("orders:order_list")).content.decode()

    rows = {number: body.split(f'data-order="{number}"')[1].split("</tr>")[0]
            for number in ("A-SOON", "A-LATER", "A-DONE", "A-NONE")}
    assert [number for number, row in rows.items() if 'data-flag="authorization_expiring"' in row] == ["A-SOON"]
    assert "Authorization expiring" in rows["A-SOON"]


@pytest.mark.parametrize("role, sees_flag", [("Agent", True), ("Manager", True), ("Accountant", True),
                                             ("Admin", True), ("Warehouse", False)])
def test_the_list_flag_is_payment_data_and_hidden_from_warehouse(role_client, role, sees_flag):
    tender(OrderFactory(), expires_in=dt.timedelta(hours=2))

    body = role_client(role).get(reverse("orders:order_list")).content.decode()

    assert ('data-flag="authorization_expiring"' in body) is sees_flag


def test_the_flag_costs_no_query_and_the_list_stays_flat(role_client, django_assert_max_num_queries):
    client = role_client("Agent")
    for index in range(60):
        order = OrderFactory(customer=CustomerFactory())
        tender(order, expires_in=dt.timedelta(hours=3 if index % 2 else 72))
    url = reverse("orders:order_list")

    small = count_queries(client, url, data={"size": "10"})
    large = count_queries(client, url, data={"size": "50"})
    order_hooks.remove_order_list_flag(panels.AUTHORIZATION_EXPIRING_FLAG)
    try:
        without_flag = count_queries(client, url, data={"size": "50"})
    finally:
        order_hooks.register_order_list_flag(panels.AUTHORIZATION_EXPIRING_FLAG)

    assert small == large == without_flag
    with django_assert_max_num_queries(8):  # as the list without payments: session, user, permissions, orders
        response = client.get(url, {"size": "50"})
    assert response.content.decode().count('data-flag="authorization_expiring"') == 25


def test_the_flag_is_an_exists_subquery_of_the_list_query():
    from orders.selectors import order_list_rows

    sql = str(order_list_rows().query)

    assert 'EXISTS(SELECT 1 AS "a" FROM "payments_tender"' in sql
    assert 'U0."order_id" = ("orders_order"."id") AND U0."status" = authorized) LIMIT 1) AS "flag_authorization_expiring"' in sql


# --- the order-entry payment section ----------------------------------------------------------


def test_the_entry_page_has_the_payment_section_with_elements_from_settings(role_client, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:8420"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_abc"
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"

    body = role_client("Agent").get(reverse("orders:order_entry")).content.decode()

    assert 'id="payment-panel"' in body and 'data-publishable-key="pk_test_abc"' in body
    assert '<script src="/payments/cards/localstripe/stripe.js"></script>' in body  # localstripe's, wrapped
    assert '<script src="/static/payments/card_entry.js" defer></script>' in body
    assert 'id="test-gateway-badge"' in body
    assert 'value="new" checked' in body  # no saved card: a new one
    assert "sk_" not in body  # the secret key never reaches the page


def test_with_live_stripe_keys_there_is_no_test_badge(role_client, settings):
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_API_KEY = "sk_live_abc"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_live_abc"
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"

    body = role_client("Manager").get(reverse("orders:order_entry")).content.decode()

    assert 'id="payment-panel"' in body and '<script src="https://js.stripe.com/v3/"></script>' in body
    assert "test-gateway-badge" not in body


def test_a_returning_caller_s_saved_cards_are_offered_by_brand_last_four_and_expiry(role_client):
    customer = CustomerFactory()
    older = card(customer, last4="1111", exp=(1, 2029))
    newer = card(customer, last4="4444", brand="mastercard", exp=(7, 2031))
    card(customer, last4="9999", saved=False)  # used once, not kept
    card(customer, last4="7777", exp=(1, 2020))  # kept, but expired
    card(CustomerFactory(), last4="5555")  # somebody else's
    client = role_client("Agent")

    page = client.get(reverse("orders:order_entry"), {"customer": customer.pk}).content.decode()
    swap = client.post(reverse("orders:entry_draft"), {"action": "customer", "customer": str(customer.pk)},
                       HTTP_HX_REQUEST="true").content.decode()

    for body in (page, swap):
        assert [f"•••• {digits}" in body for digits in ("4444", "1111", "9999", "5555", "7777")] == [
            True, True, False, False, False]
        assert body.index("•••• 4444") < body.index("•••• 1111")
        assert "expires 07/31" in body and "expires 01/29" in body
        assert f'value="{newer.pk}" checked' in body and f'value="{older.pk}" checked' not in body
    assert '<fieldset id="payment-choices" hx-swap-oob="true">' in swap


def test_the_payment_section_is_only_for_those_who_take_payments():
    from payments.cards.entry import entry_payment_panel
    from tests.factories import UserFactory

    assert entry_payment_panel(user=UserFactory(role="Accountant")) is None
    assert entry_payment_panel(user=UserFactory(role="Agent"))["template"] == "payments/cards/_entry_panel.html"


def test_a_saved_card_of_another_customer_is_refused():
    from payments.cards.entry import entry_payment_read, entry_payment_validate

    mine, theirs = CustomerFactory(), CustomerFactory()
    their_card = card(theirs)
    my_card = card(mine, last4="1234")

    refused = entry_payment_read({"card_choice": str(their_card.pk), "customer": str(mine.pk)})
    accepted = entry_payment_read({"card_choice": str(my_card.pk), "customer": str(mine.pk)})

    assert entry_payment_validate(None, refused) == {"payment": ["That saved card is not the customer's: choose another."]}
    assert accepted == [{"kind": "card", "card_id": my_card.pk}]
    assert entry_payment_read({"card_choice": "none"}) == [] and entry_payment_read({}) == []
    assert entry_payment_read({"card_choice": "new", "card_setup_intent": ""}) == []  # the card field left empty


@pytest.mark.parametrize("role, status", [("Agent", 400), ("Manager", 400), ("Warehouse", 403),
                                          ("Accountant", 403)])
def test_the_setup_intent_endpoint_is_for_those_who_take_payments(role_client, role, status):
    response = role_client(role).post(reverse("payments_cards:setup_intent"), {"customer": ""})

    assert response.status_code == status


@pytest.mark.parametrize("role, status", [("Agent", 200), ("Manager", 200), ("Warehouse", 403),
                                          ("Accountant", 403)])
def test_try_another_card_is_for_those_who_take_payments(role_client, role, status):
    order = OrderFactory()
    hold(order, Hold.Reason.PAYMENT)
    tender(order, status=Tender.Status.DECLINED, failure_message="Your card was declined.")

    response = role_client(role).get(reverse("payments_cards:tender_retry", args=[order.pk]))

    assert response.status_code == status
    if status == 200:
        body = response.content.decode()
        assert 'id="payment-panel"' in body and 'id="retry-form"' in body and "Your card was declined." in body


def test_try_another_card_on_an_order_with_nothing_to_replace_goes_back_to_the_order(role_client):
    order = OrderFactory()
    tender(order)

    response = role_client("Agent").get(reverse("payments_cards:tender_retry", args=[order.pk]))

    assert (response.status_code, response["Location"]) == (302, order.get_absolute_url())
    assert Tender.objects.filter(order=order).count() == 1


def test_the_customer_page_s_order_history_carries_the_flag_too(role_client):
    order = OrderFactory(number="A-CUST")
    tender(order, expires_in=dt.timedelta(hours=5))

    body = role_client("Agent").get(order.customer.get_absolute_url()).content.decode()

    assert 'data-flag="authorization_expiring"' in body.split('data-order="A-CUST"')[1].split("</tr>")[0]


def test_each_tender_row_says_what_it_authorized_captured_and_refunded(role_client):
    order = OrderFactory(total=Decimal("80.000"))
    tender(order, amount="80.000", captured="50.000", refunded="5.500")

    body = role_client("Accountant").get(order.get_absolute_url()).content.decode()

    row = body.split('<tr class="tender"')[1].split("</tr>")[0]
    assert '<span class="tender-authorized">authorized $80.00</span>' in row
    assert '<span class="tender-captured">captured $50.00</span>' in row
    assert '<span class="tender-refunded">refunded $5.50</span>' in row
    assert '<td class="text-end fw-semibold">$80.00</td>' in row
