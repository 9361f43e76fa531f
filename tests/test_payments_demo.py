"""seed_demo's payments step: card tenders as Stripe ids only, captures and refunds posted, balances due."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Sum

from oms.invariants import all_violations
from oms.text import card_numbers_in
from orders.models import Order
from payments.ledger.models import JournalLine
from payments.refunds.models import Refund, RefundAllocation
from payments.tenders.models import PaymentAttempt, PaymentCard, Tender
from payments.tenders.services import order_balance_due

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def seeded() -> str:
    out = StringIO()
    call_command("seed_demo", styles=30, orders=500, stdout=out)
    return out.getvalue()


def balance(code: str) -> Decimal:
    totals = JournalLine.objects.filter(account__code=code).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or D(0)) - (totals["credit"] or D(0))


CARD_CLEARING, CUSTOMER_DEPOSITS = "1050", "2300"  # the default chart's accounts of those roles


def test_demo_orders_carry_card_tenders_as_stripe_ids_with_their_postings(seeded):
    assert "Demo payments:" in seeded
    # The receivables' demo step gives the on-account orders their tenders; cards go to the rest
    # (the returns' and gift cards' demo steps place their few orders paid by check, through order entry).
    assert set(Tender.objects.values_list("kind", flat=True)) == {"card", "on_account", "check"}
    assert not Tender.objects.filter(kind="check").exclude(order__notes__in=("Demo return", "Demo gift card")).exists()
    assert not Tender.objects.values("order_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    tenders = Tender.objects.filter(kind=Tender.Kind.CARD).select_related("order", "card")
    assert tenders.count() > 200
    # Cards are Stripe ids, a brand and last four: nothing that looks like a card number.
    for card in PaymentCard.objects.all():
        assert card.stripe_payment_method_id.startswith("pm_demo_") and len(card.last4) == 4
        assert card_numbers_in(f"{card.stripe_payment_method_id} {card.stripe_customer_id} {card.last4}") == []
    # Shipped orders captured in full; unshipped ones authorized, none lapsed.
    for tender in tenders:
        assert tender.stripe_payment_intent_id == f"pi_demo_{tender.order_id}"
        assert tender.amount == tender.order.total
        if tender.order.status in ("shipped", "delivered", "closed", "return_requested", "returned"):
            assert (tender.status, tender.captured_amount) == ("captured", tender.order.total)
        elif tender.order.status != "partially_shipped":
            assert (tender.status, tender.captured_amount) == ("authorized", D(0))
    # Captures and refunds are in the journal: card clearing holds what was captured less refunded.
    captured = tenders.aggregate(total=Sum("captured_amount"))["total"]
    refunded = tenders.aggregate(total=Sum("refunded_amount"))["total"]
    assert captured > 0 and refunded > 0
    assert balance(CARD_CLEARING) == captured - refunded
    # Their entries credit customer deposits by the same (the on-account invoices move deposits too).
    card_lines = JournalLine.objects.filter(account__code=CUSTOMER_DEPOSITS,
                                            entry__kind__in=("payment.capture.demo", "payment.refund.demo"))
    totals = card_lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
    assert totals["credit"] - totals["debit"] == captured - refunded
    assert PaymentAttempt.objects.filter(action="capture").aggregate(total=Sum("amount"))["total"] == captured
    assert all_violations() == []


def test_demo_has_balances_due_refunds_done_and_refunds_awaiting_approval(seeded):
    unpaid = [order for order in Order.objects.filter(status__in=("placed", "on_hold", "allocated"))
              if order_balance_due(order) > 0]
    assert unpaid
    # Every returned card order of the payments' demo was refunded (the returns' demo refunds its
    # check orders after its commits: see tests/test_returns_demo.py).
    returned = Refund.objects.filter(status="done", allocations__tender__kind="card").distinct()
    assert returned.count() == Order.objects.filter(status="returned", tenders__kind="card",
                                                    tenders__captured_amount__gt=0).count()
    assert Refund.objects.filter(status="pending_approval").exists()
    # Gift cards sold as SKUs, through the services: a plastic card waiting to ship, an e-gift sent.
    from payments.giftcards.models import GiftCard

    sold = GiftCard.objects.filter(source_order_line__isnull=False)
    assert sorted(sold.values_list("kind", "status", "source_order_line__order__status")) == [
        ("e_gift", "active", "allocated"), ("sold", "inactive", "allocated")]
    assert "Demo gift cards: " in seeded and all_violations() == []
    assert not RefundAllocation.objects.values("tender").annotate(n=Count("id")).filter(
        tender__refunded_amount__gt=F("tender__captured_amount")).exists()


def test_seeding_again_adds_no_tender(seeded):
    tenders, lines = Tender.objects.count(), JournalLine.objects.count()
    out = StringIO()

    call_command("seed_demo", styles=30, orders=500, stdout=out)

    assert "tenders already" in out.getvalue()
    assert (Tender.objects.count(), JournalLine.objects.count()) == (tenders, lines)
