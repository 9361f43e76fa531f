"""Customer screens and services: lookup, create with the duplicate warning, edit, addresses, notes, history."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orders.models import Address, Customer, CustomerNote
from orders.selectors import customer_duplicates, customer_search
from orders.services.customers import (
    customer_address_add,
    customer_create,
    customer_note_add,
    customer_update,
)
from tests.screens_helpers import count_queries, messages_of
from tests.screens_orders_helpers import (
    AddressFactory,
    CustomerFactory,
    OrderFactory,
    customer_with_address,
    order_line,
    roles_in_sync,  # noqa: F401 - an autouse fixture
)

pytestmark = pytest.mark.django_db

# --- who may do what ------------------------------------------------------------------------

# Agents and managers manage customers; accountants look them up; warehouse staff never see them.
GET_ACCESS = {
    "orders:customer_list": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 200, "Admin": 200},
    "orders:customer_detail": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 200, "Admin": 200},
    "orders:customer_create": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 403, "Admin": 200},
    "orders:customer_edit": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 403, "Admin": 200},
    "orders:customer_duplicates": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 200, "Admin": 200},
    "orders:address_add": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 403, "Admin": 200},
    "orders:address_edit": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 403, "Admin": 200},
}
NOTE_ACCESS = {"Agent": 302, "Warehouse": 403, "Manager": 302, "Accountant": 403, "Admin": 302}


def _url(name: str, customer: Customer) -> str:
    if name in ("orders:customer_list", "orders:customer_create", "orders:customer_duplicates"):
        return reverse(name)
    if name == "orders:address_edit":
        return reverse(name, args=[customer.pk, customer.default_ship_address_id])
    return reverse(name, args=[customer.pk])


@pytest.mark.parametrize("role", ["Agent", "Warehouse", "Manager", "Accountant", "Admin"])
@pytest.mark.parametrize("name", list(GET_ACCESS))
def test_each_role_gets_the_customer_pages_it_may_see(role_client, role, name):
    customer = customer_with_address()
    client = role_client(role)

    response = client.get(_url(name, customer))

    assert response.status_code == GET_ACCESS[name][role]


@pytest.mark.parametrize("role", list(NOTE_ACCESS))
def test_only_roles_that_manage_customers_add_notes(role_client, role):
    customer = CustomerFactory()

    response = role_client(role).post(reverse("orders:note_add", args=[customer.pk]), {"text": "Prefers email"})

    assert response.status_code == NOTE_ACCESS[role]
    assert CustomerNote.objects.filter(customer=customer).count() == (1 if NOTE_ACCESS[role] == 302 else 0)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("orders:customer_list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- services ---------------------------------------------------------------------------------


def test_customer_create_numbers_from_the_sequence_and_normalizes_contacts(make_user):
    user = make_user("Agent")

    first = customer_create(user=user, first_name=" Ada ", last_name="Lovelace", emails=["Ada@Example.COM", "ada@example.com"],
                            phones=["+1 (555) 010-2030"], ship_address={
                                "name": "Ada Lovelace", "line1": "1 Analytical Way", "city": "Albany",
                                "region": "NY", "postal_code": "12207", "country": "us"})
    second = customer_create(user=user, first_name="Charles", last_name="Babbage")

    assert first.number.startswith("C") and int(second.number[1:]) == int(first.number[1:]) + 1
    assert first.first_name == "Ada"
    assert first.emails == ["ada@example.com"]
    assert first.phones == ["15550102030"]
    address = Address.objects.get(customer=first)
    assert address.country == "US"
    assert first.default_ship_address == address and first.default_bill_address == address
    assert second.default_ship_address is None


def test_customer_create_refuses_a_customer_without_a_name_and_writes_nothing(make_user):
    before = Customer.objects.count()

    with pytest.raises(ValidationError) as raised:
        customer_create(user=make_user("Agent"), first_name="", last_name="", emails=["not-an-email"])

    assert set(raised.value.message_dict) == {"last_name", "emails"}
    assert Customer.objects.count() == before


def test_customer_create_keeps_a_separate_bill_address(make_user):
    customer = customer_create(
        user=make_user("Agent"), first_name="Grace", last_name="Hopper",
        ship_address={"name": "Grace Hopper", "line1": "1 Navy Yard", "city": "Arlington", "region": "VA",
                      "postal_code": "22202", "country": "US"},
        bill_address={"name": "Grace Hopper", "line1": "PO Box 9", "city": "Arlington", "region": "VA",
                      "postal_code": "22202", "country": "US"})

    assert customer.default_ship_address.line1 == "1 Navy Yard"
    assert customer.default_bill_address.line1 == "PO Box 9"


def test_customer_update_changes_only_what_is_given(make_user):
    customer = CustomerFactory(emails=["old@example.com"], credit_limit=Decimal("100"))

    updated = customer_update(customer=customer, user=make_user("Agent"), emails=["New@Example.com"],
                              phones=["555-010-9999"])

    customer.refresh_from_db()
    assert updated.emails == customer.emails == ["new@example.com"]
    assert customer.phones == ["5550109999"]
    assert customer.credit_limit == Decimal("100")


def test_an_added_address_becomes_the_default_when_asked(make_user):
    customer = customer_with_address()
    first = customer.default_ship_address
    user = make_user("Agent")

    kept = customer_address_add(customer=customer, user=user, address={
        "name": "Office", "line1": "2 Office Park", "city": "Albany", "region": "NY", "postal_code": "12207"})
    moved = customer_address_add(customer=customer, user=user, default_ship=True, address={
        "name": "Cabin", "line1": "3 Lake Road", "city": "Lake Placid", "region": "New York",
        "postal_code": "12946", "country": "US"})

    customer.refresh_from_db()
    assert kept.country == "US" and moved.region == "NY"  # the state as its code, as tax rates name it
    assert kept.pk != customer.default_ship_address_id
    assert customer.default_ship_address_id == moved.pk
    assert customer.default_bill_address_id == first.pk


def test_an_address_that_cannot_be_delivered_to_is_refused(make_user):
    customer = CustomerFactory()

    with pytest.raises(ValidationError) as raised:
        customer_address_add(customer=customer, user=make_user("Agent"), address={
            "name": "Jo", "line1": "1 Main Street", "city": "Albany", "region": "NY", "postal_code": "9021",
            "country": "US"})

    assert set(raised.value.message_dict) == {"postal_code"}
    assert not Address.objects.filter(customer=customer).exists()


def test_a_blank_note_is_refused(make_user):
    customer = CustomerFactory()

    with pytest.raises(ValidationError):
        customer_note_add(customer=customer, user=make_user("Agent"), text="  ")

    assert not CustomerNote.objects.exists()


# --- lookup -----------------------------------------------------------------------------------


@pytest.fixture
def known_customers():
    return {
        "ada": CustomerFactory(first_name="Ada", last_name="Lovelace", emails=["ada@example.com"],
                               phones=["15550102030"]),
        "grace": CustomerFactory(first_name="Grace", last_name="Hopper", emails=["grace@navy.example"],
                                 phones=["4155550100"], company="Navy"),
        "alan": CustomerFactory(first_name="Alan", last_name="Turing", emails=["alan@example.com"], phones=["442071234567"]),
    }


@pytest.mark.parametrize("query, expected", [
    ("(555) 010-2030", {"ada"}),           # a 10-digit number finds the number stored with the leading 1
    ("+1 555 010 2030", {"ada"}),
    ("415-555-0100", {"grace"}),
    ("1 415 555 0100", {"grace"}),         # and an 11-digit one the number stored without it
    ("ADA@EXAMPLE.COM", {"ada"}),
    ("lovelace", {"ada"}),
    ("grace hop", {"grace"}),              # every word must match
    ("navy", {"grace"}),                   # company
    ("tur", {"alan"}),
    ("ada turing", set()),
])
def test_customer_search_by_phone_email_and_name(known_customers, query, expected):
    found = {key for key, customer in known_customers.items() if customer in customer_search(query=query)}

    assert found == expected


def test_customer_search_by_number(known_customers):
    alan = known_customers["alan"]

    assert list(customer_search(query=alan.number.lower())) == [alan]


def test_customer_list_finds_and_links_customers(role_client, known_customers):
    response = role_client("Agent").get(reverse("orders:customer_list"), {"q": "555.010.2030"})

    assert response.status_code == 200
    assert [customer.number for customer in response.context["customers"]] == [known_customers["ada"].number]
    assert known_customers["ada"].get_absolute_url() in response.content.decode()


def test_customer_list_fragment_for_htmx(role_client, known_customers):
    response = role_client("Agent").get(reverse("orders:customer_list"), {"q": "hopper"}, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert known_customers["grace"].number in body and "<html" not in body


# --- the duplicate warning --------------------------------------------------------------------


def test_duplicates_are_customers_sharing_an_email_or_a_phone(known_customers):
    ada, grace = known_customers["ada"], known_customers["grace"]

    assert list(customer_duplicates(emails=["Ada@example.com"])) == [ada]
    assert list(customer_duplicates(phones=["(415) 555-0100"])) == [grace]
    assert set(customer_duplicates(emails=["grace@navy.example"], phones=["5550102030"])) == {ada, grace}
    assert list(customer_duplicates(emails=["ada@example.com"], exclude_pk=ada.pk)) == []
    assert list(customer_duplicates(emails=[], phones=[])) == []


def test_typing_an_email_or_phone_shows_the_likely_duplicates_live(role_client, known_customers):
    client = role_client("Agent")

    response = client.get(reverse("orders:customer_duplicates"), {"emails": "someone@x.example, ADA@example.com",
                                                                  "phones": ""}, HTTP_HX_REQUEST="true")
    nothing = client.get(reverse("orders:customer_duplicates"), {"emails": "new@x.example", "phones": "12345"},
                         HTTP_HX_REQUEST="true")

    assert known_customers["ada"].number in response.content.decode()
    assert 'id="duplicate-list"' in response.content.decode()
    assert 'id="duplicate-list"' not in nothing.content.decode()


def _create_data(**overrides) -> dict:
    data = {
        "first_name": "Ada", "last_name": "King", "company": "", "emails": "ada@example.com", "phones": "",
        "customer_type": "retail", "terms": "prepaid", "credit_limit": "0", "notes": "",
        "bill_same_as_ship": "on", "ship-name": "Ada King", "ship-line1": "12 Lake Road", "ship-city": "Albany",
        "ship-region": "NY", "ship-postal_code": "12207", "ship-country": "US",
    }
    data.update(overrides)
    return data


def test_creating_a_likely_duplicate_needs_create_anyway_and_writes_nothing_until_then(role_client, known_customers):
    client = role_client("Agent")
    before = Customer.objects.count()

    refused = client.post(reverse("orders:customer_create"), _create_data())

    assert refused.status_code == 200
    assert Customer.objects.count() == before
    body = refused.content.decode()
    assert "may be a customer we already have" in body
    assert known_customers["ada"].number in body  # the matching customer is listed with a link

    created = client.post(reverse("orders:customer_create"), _create_data(create_anyway="on"))

    customer = Customer.objects.get(last_name="King")
    assert created.status_code == 302 and created.url == customer.get_absolute_url()
    assert customer.emails == ["ada@example.com"]
    assert customer.default_ship_address.line1 == "12 Lake Road"


def test_a_new_customer_without_duplicates_is_created_at_once_with_a_toast(role_client):
    client = role_client("Agent")

    response = client.post(reverse("orders:customer_create"), _create_data(emails="someone.new@example.com",
                                                                         phones="(555) 777-1234"), follow=True)

    customer = Customer.objects.get(last_name="King")
    assert customer.phones == ["5557771234"]
    assert f"Customer {customer.number} was created." in messages_of(response)


def test_a_customer_created_from_order_entry_goes_back_to_order_entry(role_client):
    response = role_client("Agent").post(reverse("orders:customer_create"),
                                         _create_data(emails="fresh@example.com", next="entry"))

    customer = Customer.objects.get(last_name="King")
    assert response.url == f"{reverse('orders:order_entry')}?customer={customer.pk}"


def test_create_form_shows_field_errors_and_writes_nothing(role_client):
    before = Customer.objects.count()

    response = role_client("Agent").post(reverse("orders:customer_create"), _create_data(
        first_name="", last_name="", emails="nope", **{"ship-line1": ""}))

    assert response.status_code == 200
    assert Customer.objects.count() == before
    form = response.context["form"]
    assert "emails" in form.errors or "last_name" in form.errors
    assert "line1" in response.context["ship_form"].errors


# --- edit, addresses, notes -------------------------------------------------------------------


def test_editing_a_customer_saves_and_returns_to_the_page(role_client):
    customer = customer_with_address(first_name="Ann", last_name="Lee")

    response = role_client("Agent").post(reverse("orders:customer_edit", args=[customer.pk]), {
        "first_name": "Anne", "last_name": "Lee", "emails": "anne@example.com, a.lee@example.com",
        "phones": "555 010 4444", "customer_type": "wholesale", "terms": "net30", "credit_limit": "500",
        "is_tax_exempt": "on", "tax_exempt_number": "EX-1",
    })

    customer.refresh_from_db()
    assert response.status_code == 302
    assert (customer.first_name, customer.emails, customer.phones) == (
        "Anne", ["anne@example.com", "a.lee@example.com"], ["5550104444"])
    assert (customer.terms, customer.credit_limit, customer.is_tax_exempt) == ("net30", Decimal("500"), True)


def test_adding_an_address_as_default_ship_to(role_client):
    customer = customer_with_address()
    old_default = customer.default_ship_address_id

    role_client("Agent").post(reverse("orders:address_add", args=[customer.pk]), {
        "name": "Summer house", "line1": "9 Beach Road", "city": "Montauk", "region": "NY",
        "postal_code": "11954", "country": "US", "default_ship": "on"})

    customer.refresh_from_db()
    assert customer.default_ship_address.line1 == "9 Beach Road"
    assert customer.default_bill_address_id == old_default


def test_editing_an_address_and_making_it_the_bill_to(role_client):
    customer = customer_with_address()
    other = AddressFactory(customer=customer, line1="5 Side Street")

    role_client("Manager").post(reverse("orders:address_edit", args=[customer.pk, other.pk]), {
        "name": "Accounts", "line1": "5 Side Street, Suite 2", "city": "Albany", "region": "NY",
        "postal_code": "12207", "country": "US", "default_bill": "on"})

    other.refresh_from_db()
    customer.refresh_from_db()
    assert other.line1 == "5 Side Street, Suite 2"
    assert customer.default_bill_address == other


def test_an_address_of_another_customer_is_not_found(role_client):
    customer, stranger = customer_with_address(), customer_with_address()

    response = role_client("Agent").get(reverse("orders:address_edit",
                                                args=[customer.pk, stranger.default_ship_address_id]))

    assert response.status_code == 404


def test_notes_are_added_and_shown_newest_first(role_client):
    customer = CustomerFactory()
    client = role_client("Agent")

    client.post(reverse("orders:note_add", args=[customer.pk]), {"text": "Called about a late parcel"})
    client.post(reverse("orders:note_add", args=[customer.pk]), {"text": "Prefers morning calls"})
    response = client.get(customer.get_absolute_url())

    assert [note.text for note in response.context["history"].notes] == [
        "Prefers morning calls", "Called about a late parcel"]


# --- the customer page ------------------------------------------------------------------------


def test_customer_page_shows_orders_of_every_channel_returns_and_notes(role_client):
    customer = customer_with_address()
    phone = OrderFactory(customer=customer, channel="phone", status="shipped")
    web = OrderFactory(customer=customer, channel="web", status="placed")
    store = OrderFactory(customer=customer, channel="store", status="cancelled")
    OrderFactory()  # someone else's
    returned = order_line(phone, quantity=2, quantity_allocated=2, quantity_shipped=2, quantity_returned=1)
    CustomerNote.objects.create(customer=customer, text="VIP")

    response = role_client("Accountant").get(customer.get_absolute_url())

    history = response.context["history"]
    assert [order.number for order in history.orders.orders] == [phone.number, web.number, store.number]
    assert {row.channel: row.orders for row in history.channels} == {"phone": 1, "web": 1, "store": 1}
    assert history.returned_lines == [returned]
    body = response.content.decode()
    assert 'id="returned-lines"' in body and "VIP" in body


def test_customer_orders_are_paged_by_cursor(role_client):
    customer = CustomerFactory()
    orders = [OrderFactory(customer=customer) for _ in range(25)]  # newest first by the factory's sequence
    client = role_client("Agent")

    first = client.get(customer.get_absolute_url())
    page = first.context["page"]
    second = client.get(customer.get_absolute_url(), {"after": page.next_cursor}, HTTP_HX_REQUEST="true")

    assert [order.pk for order in page.orders] == [order.pk for order in orders[:20]]
    fragment = second.content.decode()
    assert re.findall(r'data-order="(\w+)"', fragment) == [order.number for order in orders[20:]]
    assert "after=" not in fragment and "before=" in fragment  # the last page links back only


def test_customer_page_queries_do_not_grow_with_orders(role_client):
    customer = customer_with_address()
    client = role_client("Agent")
    for _ in range(3):
        order_line(OrderFactory(customer=customer), quantity=1, quantity_allocated=1, quantity_shipped=1,
                   quantity_returned=1)
    few = count_queries(client, customer.get_absolute_url())
    for _ in range(20):
        order_line(OrderFactory(customer=customer), quantity=1, quantity_allocated=1, quantity_shipped=1,
                   quantity_returned=1)
        CustomerNote.objects.create(customer=customer, text="note")

    many = count_queries(client, customer.get_absolute_url())

    assert many == few <= 12
