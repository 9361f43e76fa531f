"""The credit check at placement: an order on account past the customer's credit limit is held,
and an accountant (or a manager) releases it; then its invoice, statement and aging are right."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from inventory.postings import business_date
from orders.fulfillment.shipping import shipment_confirm, shipment_open
from orders.models import Hold, OrderStatus
from payments.models import Tender
from payments.receivables import services
from payments.receivables.credit import credit_check, on_account_amount
from payments.receivables.selectors import credit_exposure, open_orders_on_account
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import line, place
from tests.receivables_helpers import payments_violations, pdf_text, shipped_order, wholesale

pytestmark = pytest.mark.django_db
D = Decimal
ON_ACCOUNT = [{"kind": "on_account"}]


@pytest.fixture
def shirt():
    sku = SkuFactory(code="SHIRT-M", name="Oxford shirt M", list_price=D("19.99"))
    stock(sku, WarehouseFactory(code="EAST"), 50)
    return sku


def shirt_warehouse(sku):
    return sku.stock_levels.get().warehouse


def test_the_amount_on_account_is_the_instructions_amount_or_what_the_others_leave():
    order = shipped_order(wholesale(), "100.00")

    assert on_account_amount(order, ON_ACCOUNT) == D("100.00")
    assert on_account_amount(order, [{"kind": "on_account", "amount": "40.00"}]) == D("40.00")
    assert on_account_amount(order, [{"kind": "check", "number": "1", "amount": "30.00"},
                                     {"kind": "on_account"}]) == D("70.00")
    assert on_account_amount(order, [{"kind": "card", "payment_method": "pm_1"}]) == D("0")
    assert on_account_amount(order, []) == D("0")


def test_an_order_within_the_limit_passes(shirt):
    customer = wholesale(credit_limit="500.00")
    services.invoice_create(order=shipped_order(customer, "400.00"), amount=D("400.00"), user=None)

    order = place(customer=customer, lines=[line(shirt, 5)], payment=ON_ACCOUNT)  # 99.95: 499.95 in all

    assert order.status == OrderStatus.ALLOCATED
    assert not order.holds.exists()


def test_an_order_past_the_limit_goes_on_a_credit_hold(shirt):
    customer = wholesale(credit_limit="500.00")
    services.invoice_create(order=shipped_order(customer, "450.00"), amount=D("450.00"), user=None)

    order = place(customer=customer, lines=[line(shirt, 5)], payment=ON_ACCOUNT)

    hold = order.holds.get()
    assert (order.status, hold.reason) == (OrderStatus.ON_HOLD, Hold.Reason.CREDIT)
    assert hold.note == "Over the credit limit: 450.00 open and 99.95 on this order, limit 500.00."


def test_a_prepaid_customer_cannot_order_on_account(shirt):
    customer = wholesale(terms="prepaid", credit_limit="10000.00")

    order = place(customer=customer, lines=[line(shirt, 1)], payment=ON_ACCOUNT)

    assert order.holds.get().note == f"{customer.number} has no terms for orders on account."


def test_an_order_paid_otherwise_is_not_credit_checked(shirt):
    customer = wholesale(credit_limit="0")

    order = place(customer=customer, lines=[line(shirt, 1)], payment=[{"kind": "check", "number": "7"}])

    assert credit_check(order, [{"kind": "check", "number": "7"}]) is None
    assert not order.holds.filter(reason=Hold.Reason.CREDIT).exists()


def test_open_orders_on_account_count_until_they_are_invoiced():
    customer = wholesale(credit_limit="1000.00")
    open_order = shipped_order(customer, "300.00")
    open_order.status = OrderStatus.ALLOCATED
    open_order.save(update_fields=["status"])
    Tender.objects.create(order=open_order, kind=Tender.Kind.ON_ACCOUNT, currency="USD", amount=D("300.00"),
                          sequence=1)
    cancelled = shipped_order(customer, "500.00")
    cancelled.status = OrderStatus.CANCELLED
    cancelled.save(update_fields=["status"])
    Tender.objects.create(order=cancelled, kind=Tender.Kind.ON_ACCOUNT, currency="USD", amount=D("500.00"),
                          sequence=1)
    assert open_orders_on_account(customer=customer) == D("300.00")

    services.invoice_create(order=open_order, amount=D("120.00"), user=None)  # a partial shipment

    assert open_orders_on_account(customer=customer) == D("180.00")
    assert credit_exposure(customer=customer) == D("300.00")  # 120.00 invoiced, 180.00 still to ship
    assert credit_exposure(customer=customer, exclude_order_id=open_order.pk) == D("120.00")


@pytest.mark.parametrize(("role", "may_release"), [
    ("Accountant", True), ("Manager", True), ("Agent", False), ("Warehouse", False)])
def test_who_releases_a_credit_hold(client, make_user, shirt, role, may_release):
    customer = wholesale(credit_limit="50.00")
    order = place(customer=customer, lines=[line(shirt, 5)], payment=ON_ACCOUNT)
    hold = order.holds.get(reason=Hold.Reason.CREDIT)
    client.force_login(make_user(role))

    response = client.post(reverse("orders:hold_release", args=[hold.pk]), {"note": "Paid by phone"})

    hold.refresh_from_db()
    order.refresh_from_db()
    if may_release:
        assert response.status_code == 302
        assert hold.released_at is not None and order.status == OrderStatus.ALLOCATED
    else:
        assert response.status_code == 403
        assert hold.released_at is None and order.status == OrderStatus.ON_HOLD


def test_an_accountant_may_release_only_credit_holds(client, make_user, shirt):
    order = place(customer=wholesale(), lines=[line(shirt, 1)])
    from orders.services import order_hold

    manual = order_hold(order=order, reason=Hold.Reason.MANUAL, note="Check the address", user=None)
    client.force_login(make_user("Accountant"))

    response = client.post(reverse("orders:hold_release", args=[manual.pk]), {"note": ""})

    manual.refresh_from_db()
    assert response.status_code == 403
    assert manual.released_at is None


def test_a_wholesale_customer_over_the_limit_is_held_released_invoiced_billed_and_aged(client, make_user, shirt):
    """The issue's scenario: held, released by an accountant, invoiced at shipment, paid in part;
    the invoice PDF, the statement PDF and the aging report say so to the cent."""
    today = business_date()
    customer = wholesale(number="W-ACME", company="Acme Wholesale", credit_limit="500.00")
    old_invoice = services.invoice_create(order=shipped_order(customer, "450.00"), amount=D("450.00"), user=None,
                                          issued_on=today - timedelta(days=75))  # net 30: 45 days past due

    order = place(customer=customer, lines=[line(shirt, 5)], payment=ON_ACCOUNT)
    hold = order.holds.get(reason=Hold.Reason.CREDIT)
    accountant = make_user("Accountant")
    client.force_login(accountant)
    client.post(reverse("orders:hold_release", args=[hold.pk]), {"note": "Approved by accounts"})
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED

    # fulfillment ships it, and payments' task invoices the shipment (called here, without a worker)
    shipped = shipment_confirm(shipment=shipment_open(order=order, warehouse=shirt_warehouse(shirt), user=None),
                               user=None)
    assert shipped.shipped_now
    invoice = services.shipment_invoice(order_id=order.pk, amount=shipped.amount, reference=shipped.shipment.number)
    assert invoice.issued_on == today
    payment = services.customer_payment_receive(customer=customer, amount=D("200.00"), method="check",
                                                reference="88012", user=accountant, received_on=today)
    services.payment_apply(payment=payment, amounts={old_invoice: D("200.00")}, user=accountant)

    invoice_text = pdf_text(client.get(reverse("receivables:invoice_pdf", args=[invoice.pk])).content)
    assert f"Invoice {invoice.number}" in invoice_text
    assert f"Due date {(today + timedelta(days=30)).isoformat()}" in invoice_text
    assert "Terms Net 30" in invoice_text
    assert f"Order {order.number}" in invoice_text
    assert "SHIRT-M Oxford shirt M 5 $19.99 $99.95" in invoice_text
    assert "Amount of this invoice $99.95" in invoice_text
    assert "Amount due $99.95" in invoice_text

    starts_on = today - timedelta(days=80)
    statement = client.get(reverse("receivables:statement_pdf", args=[customer.pk]),
                           {"starts_on": starts_on.isoformat(), "ends_on": today.isoformat()})
    statement_text = pdf_text(statement.content)
    assert "Opening balance $0.00" in statement_text
    assert f"{old_invoice.number} Invoice" in statement_text and f"{invoice.number} Invoice" in statement_text
    assert "88012 Payment, Check 88012 $200.00" in statement_text
    assert "Closing balance $349.95" in statement_text
    # aging of what is open: 99.95 current, 250.00 in 31–60 days
    assert "$99.95 $0.00 $250.00 $0.00 $0.00 $349.95" in statement_text

    report = client.get(reverse("receivables:aging"), {"q": "W-ACME"})
    row = report.context["page"].rows[0]
    assert (row.customer_number, row.bucket_amounts(), row.total) == (
        "W-ACME", [D("99.95"), D("0"), D("250.00"), D("0"), D("0")], D("349.95"))
    csv_text = client.get(reverse("receivables:aging"), {"q": "W-ACME", "export": "csv"}).content.decode("utf-8-sig")
    assert csv_text.splitlines()[1] == "W-ACME,Acme Wholesale,Net 30,500.00,USD,99.95,0.00,250.00,0.00,0.00,349.95,2"
    assert payments_violations() == []


@pytest.mark.parametrize(("role", "shown"), [("Accountant", True), ("Manager", True), ("Agent", False),
                                             ("Warehouse", False)])
def test_the_order_page_shows_the_credit_position_to_accountants_and_managers(client, make_user, shirt, role, shown):
    customer = wholesale(credit_limit="50.00")
    order = place(customer=customer, lines=[line(shirt, 5)], payment=ON_ACCOUNT)
    invoice = services.invoice_create(order=order, amount=D("40.00"), user=None)
    client.force_login(make_user(role))

    page = client.get(order.get_absolute_url()).content.decode()

    assert ('id="account-panel"' in page) is shown
    if shown:
        assert f"Invoice {invoice.number}" in page
        assert '<dd class="col-6">$50.00</dd>' in page  # the credit limit


def test_placement_records_check_cash_and_on_account_tenders_and_posts_them(shirt):
    from payments.models import ReceivedCheck
    from tests.ledger_helpers import balance

    customer = wholesale(credit_limit="1000.00")

    order = place(customer=customer, lines=[line(shirt, 5)], payment=[  # 99.95
        {"kind": "check", "number": "5150", "amount": "30.00", "date": "2026-11-28"},
        {"kind": "cash", "amount": "9.95"},
        {"kind": "on_account"}])

    tenders = list(order.tenders.order_by("sequence").values_list(
        "kind", "status", "amount", "authorized_amount", "captured_amount", "reference"))
    assert tenders == [
        ("check", "captured", D("30.00"), D("30.00"), D("30.00"), "5150"),
        ("cash", "captured", D("9.95"), D("9.95"), D("9.95"), ""),
        ("on_account", "authorized", D("60.00"), D("60.00"), D("0"), ""),
    ]
    check = ReceivedCheck.objects.get()
    assert (check.tender.kind, check.number, check.check_date, check.amount) == (
        "check", "5150", date(2026, 11, 28), D("30.00"))
    assert (balance("1060"), balance("1000"), balance("2300")) == (D("30.00"), D("9.95"), D("-39.95"))
    assert order.status == OrderStatus.ALLOCATED
    assert open_orders_on_account(customer=customer) == D("60.00")
    assert payments_violations() == []


def test_a_check_without_its_number_refuses_the_order(shirt):
    from orders.models import Order
    from orders.services import OrderError

    with pytest.raises(OrderError, match="Enter the check number."):
        place(customer=wholesale(), lines=[line(shirt, 1)], payment=[{"kind": "check", "amount": "19.99"}])

    assert Order.objects.count() == 0


def test_the_entry_page_offers_check_and_account_inputs_to_agents(client, make_user):
    from payments.receivables.entry import entry_payment

    customer = wholesale()
    client.force_login(make_user("Agent"))

    page = client.get(reverse("orders:order_entry"), {"customer": customer.pk}).content.decode()

    assert 'id="entry-check-panel"' in page and 'name="receivables_check_number"' in page
    assert 'name="receivables_on_account"' in page  # net 30: the account is offered
    assert entry_payment({"receivables_check_number": "77", "receivables_check_amount": "10.00",
                          "receivables_check_date": "2026-11-30", "receivables_on_account": "1"}) == [
        {"kind": "check", "number": "77", "amount": "10.00", "date": "2026-11-30"}, {"kind": "on_account"}]
    assert entry_payment({"receivables_check_number": "", "receivables_check_amount": ""}) == []


def test_a_prepaid_customer_is_not_offered_the_account(client, make_user):
    client.force_login(make_user("Agent"))

    page = client.get(reverse("orders:order_entry"), {"customer": wholesale(terms="prepaid").pk}).content.decode()

    assert 'name="receivables_check_number"' in page and 'name="receivables_on_account"' not in page


def test_an_agent_places_an_order_paid_by_check_with_the_rest_on_account(client, make_user):
    from orders.models import Order
    from payments.models import ReceivedCheck
    from tests.screens_orders_helpers import entry_world

    world = entry_world()
    customer = world.customer
    customer.customer_type, customer.terms, customer.credit_limit = "wholesale", "net30", D("1000.00")
    customer.save(update_fields=["customer_type", "terms", "credit_limit"])
    client.force_login(make_user("Agent"))
    data = {"customer": customer.pk, "source_code": "", "coupons": "", "ship_choice": "",
            "shipping_method": world.ground.pk, "notes": "", "add_sku": "", "add_quantity": "1", "action": "place",
            "line-1-sku": world.mug.pk, "line-1-quantity": 2,
            "receivables_check_number": "3141", "receivables_check_amount": "10.00",
            "receivables_check_date": "2026-11-30", "receivables_on_account": "1"}

    response = client.post(reverse("orders:order_entry"), data)

    order = Order.objects.get()
    assert response.status_code == 302
    assert list(order.tenders.order_by("sequence").values_list("kind", "amount")) == [
        ("check", D("10.00")), ("on_account", order.total - D("10.00"))]
    assert ReceivedCheck.objects.get().number == "3141"
    assert not order.holds.exists()


@pytest.mark.parametrize(("role", "offered"), [("Accountant", True), ("Manager", True), ("Agent", False)])
def test_the_order_page_offers_the_credit_hold_release_to_accountants_and_managers(client, make_user, shirt, role,
                                                                                   offered):
    order = place(customer=wholesale(credit_limit="50.00"), lines=[line(shirt, 5)], payment=ON_ACCOUNT)
    hold = order.holds.get(reason=Hold.Reason.CREDIT)
    client.force_login(make_user(role))

    page = client.get(order.get_absolute_url()).content.decode()

    assert (reverse("orders:hold_release", args=[hold.pk]) in page) is offered
    assert "Over the credit limit: 0.00 open and 99.95 on this order, limit 50.00." in page
