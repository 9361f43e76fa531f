"""The REST API: placing and reading orders, customers, roles, errors by field, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import Sku
from integrations.api.serializers import order_error_detail
from orders.models import Address, Customer, Order
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import NEW_YORK, OREGON, CustomerFactory, ground, table_counts, tax_rates
from tests.screens_orders_helpers import roles_in_sync  # noqa: F401 - an autouse fixture

pytestmark = pytest.mark.django_db

ORDERS = "/api/orders/"


@pytest.fixture
def api(make_user):
    """An API client with the token of a new user of the role (None: a user without a role)."""

    def client_for(role: str | None) -> APIClient:
        user = make_user(role)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        return client

    return client_for


@pytest.fixture
def shop():
    """A warehouse with stock of two SKUs, UPS Ground and New York's sales tax; a known customer."""
    tax_rates()
    ground()
    warehouse = WarehouseFactory()
    shirt = SkuFactory(code="SHIRT-M", list_price=Decimal("20.00"))
    mug = SkuFactory(code="MUG", list_price=Decimal("12.50"))
    stock(shirt, warehouse, 10)
    stock(mug, warehouse, 10)
    customer = CustomerFactory(number="C500", emails=["ada@example.com"])
    return {"shirt": shirt, "mug": mug, "customer": customer, "warehouse": warehouse}


def payload(**changes) -> dict:
    data = {
        "channel": "web",
        "external_id": "W-1001",
        "customer": {"number": "C500"},
        "lines": [{"sku_code": "SHIRT-M", "quantity": 2}, {"sku_code": "MUG", "quantity": 1}],
        "ship_to": dict(NEW_YORK),
        "shipping_method": "GROUND",
        "notes": "Leave with the doorman.",
    }
    data.update(changes)
    return data


def new_customer(**changes) -> dict:
    return {"first_name": "Grace", "last_name": "Hopper", "email": "Grace.Hopper@Example.com",
            "phone": "+1 (212) 555-0199", **changes}


def written() -> dict[str, int]:
    return table_counts() | {"Customer": Customer.objects.count(), "Address": Address.objects.count()}


# --- placing and reading -----------------------------------------------------------------------------


