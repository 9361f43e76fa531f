"""The payments reconciliation: shipped against captured against localstripe's own records."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.postings import business_date
from orders.fulfillment.shipping import shipment_confirm, shipment_open
from payments import gateway
from payments.reconciliation.selectors import reconciliation
from payments.refunds import services as refunds
from payments.refunds.models import RefundPolicy
from payments.tenders import services
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import CustomerFactory, line, place
from tests.payments_helpers import card_instruction
from tests.receivables_helpers import wholesale

D = Decimal
URL = "/reconciliation/"
pytestmark = pytest.mark.django_db(transaction=True)  # the gateway is only called outside transactions


@pytest.fixture
def shirt():
    sku = SkuFactory(code="SHIRT-M", list_price=D("20.00"))
    stock(sku, WarehouseFactory(code="EAST", priority=10), 50)
    return sku


def card_order(shirt, quantity: int = 2):
    """A card order authorized at localstripe (quantity × 20.00, no tax or shipping)."""
    order = place(lines=[line(shirt, quantity)], customer=CustomerFactory(), payment=[card_instruction()])
    services.payment_authorize(tender=order.tenders.get(), user=None)
    return order


def ship(order):
    shipment = shipment_open(order=order, warehouse=order.lines.get().allocations.get().warehouse, user=None)
    return shipment_confirm(shipment=shipment, user=None)


@pytest.fixture
def orders(shirt, stripe_gateway):
    """One order of each kind of difference, and two that reconcile (a card and an invoice)."""
    made = {}
    made["good"] = card_order(shirt)
    services.payment_capture(order=made["good"], amount=ship(made["good"]).amount, user=None)
    made["uncaptured"] = card_order(shirt)
    ship(made["uncaptured"])
    made["unshipped"] = card_order(shirt)
    services.payment_capture(order=made["unshipped"], amount=D("40.00"), user=None)
    made["short"] = card_order(shirt)
    ship(made["short"])
    services.payment_capture(order=made["short"], amount=D("25.00"), user=None)
    made["outside"] = card_order(shirt)  # refunded at the gateway's dashboard, not through us
    services.payment_capture(order=made["outside"], amount=ship(made["outside"]).amount, user=None)
    tender = made["outside"].tenders.get()
    gateway.refund_create(payment_intent=tender.stripe_payment_intent_id, amount=D("5.00"), currency="USD",
                          idempotency_key="dashboard-refund")
    made["goodwill"] = card_order(shirt)
    services.payment_capture(order=made["goodwill"], amount=ship(made["goodwill"]).amount, user=None)
    RefundPolicy.objects.update_or_create(pk=1, defaults={"approval_threshold": D("100")})
    refund = refunds.refund_request(order=made["goodwill"], amount=D("10.00"), reason="Late", user=None)
    refunds.refund_process(refund=refund)
    made["account"] = place(lines=[line(shirt, 1)], customer=wholesale(), payment=[{"kind": "on_account"}])
    result = ship(made["account"])
    from payments.receivables.services import shipment_invoice

    shipment_invoice(order_id=made["account"].pk, amount=result.amount, reference=result.shipment.number)
    return made


def kinds(report) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in report.differences:
        found.setdefault(item.order_number, []).append(item.kind)
    return found


def test_each_difference_is_listed_against_the_gateways_own_records(orders, stripe_gateway):
    today = business_date()
    report = reconciliation(date_from=today, date_to=today)

    assert report.orders == 7
    assert kinds(report) == {
        orders["uncaptured"].number: ["shipped_not_captured"],
        orders["unshipped"].number: ["captured_not_shipped"],
        orders["short"].number: ["amounts_differ"],
        orders["outside"].number: ["gateway_differs"],
        orders["goodwill"].number: ["refund_without_return"],
    }
    by_order = {item.order_number: item for item in report.differences}
    outside = by_order[orders["outside"].number]
    assert (outside.shipped, outside.captured, outside.gateway) == (D("40.00"), D("40.00"), D("35.00"))
    short = by_order[orders["short"].number]
    assert (short.shipped, short.captured) == (D("40.00"), D("25.00"))
    # each links to its documents: the order, and the shipment's journal entry
    assert short.order_url == reverse("orders:order_detail", args=[orders["short"].pk])
    assert [document.url.startswith("/payments/ledger/journal/") for document in short.documents] == [True]
    # A range without them lists nothing
    assert reconciliation(date_from=today - timedelta(days=9), date_to=today - timedelta(days=2)).orders == 0


def test_a_refund_on_an_order_with_a_returned_line_is_not_listed(orders, stripe_gateway):
    goodwill = orders["goodwill"]
    goodwill.lines.update(quantity_returned=1)
    today = business_date()
    assert goodwill.number not in kinds(reconciliation(date_from=today, date_to=today))


def test_the_accountant_sees_the_report_and_downloads_it_as_csv(orders, stripe_gateway, role_client):
    client = role_client("Accountant")
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-order="{orders["uncaptured"].number}"' in html and "Shipped, not captured" in html
    invoice = orders["account"].invoices.get()
    assert orders["account"].number not in [row for row in html.split('data-order="')[1:] if row]  # reconciles

    response = client.get(URL, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["Difference", "Order", "Currency"]
    assert sorted(row[1] for row in rows[1:]) == sorted(
        orders[name].number for name in ("uncaptured", "unshipped", "short", "outside", "goodwill"))
    assert all(f"/orders/{orders[name].pk}/" in "".join(row) for name in ("short",) for row in rows
               if row[1] == orders[name].number)
    assert invoice.amount == D("20.00")


@pytest.mark.parametrize("role", ["Agent", "Warehouse", "Manager"])  # Admin is a superuser
def test_other_roles_may_not_see_it(role, role_client):
    assert role_client(role).get(URL).status_code == 403
    assert role_client(role).get(URL, {"format": "csv"}).status_code == 403


def test_a_backwards_range_is_refused(role_client):
    response = role_client("Accountant").get(URL, {"date_from": "2026-11-20", "date_to": "2026-11-10"})
    assert response.status_code == 200 and "cannot be before the start" in response.content.decode()


def test_without_a_gateway_the_report_says_so_and_still_compares_our_records(orders, settings):
    settings.STRIPE_API_KEY = ""
    today = business_date()
    report = reconciliation(date_from=today, date_to=today)
    assert "STRIPE_API_KEY" in report.gateway_error
    assert "gateway_differs" not in {item.kind for item in report.differences}
    assert "shipped_not_captured" in {item.kind for item in report.differences}


@pytest.mark.parametrize("role, listed", [("Accountant", True), ("Agent", False), ("Warehouse", False),
                                          ("Manager", False)])
def test_the_report_is_in_the_accountants_navigation(make_user, role, listed):
    from oms.navigation import items_for

    assert ("Payment reconciliation" in {str(item.label) for item in items_for(make_user(role))}) is listed
