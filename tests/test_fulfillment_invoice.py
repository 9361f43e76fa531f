"""An order on account is invoiced when it ships: after the shipment's commit, once per shipment."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest

from inventory.postings import business_date
from inventory.services import stock_receive
from orders.fulfillment.shipping import shipment_confirm, shipment_open
from orders.models import LineAllocation
from payments.models import Invoice, JournalEntry, Tender
from payments.receivables.services import shipment_invoice
from tests.factories import SkuFactory, UserFactory, WarehouseFactory
from tests.ledger_helpers import balance
from tests.orders_helpers import all_violations, line, place
from tests.receivables_helpers import wholesale

D = Decimal
AR, DEPOSITS, REVENUE, COGS = "1100", "2300", "4000", "5000"
ON_ACCOUNT = [{"kind": "on_account"}]


def on_account_order(quantity: int = 2, *, terms: str = "net30"):
    warehouse = WarehouseFactory(code="EAST")
    lamp = SkuFactory(code="LAMP", list_price=D("40.00"))
    stock_receive(sku=lamp, warehouse=warehouse, quantity=10, unit_cost=D("3.00"), user=None)
    order = place(lines=[line(lamp, quantity)], customer=wholesale(terms=terms), payment=ON_ACCOUNT)
    assert order.status == "allocated"
    return warehouse, order


def wait_for(condition, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not get there in time")
        time.sleep(0.2)


def test_an_order_on_account_is_invoiced_by_the_worker_when_it_ships_and_once_only(celery_worker):
    # Given an order of 2 lamps at 40.00 on a net-15 customer's account
    warehouse, order = on_account_order(2, terms="net15")
    packer = UserFactory(username="packer")
    shipment = shipment_open(order=order, warehouse=warehouse, user=packer)
    # When it ships, twice (a double click)
    assert shipment_confirm(shipment=shipment, user=packer).shipped_now
    assert not shipment_confirm(shipment=shipment, user=packer).shipped_now
    # Then the worker writes the shipment's invoice, due by the customer's terms
    wait_for(lambda: Invoice.objects.filter(order=order).exists())
    time.sleep(1)  # room for a second (wrong) invoice to show up
    invoice = Invoice.objects.get(order=order)
    today = business_date()
    assert (invoice.amount, invoice.shipment_reference, invoice.terms) == (D("80.00"), shipment.number, "net15")
    assert (invoice.issued_on, invoice.due_on) == (today, today + timedelta(days=15))
    # and the on-account tender counts it as captured
    tender = Tender.objects.get(order=order)
    assert (tender.kind, tender.status, tender.captured_amount) == ("on_account", "captured", D("80.00"))
    assert invoice.number in tender.reference
    # and the ledger: revenue and COGS at shipment, receivables against the deposit at the invoice
    assert JournalEntry.objects.filter(kind="invoice.issue").count() == 1
    assert (balance(AR), balance(DEPOSITS), balance(REVENUE), balance(COGS)) == (
        D("80.00"), D("0"), D("-80.00"), D("6.00"))
    # and the receivables subledger equals its control account, like every other invariant
    assert all_violations() == []


@pytest.mark.django_db
def test_each_shipment_invoices_its_own_share_and_a_replay_invoices_nothing_more():
    warehouse, order = on_account_order(3)
    allocation = LineAllocation.objects.get(line__order=order)
    from orders.fulfillment.models import Shipment, ShipmentLine

    first = Shipment.objects.create(order=order, warehouse=warehouse, number="P-1")
    ShipmentLine.objects.create(shipment=first, order_line=allocation.line, allocation=allocation,
                                reservation_group=allocation.reservation_group, quantity=1)
    result = shipment_confirm(shipment=first, user=None)
    one = shipment_invoice(order_id=order.pk, amount=result.amount, reference=first.number)
    assert shipment_invoice(order_id=order.pk, amount=result.amount, reference=first.number) == one
    second = shipment_open(order=order, warehouse=warehouse, user=None)
    rest = shipment_confirm(shipment=second, user=None)
    two = shipment_invoice(order_id=order.pk, amount=rest.amount, reference=second.number)
    assert (one.amount, two.amount) == (D("40.00"), D("80.00"))
    assert list(Invoice.objects.filter(order=order).order_by("pk").values_list("shipment_reference", flat=True)) == [
        "P-1", second.number]
    # Nothing is left on account: a third reference invoices nothing
    assert shipment_invoice(order_id=order.pk, amount=D("10.00"), reference="other") is None
    assert balance(AR) == D("120.00") and balance(DEPOSITS) == D("0")
    assert all_violations() == []


@pytest.mark.django_db
def test_an_order_paid_otherwise_gets_no_invoice():
    warehouse = WarehouseFactory(code="EAST")
    lamp = SkuFactory(code="LAMP", list_price=D("40.00"))
    stock_receive(sku=lamp, warehouse=warehouse, quantity=10, unit_cost=D("3.00"), user=None)
    order = place(lines=[line(lamp, 1)], customer=wholesale(),
                  payment=[{"kind": "check", "number": "881", "amount": "40.00"}])
    shipment = shipment_open(order=order, warehouse=warehouse, user=None)
    result = shipment_confirm(shipment=shipment, user=None)
    assert shipment_invoice(order_id=order.pk, amount=result.amount, reference=shipment.number) is None
    assert not Invoice.objects.exists()
