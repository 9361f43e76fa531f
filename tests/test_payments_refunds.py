"""Refunds: back to the tenders that paid, newest first, never more than captured, approval above the
threshold, card refunds at a real localstripe exactly once, postings, the screens per role."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.urls import reverse

from orders.fulfillment.shipping import shipment_confirm, shipment_open
from payments import gateway
from payments.invariants import violations
from payments.ledger.models import JournalEntry
from payments.refunds import services as refunds
from payments.refunds.models import Refund, RefundAllocation, RefundPolicy
from payments.tenders import services
from payments.tenders.models import PaymentAttempt, Tender
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import CustomerFactory, line, place
from tests.payments_helpers import card_instruction, wait_for

D = Decimal
RS = Refund.Status


@pytest.fixture
def shirt(db):
    sku = SkuFactory(code="SHIRT-M", list_price=D("19.99"))
    stock(sku, WarehouseFactory(code="EAST", priority=10), 10)
    return sku


def threshold(amount: str) -> None:
    RefundPolicy.objects.update_or_create(pk=1, defaults={"approval_threshold": D(amount)})


def captured_card_order(shirt, *, capture: str = "99.95"):
    """A card order (5 × 19.99 = 99.95) authorized, shipped and captured at localstripe."""
    order = place(lines=[line(shirt, 5)], customer=CustomerFactory(), payment=[card_instruction()])
    tender = services.payment_authorize(tender=order.tenders.get(), user=None)
    # What is captured has shipped (check_invariants: nothing captured exceeds what shipped).
    shipment_confirm(shipment=shipment_open(order=order, warehouse=order.lines.get().allocations.get().warehouse,
                                            user=None), user=None)
    services.payment_capture(order=order, amount=D(capture), user=None)
    tender.refresh_from_db()
    assert (tender.status, tender.captured_amount) == (Tender.Status.CAPTURED, D(capture))
    return order, tender


def recorded_tender(order, kind: str, amount: str) -> Tender:
    """A check or cash tender as the receivables services record one: captured (paid) in full."""
    sequence = (order.tenders.order_by("-sequence").values_list("sequence", flat=True).first() or 0) + 1
    return Tender.objects.create(order=order, kind=kind, status=Tender.Status.CAPTURED, currency=order.currency,
                                 amount=D(amount), authorized_amount=D(amount), captured_amount=D(amount),
                                 sequence=sequence, reference="1001")


def refund_lines(allocation) -> list[tuple[str, Decimal, Decimal]]:
    entry = JournalEntry.objects.get(source_type="payments.refundallocation", source_id=str(allocation.pk))
    return sorted((line.account.code, line.debit, line.credit) for line in entry.lines.select_related("account"))


def gateway_refunds(tender) -> list[int]:
    return sorted(item["amount"] for item in gateway.refunds_of_payment_intent(tender.stripe_payment_intent_id))


# --- cards, at localstripe -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_partial_card_refund_lands_on_the_card_at_the_gateway_once_with_its_posting(shirt, stripe_gateway):
    order, tender = captured_card_order(shirt)
    threshold("100")

    refund = refunds.refund_request(order=order, amount=D("30"), reason="Scuffed collar", user=None)
    assert refund.status == RS.PROCESSING  # below the threshold: approved by the policy, sent after commit
    refunds.refund_process(refund=refund)
    refunds.refund_process(refund=refund)  # a retry does nothing more

    refund.refresh_from_db()
    tender.refresh_from_db()
    allocation = refund.allocations.get()
    assert (refund.status, refund.approved_by) == (RS.DONE, None)
    assert (allocation.tender_id, allocation.amount, allocation.status) == (tender.pk, D("30.000"), "done")
    assert (tender.captured_amount, tender.refunded_amount) == (D("99.950"), D("30.000"))
    assert allocation.attempt.action == "refund" and allocation.attempt.status == "succeeded"
    assert allocation.attempt.gateway_id.startswith("re_")
    assert allocation.attempt.idempotency_key == f"refund-allocation-{allocation.pk}"
    assert gateway_refunds(tender) == [3000]
    # The capture reversed: Dr customer deposits (not shipped), Cr card clearing.
    assert refund_lines(allocation) == [("1050", D("0"), D("30.000")), ("2300", D("30.000"), D("0"))]
    assert violations() == []


@pytest.mark.django_db(transaction=True)
def test_an_approved_card_refund_is_sent_by_the_payments_worker_after_commit(shirt, payments_worker):
    order = place(lines=[line(shirt, 5)], customer=CustomerFactory(), payment=[card_instruction()])
    tender = wait_for(lambda: Tender.objects.filter(order=order, status=Tender.Status.AUTHORIZED).first())
    services.payment_capture(order=order, amount=D("99.95"), user=None)
    threshold("100")

    refund = refunds.refund_request(order=order, amount=D("12.50"), reason="Price match", user=None)

    wait_for(lambda: Refund.objects.get(pk=refund.pk).status == RS.DONE)
    tender.refresh_from_db()
    assert (tender.refunded_amount, gateway_refunds(tender)) == (D("12.500"), [1250])


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_the_gateway_refunded_never_refunds_twice(shirt, stripe_gateway):
    order, tender = captured_card_order(shirt)
    threshold("100")
    refund = refunds.refund_request(order=order, amount=D("20"), reason="Late", user=None)
    allocation = refund.allocations.get()
    # The killed run: the gateway refunded, the worker died before recording it.
    gateway.refund_create(payment_intent=allocation.payment_intent_id, amount=D("20"), currency="USD",
                          idempotency_key=allocation.attempt.idempotency_key,
                          metadata={"attempt": allocation.attempt.pk})
    assert PaymentAttempt.objects.get(pk=allocation.attempt_id).status == "pending"

    refunds.refund_process(refund=refund)  # the retry

    tender.refresh_from_db()
    assert gateway_refunds(tender) == [2000]
    assert tender.refunded_amount == D("20.000")
    assert Refund.objects.get(pk=refund.pk).status == RS.DONE


@pytest.mark.django_db(transaction=True)
def test_a_refund_the_gateway_refuses_fails_and_frees_what_it_held(shirt, stripe_gateway):
    order, tender = captured_card_order(shirt)
    threshold("100")
    refund = refunds.refund_request(order=order, amount=D("25"), reason="Late", user=None)
    RefundAllocation.objects.filter(refund=refund).update(payment_intent_id="pi_unknown")  # the gateway refuses it

    refunds.refund_process(refund=refund)

    refund.refresh_from_db()
    tender.refresh_from_db()
    allocation = refund.allocations.get()
    assert (refund.status, allocation.status, allocation.attempt.status) == (RS.FAILED, "failed", "failed")
    assert refund.failure_message == allocation.failure_message != ""
    assert tender.refunded_amount == D("0")
    assert not JournalEntry.objects.filter(source_type="payments.refundallocation").exists()
    assert refunds.order_refundable_total(order) == D("99.950")  # nothing held any more
    assert violations() == []


@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_refund_at_once_refund_once(shirt, stripe_gateway):
    order, tender = captured_card_order(shirt)
    threshold("100")
    refund = refunds.refund_request(order=order, amount=D("15"), reason="Late", user=None)
    barrier = threading.Barrier(3)
    errors: list[Exception] = []

    def run() -> None:
        try:
            barrier.wait()
            refunds.refund_process(refund=Refund.objects.get(pk=refund.pk))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    tender.refresh_from_db()
    assert errors == []
    assert (gateway_refunds(tender), tender.refunded_amount) == ([1500], D("15.000"))
    assert Refund.objects.get(pk=refund.pk).status == RS.DONE


@pytest.mark.django_db(transaction=True)
def test_a_refund_goes_to_the_newest_tender_first_and_above_the_threshold_waits_for_approval(
        shirt, stripe_gateway, make_user):
    order, card = captured_card_order(shirt)
    cash = recorded_tender(order, Tender.Kind.CASH, "50")
    threshold("100")
    agent, accountant = make_user("Agent"), make_user("Accountant")

    refund = refunds.refund_request(order=order, amount=D("120"), reason="Wrong size", user=agent)

    assert refund.status == RS.PENDING_APPROVAL
    assert [(a.tender_id, a.amount, a.status) for a in refund.allocations.order_by("pk")] == [
        (cash.pk, D("50.000"), "pending"), (card.pk, D("70.000"), "pending")]
    assert list(refunds.refunds_awaiting_approval()) == [refund]
    assert gateway_refunds(card) == []  # nothing moves before approval

    refunds.refund_approve(refund=refund, user=accountant)
    cash.refresh_from_db()
    assert cash.refunded_amount == D("50.000")  # recorded at once, in the approval's transaction
    refunds.refund_process(refund=refund)

    refund.refresh_from_db()
    card.refresh_from_db()
    assert (refund.status, refund.approved_by) == (RS.DONE, accountant)
    assert (card.refunded_amount, gateway_refunds(card)) == (D("70.000"), [7000])
    cash_allocation, card_allocation = refund.allocations.order_by("pk")
    assert refund_lines(cash_allocation) == [("1000", D("0"), D("50.000")), ("2300", D("50.000"), D("0"))]
    assert refund_lines(card_allocation) == [("1050", D("0"), D("70.000")), ("2300", D("70.000"), D("0"))]
    assert violations() == []


# --- never more than captured ------------------------------------------------------------------------------


@pytest.fixture
def paid_by_check(shirt):
    order = place(lines=[line(shirt, 5)], customer=CustomerFactory())
    return order, recorded_tender(order, Tender.Kind.CHECK, "99.95")


@pytest.mark.django_db
def test_a_refund_above_what_was_captured_is_refused_and_nothing_is_written(paid_by_check):
    order, check = paid_by_check

    with pytest.raises(refunds.RefundError, match=r"can give back 99.95 USD at most; 100.00 USD was asked"):
        refunds.refund_request(order=order, amount=D("100"), reason="Too much", user=None)

    assert (Refund.objects.count(), RefundAllocation.objects.count()) == (0, 0)
    check.refresh_from_db()
    assert check.refunded_amount == D("0")


@pytest.mark.django_db
def test_open_refunds_hold_their_amount_and_a_rejected_one_frees_it(paid_by_check, make_user):
    order, check = paid_by_check
    threshold("10")
    waiting = refunds.refund_request(order=order, amount=D("60"), reason="Damaged", user=make_user("Agent"))

    with pytest.raises(refunds.RefundError, match="39.95 USD at most"):
        refunds.refund_request(order=order, amount=D("50"), reason="Again", user=None)

    refunds.refund_reject(refund=waiting, user=make_user("Manager"), reason="Not damaged")
    again = refunds.refund_request(order=order, amount=D("50"), reason="Again", user=None)
    assert (Refund.objects.get(pk=waiting.pk).status, again.status) == (RS.REJECTED, RS.PENDING_APPROVAL)
    assert list(waiting.allocations.values_list("status", flat=True)) == ["cancelled"]


@pytest.mark.django_db
def test_who_asked_for_a_refund_does_not_approve_it(paid_by_check, make_user):
    order, _check = paid_by_check
    threshold("10")
    manager = make_user("Manager")
    refund = refunds.refund_request(order=order, amount=D("60"), reason="Damaged", user=manager)

    with pytest.raises(refunds.RefundError, match="someone other than"):
        refunds.refund_approve(refund=refund, user=manager)
    assert Refund.objects.get(pk=refund.pk).status == RS.PENDING_APPROVAL


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_of_one_order_never_take_the_same_money(paid_by_check):
    order, check = paid_by_check
    threshold("1000")
    results: list[str] = []
    barrier = threading.Barrier(4)

    def ask() -> None:
        try:
            barrier.wait()
            refunds.refund_request(order=order, amount=D("40"), reason="Split", user=None)
            results.append("ok")
        except refunds.RefundError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    check.refresh_from_db()
    assert sorted(results) == ["ok", "ok", "refused", "refused"]  # 99.95 covers two refunds of 40
    assert check.refunded_amount == D("80.000")
    assert violations() == []


@pytest.mark.django_db
def test_the_invariants_find_a_tender_that_refunded_more_than_it_captured(paid_by_check):
    order, check = paid_by_check
    card = recorded_tender(order, Tender.Kind.CARD, "50")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks run, so the table may change
        cursor.execute("ALTER TABLE payments_tender DROP CONSTRAINT tender_captured_covers_refunded")
        cursor.execute("UPDATE payments_tender SET refunded_amount = 120 WHERE id = %s", [check.pk])
        cursor.execute("UPDATE payments_tender SET refunded_amount = 20 WHERE id = %s", [card.pk])

    found = sorted((name, first) for name, first, _second, _detail in violations() if "refunded" in name)

    assert found == [("a card tender's refunded amount equals its refunded allocations", card.pk),
                     ("no tender has refunded more than it captured", check.pk)]


# --- the screens, per role and per URL ------------------------------------------------------------------------
# (Admin users are superusers: they may do everything, as on every other screen.)


@pytest.mark.django_db
@pytest.mark.parametrize("role, status", [("Agent", 403), ("Warehouse", 403), ("Manager", 200),
                                          ("Accountant", 200), ("Admin", 200)])
def test_the_approval_queue_is_for_managers_and_accountants(role_client, paid_by_check, make_user, role, status):
    order, _check = paid_by_check
    threshold("10")
    refunds.refund_request(order=order, amount=D("60"), reason="Damaged", user=make_user("Agent"))

    response = role_client(role).get(reverse("payments:refund_queue"))

    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert order.number in page and "Damaged" in page and "Approve" in page


@pytest.mark.django_db
@pytest.mark.parametrize("role, status, refunded", [("Agent", 302, 1), ("Warehouse", 403, 0), ("Manager", 302, 1),
                                                    ("Accountant", 403, 0), ("Admin", 302, 1)])
def test_agents_and_managers_request_refunds(role_client, paid_by_check, role, status, refunded):
    order, _check = paid_by_check
    threshold("10")

    response = role_client(role).post(reverse("payments:refund_request", args=[order.pk]),
                                      {"amount": "25", "reason": "Late delivery"})

    assert response.status_code == status
    assert Refund.objects.count() == refunded
    if refunded:
        assert Refund.objects.get().status == RS.PENDING_APPROVAL


@pytest.mark.django_db
@pytest.mark.parametrize("role, status, approved", [("Agent", 403, False), ("Warehouse", 403, False),
                                                    ("Manager", 302, True), ("Accountant", 302, True),
                                                    ("Admin", 302, True)])
def test_managers_and_accountants_approve(role_client, paid_by_check, make_user, role, status, approved):
    order, check = paid_by_check
    threshold("10")
    refund = refunds.refund_request(order=order, amount=D("60"), reason="Damaged", user=make_user("Agent"))

    response = role_client(role).post(reverse("payments:refund_approve", args=[refund.pk]))

    assert response.status_code == status
    refund.refresh_from_db()
    check.refresh_from_db()
    assert (refund.status, check.refunded_amount) == ((RS.DONE, D("60.000")) if approved
                                                       else (RS.PENDING_APPROVAL, D("0")))


@pytest.mark.django_db
@pytest.mark.parametrize("role, status", [("Agent", 403), ("Warehouse", 403), ("Manager", 302),
                                          ("Accountant", 302), ("Admin", 302)])
def test_managers_and_accountants_reject_with_a_reason(role_client, paid_by_check, make_user, role, status):
    order, _check = paid_by_check
    threshold("10")
    refund = refunds.refund_request(order=order, amount=D("60"), reason="Damaged", user=make_user("Agent"))

    response = role_client(role).post(reverse("payments:refund_reject", args=[refund.pk]), {"reason": "No proof"})

    assert response.status_code == status
    refund.refresh_from_db()
    assert (refund.status, refund.rejection_reason) == (
        (RS.REJECTED, "No proof") if status == 302 else (RS.PENDING_APPROVAL, ""))


@pytest.mark.django_db
def test_a_rejection_without_a_reason_changes_nothing(role_client, paid_by_check, make_user):
    order, _check = paid_by_check
    threshold("10")
    refund = refunds.refund_request(order=order, amount=D("60"), reason="Damaged", user=make_user("Agent"))

    response = role_client("Manager").post(reverse("payments:refund_reject", args=[refund.pk]), {"reason": ""},
                                           follow=True)

    assert "This field is required." in response.content.decode()
    assert Refund.objects.get(pk=refund.pk).status == RS.PENDING_APPROVAL


@pytest.mark.django_db
@pytest.mark.parametrize("role, sees_panel, sees_form", [("Agent", True, True), ("Warehouse", False, False),
                                                         ("Manager", True, True), ("Accountant", True, False),
                                                         ("Admin", True, True)])
def test_the_order_page_refund_panel_per_role(role_client, paid_by_check, role, sees_panel, sees_form):
    order, _check = paid_by_check
    client = role_client(role)

    response = client.get(order.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert ('id="refunds"' in page) is sees_panel
    assert (reverse("payments:refund_request", args=[order.pk]) in page) is sees_form


@pytest.mark.django_db
def test_a_refund_reason_that_looks_like_a_card_number_is_refused(role_client, paid_by_check):
    order, _check = paid_by_check

    response = role_client("Agent").post(reverse("payments:refund_request", args=[order.pk]),
                                         {"amount": "25", "reason": "card 4242 4242 4242 4242"}, follow=True)

    assert "This looks like a card number" in response.content.decode()
    assert Refund.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("role, listed", [("Agent", False), ("Warehouse", False), ("Manager", True),
                                          ("Accountant", True), ("Admin", True)])
def test_the_approval_queue_is_in_the_navigation_of_those_who_approve(make_user, role, listed):
    from oms.navigation import items_for

    assert ("payments:refund_queue" in [item.url_name for item in items_for(make_user(role))]) is listed


@pytest.mark.django_db
def test_the_admin_sets_the_approval_threshold(role_client):
    client = role_client("Admin")

    page = client.get(reverse("admin:payments_refundpolicy_change", args=[1]))
    saved = client.post(reverse("admin:payments_refundpolicy_change", args=[1]), {"approval_threshold": "250.00"})

    assert (page.status_code, saved.status_code) == (200, 302)
    assert RefundPolicy.current().approval_threshold == D("250.000")