def test_an_order_placed_through_the_api_is_read_back_through_it(api, shop):
    client = api("Agent")

    created = client.post(ORDERS, payload(), format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    order = Order.objects.get()
    assert body["number"] == order.number
    assert created["Location"] == f"/api/orders/{order.number}/"
    assert (body["channel"], body["external_id"], body["status"]) == ("web", "W-1001", "allocated")
    assert body["customer"] == {"number": "C500", "name": shop["customer"].display_name,
                                "email": "ada@example.com"}
    # 2 × 20.00 + 12.50 = 52.50; ground 5.00 + 3 × 1.00 = 8.00; NY 8.875 % on both, per line.
    assert [(line["sku_code"], line["quantity"], line["quantity_allocated"], line["unit_price"],
             line["tax_amount"], line["line_total"]) for line in body["lines"]] == [
        ("SHIRT-M", 2, 2, "20.00", "3.55", "43.55"), ("MUG", 1, 1, "12.50", "1.11", "13.61")]
    amounts = ("subtotal", "discount_total", "shipping_total", "tax_total", "total")
    assert [body[name] for name in amounts] == ["52.50", "0.00", "8.00", "5.37", "65.87"]
    assert Decimal(body["total"]) == sum(Decimal(line["line_total"]) for line in body["lines"]) + Decimal(
        body["shipping_total"]) + Decimal("0.71")  # the shipping tax
    assert body["ship_to"]["postal_code"] == "10118"
    assert body["shipping_method"] == "GROUND"
    assert body["notes"] == "Leave with the doorman."
    assert [event["to_status"] for event in body["events"] if event["kind"] == "status"] == [
        "placed", "released", "allocated"]

    read = client.get(f"/api/orders/{order.number}/")
    listed = client.get(ORDERS)

    assert read.status_code == 200
    assert read.json() == body
    assert listed.status_code == 200
    assert [row["number"] for row in listed.json()["results"]] == [order.number]
    assert listed.json()["results"][0]["lines"] == body["lines"]
    assert "events" not in listed.json()["results"][0]


def test_the_same_external_id_twice_makes_one_order(api, shop):
    client = api("Agent")

    first = client.post(ORDERS, payload(customer=new_customer()), format="json")
    again = client.post(ORDERS, payload(customer=new_customer()), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["number"] == again.json()["number"]
    assert Order.objects.count() == 1
    assert Customer.objects.filter(emails__contains=["grace.hopper@example.com"]).count() == 1
    # The same id on another channel is another order.
    other = client.post(ORDERS, payload(channel="marketplace:ebay", customer=new_customer()), format="json")
    assert other.status_code == 201
    assert Order.objects.count() == 2


def test_a_new_customer_is_created_once_and_then_found_by_email(api, shop):
    client = api("Agent")
    before = Customer.objects.count()

    first = client.post(ORDERS, payload(external_id="W-1", customer=new_customer()), format="json")
    second = client.post(ORDERS, payload(external_id="W-2", customer=new_customer(first_name="G.")),
                         format="json")

    assert (first.status_code, second.status_code) == (201, 201)
    assert Customer.objects.count() == before + 1
    customer = Customer.objects.get(emails__contains=["grace.hopper@example.com"])
    assert (customer.first_name, customer.last_name, customer.phones) == ("Grace", "Hopper", ["12125550199"])
    assert customer.number.startswith("C")
    assert first.json()["customer"]["number"] == second.json()["customer"]["number"] == customer.number
    # With no addresses given, the order's ship-to became the customer's default address.
    assert customer.default_ship_address.as_snapshot()["line1"] == NEW_YORK["line1"]

    read = client.get(f"/api/customers/{customer.number}/")

    assert read.status_code == 200
    assert read.json()["emails"] == ["grace.hopper@example.com"]
    assert [address["city"] for address in read.json()["addresses"]] == ["New York"]
    assert read.json()["default_ship_address"] == read.json()["addresses"][0]["id"]


def test_a_new_customer_can_bring_their_address_book(api, shop):
    home = dict(OREGON, name="Grace Hopper")
    office = dict(NEW_YORK, name="Grace Hopper", company="Navy")

    response = api("Manager").post(ORDERS, payload(customer=new_customer(addresses=[home, office])),
                                   format="json")

    assert response.status_code == 201, response.json()
    customer = Customer.objects.get(number=response.json()["customer"]["number"])
    assert (customer.default_ship_address.city, customer.default_bill_address.company) == ("Portland", "Navy")


def test_unknown_customer_number_is_a_field_error(api, shop):
    before = written()

    response = api("Agent").post(ORDERS, payload(customer={"number": "C999"}), format="json")

    assert response.status_code == 400
    assert response.json() == {"customer": {"number": ["No customer has the number C999."]}}
    assert written() == before


# --- refusals: errors by field, nothing written ------------------------------------------------------

INVALID = {
    "unknown SKU": (
        {"lines": [{"sku_code": "SHIRT-M", "quantity": 1}, {"sku_code": "NOPE-1", "quantity": 1}]},
        {"lines": {"1": {"sku_code": ["Unknown SKU NOPE-1."]}}},
    ),
    "negative quantity": (
        {"lines": [{"sku_code": "SHIRT-M", "quantity": -2}]},
        {"lines": {"0": {"quantity": ["Ensure this value is greater than or equal to 1."]}}},
    ),
    "unknown SKU and zero quantity together": (
        {"lines": [{"sku_code": "NOPE-1", "quantity": 0}]},
        {"lines": {"0": {"sku_code": ["Unknown SKU NOPE-1."],
                         "quantity": ["Ensure this value is greater than or equal to 1."]}}},
    ),
    "no lines": (
        {"lines": []},
        {"lines": {"non_field_errors": ["Ensure this field has at least 1 elements."]}},
    ),
    "missing ship_to fields": (
        {"ship_to": {"name": "Ada Lovelace", "country": "USA"}},
        {"ship_to": {"line1": ["This field is required."], "city": ["This field is required."],
                     "country": ["Ensure this field has no more than 2 characters."]}},
    ),
    "bad channel": (
        {"channel": "fax"},
        {"channel": ["Unknown channel fax: use phone, web, pos, store or marketplace:<name>."]},
    ),
    "unknown shipping method": (
        {"shipping_method": "TELEPORT"},
        {"shipping_method": ["Unknown shipping method TELEPORT."]},
    ),
}


@pytest.mark.parametrize("changes, errors", INVALID.values(), ids=INVALID.keys())
@pytest.mark.parametrize("who", ["known customer", "new customer"])
def test_an_invalid_order_gets_errors_by_field_and_writes_nothing(api, shop, changes, errors, who):
    client = api("Agent")
    if who == "new customer":
        changes = {**changes, "customer": new_customer()}
    before = written()

    response = client.post(ORDERS, payload(**changes), format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert written() == before


def test_order_entry_refusals_come_back_by_field_and_write_nothing(api, shop):
    """What only order entry knows (a draft SKU, a phone order's bad ZIP code) maps to the payload fields."""
    shop["mug"].status = Sku.Status.DRAFT
    shop["mug"].save()
    bad_zip = dict(NEW_YORK, postal_code="94105")  # a California ZIP code in New York
    before = written()

    response = api("Agent").post(
        ORDERS, payload(channel="phone", external_id=None, customer=new_customer(), ship_to=bad_zip),
        format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["lines"] == {"1": {"sku_code": ["MUG is not released for sale."]}}
    assert list(body["ship_to"]) == ["postal_code"]
    assert "94105" in body["ship_to"]["postal_code"][0]
    assert written() == before


def test_order_error_detail_nests_every_kind_of_key():
    detail = order_error_detail({
        "lines-1-personalization-monogram": ["Three letters at most."],
        "lines-0-quantity": ["Order at least one."],
        "lines": ["Add at least one line."],
        "bill_region": ["XX is not a state of United States."],
        "pickup_warehouse": ["NYC does not take pickup orders."],
        "__all__": ["The order cannot be priced."],
        "customer-emails": ["“x” is not an email address."],
        "customer-ship_line1": ["This field is required."],
    })

    assert detail == {
        "lines": {"1": {"personalization": {"monogram": ["Three letters at most."]}},
                  "0": {"quantity": ["Order at least one."]}, "non_field_errors": ["Add at least one line."]},
        "bill_to": {"region": ["XX is not a state of United States."]},
        "pickup_store": ["NYC does not take pickup orders."],
        "non_field_errors": ["The order cannot be priced."],
        "customer": {"email": ["“x” is not an email address."],
                     "addresses": {"0": {"line1": ["This field is required."]}}},
    }


# --- who may do what ------------------------------------------------------------------------------

# Everybody with a role reads orders; only agents, managers and admins (superusers) place them;
# the warehouse does not see customers.
ACCESS = {
    #             list  order  place  customer
    "Agent": (200, 200, 201, 200),
    "Warehouse": (200, 200, 403, 403),
    "Manager": (200, 200, 201, 200),
    "Accountant": (200, 200, 403, 200),
    "Admin": (200, 200, 201, 200),
    None: (403, 403, 403, 403),
}


@pytest.mark.parametrize("role", ACCESS, ids=[str(role) for role in ACCESS])
def test_each_role_gets_what_its_permissions_allow(api, shop, role):
    existing = api("Manager").post(ORDERS, payload(external_id="W-0"), format="json").json()["number"]
    client = api(role)

    got = (
        client.get(ORDERS).status_code,
        client.get(f"/api/orders/{existing}/").status_code,
        client.post(ORDERS, payload(external_id="W-9"), format="json").status_code,
        client.get("/api/customers/C500/").status_code,
    )

    assert got == ACCESS[role]
    assert Order.objects.filter(external_id="W-9").exists() == (ACCESS[role][2] == 201)


def test_without_a_token_nothing_is_served(shop):
    client = APIClient()

    assert client.get(ORDERS).status_code == 401
    assert client.post(ORDERS, payload(), format="json").status_code == 401
    assert client.get("/api/customers/C500/").status_code == 401
    assert client.get(reverse("api_schema")).status_code == 401
    assert not Order.objects.exists()


def test_unknown_numbers_are_404(api, shop):
    client = api("Manager")

    assert client.get("/api/orders/123/").status_code == 404
    assert client.get("/api/customers/C404/").status_code == 404


# --- the list: filters, cursor pages, queries --------------------------------------------------------


def place_orders(client, count: int, prefix: str = "LIST", **changes) -> list[str]:
    numbers = []
    for index in range(count):
        response = client.post(ORDERS, payload(external_id=f"{prefix}-{index}", **changes), format="json")
        assert response.status_code == 201, response.json()
        numbers.append(response.json()["number"])
    return numbers


def test_the_list_filters_by_status_channel_and_change(api, shop):
    client = api("Manager")
    web = place_orders(client, 2)
    ebay = place_orders(client, 1, channel="marketplace:ebay")
    Order.objects.filter(number=web[0]).update(status="on_hold")
    moment = timezone.now()
    Order.objects.filter(number__in=[web[1], ebay[0]]).update(updated_at=moment + dt.timedelta(seconds=1))
    Order.objects.exclude(number__in=[web[1], ebay[0]]).update(updated_at=moment - dt.timedelta(days=1))

    def numbers(**params):
        response = client.get(ORDERS, params)
        assert response.status_code == 200, response.json()
        return [row["number"] for row in response.json()["results"]]

    assert numbers() == [*reversed(ebay), *reversed(web)]
    assert numbers(status="on_hold") == [web[0]]
    assert numbers(channel="marketplace:ebay") == ebay
    # Changed since: oldest change first.
    Order.objects.filter(number=ebay[0]).update(updated_at=moment + dt.timedelta(seconds=2))
    assert numbers(updated_since=moment.isoformat()) == [web[1], ebay[0]]
    assert numbers(status="on_hold", channel="web") == [web[0]]


def test_bad_filters_are_field_errors(api, shop):
    response = api("Manager").get(ORDERS, {"status": "lost", "updated_since": "yesterday"})

    assert response.status_code == 400
    assert set(response.json()) == {"status", "updated_since"}


def test_cursor_pages_walk_the_whole_list(api, shop):
    client = api("Manager")
    placed = place_orders(client, 5)

    seen, url = [], f"{ORDERS}?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [row["number"] for row in page["results"]]
        url = page["next"]

    assert seen == list(reversed(placed))


def test_list_and_detail_take_a_fixed_number_of_queries(api, shop):
    client = api("Manager")
    place_orders(client, 2)

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few, one = queries(ORDERS), queries(f"/api/orders/{Order.objects.first().number}/")
    three_lines = [{"sku_code": "SHIRT-M", "quantity": 1}, {"sku_code": "MUG", "quantity": 1},
                   {"sku_code": SkuFactory().code, "quantity": 1}]
    place_orders(client, 4, prefix="MORE", lines=three_lines)

    assert queries(ORDERS) == few
    assert queries(f"/api/orders/{Order.objects.order_by('-pk').first().number}/") == one
    # Token and user, the user's permissions, then the page: orders and their lines.
    assert few <= 6
