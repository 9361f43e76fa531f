"""The REST API fuzzed from its own OpenAPI schema: whatever a client sends, the answer is never a 5xx.

schemathesis reads the schema that drf-spectacular serves and sends requests that fit it and
requests that do not (wrong types, missing fields, strings with NUL and other control characters)
to a real server (pytest-django's ``live_server``), authenticated as a Manager, who may use every
operation. A bounded number of examples per operation keeps the run short.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.generation.modes import GenerationMode

from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import CustomerFactory, ground, tax_rates
from tests.screens_orders_helpers import roles_in_sync  # noqa: F401 - an autouse fixture

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 30


@pytest.fixture
def api_token(make_user) -> str:
    """A Manager's token, and a shop with a SKU, a customer and a delivery method to aim at."""
    tax_rates()
    ground()
    stock(SkuFactory(code="SHIRT-M"), WarehouseFactory(), 10)
    CustomerFactory(number="C500")
    return Token.objects.create(user=make_user("Manager")).key


@pytest.fixture
def api_schema(live_server, api_token):
    return schemathesis.openapi.from_url(
        f"{live_server.url}/api/schema/?format=json", headers={"Authorization": f"Token {api_token}"}, timeout=30)


def schema_operations() -> dict[tuple[str, str], bool]:
    """``(method, path)`` of every operation of the project's schema -> whether it takes a body or a query."""
    from django.urls import reverse
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    with GENERATOR_STATS.silence():
        paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    GENERATOR_STATS.reset()
    paths.pop(reverse("api_schema"), None)  # the schema itself, which the served copy leaves out too
    return {(method.upper(), path): bool(operation.get("requestBody") or any(
        parameter["in"] == "query" for parameter in operation.get("parameters", [])))
        for path, methods in paths.items() for method, operation in methods.items()}


OPERATIONS = schema_operations()  # a new endpoint is fuzzed without being listed here
# Data that fits the schema, and data that does not where the schema can be broken (any string is
# a valid {number}: an operation with only path parameters has positive data only, NUL included).
# Then data that fits with a control character put into one of its strings, as an outside
# system's broken encoder would (schemathesis alone seldom puts a NUL where a lookup reads it).
INJECTED = "positive, with a control character"
RUNS = [(method, path, mode) for (method, path), can_break in OPERATIONS.items()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE, INJECTED)
        if mode != GenerationMode.NEGATIVE or can_break]
CONTROL_CHARACTERS = ["\x00", "\x01", "\x1b", "\x7f", "\x85"]


def string_places(value, place=()) -> list[tuple]:
    """The paths (keys and indexes) of the strings inside a JSON-like value."""
    if isinstance(value, str):
        return [place]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in string_places(item, (*place, key))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in string_places(item, (*place, index))]
    return []


def inject(case, data) -> None:
    """Put a control character into one string of the case's path parameters, query or body."""
    parts = {"path_parameters": case.path_parameters, "query": case.query, "body": case.body}
    places = [(part, place) for part, value in parts.items() if value for place in string_places(value)]
    if not places:
        return
    part, place = data.draw(st.sampled_from(places))
    character = data.draw(st.sampled_from(CONTROL_CHARACTERS))
    if not place:
        setattr(case, part, character + getattr(case, part))
        return
    container = getattr(case, part)
    for key in place[:-1]:
        container = container[key]
    text = container[place[-1]]
    at = data.draw(st.integers(min_value=0, max_value=len(text)))
    container[place[-1]] = text[:at] + character + text[at:]


# schemathesis.pytest.from_fixture would make these tests, but its pytest plugin does not work with
# pytest 9 (it sets Function._nodeid); the operation's own Hypothesis strategy does the same.
@pytest.mark.parametrize(("method", "path", "mode"), RUNS, ids=[f"{m} {p} {mode}" for m, p, mode in RUNS])
def test_no_request_gets_a_server_error(api_schema, live_server, api_token, method, path, mode):
    operation = api_schema[path][method]
    answers: dict[int, int] = {}

    generation_mode = GenerationMode.POSITIVE if mode == INJECTED else mode

    @given(case=operation.as_strategy(generation_mode=generation_mode), data=st.data())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case, data):
        if mode == INJECTED:
            inject(case, data)
        response = case.call(base_url=live_server.url, headers={"Authorization": f"Token {api_token}"},
                             timeout=30)
        answers[response.status_code] = answers.get(response.status_code, 0) + 1
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r}: "
            f"{response.status_code}\n{response.text[:2000]}")

    call()

    assert sum(answers.values()) >= 10  # the fuzzer did send requests


def test_the_fuzzer_covers_every_operation_of_the_served_schema(api_schema):
    served = {(result.ok().method.upper(), result.ok().path) for result in api_schema.get_all_operations()}

    assert served == set(OPERATIONS)
    assert {("GET", "/api/orders/"), ("POST", "/api/orders/"), ("GET", "/api/orders/{number}/"),
            ("GET", "/api/customers/{number}/")} <= served
    assert {(method, path) for method, path, mode in RUNS if mode == GenerationMode.NEGATIVE} >= {
        ("GET", "/api/orders/"), ("POST", "/api/orders/")}
