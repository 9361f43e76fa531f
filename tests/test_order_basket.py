"""Order entry's validated basket (immutable, shared by quote, place and edit), the API's customer
find-or-create, and the services' own transactions (durable)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from orders.models import Customer, Order, OrderStatus
from orders.services import (
    OrderError,
    ValidatedBasket,
    basket_refusals,
    basket_validate,
    lines_validate,
    order_cancel,
    order_edit,
    order_hold,
    order_place,
    order_quote,
)
from orders.services.customers import customer_find_or_create
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import NEW_YORK, CustomerFactory, ground, line, place, table_counts, tax_rates

pytestmark = pytest.mark.django_db

PO_BOX = {**NEW_YORK, "line1": "PO Box 1234"}


@pytest.fixture
def shirt():
    sku = SkuFactory(code="SHIRT-M", list_price=Decimal("19.99"))
    stock(sku, WarehouseFactory(code="EAST"), 10)
    return sku


def test_a_validated_basket_is_priced_and_cannot_be_changed(shirt):
    tax_rates()
    customer = CustomerFactory()

    # When: a good basket is validated.
    basket = basket_validate(channel="phone", customer=customer, lines=[line(shirt, 2)], ship_to=NEW_YORK,
                             shipping_method=ground())

    # Then: it is valid and priced (2 × 19.99; ground 5.00 + 2 × 1.00; New York's 8.875 % on both)...
    assert isinstance(basket, ValidatedBasket) and basket.is_valid and dict(basket.errors) == {}
    assert (basket.priced.subtotal, basket.priced.shipping_total, basket.priced.total) == (
        Decimal("39.98"), Decimal("7.00"), Decimal("51.15"))
    assert [(validated.sku, validated.quantity, validated.errors) for validated in basket.lines] == [(shirt, 2, ())]
    # ... and neither it nor what it holds can be changed.
    with pytest.raises(dataclasses.FrozenInstanceError):
        basket.channel = "web"  # type: ignore[misc]
    with pytest.raises(TypeError):
        basket.errors["channel"] = ("changed",)  # type: ignore[index]
    with pytest.raises(TypeError):
        basket.ship_to["city"] = "Boston"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        basket.lines[0].errors = ("changed",)  # type: ignore[misc]


def test_validating_writes_nothing_and_says_what_is_wrong_by_field(shirt):
    before = table_counts()
    draft = SkuFactory(code="DRAFT-1", status="draft")

    basket = basket_validate(channel="fax", customer=None, lines=[line(shirt, 0), line(draft, 1)], ship_to=NEW_YORK)

    assert {key: list(messages) for key, messages in basket.errors.items()} == {
        "channel": ["Unknown channel fax: use phone, web, pos, store or marketplace:<name>."],
        "lines-0-quantity": ["Order at least one."],
        "lines-1-sku": ["DRAFT-1 is not released for sale."],
    }
    assert basket.priced is None and not basket.is_valid
    assert table_counts() == before


def test_quote_place_and_edit_refuse_the_same_lines_the_same_way(shirt):
    # Given: a line for zero shirts.
    requests = [line(shirt, 0)]
    order = place(lines=[line(shirt, 1)])
    before = table_counts()

    # Then: the basket, the quote, the placement and the edit say the same of it.
    expected = ["Order at least one."]
    assert list(lines_validate(requests).errors["lines-0-quantity"]) == expected
    assert order_quote(channel="phone", customer=None, lines=requests, ship_to=NEW_YORK).errors == {
        "lines-0-quantity": expected}
    with pytest.raises(OrderError) as placing:
        order_place(user=None, channel="phone", customer=CustomerFactory(), lines=requests, ship_to=NEW_YORK)
    assert placing.value.field_errors == {"lines-0-quantity": expected}
    with pytest.raises(OrderError) as editing:
        order_edit(order=order, user=None, add_lines=requests)
    assert editing.value.field_errors == {"add_lines-0-quantity": expected}
    assert table_counts() == before


def test_staff_channels_are_refused_for_an_address_problem_outside_ones_are_not(shirt):
    method = ground()
    phone = basket_validate(channel="phone", customer=None, lines=[line(shirt)], ship_to=PO_BOX,
                            shipping_method=method)
    web = dataclasses.replace(phone, channel="web")

    problem = "Ground cannot deliver to a PO box: give a street address or choose another method."
    assert phone.is_valid and list(phone.delivery_problems) == [problem]
    assert basket_refusals(phone) == {"shipping_method": [problem]}
    assert basket_refusals(web) == {}


def test_a_durable_service_refuses_to_run_inside_another_transaction_and_changes_nothing(shirt):
    # Given: a placed order.
    order = place(lines=[line(shirt, 1)])

    # When: cancelling is attempted inside a caller's transaction, then on its own.
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        order_cancel(order=order, user=None, reason="inside")
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        order_hold(order=order, reason="manual", note="inside", user=None)

    cancelled = order_cancel(order=order, user=None, reason="Customer called")

    # Then: on its own it runs (the test's own transaction is not a caller's).
    assert cancelled.status == OrderStatus.CANCELLED


def test_removing_every_line_in_an_edit_cancels_inside_the_same_transaction(shirt):
    order = place(lines=[line(shirt, 2)])

    edited = order_edit(order=order, user=None, remove_line_ids=[order.lines.get().pk])

    assert edited.status == OrderStatus.CANCELLED
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


# --- customer find-or-create (outside orders) ------------------------------------------------------------


DETAILS = {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com", "phone": "",
           "marketing_opt_in": False, "addresses": []}


def test_an_outside_order_finds_its_customer_by_email_and_creates_none():
    older = CustomerFactory(emails=["ada@example.com"])
    CustomerFactory(emails=["ada@example.com"])
    asked = []

    customer, created = customer_find_or_create(user=None, details=DETAILS, ship_to=NEW_YORK,
                                                before_create=lambda: asked.append("check"))

    assert (customer, created, asked) == (older, False, [])
    assert Customer.objects.count() == 2


def test_a_new_customer_is_created_after_the_check_with_the_ship_to_as_default():
    asked = []

    customer, created = customer_find_or_create(user=None, details=DETAILS, ship_to=NEW_YORK,
                                                before_create=lambda: asked.append("check"))

    assert (created, asked) == (True, ["check"])
    assert (customer.first_name, customer.emails) == ("Ada", ["ada@example.com"])
    assert customer.default_ship_address.city == "New York"
    assert customer.default_bill_address == customer.default_ship_address


def test_a_refused_check_or_bad_details_create_no_customer():
    def refuse():
        raise OrderError(field_errors={"lines": ["Add at least one line."]})

    with pytest.raises(OrderError):
        customer_find_or_create(user=None, details=DETAILS, ship_to=NEW_YORK, before_create=refuse)
    with pytest.raises(ValidationError) as bad:
        customer_find_or_create(user=None, details={**DETAILS, "email": "not-an-address"}, ship_to=NEW_YORK)

    assert "emails" in bad.value.message_dict
    assert Customer.objects.count() == 0
