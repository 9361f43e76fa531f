"""Returns: the RMA (quantities, window, non-returnable items and the manager's override), receiving
a unit with its disposition and its posting, once, and the refund at the end."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest

from inventory.models import StockMovement
from inventory.services import stock_receive, stock_return
from orders import hooks
from orders.models import OrderEvent, OrderStatus, ReturnPolicy, ReturnReceipt, Rma, VendorCredit
from orders.returns.services import ReturnError, RmaLineRequest, rma_create, return_receive
from payments.models import JournalEntry
from tests.factories import SkuFactory, VendorFactory, WarehouseFactory
from tests.ledger_helpers import balance, lines_of
from tests.orders_helpers import all_violations, ground, level, line, place, tax_rates
from tests.returns_helpers import ship, trial_balance

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="EAST")


@pytest.fixture
def lamp(warehouse):
    sku = SkuFactory(code="LAMP", list_price=D("40.00"))
    stock_receive(sku=sku, warehouse=warehouse, quantity=4, unit_cost=D("3.00"), user=None)
    stock_receive(sku=sku, warehouse=warehouse, quantity=6, unit_cost=D("5.00"), user=None)
    return sku


@pytest.fixture
def agent(make_user):
    return make_user("Agent", username="agent")


@pytest.fixture
def manager(make_user):
    return make_user("Manager", username="manager")


@pytest.fixture
def clerk(make_user):
    return make_user("Warehouse", username="clerk")


def delivered_order(lamp, warehouse, units=3):
    tax_rates()
    order = place(lines=[line(lamp, units)], shipping_method=ground())
    ship(order, warehouse)
    return order


def request(order, quantity, reason="defective"):
    return [RmaLineRequest(order_line_id=order.lines.get().pk, quantity=quantity, reason=reason)]


def test_an_rma_asks_for_no_more_than_shipped_less_returned_and_moves_the_order(lamp, warehouse, agent):
    order = delivered_order(lamp, warehouse)
    with pytest.raises(ReturnError, match="at most 3"):
        rma_create(order=order, lines=request(order, 4), user=agent)
    assert not Rma.objects.exists()
    rma = rma_create(order=order, lines=request(order, 2), user=agent)
    order.refresh_from_db()
    assert (rma.number, rma.warehouse, order.status) == (f"R{order.number}-1", warehouse,
                                                         OrderStatus.RETURN_REQUESTED)
    assert order.events.filter(kind=OrderEvent.Kind.STATUS, to_status="return_requested", actor=agent).exists()
    # the units on the open RMA count: only one more may be asked for
    with pytest.raises(ReturnError, match="at most 1"):
        rma_create(order=order, lines=request(order, 2), user=agent)


def test_the_window_and_non_returnable_items_need_a_manager_with_a_reason(lamp, warehouse, agent, manager):
    order = delivered_order(lamp, warehouse)
    ReturnPolicy.objects.update_or_create(channel="phone", defaults={"window_days": 10})
    late = datetime.date.today() + datetime.timedelta(days=11)
    with pytest.raises(ReturnError, match="manager must authorize"):
        rma_create(order=order, lines=request(order, 1), user=agent, today=late)
    with pytest.raises(ReturnError, match="Give the reason"):
        rma_create(order=order, lines=request(order, 1), user=manager, today=late)
    assert rma_create(order=order, lines=request(order, 1), user=agent,
                      today=late - datetime.timedelta(days=1)).override_reason == ""
    lamp.is_returnable = False
    lamp.save()
    with pytest.raises(ReturnError, match="not returnable"):
        rma_create(order=order, lines=request(order, 1), user=agent)
    rma = rma_create(order=order, lines=request(order, 1), user=manager, override_reason="Loyal customer",
                     today=late)
    assert (rma.override_reason, rma.override_by, rma.lines.get().is_override) == ("Loyal customer", manager, True)


def test_a_personalized_line_is_refused_without_an_override(warehouse, agent):
    from catalog.models import PersonalizationField, PersonalizationTemplate

    template = PersonalizationTemplate.objects.create(name="Monogram")
    PersonalizationField.objects.create(template=template, key="initials", label="Initials", max_length=3)
    mug = SkuFactory(code="MUG", list_price=D("12.00"), personalization_template=template)
    stock_receive(sku=mug, warehouse=warehouse, quantity=5, unit_cost=D("2.00"), user=None)
    order = place(lines=[line(mug, 1, initials="ADA")])
    ship(order, warehouse)
    with pytest.raises(ReturnError, match="personalized"):
        rma_create(order=order, lines=request(order, 1), user=agent)


def test_receiving_posts_the_reversal_and_the_cost_once_per_unit_then_refunds(lamp, warehouse, agent, clerk,
                                                                              django_capture_on_commit_callbacks):
    # Given 3 lamps at 40.00 shipped to New York (tax 10.65 on the line) at a cost of 12.60, 2 coming back
    order = delivered_order(lamp, warehouse)
    assert order.lines.get().tax_amount == D("10.65")
    rma = rma_create(order=order, lines=request(order, 2), user=agent)
    rma_line = rma.lines.get()
    refunds = []
    hooks.on_return_refund(record := lambda *args: refunds.append(args))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            token = uuid.uuid4()
            first = return_receive(rma_line=rma_line, token=token, disposition="restock", user=clerk)
            again = return_receive(rma_line=rma_line, token=token, disposition="restock", user=clerk)
        assert first.received_now and not again.received_now
        assert ReturnReceipt.objects.count() == 1 and refunds == []
        with django_capture_on_commit_callbacks(execute=True):
            return_receive(rma_line=rma_line, token=uuid.uuid4(), disposition="scrap", user=clerk,
                           condition="cracked base")
    finally:
        hooks.remove_return_refund(record)
    # Then the restocked lamp came back at the cost it left with (12.60 / 3), the scrapped one did not
    assert level(lamp, warehouse) == (8, 0)
    movement = StockMovement.objects.get(kind="return")
    assert (movement.quantity, movement.value, movement.reference, movement.created_by) == (
        1, D("4.20"), rma.number, clerk)
    # and each unit reversed its share of the sale: 40.00 + 3.55 (10.65 / 3), then 40.00 + 3.55
    restocked, scrapped = ReturnReceipt.objects.order_by("pk")
    assert lines_of(JournalEntry.objects.get(source_id=str(restocked.pk), kind="order.return")) == [
        ("2300", D("0"), D("43.55")), ("4300", D("40.00"), D("0")), ("2100", D("3.55"), D("0")),
        ("1200", D("4.20"), D("0")), ("5000", D("0"), D("4.20"))]
    assert lines_of(JournalEntry.objects.get(source_id=str(scrapped.pk), kind="order.return"))[3:] == [
        ("5100", D("4.20"), D("0")), ("5000", D("0"), D("4.20"))]
    assert (scrapped.received_by, scrapped.condition) == (clerk, "cracked base")
    # and the RMA is received, the order returned, the refund asked for once
    rma.refresh_from_db()
    order.refresh_from_db()
    assert (rma.status, rma.credit_amount, rma.refund_amount) == ("received", D("87.10"), D("87.10"))
    assert order.status == OrderStatus.RETURNED and order.lines.get().quantity_returned == 2
    assert refunds == [(order.pk, D("87.10"), rma.number)]
    with pytest.raises(ReturnError, match="received"):
        return_receive(rma_line=rma_line, token=uuid.uuid4(), disposition="restock", user=clerk)
    assert balance("4300") == D("80.00") and trial_balance() == 0
    from payments.ledger.sources import source_url

    assert source_url("orders.returnreceipt", str(restocked.pk)) == rma.get_absolute_url()
    assert all_violations() == []


def test_return_to_vendor_records_a_vendor_credit(lamp, warehouse, agent, clerk):
    from catalog.models import VendorItem

    vendor = VendorFactory(code="ACME")
    VendorItem.objects.create(vendor=vendor, sku=lamp, cost=D("4.00"))
    order = delivered_order(lamp, warehouse, units=1)
    rma = rma_create(order=order, lines=request(order, 1), user=agent)
    receipt = return_receive(rma_line=rma.lines.get(), token=uuid.uuid4(), disposition="vendor", user=clerk).receipt
    credit = VendorCredit.objects.get()
    assert (credit.vendor, credit.kind, credit.amount, credit.receipt) == (vendor, "return", D("4.20"), receipt)
    assert balance("2000") == D("4.20") and trial_balance() == 0
    assert all_violations() == []


def test_the_last_units_of_a_line_take_the_rest_of_its_amounts_to_the_cent(lamp, warehouse, agent, clerk):
    order = delivered_order(lamp, warehouse)
    rma = rma_create(order=order, lines=request(order, 3), user=agent)
    for _unit in range(3):
        return_receive(rma_line=rma.lines.get(), token=uuid.uuid4(), disposition="restock", user=clerk)
    rma.refresh_from_db()
    assert rma.credit_amount == D("130.65")  # 120.00 + 10.65
    assert balance("4300") == D("120.00") and balance("2100") == D("-0.71")  # the shipping's tax stays
    assert level(lamp, warehouse) == (10, 0) and trial_balance() == 0
    assert all_violations() == []


def test_the_invariants_catch_returns_that_do_not_add_up(lamp, warehouse, agent, clerk):
    from orders.models import OrderLine

    order = delivered_order(lamp, warehouse)
    rma = rma_create(order=order, lines=request(order, 2), user=agent)
    return_receive(rma_line=rma.lines.get(), token=uuid.uuid4(), disposition="restock", user=clerk)
    assert all_violations() == []
    # a return movement nobody received, a returned unit without its receipt, a receipt never posted
    stock_return(sku=lamp, warehouse=warehouse, quantity=1, user=None, reference=rma.number)
    OrderLine.objects.filter(pk=order.lines.get().pk).update(quantity_returned=2)
    ReturnReceipt.objects.create(rma_line=rma.lines.get(), token=uuid.uuid4(), disposition="scrap",
                                 warehouse=warehouse, cost=D("4.20"), credit=D("43.55"))
    names = {violation[1] for violation in all_violations()}
    assert {"restocked units equal the return movements", "returned units equal the RMA receipts",
            "every received return is posted"} <= names


def test_a_partly_received_rma_closes_with_what_came_back_and_refunds_that(lamp, warehouse, agent, clerk,
                                                                           django_capture_on_commit_callbacks):
    from orders.returns.services import rma_cancel

    order = delivered_order(lamp, warehouse)
    rma = rma_create(order=order, lines=request(order, 3), user=agent)
    return_receive(rma_line=rma.lines.get(), token=uuid.uuid4(), disposition="restock", user=clerk)
    refunds = []
    hooks.on_return_refund(record := lambda *args: refunds.append(args))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            closed = rma_cancel(rma=rma, user=agent, reason="The rest never came")
    finally:
        hooks.remove_return_refund(record)
    order.refresh_from_db()
    assert (closed.status, closed.refund_amount, order.status) == ("received", D("43.55"), OrderStatus.RETURNED)
    assert refunds == [(order.pk, D("43.55"), rma.number)]
    assert all_violations() == []
