"""Cards against a real localstripe through the SDK: authorize at placement, capture, void, expiry, exactly-once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import Hold, OrderStatus
from orders.services import OrderError, order_cancel
from payments.ledger.models import JournalEntry, JournalLine
from payments.tenders import services
from payments.tenders.models import PaymentAttempt, Tender
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import CustomerFactory, line, place, table_counts
from tests.payments_helpers import (
    DECLINED_AT_CONFIRMATION,
    NEEDS_AUTHENTICATION,
    authenticate,
    captured_at_gateway,
    card_instruction,
    card_payment_method,
    intent,
    intents_of,
    wait_for,
)
from tests.payments_workers import KILLED

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.django_db(transaction=True)  # the gateway is only called outside transactions


@pytest.fixture
def shirt():
    sku = SkuFactory(code="SHIRT-M", list_price=Decimal("19.99"))
    stock(sku, WarehouseFactory(code="EAST", priority=10), 10)
    return sku


def card_order(shirt, number: str = "4242424242424242", quantity: int = 5, **instruction):
    return place(lines=[line(shirt, quantity)], customer=CustomerFactory(),
                 payment=[card_instruction(number, **instruction)])


def payment_hold(order):
    return Hold.objects.filter(order=order, reason=Hold.Reason.PAYMENT).first()


def authorized(shirt, quantity: int = 5):
    order = card_order(shirt, quantity=quantity)
    tender = services.payment_authorize(tender=order.tenders.get(), user=None)
    order.refresh_from_db()
    assert (tender.status, order.status) == (Tender.Status.AUTHORIZED, OrderStatus.ALLOCATED)
    return order, tender


def entries_of(attempt) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(source_type="payments.paymentattempt", source_id=str(attempt.pk)))


# --- placement and authorization ------------------------------------------------------------------------


def test_a_card_order_waits_on_a_payment_hold_until_the_worker_authorizes_it(shirt, payments_worker):
    order = card_order(shirt)

    hold = payment_hold(order)
    tender = order.tenders.get()
    assert (order.status, hold.note, hold.is_open) == (OrderStatus.ON_HOLD, "Awaiting card authorization.", True)
    assert (tender.kind, tender.status, tender.amount, tender.sequence) == (
        "card", "pending", Decimal("99.95"), 1)

    # The worker records the authorization, then releases the hold in a transaction of its own.
    wait_for(lambda: Hold.objects.get(pk=hold.pk).released_at is not None
             or Tender.objects.get(pk=tender.pk).status not in ("pending", "authorized"))
    tender.refresh_from_db()
    order.refresh_from_db()
    hold.refresh_from_db()
    assert (tender.status, tender.authorized_amount, tender.captured_amount) == (
        "authorized", Decimal("99.95"), Decimal("0"))
    assert (order.status, hold.is_open, hold.released_by) == (OrderStatus.ALLOCATED, False, None)
    gateway_intent = intent(tender.stripe_payment_intent_id)
    assert (gateway_intent["status"], gateway_intent["amount"], gateway_intent["capture_method"]) == (
        "requires_capture", 9995, "manual")
    assert (tender.card.brand, tender.card.last4) == ("visa", "4242")
    assert timedelta(days=6, hours=23) < tender.authorization_expires_at - timezone.now() <= timedelta(days=7)
    attempt = tender.attempts.get()
    assert (attempt.action, attempt.status, attempt.idempotency_key, attempt.gateway_id) == (
        "authorize", "succeeded", f"tender-{tender.pk}-authorize-1", tender.stripe_payment_intent_id)
    assert not JournalEntry.objects.filter(source_type="payments.paymentattempt").exists()  # authorizing posts nothing


@pytest.mark.smoke
def test_a_decline_at_confirmation_keeps_the_hold_and_another_card_releases_it(shirt, stripe_gateway):
    order = card_order(shirt, DECLINED_AT_CONFIRMATION)

    declined = services.payment_authorize(tender=order.tenders.get(), user=None)

    order.refresh_from_db()
    assert (declined.status, declined.failure_message, declined.authorized_amount) == (
        "declined", "Your card was declined.", Decimal("0"))
    assert (order.status, payment_hold(order).is_open) == (OrderStatus.ON_HOLD, True)
    assert declined.attempts.get().status == "failed"
    assert services.payment_hold_blockers(order) == ["The tenders do not cover the order total."]

    second = services.tender_add(order=order, kind="card", user=None, payment_method=card_payment_method())
    assert (second.amount, second.sequence, second.status) == (Decimal("99.95"), 2, "pending")
    second = services.payment_authorize(tender=second, user=None)

    order.refresh_from_db()
    assert (second.status, order.status, payment_hold(order).is_open) == ("authorized", OrderStatus.ALLOCATED, False)


def test_a_card_that_needs_authentication_waits_for_it(shirt, stripe_gateway):
    order = card_order(shirt, NEEDS_AUTHENTICATION)

    waiting = services.payment_authorize(tender=order.tenders.get(), user=None)

    order.refresh_from_db()
    assert waiting.status == "requires_action"
    assert waiting.failure_message.startswith("The card needs authentication (3-D Secure)")
    assert (order.status, payment_hold(order).is_open) == (OrderStatus.ON_HOLD, True)
    assert intent(waiting.stripe_payment_intent_id)["status"] == "requires_action"

    authenticate(waiting.stripe_payment_intent_id)
    done = services.payment_authorize(tender=waiting, user=None)  # the same attempt reads the same intent

    order.refresh_from_db()
    assert (done.status, done.failure_message, order.status) == ("authorized", "", OrderStatus.ALLOCATED)
    assert done.attempts.count() == 1 and len(intents_of(done)) == 1


def test_malformed_card_instructions_refuse_the_order_and_write_nothing(shirt, stripe_gateway):
    customer = CustomerFactory()
    before = table_counts()

    with pytest.raises(OrderError) as refused:
        place(lines=[line(shirt, 1)], customer=customer, payment=[{"kind": "card", "payment_method": ""}])
    with pytest.raises(OrderError) as too_much:
        place(lines=[line(shirt, 1)], customer=customer,
              payment=[card_instruction(amount="10.00"), card_instruction(amount="10.00")])

    assert refused.value.field_errors == {"payment": ["Enter the card (the payment form gave no card)."]}
    assert too_much.value.field_errors == {
        "payment": ["The payments (20.00) add up to more than the order total (19.99)."]}
    assert table_counts() == before and not Tender.objects.exists()


def test_two_cards_split_the_order_and_the_hold_waits_for_both(shirt, stripe_gateway):
    order = place(lines=[line(shirt, 5)], customer=CustomerFactory(),
                  payment=[card_instruction(amount="30.00"), card_instruction()])
    first, second = order.tenders.order_by("sequence")
    assert (first.amount, second.amount) == (Decimal("30.00"), Decimal("69.95"))

    services.payment_authorize(tender=first, user=None)
    order.refresh_from_db()
    assert (order.status, services.payment_hold_blockers(order)) == (
        OrderStatus.ON_HOLD, ["A card is waiting for authorization."])
    services.payment_authorize(tender=second, user=None)
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED


# --- capture ----------------------------------------------------------------------------------------------


def test_a_partial_capture_takes_the_shipped_amount_and_authorizes_the_rest_again(shirt, stripe_gateway):
    order, tender = authorized(shirt)
    first_intent = tender.stripe_payment_intent_id

    result = services.payment_capture(order=order, amount=Decimal("39.98"), user=None)

    tender.refresh_from_db()
    assert (result.captured, result.shortfall, [t.pk for t in result.tenders]) == (
        Decimal("39.98"), Decimal("0"), [tender.pk])
    assert captured_at_gateway(first_intent) == Decimal("39.98")
    assert (tender.status, tender.captured_amount, tender.authorized_amount, tender.uncaptured_amount) == (
        "authorized", Decimal("39.98"), Decimal("99.95"), Decimal("59.97"))
    renewed = intent(tender.stripe_payment_intent_id)
    assert tender.stripe_payment_intent_id != first_intent
    assert (renewed["status"], renewed["amount"]) == ("requires_capture", 5997)
    capture = tender.attempts.get(action="capture")
    assert [(a.action, a.status, str(a.amount)) for a in tender.attempts.order_by("pk")] == [
        ("authorize", "succeeded", "99.950"), ("capture", "succeeded", "39.980"),
        ("reauthorize", "succeeded", "59.970")]

    # The capture's entry: card clearing against customer deposits (not shipped yet), balanced, posted once.
    (entry,) = entries_of(capture)
    lines = sorted((line.account.code, line.debit, line.credit) for line in JournalLine.objects.filter(entry=entry))
    assert lines == [("1050", Decimal("39.980"), Decimal("0.000")), ("2300", Decimal("0.000"), Decimal("39.980"))]
    again = services.capture_post(attempt=capture, tender=tender, user=None)
    assert again.pk == entry.pk and len(entries_of(capture)) == 1

    rest = services.payment_capture(order=order, amount=Decimal("59.97"), user=None)
    tender.refresh_from_db()
    assert (rest.captured, tender.status, tender.captured_amount) == (Decimal("59.97"), "captured", Decimal("99.95"))
    assert captured_at_gateway(tender.stripe_payment_intent_id) == Decimal("59.97")
    assert services.payment_capture(order=order, amount=Decimal("1.00"), user=None).shortfall == Decimal("1.00")


def test_a_confirmed_shipment_captures_what_it_ships_through_the_worker(shirt, payments_worker):
    from orders import hooks

    order, tender = authorized(shirt)
    first_intent = tender.stripe_payment_intent_id

    hooks.shipment_confirmed(order.pk, Decimal("39.98"), "shipment-1")
    hooks.shipment_confirmed(order.pk, Decimal("39.98"), "shipment-1")  # told twice: captured once

    wait_for(lambda: Tender.objects.get(pk=tender.pk).stripe_payment_intent_id != first_intent)
    wait_for(lambda: PaymentAttempt.objects.filter(tender=tender, action="reauthorize", status="succeeded").exists())
    tender.refresh_from_db()
    assert (tender.captured_amount, tender.attempts.filter(action="capture").count()) == (Decimal("39.98"), 1)
    assert captured_at_gateway(first_intent) == Decimal("39.98")


def test_a_capture_with_a_reference_is_made_once(shirt, stripe_gateway):
    order, tender = authorized(shirt)

    first = services.payment_capture(order=order, amount=Decimal("20.00"), user=None, reference="shipment-1")
    tender.refresh_from_db()
    again = services.payment_capture(order=order, amount=Decimal("20.00"), user=None, reference="shipment-1")

    tender.refresh_from_db()
    assert (first.captured, again.captured, tender.captured_amount) == (
        Decimal("20.00"), Decimal("20.00"), Decimal("20.00"))
    assert tender.attempts.filter(action="capture").count() == 1


def test_a_lapsed_authorization_is_renewed_before_anything_is_captured(shirt, stripe_gateway):
    order, tender = authorized(shirt)
    old_intent = tender.stripe_payment_intent_id
    Tender.objects.filter(pk=tender.pk).update(authorization_expires_at=timezone.now() + timedelta(hours=2))

    result = services.payment_capture(order=order, amount=Decimal("99.95"), user=None)

    tender.refresh_from_db()
    assert result.captured == Decimal("99.95")
    assert tender.stripe_payment_intent_id != old_intent
    assert intent(old_intent)["status"] == "canceled"  # never captured against
    assert captured_at_gateway(old_intent) == Decimal("0")
    assert captured_at_gateway(tender.stripe_payment_intent_id) == Decimal("99.95")
    assert [a.action for a in tender.attempts.order_by("pk")] == ["authorize", "reauthorize", "capture"]


def test_a_lapsed_authorization_that_cannot_be_renewed_holds_the_order_and_captures_nothing(shirt, stripe_gateway):
    order, tender = authorized(shirt)
    old_intent = tender.stripe_payment_intent_id
    Tender.objects.filter(pk=tender.pk).update(authorization_expires_at=timezone.now() - timedelta(minutes=1))
    # The card now declines (off-session renewals fail like this when the bank says no).
    type(tender.card).objects.filter(pk=tender.card_id).update(
        stripe_payment_method_id=card_payment_method(DECLINED_AT_CONFIRMATION))

    result = services.payment_capture(order=order, amount=Decimal("50.00"), user=None)

    order.refresh_from_db()
    tender.refresh_from_db()
    hold = payment_hold(order)
    assert (result.captured, result.shortfall) == (Decimal("0"), Decimal("50.00"))
    assert (order.status, hold.is_open) == (OrderStatus.ON_HOLD, True)
    assert hold.note == "The card could not be authorized again: Your card was declined."
    assert tender.captured_amount == Decimal("0") and tender.failure_message == "Your card was declined."
    assert intent(old_intent)["status"] == "requires_capture" and captured_at_gateway(old_intent) == Decimal("0")
    assert not tender.attempts.filter(action="capture").exists()
    assert services.order_payment_is_good(order) is False


# --- void --------------------------------------------------------------------------------------------------


def test_cancelling_the_order_voids_its_authorization_through_the_worker(shirt, payments_worker):
    order, tender = authorized(shirt)

    order_cancel(order=order, user=None, reason="Customer changed their mind")

    wait_for(lambda: Tender.objects.get(pk=tender.pk).status == Tender.Status.VOIDED)
    tender.refresh_from_db()
    assert (tender.authorized_amount, tender.captured_amount) == (Decimal("0"), Decimal("0"))
    assert intent(tender.stripe_payment_intent_id)["status"] == "canceled"
    assert tender.attempts.get(action="void").status == "succeeded"
    services.payment_void(order=order, user=None)  # again: nothing more happens
    assert tender.attempts.filter(action="void").count() == 1


def test_void_after_a_partial_capture_keeps_what_was_captured(shirt, stripe_gateway):
    order, tender = authorized(shirt)
    services.payment_capture(order=order, amount=Decimal("19.99"), user=None)

    services.payment_void(order=order, user=None)

    tender.refresh_from_db()
    assert (tender.status, tender.captured_amount, tender.authorized_amount) == (
        "captured", Decimal("19.99"), Decimal("19.99"))
    assert intent(tender.stripe_payment_intent_id)["status"] == "canceled"


# --- exactly once: a worker killed between the gateway call and the commit ----------------------------------


def run_killed_worker(*args: str) -> int:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="oms.settings_test",
               DATABASE_NAME=connection.settings_dict["NAME"])
    return subprocess.run([sys.executable, "-m", "tests.payments_workers", *args], cwd=ROOT, env=env,
                          timeout=120).returncode


def test_a_worker_killed_after_confirming_leaves_one_authorization_and_one_capture(shirt, stripe_gateway):
    order = card_order(shirt)
    tender = order.tenders.get()

    assert run_killed_worker("authorize", str(tender.pk)) == KILLED
    tender.refresh_from_db()
    attempt = tender.attempts.get()
    assert (tender.status, attempt.status) == ("pending", "pending")  # the result was never committed
    assert intent(attempt.gateway_id)["status"] == "requires_capture"  # but the gateway authorized it

    retried = services.payment_authorize(tender=tender, user=None)  # the task's retry

    assert (retried.status, retried.attempts.count()) == ("authorized", 1)
    confirmed = [item for item in intents_of(tender) if item["status"] != "requires_confirmation"]
    assert [item["id"] for item in confirmed] == [attempt.gateway_id]

    assert run_killed_worker("capture", str(order.pk), "99.95") == KILLED
    capture = tender.attempts.get(action="capture")
    assert capture.status == "pending" and captured_at_gateway(attempt.gateway_id) == Decimal("99.95")

    result = services.payment_capture(order=order, amount=Decimal("99.95"), user=None)

    tender.refresh_from_db()
    assert (result.captured, tender.captured_amount, tender.status) == (Decimal("99.95"), Decimal("99.95"), "captured")
    assert captured_at_gateway(attempt.gateway_id) == Decimal("99.95")  # one capture, not two
    assert tender.attempts.filter(action="capture").count() == 1
    assert len(entries_of(capture)) == 1
    assert PaymentAttempt.objects.filter(tender=tender).values_list("idempotency_key", flat=True).count() == 2


def test_two_runs_resuming_one_capture_at_once_capture_it_once(shirt, stripe_gateway):
    order, tender = authorized(shirt)
    # What a run killed after committing its capture attempt, before calling the gateway, leaves behind.
    attempt = PaymentAttempt.objects.create(
        tender=tender, action="capture", amount=tender.amount, gateway_id=tender.stripe_payment_intent_id,
        idempotency_key=services.idempotency_key(tender, "capture"))
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="oms.settings_test", DATABASE_NAME=connection.settings_dict["NAME"])

    start_at = str(time.time() + 8)  # both resume in the same instant, once Django is up in each
    runs = [subprocess.Popen([sys.executable, "-m", "tests.payments_workers", "capture-live", str(order.pk), "99.95",
                              start_at], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = sorted(run.communicate(timeout=120)[0].strip().splitlines()[-1] for run in runs)

    attempt.refresh_from_db()
    tender.refresh_from_db()
    assert [run.returncode for run in runs] == [0, 0]
    assert outputs == ["0.00", "99.95"]  # the second found nothing left to capture
    assert (attempt.status, tender.captured_amount, tender.status) == ("succeeded", Decimal("99.95"), "captured")
    assert captured_at_gateway(tender.stripe_payment_intent_id) == Decimal("99.95")
    assert tender.attempts.filter(action="capture").count() == 1 and len(entries_of(attempt)) == 1
