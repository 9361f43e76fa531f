"""Bad input never answers 500: NUL bytes and other control characters get a 400 or a field error.

PostgreSQL refuses text with a NUL byte, so a NUL that reaches a query is a 500. The check
lives in one place for the pages (``oms.middleware.ControlCharacterMiddleware``: query
parameters, form fields and the path) and one for the REST API's JSON bodies
(``integrations.api.parsers.JSONParser``).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from oms.text import first_control_character
from orders.models import Order
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import NEW_YORK, CustomerFactory, ground, tax_rates
from tests.screens_orders_helpers import roles_in_sync  # noqa: F401 - an autouse fixture

pytestmark = pytest.mark.django_db

# What the checks refuse: NUL, the other C0 controls but tab, LF and CR, DEL and the C1 controls.
REFUSED = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x80", "\x9f"]
ALLOWED = ["\t", "\n", "\r", " ", "é", "€", "\u200b", "日本"]


# --- the rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize("character", REFUSED)
def test_control_characters_are_found(character):
    assert first_control_character(f"ab{character}cd") == character


@pytest.mark.parametrize("character", ALLOWED)
def test_text_whitespace_and_other_characters_pass(character):
    assert first_control_character(f"ab{character}cd") is None


def test_a_lone_surrogate_is_refused_too():
    # What json.loads makes of "\ud800": PostgreSQL cannot store it either.
    assert first_control_character(json.loads('"a\\ud800"')) == "\ud800"


# --- the three 500s of the issue ------------------------------------------------------------------


@pytest.fixture
def api(make_user):
    user = make_user("Manager")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def shop():
    tax_rates()
    ground()
    warehouse = WarehouseFactory()
    shirt = SkuFactory(code="SHIRT-M", list_price=Decimal("20.00"))
    stock(shirt, warehouse, 10)
    CustomerFactory(number="C500", emails=["ada@example.com"])


def order_payload(lines: list[dict], **changes) -> dict:
    return {"channel": "web", "external_id": "W-1", "customer": {"number": "C500"}, "lines": lines,
            "ship_to": dict(NEW_YORK), "shipping_method": "GROUND", **changes}


def test_api_order_with_a_nul_in_a_sku_code_is_a_field_error(api, shop):
    lines = [{"sku_code": "SHIRT-M", "quantity": 1}, {"sku_code": "SHIRT\x00M", "quantity": 1}]

    response = api.post("/api/orders/", order_payload(lines), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["lines"]
    assert list(response.json()["lines"]) == ["1"]
    assert list(response.json()["lines"]["1"]) == ["sku_code"]
    assert Order.objects.count() == 0


def test_api_field_errors_name_every_field_with_a_control_character(api, shop):
    payload = order_payload([{"sku_code": "SHIRT-M", "quantity": 1, "personalization": {"name\x01": "Ada"}}],
                            notes="Ring\x07 twice\nthen wait", ship_to={**NEW_YORK, "city": "Albany\x1b"})

    response = api.post("/api/orders/", payload, format="json")

    assert response.status_code == 400
    detail = response.json()
    assert set(detail) == {"lines", "notes", "ship_to"}
    assert list(detail["ship_to"]) == ["city"]
    assert list(detail["lines"]["0"]["personalization"]) == ["name\\x01"]
    assert Order.objects.count() == 0


def test_api_multi_line_text_keeps_its_line_breaks_and_tabs(api, shop):
    response = api.post("/api/orders/", order_payload([{"sku_code": "SHIRT-M", "quantity": 1}],
                                                      notes="Ring twice\r\n\tthen wait"), format="json")

    assert response.status_code == 201
    assert Order.objects.get().notes == "Ring twice\r\n\tthen wait"


def test_api_raw_json_with_an_escaped_nul_is_refused(api, shop):
    body = json.dumps(order_payload([{"sku_code": "SHIRT-M", "quantity": 1}])).replace(
        '"W-1"', '"W-\\u0000"')

    response = api.post("/api/orders/", body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["external_id"]


def test_api_query_parameter_with_a_nul_is_a_json_field_error(api):
    response = api.get("/api/orders/", {"channel": "web\x00"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["channel"]


def test_api_path_with_a_nul_is_a_400(api):
    response = api.get("/api/orders/W%00X/")

    assert response.status_code == 400


def test_customer_box_of_order_entry_refuses_a_nul(role_client):
    response = role_client("Agent").get("/orders/new/customers/", {"customer_query": "\x00"})

    assert response.status_code == 400
    assert "customer_query" in response.content.decode()


def test_sku_box_of_order_entry_refuses_a_nul(role_client):
    response = role_client("Agent").get("/orders/skus/", {"add_query": "\x00", "listbox": "add-line-results"})

    assert response.status_code == 400


def test_an_htmx_request_gets_a_short_message_as_a_toast_event(role_client):
    response = role_client("Agent").get("/orders/skus/", {"add_query": "a\x00"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    event = json.loads(response["HX-Trigger"])
    assert list(event) == ["oms:bad-input"]
    assert "add_query" in event["oms:bad-input"]["message"]


def test_a_form_post_with_a_control_character_is_refused_before_the_view(role_client):
    client = role_client("Agent")
    customer = CustomerFactory()

    response = client.post(f"/orders/customers/{customer.pk}/notes/", {"text": "Called\x00 back"})

    assert response.status_code == 400
    assert customer.customer_notes.count() == 0


def test_a_form_post_keeps_line_breaks(role_client):
    client = role_client("Agent")
    customer = CustomerFactory()

    response = client.post(f"/orders/customers/{customer.pk}/notes/", {"text": "Called back\r\n\tall good"})

    assert response.status_code in (200, 302)
    assert customer.customer_notes.get().text == "Called back\r\n\tall good"


def test_the_login_form_refuses_a_nul_in_the_username(client):
    response = client.post("/login/", {"username": "ad\x00min", "password": "x"})

    assert response.status_code == 400


# --- every GET parameter of the htmx search endpoints ---------------------------------------------

# The screens whose boxes ask the server as one types or changes a filter (hx-get), with the
# parameters their forms send; test_every_hx_get_endpoint_is_listed keeps the list complete.
SEARCH_ENDPOINTS = {
    "catalog:sku_search": ("Manager", ["q"]),
    "catalog:sku_options": ("Manager", ["q", "component", "lines-0-sku"]),
    "inventory:sku_stock": ("Manager", ["sku"]),
    "inventory:po_list": ("Manager", ["status", "vendor", "page"]),
    "orders:sku_lookup": ("Agent", ["q", "add_query", "sku", "add_sku", "listbox"]),
    "orders:entry_customer_lookup": ("Agent", ["customer_query", "q"]),
    "orders:customer_list": ("Agent", ["q"]),
    "orders:customer_duplicates": ("Agent", ["emails", "phones", "exclude"]),
    "orders:order_list": ("Agent", ["q", "status", "channel", "placed_from", "placed_to", "customer", "sku",
                                    "source_code", "hold", "size", "after", "before"]),
    "marketing:campaign_list": ("Manager", ["q", "medium", "page"]),
    "marketing:sourcecode_list": ("Manager", ["q", "page"]),
    "marketing:pricelist_list": ("Manager", ["q", "page"]),
    "marketing:promotion_list": ("Manager", ["q", "kind", "state", "page"]),
    "system_status": ("Admin", ["x"]),
    "payments:trial_balance": ("Accountant", ["on_date", "period"]),
    "payables:bill_list": ("Accountant", ["q", "status", "vendor", "page"]),
    "payables:reconciliation": ("Accountant", ["vendor", "date_from", "date_to"]),
    "receivables:aging": ("Accountant", ["q", "as_of", "past_due", "sort", "after"]),
    "giftcards:list": ("Agent", ["q"]),
    # The live dashboard's tiles (reporting.dashboard.tiles): polled, they take no parameter.
    **{f"dashboard:tile_{key}": ("Manager", ["x"]) for key in (
        "sales", "open_orders", "held", "late", "backorders", "low_stock", "returns", "top_skus")},
}
# Screens with an hx-get on an object's page (its history's cursors, a job's progress): the same
# check covers them, tested here through one parameter each.
OBJECT_ENDPOINTS = {"catalog:sku_detail", "imports:import_job", "marketing:pricelist_detail",
                    "payments:export_batch", "payments_cards:tender_panel", "reporting:export"}
BAD_VALUES = ["\x00", "abc\x00", "\x01", "\x1b[31m", "\x7f", "\x85", "line\x0bbreak"]


def test_every_hx_get_endpoint_is_listed():
    """Each URL name that a template's hx-get asks is tested below (a new one must be added)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    asked = {match for path in root.rglob("*.html")
             for match in re.findall(r"""hx-get="\{% url '([\w:]+)'""", path.read_text())}

    assert asked - set(SEARCH_ENDPOINTS) - OBJECT_ENDPOINTS == set()


