"""The order list (filters, search, cursor pages, query counts) and the order page."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Hold, Order
from orders.selectors import order_search
from tests.factories import SkuFactory
from tests.screens_helpers import count_queries, messages_of
from tests.screens_orders_helpers import (
    CustomerFactory,
    OrderFactory,
    entry_world,
    full_order,
    hold,
    order_line,
    roles_in_sync,  # noqa: F401 - an autouse fixture
)

pytestmark = pytest.mark.django_db

ROLES = ["Agent", "Warehouse", "Manager", "Accountant", "Admin"]

# Everybody with a role reads orders; only agents and managers take them (admins are superusers).
ACCESS = {
    "orders:order_list": {"Agent": 200, "Warehouse": 200, "Manager": 200, "Accountant": 200, "Admin": 200},
    "orders:order_detail": {"Agent": 200, "Warehouse": 200, "Manager": 200, "Accountant": 200, "Admin": 200},
    "orders:sku_lookup": {"Agent": 200, "Warehouse": 200, "Manager": 200, "Accountant": 200, "Admin": 200},
    "orders:order_entry": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 403, "Admin": 200},
    "orders:entry_customer_lookup": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 403,
                                     "Admin": 200},
    "orders:order_edit": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 403, "Admin": 200},
    "orders:order_cancel_lines": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 403, "Admin": 200},
    "orders:line_substitute": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 403, "Admin": 200},
}
# POSTs that are refused before anything is read (the rest of each flow is tested below).
POST_ACCESS = {
    "orders:order_hold": {"Agent": 302, "Warehouse": 403, "Manager": 302, "Accountant": 403, "Admin": 302},
    "orders:order_cancel": {"Agent": 302, "Warehouse": 403, "Manager": 302, "Accountant": 403, "Admin": 302},
    "orders:hold_release": {"Agent": 403, "Warehouse": 403, "Manager": 302, "Accountant": 403, "Admin": 302},
    "orders:entry_draft": {"Agent": 200, "Warehouse": 403, "Manager": 200, "Accountant": 403, "Admin": 200},
}


def _url(name: str, order: Order) -> str:
    if name in ("orders:order_list", "orders:sku_lookup", "orders:order_entry", "orders:entry_customer_lookup",
                "orders:entry_draft"):
        return reverse(name)
    if name == "orders:line_substitute":
        return reverse(name, args=[order.lines.first().pk])
    if name == "orders:hold_release":
        return reverse(name, args=[order.holds.filter(released_at__isnull=True).first().pk])
    return reverse(name, args=[order.pk])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ACCESS))
def test_each_role_gets_the_order_pages_it_may_see(role_client, role, name):
    order = full_order()

    response = role_client(role).get(_url(name, order))

    assert response.status_code == ACCESS[name][role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(POST_ACCESS))
def test_each_role_may_only_post_the_order_actions_it_is_allowed(role_client, role, name, monkeypatch):
    from orders import views

    order = full_order()
    for service in ("order_hold", "order_cancel", "order_release_hold"):  # the services have their own tests
        monkeypatch.setattr(views.order_services, service, lambda **kwargs: None, raising=False)

    response = role_client(role).post(_url(name, order), {"reason": "manual", "note": "n"})

    assert response.status_code == POST_ACCESS[name][role]


# --- the list ---------------------------------------------------------------------------------


def _numbers(response) -> list[str]:
    return [order.number for order in response.context["page"].orders]


def test_list_shows_orders_newest_first_with_their_columns(role_client):
    old = OrderFactory(placed_at=timezone.now() - dt.timedelta(days=2), channel="web", source_code="SPRING")
    new = OrderFactory(placed_at=timezone.now(), status="on_hold")
    hold(new, Hold.Reason.FRAUD)
    hold(new, Hold.Reason.ADDRESS, released=True)
    OrderFactory(placed_at=None, status="draft")  # not placed: not in the list

    response = role_client("Agent").get(reverse("orders:order_list"))

    assert _numbers(response) == [new.number, old.number]
    rows = response.context["page"].orders
    assert rows[0].open_holds == ["fraud"] and rows[1].open_holds == []
    body = response.content.decode()
    assert 'data-hold="fraud"' in body and 'data-status="on_hold"' in body and "SPRING" in body
    assert "$21.60" in body


def test_list_shows_times_in_the_shop_time_zone(role_client, settings):
    settings.SHOP_TIME_ZONE = "America/New_York"
    OrderFactory(placed_at=dt.datetime(2025, 1, 15, 3, 30, tzinfo=dt.UTC))  # 22:30 the day before in New York

    body = role_client("Agent").get(reverse("orders:order_list")).content.decode()

    assert "01/14/2025 10:30 p.m." in body or "2025-01-14" in body or "Jan. 14, 2025" in body


@pytest.fixture
def varied_orders():
    """Orders that differ in one thing each, and a plain one that matches no filter."""
    now = timezone.now()
    sku = SkuFactory(code="MUG-RED", barcode="0999000111")
    customer = CustomerFactory(first_name="Zelda", last_name="Quartermaine", emails=["zelda@example.com"],
                               phones=["15550109999"])
    orders = {
        "plain": OrderFactory(placed_at=now - dt.timedelta(minutes=1)),
        "web": OrderFactory(channel="web", placed_at=now - dt.timedelta(minutes=2)),
        "shipped": OrderFactory(status="shipped", placed_at=now - dt.timedelta(minutes=3)),
        "old": OrderFactory(placed_at=now - dt.timedelta(days=40)),
        "zelda": OrderFactory(customer=customer, placed_at=now - dt.timedelta(minutes=4)),
        "mug": OrderFactory(placed_at=now - dt.timedelta(minutes=5)),
        "coded": OrderFactory(source_code="CAT25", placed_at=now - dt.timedelta(minutes=6)),
        "held": OrderFactory(status="on_hold", placed_at=now - dt.timedelta(minutes=7)),
        "released": OrderFactory(placed_at=now - dt.timedelta(minutes=8)),
    }
    order_line(orders["mug"], sku=sku)
    order_line(orders["plain"])
    hold(orders["held"], Hold.Reason.PAYMENT)
    hold(orders["released"], Hold.Reason.PAYMENT, released=True)
    return orders


def _shop_day(days_ago: int) -> str:
    return (timezone.now().astimezone(zoneinfo.ZoneInfo(settings.SHOP_TIME_ZONE)).date()
            - dt.timedelta(days=days_ago)).isoformat()


@pytest.mark.parametrize("params, expected", [
    ({"status": "shipped"}, ["shipped"]),
    ({"status": "on_hold"}, ["held"]),
    ({"channel": "web"}, ["web"]),
    ({"placed_to": "__41_days_ago__"}, []),
    ({"placed_from": "__45_days_ago__", "placed_to": "__35_days_ago__"}, ["old"]),
    ({"sku": "MUG-RED"}, ["mug"]),
    ({"sku": "0999000111"}, ["mug"]),  # by barcode
    ({"source_code": "cat25"}, ["coded"]),
    ({"hold": "payment"}, ["held"]),  # an open hold only
    ({"hold": "any"}, ["held"]),
    ({"hold": "fraud"}, []),
    ({"q": "quartermaine"}, ["zelda"]),
    ({"q": "ZELDA@example.com"}, ["zelda"]),
    ({"q": "(555) 010-9999"}, ["zelda"]),
    ({"q": "zelda quarter"}, ["zelda"]),
])
def test_each_filter_and_search_returns_the_right_orders(role_client, varied_orders, params, expected):
    params = {key: value.replace("__41_days_ago__", _shop_day(41)).replace("__45_days_ago__", _shop_day(45))
              .replace("__35_days_ago__", _shop_day(35)) for key, value in params.items()}

    response = role_client("Accountant").get(reverse("orders:order_list"), params)

    assert _numbers(response) == [varied_orders[key].number for key in expected]


def test_search_by_order_number_and_filter_by_customer_number(role_client, varied_orders):
    client = role_client("Agent")
    zelda = varied_orders["zelda"]

    by_number = client.get(reverse("orders:order_list"), {"q": varied_orders["web"].number})
    by_customer = client.get(reverse("orders:order_list"), {"customer": zelda.customer.number.lower()})
    combined = client.get(reverse("orders:order_list"), {"customer": zelda.customer.number, "status": "shipped"})

    assert _numbers(by_number) == [varied_orders["web"].number]
    assert _numbers(by_customer) == [zelda.number]
    assert _numbers(combined) == []


def test_date_filters_are_days_in_the_shop_time_zone(settings):
    settings.SHOP_TIME_ZONE = "America/New_York"
    late_evening = OrderFactory(placed_at=dt.datetime(2025, 3, 10, 3, 0, tzinfo=dt.UTC))  # 23:00 on the 9th there
    next_morning = OrderFactory(placed_at=dt.datetime(2025, 3, 10, 14, 0, tzinfo=dt.UTC))

    ninth = order_search(placed_from=dt.date(2025, 3, 9), placed_to=dt.date(2025, 3, 9))
    tenth = order_search(placed_from=dt.date(2025, 3, 10), placed_to=dt.date(2025, 3, 10))

    assert ninth.orders == [late_evening]
    assert tenth.orders == [next_morning]


def test_cursor_pages_walk_the_whole_list_both_ways_without_repeats(role_client):
    base = timezone.now()
    same_moment = base - dt.timedelta(hours=1)
    orders = [OrderFactory(placed_at=base - dt.timedelta(minutes=index)) for index in range(7)]
    ties = [OrderFactory(placed_at=same_moment) for _ in range(4)]  # ties are settled by id
    expected = [order.number for order in orders] + [order.number for order in sorted(ties, key=lambda o: -o.pk)]
    client = role_client("Agent")

    seen, pages, params = [], [], {"size": "10"}
    response = client.get(reverse("orders:order_list"), params)
    pages.append(response.context["page"])
    seen += _numbers(response)
    response = client.get(reverse("orders:order_list"), {**params, "after": pages[-1].next_cursor})
    pages.append(response.context["page"])
    seen += _numbers(response)
    back = client.get(reverse("orders:order_list"), {**params, "before": pages[-1].previous_cursor})

    assert seen == expected
    assert pages[0].previous_cursor is None and pages[1].next_cursor is None
    assert _numbers(back) == expected[:10]
    assert back.context["page"].previous_cursor is None


def test_a_cursor_that_cannot_be_read_gives_the_first_page(role_client):
    order = OrderFactory()

    response = role_client("Agent").get(reverse("orders:order_list"), {"after": "not-a-cursor!"})

    assert _numbers(response) == [order.number]


def test_pages_keep_the_filters_in_their_links(role_client):
    for _ in range(12):
        OrderFactory(channel="web")

    body = role_client("Agent").get(reverse("orders:order_list"), {"channel": "web", "size": "10"}).content.decode()

    assert "channel=web&amp;size=10&amp;after=" in body


def test_htmx_asks_for_the_results_only(role_client):
    OrderFactory()

    response = role_client("Agent").get(reverse("orders:order_list"), {"q": ""}, HTTP_HX_REQUEST="true")

    assert response.content.decode().lstrip().startswith('<div id="results"')


@pytest.mark.parametrize("filters", [
    {},
    {"status": "placed", "channel": "phone", "hold": "any", "source_code": "X", "sku": "MUG-RED",
     "placed_from": "2020-01-01", "placed_to": "2030-01-01"},
    {"q": "smith"},
])
def test_list_queries_are_the_same_for_10_and_50_rows(role_client, django_assert_max_num_queries, filters):
    client = role_client("Agent")
    customer = CustomerFactory(last_name="Smith")
    for index in range(60):
        order = OrderFactory(customer=customer if index % 2 else CustomerFactory())
        hold(order, Hold.Reason.MANUAL)
    url = reverse("orders:order_list")

    small = count_queries(client, url, data={**filters, "size": "10"})
    large = count_queries(client, url, data={**filters, "size": "50"})
    deep = count_queries(client, url, data={**filters, "size": "50", "after": client.get(
        url, {**filters, "size": "10"}).context["page"].next_cursor or ""})

    assert small == large == deep
    with django_assert_max_num_queries(8):  # session, user, 2 × permissions, roles; customers for a search; orders
        client.get(url, {**filters, "size": "50"})


# --- the order page ---------------------------------------------------------------------------


def test_order_page_shows_lines_allocations_holds_and_timeline(role_client):
    order = full_order(source_code="SPRING25")

    response = role_client("Manager").get(order.get_absolute_url())

    body = response.content.decode()
    assert response.status_code == 200
    assert order.number in body and "SPRING25" in body
    _first, second, third = response.context["lines"]
    assert body.count('class="allocation') == 2
    assert "Ships the whole order" in body and "Second warehouse" in body
    assert second.quantity_backordered == 2 and "expected" in body
    assert f"Substitute for {third.substituted_from.code}" in body
    assert "monogram" in body and "ABC" in body
    assert [hold.reason for hold in response.context["open_holds"]] == ["manual"]
    assert body.count('data-open="true"') == 1 and body.count('data-open="false"') == 1
    assert [event.message for event in response.context["events"]] == ["Placed", "On hold", "Allocated"]
    assert order.customer.get_absolute_url() in body


def test_release_button_only_for_roles_that_may_release(role_client):
    order = full_order()
    release_url = reverse("orders:hold_release", args=[order.holds.get(released_at__isnull=True).pk])

    manager = role_client("Manager").get(order.get_absolute_url()).content.decode()
    agent = role_client("Agent").get(order.get_absolute_url()).content.decode()

    assert release_url in manager
    assert release_url not in agent


def test_warehouse_sees_the_order_without_a_customer_link_or_actions(role_client):
    order = full_order()

    body = role_client("Warehouse").get(order.get_absolute_url()).content.decode()

    assert order.customer.get_absolute_url() not in body
    assert 'id="hold-dialog"' not in body and 'id="cancel-dialog"' not in body
    assert reverse("orders:order_edit", args=[order.pk]) not in body


def test_order_page_queries_do_not_grow_with_lines_holds_or_events(role_client, django_assert_max_num_queries):
    small = full_order()
    large = full_order()
    for _ in range(15):
        order_line(large, quantity=2)
    for reason in ("payment", "stock", "fraud"):
        hold(large, reason)
    client = role_client("Manager")

    few = count_queries(client, small.get_absolute_url())
    many = count_queries(client, large.get_absolute_url())

    assert few == many
    with django_assert_max_num_queries(10):
        client.get(large.get_absolute_url())


def test_an_unknown_order_is_404(role_client):
    assert role_client("Agent").get(reverse("orders:order_detail", args=[999999])).status_code == 404


# --- order entry (server side; the browser tests drive the same screens by keyboard) ---------


@pytest.fixture
def world():
    return entry_world()


def _draft(world, *, action="quote", lines=(), **fields) -> dict:
    """The entry form as the page posts it: lines are (sku, quantity, personalization)."""
    data = {"customer": world.customer.pk, "source_code": "", "coupons": "", "ship_choice": "",
            "shipping_method": world.ground.pk, "notes": "", "add_sku": "", "add_quantity": "1", "action": action}
    for key, (sku, quantity, personalization) in enumerate(lines, start=1):
        data[f"line-{key}-sku"] = sku.pk
        data[f"line-{key}-quantity"] = quantity
        for name, value in personalization.items():
            data[f"line-{key}-p-{name}"] = value
    data.update(fields)
    return data


def _focus(response) -> dict:
    return json.loads(response.headers["HX-Trigger-After-Settle"])["entry:focus"]


def test_entry_page_opens_for_a_customer_with_the_default_ship_to(role_client, world):
    response = role_client("Agent").get(reverse("orders:order_entry"), {"customer": world.customer.pk})

    body = response.content.decode()
    assert f'data-customer="{world.customer.number}"' in body
    assert response.context["state"].ship_choice == str(world.home.pk)
    assert "350 Fifth Avenue" in body


def test_customer_lookup_finds_the_caller_and_offers_a_new_customer(role_client, world):
    response = role_client("Agent").get(reverse("orders:entry_customer_lookup"), {"customer_query": "212-555-0123"})

    body = response.content.decode()
    assert f'data-value="{world.customer.pk}"' in body
    assert f"{reverse('orders:customer_create')}?next=entry" in body


def test_picking_the_customer_shows_them_and_moves_on_to_the_source_code(role_client, world):
    response = role_client("Agent").post(reverse("orders:entry_draft"), _draft(world, action="customer"),
                                         HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert 'id="entry-customer" hx-swap-oob="true"' in body and 'id="entry-ship" hx-swap-oob="true"' in body
    assert world.customer.number in body
    assert _focus(response)["focus"] == "#source-code"


def test_adding_a_line_quotes_it_with_the_source_codes_price_and_returns_to_the_add_box(role_client, world):
    data = _draft(world, action="add", source_code="cat25", add_sku=world.mug.pk, add_quantity="2")

    response = role_client("Agent").post(reverse("orders:entry_draft"), data, HTTP_HX_REQUEST="true")

    state = response.context["state"]
    assert [(line.sku, line.quantity) for line in state.lines] == [(world.mug, 2)]
    quote = response.context["quote"]
    assert quote.lines[0].unit_price == Decimal("10.000")  # the price list of CAT25, not the list price
    assert quote.lines[0].availability == {"EAST": 40, "WEST": 5}
    assert quote.shipping_total == Decimal("7.00")  # 5.00 + 1.00 per item
    body = response.content.decode()
    assert "CAT25 applied" in body and 'data-sku="MUG-RED"' in body
    assert _focus(response) == {"target": "body", "focus": "#add-line-query",
                                "reset": "#add-line-query, #add-sku, #add-line-quantity"}


def test_a_personalized_line_asks_for_its_fields_and_checks_them(role_client, world):
    client = role_client("Agent")

    added = client.post(reverse("orders:entry_draft"), _draft(world, action="add", add_sku=world.tote.pk),
                        HTTP_HX_REQUEST="true")
    checked = client.post(reverse("orders:entry_draft"), _draft(world, lines=[(world.tote, 1, {"initials": "abcd"})]),
                          HTTP_HX_REQUEST="true")

    assert _focus(added)["focus"] == "#line-1-p-initials"
    assert 'id="line-1-p-initials"' in added.content.decode()
    errors = checked.context["state"].line_errors[1]
    assert errors and "Initials" in errors[0]
    assert 'id="line-1-info" class="small" hx-swap-oob="true"' in checked.content.decode()


def test_a_kit_and_a_backordered_line_show_availability_and_the_expected_date(role_client, world):
    response = role_client("Agent").post(reverse("orders:entry_draft"), _draft(
        world, lines=[(world.gift_set, 3, {}), (world.lamp, 1, {})]), HTTP_HX_REQUEST="true")

    kit_line, lamp_line = response.context["quote"].lines
    assert kit_line.availability["EAST"] == 40  # min(40 mugs, 100 coasters / 2)
    assert lamp_line.is_short and lamp_line.expected_on is not None
    assert "Backordered" in response.content.decode()


def test_tax_exempt_customers_pay_no_tax(role_client, world):
    world.customer.is_tax_exempt, world.customer.tax_exempt_number = True, "EX-1"
    world.customer.save()

    response = role_client("Agent").post(reverse("orders:entry_draft"), _draft(world, lines=[(world.mug, 2, {})]),
                                         HTTP_HX_REQUEST="true")

    assert response.context["quote"].tax_total == Decimal("0")
    assert "Tax (exempt)" in response.content.decode()


def test_the_tax_label_shows_each_rate_the_lines_pay(role_client, world):
    from orders.models import TaxRate

    TaxRate.objects.create(country="US", region="NY", tax_class="reduced", rate=Decimal("0.04"))
    cookies = SkuFactory(code="COOKIES", name="Cookie tin", list_price=Decimal("10.000"), tax_class="reduced")
    book = SkuFactory(code="BOOK", name="Cook book", list_price=Decimal("10.000"), tax_class="zero")

    mixed = role_client("Agent").post(reverse("orders:entry_draft"), _draft(
        world, lines=[(world.mug, 1, {}), (cookies, 1, {}), (book, 1, {})]), HTTP_HX_REQUEST="true")
    reduced_only = role_client("Agent").post(reverse("orders:entry_draft"), _draft(
        world, lines=[(cookies, 1, {})]), HTTP_HX_REQUEST="true")

    assert [line.tax for line in mixed.context["quote"].lines] == [Decimal("1.07"), Decimal("0.40"), Decimal("0.00")]
    assert "Tax 8.875% / 4%" in mixed.content.decode()
    assert "Tax 4%<" in reduced_only.content.decode()


def test_a_different_ship_to_address_is_typed_in_and_checked(role_client, world):
    client = role_client("Agent")
    data = _draft(world, action="ship", ship_choice="new", lines=[(world.mug, 1, {})])

    opened = client.post(reverse("orders:entry_draft"), data, HTTP_HX_REQUEST="true")
    data.update({"action": "quote", "ship-name": "Ada", "ship-line1": "1 Main St", "ship-city": "Portland",
                 "ship-region": "OR", "ship-postal_code": "1234", "ship-country": "US"})
    checked = client.post(reverse("orders:entry_draft"), data, HTTP_HX_REQUEST="true")

    assert 'id="ship-address-fields"' in opened.content.decode()
    assert "postal_code" in checked.context["quote"].address_problems


def test_removing_and_substituting_lines(role_client, world):
    client = role_client("Agent")
    lines = [(world.mug, 100, {}), (world.coaster, 1, {})]

    short = client.post(reverse("orders:entry_draft"), _draft(world, lines=lines), HTTP_HX_REQUEST="true")
    swapped = client.post(reverse("orders:entry_draft"), _draft(
        world, action=f"swap-1-{world.blue_mug.pk}", lines=[(world.mug, 20, {}), (world.coaster, 1, {})]),
        HTTP_HX_REQUEST="true")
    removed = client.post(reverse("orders:entry_draft"), _draft(world, action="remove-2", lines=lines),
                          HTTP_HX_REQUEST="true")

    assert world.blue_mug not in short.context["quote"].lines[0].substitutes  # 30 blue mugs do not cover 100
    assert [line.sku for line in swapped.context["state"].lines] == [world.blue_mug, world.coaster]
    assert [line.sku for line in removed.context["state"].lines] == [world.mug]


def test_placing_the_order_opens_it_with_a_toast(role_client, world):
    client = role_client("Agent")
    data = _draft(world, source_code="cat25", notes="Leave at the door", ship_choice=str(world.home.pk),
                  lines=[(world.gift_set, 1, {}), (world.tote, 1, {"initials": "ADA"}), (world.lamp, 1, {})])

    response = client.post(reverse("orders:order_entry"), data, follow=True)

    order = Order.objects.get()
    assert response.redirect_chain[-1][0] == order.get_absolute_url()
    assert (order.channel, order.source_code, order.notes) == ("phone", "CAT25", "Leave at the door")
    assert order.ship_to["line1"] == "350 Fifth Avenue"
    assert [line.sku_code for line in order.lines.order_by("line_number")] == ["SET-MUG", "TOTE-NAVY", "LAMP-BRASS"]
    assert order.lines.get(sku_code="LAMP-BRASS").quantity_backordered == 1
    assert any(message.startswith(f"Order {order.number} was placed") for message in messages_of(response))


def test_placing_the_same_entry_twice_makes_one_order(role_client, world):
    client = role_client("Agent")
    token = client.get(reverse("orders:order_entry")).context["form"]["entry_token"].value()
    data = _draft(world, lines=[(world.mug, 1, {})], entry_token=token)

    first = client.post(reverse("orders:order_entry"), data)
    again = client.post(reverse("orders:order_entry"), data)  # a double Ctrl+Enter, or Back and resend

    order = Order.objects.get()
    assert first.url == again.url == order.get_absolute_url()
    assert f"entry-{token}" not in client.get(order.get_absolute_url()).content.decode()


@pytest.mark.parametrize("change, field", [
    ({"customer": ""}, "customer"),
    ({"line-1-p-initials": "toolong"}, "line"),
    ({"source_code": "NOPE"}, "source_code"),
])
def test_an_order_that_cannot_be_placed_shows_why_and_writes_nothing(role_client, world, change, field):
    data = _draft(world, lines=[(world.tote, 1, {"initials": "ADA"})])
    data.update(change)

    response = role_client("Agent").post(reverse("orders:order_entry"), data)

    assert response.status_code == 422
    assert not Order.objects.exists()
    state = response.context["state"]
    if field == "line":
        assert state.line_errors[1]
    else:
        assert state.errors[field]
    assert f'name="line-1-sku" value="{world.tote.pk}"' in response.content.decode()  # the draft is kept


def test_quoting_costs_a_fixed_number_of_queries(role_client, world, django_assert_max_num_queries):
    client = role_client("Agent")
    few = [(world.mug, 1, {})]
    many = [(world.mug, 1, {}), (world.coaster, 2, {}), (world.gift_set, 1, {}), (world.tote, 1, {"initials": "AB"}),
            (world.lamp, 1, {}), (world.blue_mug, 3, {})]

    small = count_queries_post(client, reverse("orders:entry_draft"), _draft(world, lines=few))
    large = count_queries_post(client, reverse("orders:entry_draft"), _draft(world, lines=many))

    assert large <= small + 12  # kits, personalization and short lines add a few, never one per line
    with django_assert_max_num_queries(45):
        client.post(reverse("orders:entry_draft"), _draft(world, lines=many * 3), HTTP_HX_REQUEST="true")


def count_queries_post(client, url, data) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return len(captured.captured_queries)


# --- order actions, through the services --------------------------------------------------------


@pytest.fixture
def placed(world, make_user):
    """A phone order of 2 red mugs (reserved) and 1 lamp (backordered) for the returning customer."""
    from orders.services import LineRequest, order_place

    return order_place(user=make_user("Agent"), channel="phone", customer=world.customer,
                       lines=[LineRequest(sku=world.mug, quantity=2), LineRequest(sku=world.lamp, quantity=1)],
                       ship_to=world.home.as_snapshot(), shipping_method=world.ground)


def test_an_agent_puts_an_order_on_hold_and_a_manager_releases_it(role_client, placed):
    agent, manager = role_client("Agent"), None
    response = agent.post(reverse("orders:order_hold", args=[placed.pk]), {"reason": "manual", "note": "Check stock"},
                          follow=True)

    hold_row = placed.holds.get()
    placed.refresh_from_db()
    assert placed.status == "on_hold" and hold_row.note == "Check stock"
    assert f"Order {placed.number} is on manual hold." in messages_of(response)
    page = agent.get(placed.get_absolute_url()).content.decode()
    assert reverse("orders:hold_release", args=[hold_row.pk]) not in page  # agents may not release

    manager = role_client("Manager")
    manager.post(reverse("orders:hold_release", args=[hold_row.pk]), {"note": "Stock checked"})

    hold_row.refresh_from_db()
    placed.refresh_from_db()
    assert hold_row.released_at is not None and hold_row.release_note == "Stock checked"
    assert placed.status != "on_hold"


def test_a_second_hold_for_the_same_reason_is_refused_with_a_toast(role_client, placed):
    client = role_client("Agent")
    client.post(reverse("orders:order_hold", args=[placed.pk]), {"reason": "manual"})

    response = client.post(reverse("orders:order_hold", args=[placed.pk]), {"reason": "manual"}, follow=True)

    assert placed.holds.count() == 1
    assert any("already" in message for message in messages_of(response))


def test_cancelling_an_order_needs_a_reason(role_client, placed):
    client = role_client("Agent")

    refused = client.post(reverse("orders:order_cancel", args=[placed.pk]), {"reason": ""}, follow=True)
    placed.refresh_from_db()
    assert placed.status != "cancelled"
    assert messages_of(refused) == ["Give a reason for the cancellation."]

    client.post(reverse("orders:order_cancel", args=[placed.pk]), {"reason": "Customer changed their mind"})
    placed.refresh_from_db()
    assert placed.status == "cancelled"
    assert all(line.quantity_open == 0 for line in placed.lines.all())


def test_cancelling_some_units_of_a_line(role_client, placed):
    mug_line = placed.lines.get(sku_code="MUG-RED")
    client = role_client("Agent")

    form = client.get(reverse("orders:order_cancel_lines", args=[placed.pk]))
    too_many = client.post(reverse("orders:order_cancel_lines", args=[placed.pk]),
                           {f"cancel_{mug_line.pk}": "5", "reason": "x"})
    done = client.post(reverse("orders:order_cancel_lines", args=[placed.pk]),
                       {f"cancel_{mug_line.pk}": "1", "reason": "Only needs one"})

    assert f'name="cancel_{mug_line.pk}"' in form.content.decode()
    assert too_many.status_code == 200 and too_many.context["form"].errors
    assert done.status_code == 302
    mug_line.refresh_from_db()
    assert mug_line.quantity_cancelled == 1


def test_substituting_a_line(role_client, placed, world):
    lamp_line = placed.lines.get(sku_code="LAMP-BRASS")
    client = role_client("Manager")

    same = client.post(reverse("orders:line_substitute", args=[lamp_line.pk]), {"sku": "LAMP-BRASS"})
    done = client.post(reverse("orders:line_substitute", args=[lamp_line.pk]), {"sku": "MUG-BLUE",
                                                                              "reason": "Out of lamps"})

    assert same.status_code == 200 and same.context["form"].errors["sku"]
    assert done.status_code == 302
    lamp_line.refresh_from_db()
    assert (lamp_line.sku, lamp_line.substituted_from) == (world.blue_mug, world.lamp)
    page = client.get(placed.get_absolute_url()).content.decode()
    assert "Substitute for LAMP-BRASS" in page


def test_editing_an_order_before_picking(role_client, placed, world):
    mug_line = placed.lines.get(sku_code="MUG-RED")
    lamp_line = placed.lines.get(sku_code="LAMP-BRASS")
    client = role_client("Agent")
    page = client.get(reverse("orders:order_edit", args=[placed.pk]))
    assert page.status_code == 200

    response = client.post(reverse("orders:order_edit", args=[placed.pk]), {
        f"quantity_{mug_line.pk}": "3", f"quantity_{lamp_line.pk}": "1", f"remove_{lamp_line.pk}": "on",
        "add_sku": "COASTER-CORK", "add_quantity": "4", "shipping_method": world.express.pk,
        "change_address": "on", "ship-name": "Ada", "ship-line1": "1 Main Street", "ship-city": "Albany",
        "ship-region": "NY", "ship-postal_code": "12207", "ship-country": "US",
    })

    assert response.status_code == 302
    placed.refresh_from_db()
    mug_line.refresh_from_db()
    lamp_line.refresh_from_db()
    assert mug_line.quantity == 3 and lamp_line.quantity_open == 0
    assert placed.lines.filter(sku_code="COASTER-CORK", quantity=4).exists()
    assert placed.shipping_method == world.express and placed.ship_to["line1"] == "1 Main Street"


def test_an_edit_the_services_refuse_shows_the_errors_next_to_the_fields(role_client, placed):
    mug_line = placed.lines.get(sku_code="MUG-RED")
    lamp_line = placed.lines.get(sku_code="LAMP-BRASS")
    before = placed.ship_to

    response = role_client("Agent").post(reverse("orders:order_edit", args=[placed.pk]), {
        f"quantity_{mug_line.pk}": "5", f"quantity_{lamp_line.pk}": "1", "change_address": "on", "ship-name": "Ada", "ship-line1": "1 Main St",
        "ship-city": "Albany", "ship-region": "NY", "ship-postal_code": "999", "ship-country": "US",
    })

    assert response.status_code == 200
    assert "postal_code" in response.context["ship_form"].errors
    placed.refresh_from_db()
    mug_line.refresh_from_db()
    assert placed.ship_to == before and mug_line.quantity == 2  # nothing changed


def test_a_shipped_order_offers_no_changes(role_client, placed):
    Order.objects.filter(pk=placed.pk).update(status="shipped")

    body = role_client("Manager").get(placed.get_absolute_url()).content.decode()

    assert 'id="cancel-dialog"' not in body and 'id="hold-dialog"' not in body
    assert reverse("orders:order_edit", args=[placed.pk]) not in body
