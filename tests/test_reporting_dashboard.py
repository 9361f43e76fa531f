"""The live dashboard: the Manager's home, its tiles from the rollups, and who may see them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Hold, Order
from orders.services import order_hold
from reporting.dashboard import selectors, tiles
from reporting.rollups.engine import rollups_fold
from tests.factories import SkuFactory, UserFactory, WarehouseFactory, stock
from tests.orders_helpers import ground, line, place

pytestmark = pytest.mark.django_db

TILE_URLS = [tile.url_name for tile in tiles.TILES]


@pytest.fixture
def world():
    warehouse = WarehouseFactory(code="EAST")
    shirt = SkuFactory(code="SHIRT", list_price=Decimal("20.00"))
    mug = SkuFactory(code="MUG", list_price=Decimal("8.00"))
    stock(shirt, warehouse, 13)
    stock(mug, warehouse, 3)
    return {"warehouse": warehouse, "shirt": shirt, "mug": mug}


def test_the_managers_home_is_the_dashboard_and_the_other_homes_are_unchanged(role_client, world):
    place(lines=[line(world["shirt"], 2)], channel="phone", shipping_method=ground())
    rollups_fold()
    manager_home = role_client("Manager").get("/").content.decode()
    assert 'id="dashboard"' in manager_home
    for tile in tiles.TILES:
        assert f'hx-get="{tile.url()}"' in manager_home
    assert "vendor/chartjs-4.6.1/chart.umd.js" in manager_home
    for role in ("Agent", "Warehouse", "Accountant", "Admin"):
        assert 'id="dashboard"' not in role_client(role).get("/").content.decode(), role


@pytest.mark.parametrize("role, status", [("Manager", 200), ("Agent", 403), ("Warehouse", 403),
                                          ("Accountant", 403)])
def test_only_managers_get_the_tiles(client, role, status):
    client.force_login(UserFactory(role=role))
    answers = {name: client.get(reverse(name), HTTP_HX_REQUEST="true").status_code
               for name in TILE_URLS + ["dashboard:page"]}
    assert answers == dict.fromkeys(answers, status)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("dashboard:tile_sales"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_tile_partial_shows_its_numbers_and_when_it_was_updated(role_client, world):
    manager = role_client("Manager")
    first = place(lines=[line(world["shirt"], 2)], channel="phone", shipping_method=ground())
    rollups_fold()
    body = manager.get(reverse("dashboard:tile_sales"), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-updated="' in body and "Updated " in body
    assert 'data-total="orders_placed">1<' in body
    second = place(lines=[line(world["mug"], 1)], channel="web", shipping_method=ground())
    rollups_fold()
    data = selectors.sales_today()
    assert (data["totals"].orders_placed, data["totals"].revenue_placed) == (2, first.total + second.total)
    assert {row.channel: row.orders_placed for row in data["channels"]} == {"phone": 1, "web": 1}
    assert sum(row["today"] for row in data["hourly"]) == first.total + second.total
    body = manager.get(reverse("dashboard:tile_sales"), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-total="orders_placed">2<' in body


def test_today_is_compared_with_the_same_weekday_last_week_and_last_year(world):
    now = timezone.now()
    order = place(lines=[line(world["shirt"], 1)], channel="web", shipping_method=ground())
    week = place(lines=[line(world["shirt"], 2)], channel="web", shipping_method=ground())
    year = place(lines=[line(world["shirt"], 3)], channel="web", shipping_method=ground())
    later_last_week = place(lines=[line(world["shirt"], 4)], channel="web", shipping_method=ground())
    Order.objects.filter(pk=week.pk).update(placed_at=now - timedelta(days=7, seconds=5))
    Order.objects.filter(pk=year.pk).update(placed_at=now - timedelta(days=364, seconds=5))
    # Two hours later in the day than now, a week ago: not counted against today so far (hour by hour)
    Order.objects.filter(pk=later_last_week.pk).update(placed_at=now - timedelta(days=7) + timedelta(hours=2))
    from reporting.rollups.engine import rollups_rebuild

    rollups_rebuild()
    data = selectors.sales_today(now=now)
    web = next(row for row in data["channels"] if row.channel == "web")
    assert (web.orders_placed, web.revenue_placed) == (1, order.total)
    assert (web.orders_last_week, web.revenue_last_week) == (1, week.total)
    assert (web.orders_last_year, web.revenue_last_year) == (1, year.total)


def test_open_held_late_backordered_low_stock_and_top_skus(role_client, world, settings):
    settings.LATE_ORDER_DAYS = 14
    settings.LOW_STOCK_UNITS = 5
    manager = role_client("Manager")
    shirt, mug = world["shirt"], world["mug"]
    on_time = place(lines=[line(shirt, 2)], shipping_method=ground())
    late = place(lines=[line(shirt, 1)], shipping_method=ground())
    backordered = place(lines=[line(mug, 5)], shipping_method=ground())  # 3 in stock: 2 wait
    order_hold(order=on_time, reason=Hold.Reason.FRAUD, note="Check the card", user=None)
    Order.objects.filter(pk=late.pk).update(placed_at=timezone.now() - timedelta(days=15),
                                            updated_at=timezone.now())
    rollups_fold()

    statuses = {row["status"]: row["count"] for row in selectors.open_orders_by_status()["statuses"]}
    assert statuses == {"on_hold": 1, "allocated": 1, "released": 1}
    held = selectors.held_orders()
    assert [(row["reason"], row["days_0_1"], row["total"]) for row in held["reasons"]] == [("fraud", 1, 1)]
    late_tile = selectors.late_orders()
    assert (late_tile["days"], late_tile["count"], [row["order_id"] for row in late_tile["oldest"]]) == (
        14, 1, [late.pk])
    assert [(row["sku_code"], row["units"]) for row in selectors.backorders_by_sku()["skus"]] == [("MUG", 2)]
    # 13 shirts less 3 reserved = 10 available: not low; the mugs are all reserved: 0 available
    assert [(row["sku__code"], row["available"]) for row in selectors.low_stock()["skus"]] == [("MUG", 0)]
    top = selectors.top_skus_today()["skus"]
    # 40.00 each before tax (5 × 8.00 and 2 × 20.00; the late order is not today's): more units first
    assert [(row["code"], row["units"], row["revenue"]) for row in top] == [
        ("MUG", 5, Decimal("40.000")), ("SHIRT", 2, Decimal("40.000"))]
    for tile in tiles.TILES:
        assert manager.get(tile.url(), HTTP_HX_REQUEST="true").status_code == 200
    body = manager.get(reverse("dashboard:tile_late"), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-total="late">1<' in body and late.number in body


def test_returns_this_week_come_from_the_order_statuses(world):
    order = place(lines=[line(world["shirt"], 2)], channel="web", shipping_method=ground())
    from orders.models import OrderEvent

    OrderEvent.objects.create(order=order, kind="status", from_status="delivered", to_status="return_requested",
                              message="Return requested")
    rollups_fold()
    data = selectors.returns_this_week()
    assert data["totals"]["requested"] == 1
    assert [row["channel"] for row in data["channels"]] == ["web"]


def test_the_late_rule_is_one_setting(settings):
    settings.LATE_ORDER_DAYS = 3
    assert selectors.late_order_days() == 3
    assert selectors.late_orders()["days"] == 3


def test_every_tile_answers_in_a_few_queries_whatever_the_data(role_client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = role_client("Manager")
    for _ in range(3):
        place(lines=[line(world["shirt"], 1), line(world["mug"], 2)], shipping_method=ground())
    rollups_fold()

    def queries(tile) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager.get(tile.url(), HTTP_HX_REQUEST="true").status_code == 200
        return len(captured.captured_queries)

    before = {tile.key: queries(tile) for tile in tiles.TILES}
    for _ in range(3):
        place(lines=[line(world["shirt"], 1), line(world["mug"], 1)], channel="web", shipping_method=ground())
    rollups_fold()
    assert {tile.key: queries(tile) for tile in tiles.TILES} == before
    assert max(before.values()) <= 8, before


def _tile_reads(manager, tile, **headers) -> tuple[str, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = manager.get(tile.url(), HTTP_HX_REQUEST="true", **headers)
    assert response.status_code == 200
    tables = [query["sql"] for query in captured.captured_queries
              if "reporting_" in query["sql"] and "reporting_rollupstate" not in query["sql"]]
    return response.content.decode(), tables


def test_the_fold_task_computes_the_tiles_once_for_every_viewer_and_language(role_client, world):
    from reporting.tasks import rollups_fold_task

    manager = role_client("Manager")
    place(lines=[line(world["shirt"], 2)], channel="phone", shipping_method=ground())
    rollups_fold_task()
    for language in ("en", "fr", "ar"):
        for tile in tiles.TILES:
            body, reads = _tile_reads(manager, tile, HTTP_ACCEPT_LANGUAGE=language)
            assert reads == [], (language, tile.key)  # the fold task computed and rendered it
            assert f'id="tile-{tile.key}"' in body
    body, _reads = _tile_reads(manager, tiles.get("sales"))
    assert 'data-total="orders_placed">1<' in body


def test_a_fold_without_the_task_or_a_flushed_cache_is_computed_by_the_first_request(role_client, world):
    from django.core.cache import cache

    from reporting.dashboard.snapshots import snapshot_key
    from reporting.tasks import rollups_fold_task

    manager = role_client("Manager")
    sales = tiles.get("sales")
    place(lines=[line(world["shirt"], 2)], channel="phone", shipping_method=ground())
    rollups_fold_task()
    place(lines=[line(world["mug"], 1)], channel="web", shipping_method=ground())
    rollups_fold()  # by hand: the snapshot is now older than the rollups
    body, reads = _tile_reads(manager, sales)
    assert 'data-total="orders_placed">2<' in body and reads  # computed from the rollups
    body, reads = _tile_reads(manager, sales)
    assert 'data-total="orders_placed">2<' in body and reads == []  # and kept for the next viewer
    cache.delete(snapshot_key(sales))  # Redis flushed or restarted
    body, reads = _tile_reads(manager, sales)
    assert 'data-total="orders_placed">2<' in body and reads


def test_without_redis_the_tiles_are_computed_from_the_rollups(role_client, world, settings):
    manager = role_client("Manager")
    place(lines=[line(world["shirt"], 2)], channel="phone", shipping_method=ground())
    rollups_fold()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens there
    body, reads = _tile_reads(manager, tiles.get("sales"))
    assert 'data-total="orders_placed">1<' in body and reads
