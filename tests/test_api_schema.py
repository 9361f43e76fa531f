"""The OpenAPI schema: it generates cleanly for the API's views and describes the order endpoints."""

from __future__ import annotations

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def generate() -> tuple[dict, list[str]]:
    """The project's schema and the warnings and errors drf-spectacular emitted while making it."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    problems = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    return schema, problems


def test_schema_generates_without_warnings_for_the_api_views():
    schema, problems = generate()

    ours = [problem for problem in problems if "integrations" in problem or "/api/" in problem]
    assert ours == []
    validate_schema(schema)  # a valid OpenAPI 3 document


def test_schema_describes_the_order_and_customer_endpoints():
    schema, _problems = generate()
    paths = schema["paths"]

    assert set(paths["/api/orders/"]) == {"get", "post"}
    assert paths["/api/orders/"]["get"]["operationId"] == "orders_list"
    assert paths["/api/orders/"]["post"]["operationId"] == "orders_create"
    assert set(paths["/api/orders/"]["post"]["responses"]) == {"200", "201", "400"}
    assert list(paths["/api/orders/"]["post"]["requestBody"]["content"]) == ["application/json"]
    assert {parameter["name"] for parameter in paths["/api/orders/"]["get"]["parameters"]} == {
        "status", "channel", "updated_since", "cursor", "page_size"}
    assert paths["/api/orders/{number}/"]["get"]["operationId"] == "orders_retrieve"
    assert paths["/api/customers/{number}/"]["get"]["operationId"] == "customers_retrieve"
    components = schema["components"]
    assert {"tokenAuth"} <= set(components["securitySchemes"])
    required = set(components["schemas"]["OrderCreate"]["required"])
    assert {"channel", "customer", "lines", "ship_to"} <= required
    assert {"lines", "events", "holds", "total"} <= set(components["schemas"]["OrderDetail"]["properties"])
    assert components["schemas"]["PaginatedOrderList"]["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/Order"}


def test_schema_is_served_to_a_signed_in_client(make_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user('Agent')).key}")

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert "/api/orders/" in response.json()["paths"]
