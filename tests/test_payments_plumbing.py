"""How payments plugs into the order flow (orders.hooks), the API, the queue, and the gateway's guards."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

import pytest
import stripe
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from oms.celery import route_task
from orders import hooks
from orders.models import Hold, Order, OrderStatus
from payments import gateway, tasks
from payments.tenders import services
from payments.tenders.models import PaymentAttempt, Tender
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import NEW_YORK, CustomerFactory, line, place
from tests.payments_helpers import card_instruction
from tests.screens_orders_helpers import entry_world, roles_in_sync  # noqa: F401 - an autouse fixture


@pytest.fixture
def shirt(db):
    sku = SkuFactory(code="SHIRT-M", list_price=Decimal("20.00"))
    stock(sku, WarehouseFactory(code="EAST", priority=10), 10)
    return sku


# --- the REST API passes payment instructions through ---------------------------------------------------


@pytest.mark.django_db
def test_an_api_order_with_a_card_waits_on_its_authorization(shirt, make_user):
    CustomerFactory(number="C500")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user('Agent')).key}")
    data = {"channel": "web", "external_id": "W-1", "customer": {"number": "C500"},
            "lines": [{"sku_code": "SHIRT-M", "quantity": 2}], "ship_to": dict(NEW_YORK),
            "payment": [{"kind": "card", "payment_method": "pm_from_the_web_store", "last4": "4242"}]}

    created = client.post("/api/orders/", data, format="json")
    refused = client.post("/api/orders/", {**data, "external_id": "W-2", "payment": [{"kind": "cheque"}]},
                          format="json")

    assert created.status_code == 201, created.content
    order = Order.objects.get(external_id="W-1")
    tender = order.tenders.get()
    assert (order.status, order.holds.get().note) == (OrderStatus.ON_HOLD, "Awaiting card authorization.")
    assert (tender.kind, tender.status, tender.amount, tender.card.stripe_payment_method_id, tender.card.last4) == (
        "card", "pending", Decimal("40.00"), "pm_from_the_web_store", "4242")
    assert refused.status_code == 400
    assert "Unknown payment kind cheque." in str(refused.json())
    assert not Order.objects.filter(external_id="W-2").exists()


@pytest.mark.django_db
def test_an_order_without_payment_instructions_is_not_held_by_payments(shirt):
    order = place(lines=[line(shirt, 1)])
    assert (order.status, order.tenders.count(), order.holds.count()) == (OrderStatus.ALLOCATED, 0, 0)


@pytest.mark.django_db
def test_a_saved_card_of_another_customer_is_refused(shirt):
    owner, other = CustomerFactory(), CustomerFactory()
    card = services.card_from_instruction({"payment_method": "pm_saved", "save": True}, customer=owner)

    order = place(lines=[line(shirt, 1)], customer=owner, payment=[{"kind": "card", "card_id": card.pk}])
    with pytest.raises(services.OrderError) as refused:
        place(lines=[line(shirt, 1)], customer=other, payment=[{"kind": "card", "card_id": card.pk}])

    assert order.tenders.get().card == card
    assert refused.value.field_errors == {"payment": ["That saved card is not this customer's."]}


# --- panels on the order and order-entry pages, and the entry page's payment inputs -------------------------


@pytest.fixture
def panel_templates(tmp_path, settings):
    (tmp_path / "test_panels").mkdir()
    (tmp_path / "test_panels" / "order.html").write_text(
        '<section id="test-panel">Paid by {{ panel.who }} on {{ panel.number }}</section>')
    (tmp_path / "test_panels" / "entry.html").write_text(
        '<section id="test-entry-panel">Pay for {{ panel.customer }}<input name="test-card"></section>')
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], str(tmp_path)]
    settings.TEMPLATES = templates


@pytest.mark.django_db
def test_registered_panels_show_on_the_order_page_to_whom_they_choose(shirt, role_client, panel_templates):
    order = place(lines=[line(shirt, 1)])

    def payment_panel(*, order, user):
        if not user.has_perm("payments.view_tender"):
            return None  # Warehouse sees no payment data at all
        return {"template": "test_panels/order.html", "who": user.groups.get().name, "number": order.number}

    hooks.register_order_panel(payment_panel)
    try:
        agent = role_client("Agent").get(order.get_absolute_url()).content.decode()
        warehouse = role_client("Warehouse").get(order.get_absolute_url()).content.decode()
    finally:
        hooks.remove_order_panel(payment_panel)

    assert f'<section id="test-panel">Paid by Agent on {order.number}</section>' in agent
    assert "test-panel" not in warehouse


@pytest.mark.django_db
def test_the_entry_page_shows_entry_panels_and_passes_what_their_reader_finds_to_order_place(
        role_client, panel_templates):
    world = entry_world()
    seen = {}

    def entry_panel(*, user, customer, quote):
        return {"template": "test_panels/entry.html", "customer": customer.number if customer else "nobody"}

    def reader(data):
        return [{"kind": "card", "payment_method": data["test-card"]}] if data.get("test-card") else []

    def check(order, payment):
        seen["payment"] = payment
        return None

    hooks.register_entry_panel(entry_panel)
    hooks.on_entry_payment(reader)
    hooks.on_payment_check(check)
    client = role_client("Agent")
    try:
        page = client.get(reverse("orders:order_entry"), {"customer": world.customer.pk}).content.decode()
        data = {"customer": world.customer.pk, "source_code": "", "coupons": "", "ship_choice": str(world.home.pk),
                "shipping_method": world.ground.pk, "notes": "", "add_sku": "", "add_quantity": "1",
                "line-1-sku": world.mug.pk, "line-1-quantity": 1, "test-card": "pm_typed_in_elements"}
        client.post(reverse("orders:order_entry"), data)
    finally:
        hooks.remove_entry_panel(entry_panel)
        hooks.remove_entry_payment(reader)
        hooks.remove_payment_check(check)

    assert f"Pay for {world.customer.number}" in page
    assert seen["payment"] == ({"kind": "card", "payment_method": "pm_typed_in_elements"},)
    order = Order.objects.get()
    assert order.tenders.get().card.stripe_payment_method_id == "pm_typed_in_elements"


# --- the queue, retries and the gateway's guards -----------------------------------------------------------


def test_payments_tasks_go_to_the_payments_queue_and_retry_network_errors(settings):
    settings.CELERY_PAYMENTS_QUEUE = "payments-here"

    assert route_task("payments.tasks.payment_authorize_task", (), {}, {}) == {"queue": "payments-here"}
    assert route_task("orders.tasks.backorders_sweep_task", (), {}, {}) is None
    for task in (tasks.payment_authorize_task, tasks.payment_capture_task, tasks.payment_void_task,
                 tasks.payment_reauthorize_task, tasks.payment_dispute_hold_task):
        assert stripe.APIConnectionError in task.autoretry_for
        assert task.retry_backoff and task.max_retries == 12


@pytest.mark.django_db(transaction=True)
def test_a_network_error_leaves_the_attempt_for_the_retry_which_authorizes_once(shirt, stripe_gateway, settings):
    from oms.test_gateway import free_port

    order = place(lines=[line(shirt, 1)], customer=CustomerFactory(), payment=[card_instruction()])
    tender = order.tenders.get()
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    with pytest.raises(stripe.APIConnectionError):
        services.payment_authorize(tender=tender, user=None)

    attempt = tender.attempts.get()
    assert (attempt.status, attempt.gateway_id, Tender.objects.get(pk=tender.pk).status) == ("pending", "", "pending")
    settings.STRIPE_API_BASE = stripe_gateway
    retried = services.payment_authorize(tender=tender, user=None)
    assert (retried.status, retried.attempts.get().pk) == ("authorized", attempt.pk)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.ALLOCATED


@pytest.mark.django_db(transaction=True)
def test_the_gateway_is_never_called_inside_a_transaction(stripe_gateway):
    with transaction.atomic(), pytest.raises(gateway.GatewayCallInTransaction):
        gateway.payment_intent_retrieve("pi_anything")


def test_money_crosses_the_gateway_in_minor_units():
    assert (gateway.to_minor(Decimal("12.34"), "USD"), gateway.to_minor(Decimal("1200"), "JPY"),
            gateway.to_minor(Decimal("1.234"), "KWD")) == (1234, 1200, 1234)
    assert (gateway.from_minor(1234, "USD"), gateway.from_minor(1234, "KWD")) == (Decimal("12.34"), Decimal("1.234"))


@pytest.mark.django_db
def test_authorizations_expiring_within_the_margin_are_the_ones_renewed(shirt):
    order = place(lines=[line(shirt, 1)], payment=[{"kind": "card", "payment_method": "pm_x"}])
    soon, later = order.tenders.get(), None
    Tender.objects.filter(pk=soon.pk).update(status="authorized", authorized_amount=soon.amount,
                                             authorization_expires_at=timezone.now() + timedelta(hours=3))
    other = place(lines=[line(shirt, 1)], payment=[{"kind": "card", "payment_method": "pm_y"}])
    later = other.tenders.get()
    Tender.objects.filter(pk=later.pk).update(status="authorized", authorized_amount=later.amount,
                                              authorization_expires_at=timezone.now() + timedelta(days=5))

    assert list(services.authorizations_expiring().values_list("pk", flat=True)) == [soon.pk]
    assert services.order_payment_is_good(order) is False
    assert services.order_payment_is_good(other) is True


@pytest.mark.django_db
def test_payment_attempt_keys_are_unique(shirt):
    order = place(lines=[line(shirt, 1)], payment=[{"kind": "card", "payment_method": "pm_x"}])
    tender = order.tenders.get()
    PaymentAttempt.objects.create(tender=tender, action="authorize", amount=tender.amount,
                                  idempotency_key=services.idempotency_key(tender, "authorize"))
    assert services.idempotency_key(tender, "authorize") == f"tender-{tender.pk}-authorize-2"
    assert services.idempotency_key(tender, "capture", "Shipment 7") == f"tender-{tender.pk}-capture-shipment-7"
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentAttempt.objects.create(tender=tender, action="authorize", amount=tender.amount,
                                      idempotency_key=f"tender-{tender.pk}-authorize-1")
    assert Hold.objects.filter(order=order, reason="payment").exists()


@pytest.mark.django_db
def test_agents_take_payments_accountants_see_them_and_warehouse_sees_none(make_user):
    agent, warehouse, accountant = make_user("Agent"), make_user("Warehouse"), make_user("Accountant")

    assert agent.has_perm("payments.take_payment") and agent.has_perm("payments.view_tender")
    assert accountant.has_perm("payments.view_tender") and not accountant.has_perm("payments.take_payment")
    assert not [perm for perm in warehouse.get_all_permissions() if perm.startswith("payments.")]


@pytest.mark.django_db
def test_the_quote_shows_what_placing_would_refuse_in_the_payment(shirt):
    from orders.services import order_quote

    quote = order_quote(channel="phone", customer=CustomerFactory(), lines=[line(shirt, 1)], ship_to=NEW_YORK,
                        payment=[{"kind": "card", "payment_method": "pm_x", "amount": "25.00"}])
    fine = order_quote(channel="phone", customer=CustomerFactory(), lines=[line(shirt, 1)], ship_to=NEW_YORK,
                       payment=[{"kind": "card", "payment_method": "pm_x"}])

    assert quote.errors == {"payment": ["The payments (25.00) add up to more than the order total (20.00)."]}
    assert fine.errors == {} and not Tender.objects.exists()
