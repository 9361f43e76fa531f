"""The Stripe webhook endpoint: signature first, once per event id, in any order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import CustomerNote, Hold, OrderStatus
from payments.tenders import services
from payments.tenders.models import Tender, WebhookEvent
from tests.conftest import WEBHOOK_SECRET
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import CustomerFactory, line, place
from tests.payments_helpers import card_instruction, event, intent, signed, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/payments/stripe/webhook/"


@pytest.fixture
def shirt():
    sku = SkuFactory(code="SHIRT-M", list_price=Decimal("19.99"))
    stock(sku, WarehouseFactory(code="EAST", priority=10), 10)
    return sku


def authorized(shirt):
    order = place(lines=[line(shirt, 2)], customer=CustomerFactory(), payment=[card_instruction()])
    tender = services.payment_authorize(tender=order.tenders.get(), user=None)
    assert tender.status == "authorized"
    order.refresh_from_db()
    return order, tender


def deliver(client, payload: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    body, signature = signed(payload, secret=secret, timestamp=timestamp)
    return client.post(URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


def test_the_url_is_the_documented_one():
    assert reverse("payments:stripe_webhook") == URL


def test_a_bad_or_missing_or_stale_signature_is_refused_before_anything_is_read(client, stripe_gateway):
    payload = event("evt_forged", "charge.dispute.created", {"object": "dispute", "payment_intent": "pi_x"})

    forged = deliver(client, payload, secret="whsec_someone_else")
    stale = deliver(client, payload, timestamp=1_000_000)  # far outside the SDK's tolerance
    unsigned = client.post(URL, data=b"{}", content_type="application/json")
    not_json = client.post(URL, data=b"not json", content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=x")

    assert [r.status_code for r in (forged, stale, unsigned, not_json)] == [400, 400, 400, 400]
    assert not WebhookEvent.objects.exists()
    assert client.get(URL).status_code == 405


def test_the_endpoint_needs_no_login_and_no_csrf_token(stripe_gateway):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = deliver(strict, event("evt_unknown_type", "customer.created", {"object": "customer", "id": "cus_1"}))

    assert response.status_code == 200
    assert response.json() == {"event": "evt_unknown_type", "processed": True, "result": "ignored"}


def test_each_event_is_processed_once_and_the_dispute_holds_the_unshipped_order(client, shirt, payments_worker):
    order, tender = authorized(shirt)
    dispute = event("evt_dispute_1", "charge.dispute.created", {
        "object": "dispute", "id": "dp_1", "amount": 3998, "currency": "usd", "reason": "fraudulent",
        "payment_intent": tender.stripe_payment_intent_id, "charge": "ch_1"})

    first = deliver(client, dispute)
    second = deliver(client, dispute)

    assert (first.json()["processed"], second.json()["processed"]) == (True, False)
    assert WebhookEvent.objects.filter(event_id="evt_dispute_1").count() == 1
    hold = wait_for(lambda: Hold.objects.filter(order=order, reason=Hold.Reason.FRAUD).first())
    order.refresh_from_db()
    note = f"Card payment disputed (fraudulent, 39.98 USD) on order {order.number}."
    assert (order.status, hold.note, hold.is_open) == (OrderStatus.ON_HOLD, note, True)
    assert list(CustomerNote.objects.filter(customer=order.customer).values_list("text", flat=True)) == [note]


def test_charge_expired_marks_the_authorization_lapsed_whatever_the_order_of_events(client, shirt, stripe_gateway):
    order, tender = authorized(shirt)
    old_intent = tender.stripe_payment_intent_id
    succeeded_late = event("evt_old_success", "payment_intent.amount_capturable_updated",
                           {"object": "payment_intent", "id": old_intent})
    expired = event("evt_expired", "charge.expired", {
        "object": "charge", "id": "ch_x", "payment_intent": old_intent, "currency": "usd"})

    assert deliver(client, expired).json()["processed"] is True
    assert deliver(client, succeeded_late).json()["processed"] is True  # arriving after: changes nothing

    tender.refresh_from_db()
    assert (tender.status, tender.authorized_amount, tender.failure_message) == (
        "expired", Decimal("0"), "The card authorization expired.")
    renewed = services.payment_reauthorize(tender=tender, user=None)  # what the enqueued task does
    assert renewed.status == "authorized" and renewed.stripe_payment_intent_id != old_intent
    assert intent(renewed.stripe_payment_intent_id)["status"] == "requires_capture"
    # A late charge.expired for the replaced intent is not the tender's live authorization any more.
    late = event("evt_expired_again", "charge.expired", {"object": "charge", "payment_intent": old_intent})
    assert deliver(client, late).json()["result"] == f"tender {tender.pk}: not its live authorization"
    assert Tender.objects.get(pk=tender.pk).status == "authorized"


def test_payment_failed_lets_the_open_attempt_read_the_intent(client, shirt, payments_worker):
    order = place(lines=[line(shirt, 1)], customer=CustomerFactory(), payment=[card_instruction()])
    tender = wait_for(lambda: Tender.objects.filter(pk=order.tenders.get().pk, status="authorized").first())

    response = deliver(client, event("evt_pf", "payment_intent.payment_failed",
                                     {"object": "payment_intent", "id": tender.stripe_payment_intent_id}))

    assert response.json() == {"event": "evt_pf", "processed": True, "result": f"tender {tender.pk}: resumed"}
    assert Tender.objects.get(pk=tender.pk).status == "authorized"  # the gateway says it is authorized


def test_localstripes_own_signed_events_reach_the_endpoint(shirt, stripe_gateway, live_server):
    from oms.test_gateway import register_webhook
    from tests.payments_helpers import DECLINED_AT_CONFIRMATION

    register_webhook(stripe_gateway, webhook_url=f"{live_server.url}{URL}", secret=WEBHOOK_SECRET)
    order = place(lines=[line(shirt, 1)], customer=CustomerFactory(),
                  payment=[card_instruction(DECLINED_AT_CONFIRMATION)])

    tender = services.payment_authorize(tender=order.tenders.get(), user=None)

    assert tender.status == "declined"
    received = wait_for(lambda: WebhookEvent.objects.filter(type="payment_intent.payment_failed",
                                                            processed_at__isnull=False).first(), timeout=20)
    assert received.event_id.startswith("evt_")
    assert received.result in (f"tender {tender.pk}: resumed",)
