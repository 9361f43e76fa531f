"""Rollups: folded from the order tables after commit, equal to the raw totals, safe under late commits."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from orders.fulfillment.shipping import shipment_confirm, shipment_open
from orders.models import Hold, Order, OrderLine
from orders.services import order_hold
from reporting.models import (
    BackorderFact,
    DailySkuSales,
    DailySourceCodeSales,
    DailyWarehouseShipments,
    HourlyChannelSales,
    OpenHoldFact,
    OpenOrderFact,
    RollupState,
)
from reporting.rollups import registry
from reporting.rollups.definitions import shop_today
from reporting.rollups.engine import rollups_fold, rollups_rebuild, rollups_verify, safe_watermark
from tests.factories import SkuFactory, UserFactory, WarehouseFactory, stock
from tests.orders_helpers import CustomerFactory, ground, line, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="EAST")


@pytest.fixture
def shirt(warehouse):
    sku = SkuFactory(code="SHIRT", list_price=Decimal("20.00"))
    stock(sku, warehouse, 10)
    return sku


@pytest.fixture
def mug():
    return SkuFactory(code="MUG", list_price=Decimal("8.00"))  # no stock: backordered


def rows(model, *fields):
    return sorted(model.objects.values_list(*fields))


def hour_of(moment):
    return moment.replace(minute=0, second=0, microsecond=0)


def test_the_built_in_rollups_are_registered():
    assert [rollup.name for rollup in registry.all_rollups()][:8] == [
        "hourly_channel", "daily_sku", "daily_source_code", "daily_warehouse", "daily_returns",
        "open_orders", "open_holds", "backorders"]


def test_a_fold_brings_in_placed_orders_and_a_second_fold_changes_nothing(shirt, mug):
    # Given two orders placed (one with a backordered line) before the first fold
    first = place(lines=[line(shirt, 2)], channel="phone", shipping_method=ground())
    second = place(lines=[line(shirt, 1), line(mug, 3)], channel="web", shipping_method=ground(),
                   source_code="")
    assert HourlyChannelSales.objects.count() == 0  # nothing is written in the order's transaction
    # When the rollups fold
    rollups_fold()
    # Then each channel has its order and revenue in the hour it was placed
    assert rows(HourlyChannelSales, "hour", "channel", "orders_placed", "revenue_placed") == sorted([
        (hour_of(first.placed_at), "phone", 1, first.total), (hour_of(second.placed_at), "web", 1, second.total)])
    today = shop_today()
    assert rows(DailySkuSales, "day", "sku_id", "units") == sorted([(today, shirt.pk, 3), (today, mug.pk, 3)])
    assert rows(DailySourceCodeSales, "day", "source_code", "orders", "revenue") == [
        (today, "", 2, first.total + second.total)]
    assert rows(OpenOrderFact, "order_id", "status") == sorted([(first.pk, "allocated"), (second.pk, "released")])
    mug_line = OrderLine.objects.get(order=second, sku=mug)
    assert rows(BackorderFact, "line_id", "sku_id", "quantity") == [(mug_line.pk, mug.pk, 3)]
    before = rows(HourlyChannelSales, "hour", "channel", "orders_placed", "revenue_placed")
    # And folding again (the overlap behind the watermark) gives the same rows
    rollups_fold()
    assert rows(HourlyChannelSales, "hour", "channel", "orders_placed", "revenue_placed") == before
    assert DailySkuSales.objects.count() == 2


def test_holds_shipments_and_cogs_are_folded(warehouse, shirt):
    packer = UserFactory()
    order = place(lines=[line(shirt, 2)], shipping_method=ground(), source_code="")
    rollups_fold()
    order_hold(order=order, reason=Hold.Reason.MANUAL, note="Call the customer", user=packer)
    rollups_fold()
    assert rows(OpenHoldFact, "order_id", "reason") == [(order.pk, "manual")]
    assert OpenOrderFact.objects.get().status == "on_hold"


def test_a_shipment_is_folded_into_the_shipped_revenue_warehouse_and_cogs(warehouse, shirt):
    packer = UserFactory()
    order = place(lines=[line(shirt, 2)], shipping_method=ground())
    rollups_fold()
    shipment = shipment_open(order=order, warehouse=warehouse, user=packer)
    shipment_confirm(shipment=shipment, user=packer, tracking_number="1Z1")
    rollups_fold()
    order.refresh_from_db()
    assert HourlyChannelSales.objects.get().orders_shipped == 1
    assert HourlyChannelSales.objects.get().revenue_shipped == order.total
    row = DailyWarehouseShipments.objects.get()
    assert (row.warehouse_id, row.shipments, row.units) == (warehouse.pk, 1, 2)
    assert row.revenue == Decimal("40.000")
    assert DailySourceCodeSales.objects.get().cogs == Decimal("8.000")  # 2 × 4.00 at average cost
    assert OpenOrderFact.objects.get().is_shipped is True


def test_a_rebuild_from_scratch_gives_the_rows_the_folds_made(shirt, mug):
    place(lines=[line(shirt, 1)], channel="phone", shipping_method=ground())
    rollups_fold()
    place(lines=[line(shirt, 2), line(mug, 1)], channel="web", shipping_method=ground())
    rollups_fold()
    folded = {model: rows(model, *[f.attname for f in model._meta.fields if f.attname != "id"])
              for model in (HourlyChannelSales, DailySkuSales, DailySourceCodeSales, OpenOrderFact, BackorderFact)}
    for model in folded:
        model.objects.all().delete()
    rollups_rebuild()
    assert {model: rows(model, *[f.attname for f in model._meta.fields if f.attname != "id"])
            for model in folded} == folded


def test_the_nightly_check_finds_a_change_that_did_not_save_its_order_and_repairs_it(shirt):
    # Given an order folded in, then a line changed behind the services' back (no updated_at)
    order = place(lines=[line(shirt, 2)], shipping_method=ground())
    Order.objects.filter(pk=order.pk).update(updated_at=timezone.now() - timedelta(hours=1))  # long folded
    rollups_fold()
    check = rollups_verify(days=[shop_today()])
    assert (check.ok, check.differences) == (True, 0)
    OrderLine.objects.filter(order=order).update(quantity=3)
    rollups_fold()
    assert DailySkuSales.objects.get().units == 2  # the fold could not see it
    # When the nightly check runs
    check = rollups_verify(days=[shop_today()])
    # Then it reports the difference (shown through reporting's invariants on the status page) and repairs it
    # (daily_sku: the raw row and the rollup's; backorders: the unit now missing stock, only in the raw)
    assert check.differences == 3
    assert sorted(detail.split(": ")[1] for detail in check.details) == ["backorders", "daily_sku", "daily_sku"]
    from reporting import invariants

    assert [row[0] for row in invariants.violations()] == [
        "the rollups equal the raw totals on the sampled days"] * 3
    assert DailySkuSales.objects.get().units == 3
    assert BackorderFact.objects.get().quantity == 1
    assert rollups_verify(days=[shop_today()]).ok
    assert invariants.violations() == []


@pytest.mark.django_db(transaction=True)
def test_an_order_committed_after_a_fold_started_before_it_is_folded_next_time(shirt):
    """The late-commit case that a watermark on ids or timestamps alone would skip."""
    ground()
    rollups_fold()
    started, release, done = threading.Event(), threading.Event(), threading.Event()
    placed = {}

    def slow_order():
        try:
            with transaction.atomic():  # an order transaction that takes its time to commit
                placed["order"] = Order.objects.create(
                    customer=CustomerFactory(), channel="web", status="placed", placed_at=timezone.now(),
                    subtotal=Decimal("10.00"), total=Decimal("10.00"))
                started.set()
                release.wait(20)  # committed only after the next fold has run
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=slow_order)
    thread.start()
    assert started.wait(20)
    # While the order's transaction is open, a fold runs: it cannot see the order, and its watermark
    # stays before the order's timestamps
    rollups_fold()
    assert HourlyChannelSales.objects.count() == 0
    assert RollupState.objects.get(name="hourly_channel").watermark < placed["order"].updated_at
    release.set()
    assert done.wait(20)
    thread.join()
    # When the next fold runs, the order is there
    rollups_fold()
    assert HourlyChannelSales.objects.get().orders_placed == 1
    assert OpenOrderFact.objects.get().order_id == placed["order"].pk


@pytest.mark.django_db(transaction=True)
def test_the_watermark_waits_for_the_oldest_open_transaction():
    with connection.cursor():
        pass
    opened = threading.Event()
    release = threading.Event()

    def open_transaction():
        from django.db import connections

        try:
            with transaction.atomic():
                with connections["default"].cursor() as cursor:
                    cursor.execute("SELECT 1")
                opened.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=open_transaction)
    thread.start()
    assert opened.wait(20)
    time.sleep(1.2)
    try:
        margin = timedelta(seconds=30)
        assert safe_watermark() < timezone.now() - margin - timedelta(seconds=1)
    finally:
        release.set()
        thread.join()
    assert safe_watermark() > timezone.now() - margin - timedelta(seconds=1)


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_folds_through_a_real_worker(celery_worker, shirt):
    from reporting.tasks import rollups_fold_task

    order = place(lines=[line(shirt, 1)], shipping_method=ground())
    written = rollups_fold_task.delay().get(timeout=30)
    assert written["hourly_channel"] == 1
    assert HourlyChannelSales.objects.get().revenue_placed == order.total
    assert Order.objects.count() == 1


def test_a_difference_shows_on_the_status_page_and_the_command_repairs_it(client, make_user, shirt):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from oms.invariants import invariants_check_record, invariants_forget

    order = place(lines=[line(shirt, 2)], shipping_method=ground())
    Order.objects.filter(pk=order.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    call_command("rollups", "fold", stdout=StringIO())
    OrderLine.objects.filter(order=order).update(quantity=4)
    with pytest.raises(CommandError, match="differ"):
        call_command("rollups", "verify", "--days", shop_today().isoformat(), stdout=StringIO())
    invariants_check_record()
    try:
        client.force_login(make_user("Admin"))
        page = client.get("/status/").content.decode()
        assert 'data-check="invariants" data-ok="false"' in page
        assert "[reporting] the rollups equal the raw totals on the sampled days" in page
    finally:
        invariants_forget()
    out = StringIO()
    call_command("rollups", "verify", "--days", shop_today().isoformat(), stdout=out)
    assert out.getvalue().strip().endswith(f"0 difference(s) on {shop_today().isoformat()}")