@pytest.mark.parametrize("url_name", list(SEARCH_ENDPOINTS))
def test_every_search_parameter_refuses_control_characters(role_client, url_name):
    from django.urls import reverse

    role, parameters = SEARCH_ENDPOINTS[url_name]
    client = role_client(role)
    url = reverse(url_name)
    assert client.get(url).status_code == 200  # the role may use it: a 400 below is the check's

    answers = {}
    for parameter in parameters:
        for value in BAD_VALUES:
            for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                answers[parameter, value, bool(headers)] = client.get(url, {parameter: value}, **headers).status_code

    assert {key: status for key, status in answers.items() if status != 400} == {}


def test_object_pages_with_hx_get_refuse_control_characters(role_client):
    from marketing.models import PriceList

    client = role_client("Manager")
    sku = SkuFactory()
    price_list = PriceList.objects.create(code="SPRING", name="Spring prices")
    customer = CustomerFactory()
    urls = {f"/catalog/skus/{sku.pk}/": "after", f"/marketing/price-lists/{price_list.pk}/": "q",
            f"/orders/customers/{customer.pk}/": "before"}
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 200)

    answers = {url: client.get(url, {parameter: "\x00"}, HTTP_HX_REQUEST="true").status_code
               for url, parameter in urls.items()}

    assert answers == dict.fromkeys(urls, 400)


# --- headers, cookies and bodies that a fuzzer would send ------------------------------------------


def test_a_token_with_a_nul_is_refused_not_looked_up(client):
    response = client.get("/api/orders/", HTTP_AUTHORIZATION="Token abc\x00def")

    assert response.status_code == 400
    assert list(response.json()) == ["Authorization"]


def test_a_session_cookie_with_a_nul_is_refused_not_looked_up(client):
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"

    response = client.get("/login/")

    assert response.status_code == 400


def test_json_nested_too_deeply_is_a_400(api):
    response = api.post("/api/orders/", "[" * 100_000, content_type="application/json")

    assert response.status_code == 400


def test_the_order_serializer_never_looks_up_a_code_with_a_nul(shop):
    """Data that did not come through the API's parser (a channel adapter's payload, say)."""
    from integrations.api.serializers import OrderCreateSerializer

    serializer = OrderCreateSerializer(data=order_payload(
        [{"sku_code": "SHIRT-M", "quantity": 1}, {"sku_code": "SHIRT\x00M", "quantity": 1}]))

    assert serializer.is_valid() is False
    assert list(serializer.errors["lines"]) == [1]
    assert list(serializer.errors["lines"][1]) == ["sku_code"]
