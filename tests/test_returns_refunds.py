"""A received return is refunded through payments to the card that paid, at a real localstripe, once."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from inventory.services import stock_receive
from orders.models import OrderStatus
from orders.returns.services import RmaLineRequest, return_receive, rma_create
from payments import gateway
from payments.invariants import violations
from payments.refunds import services as refunds
from payments.refunds.models import Refund, RefundPolicy
from payments.tenders import services as tenders
from payments.tenders.models import Tender
from tests.factories import SkuFactory, UserFactory, WarehouseFactory
from tests.orders_helpers import CustomerFactory, all_violations, line, place
from tests.payments_helpers import card_instruction
from tests.returns_helpers import ship, trial_balance

D = Decimal


@pytest.mark.django_db(transaction=True)
def test_a_returned_card_order_is_refunded_to_the_card_once(stripe_gateway):
    # Given a card order of 2 shirts (2 × 19.99, no tax, no shipping), authorized, shipped and captured
    warehouse = WarehouseFactory(code="EAST")
    shirt = SkuFactory(code="SHIRT", list_price=D("19.99"))
    stock_receive(sku=shirt, warehouse=warehouse, quantity=5, unit_cost=D("6.00"), user=None)
    RefundPolicy.objects.update_or_create(pk=1, defaults={"approval_threshold": D("100")})
    order = place(lines=[line(shirt, 2)], customer=CustomerFactory(), payment=[card_instruction()])
    tender = tenders.payment_authorize(tender=order.tenders.get(), user=None)
    order.refresh_from_db()
    shipment = ship(order, warehouse)
    tenders.payment_capture(order=order, amount=D("39.98"), user=None, reference=shipment.number)
    clerk = UserFactory(username="clerk", role="Warehouse")
    # When one shirt comes back and is restocked
    rma = rma_create(order=order, lines=[RmaLineRequest(order.lines.get().pk, 1, "size_fit")], user=None)
    token = uuid.uuid4()
    return_receive(rma_line=rma.lines.get(), token=token, disposition="restock", user=clerk)
    return_receive(rma_line=rma.lines.get(), token=token, disposition="restock", user=clerk)  # a double submit
    # Then one refund of its 19.99 is asked for, below the threshold approved at once, and sent to the card
    refund = Refund.objects.get(order=order)
    assert (refund.amount, refund.reason) == (D("19.99"), f"Return {rma.number}")
    refunds.refund_process(refund=refund)
    refund.refresh_from_db()
    tender.refresh_from_db()
    assert refund.status == Refund.Status.DONE
    assert (refund.allocations.get().tender_id, tender.refunded_amount) == (tender.pk, D("19.99"))
    assert [item["amount"] for item in gateway.refunds_of_payment_intent(tender.stripe_payment_intent_id)] == [1999]
    assert tender.kind == Tender.Kind.CARD
    # and asking again for the same return does not refund twice
    assert refunds.return_refund(order.pk, D("19.99"), rma.number).pk == refund.pk
    order.refresh_from_db()
    assert order.status == OrderStatus.RETURNED
    assert trial_balance() == 0 and violations() == [] and all_violations() == []
