"""Pick waves: bins, wave creation with its filters, scans, short picks and the customer's answer."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from inventory.models import Reservation, StockMovement
from orders import hooks
from orders.fulfillment.models import BinLocation, PickWave, Shipment, ShipmentEvent, ShipmentLine
from orders.fulfillment.selectors import next_pick, pick_lines, short_picks_open
from orders.fulfillment.services import (
    FulfillmentError,
    WaveFilters,
    bin_set,
    pick_scan,
    pick_short,
    short_pick_answer,
    wave_cancel,
    wave_create,
)
from orders.fulfillment.status import IllegalShipmentTransition, shipment_move
from orders.models import LineAllocation, OrderEvent, OrderStatus
from tests.factories import SkuFactory, UserFactory, WarehouseFactory, stock
from tests.fulfillment_helpers import allocated_orders
from tests.orders_helpers import all_violations, level, priority_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def picker():
    return UserFactory(role="Warehouse")


def test_a_bin_is_set_changed_and_removed_per_sku_and_warehouse():
    sku, main = SkuFactory(), WarehouseFactory(code="MAIN")

    bin_set(sku=sku, warehouse=main, code=" a-01-03 ")
    bin_set(sku=sku, warehouse=main, code="A-02-01")
    assert list(BinLocation.objects.values_list("sku__code", "warehouse__code", "code")) == [
        (sku.code, "MAIN", "A-02-01")]

    bin_set(sku=sku, warehouse=main, code="")
    assert not BinLocation.objects.exists()


def test_a_wave_takes_allocated_orders_as_shipments_of_their_allocations(picker):
    main, (lamp,), orders = allocated_orders(3, units=2)

    wave = wave_create(warehouse=main, user=picker, limit=2)

    shipments = list(Shipment.objects.filter(wave=wave).order_by("pk"))
    assert [s.order_id for s in shipments] == [orders[0].pk, orders[1].pk]
    assert [(s.status, s.number) for s in shipments] == [("pending", f"{orders[0].number}-1"),
                                                         ("pending", f"{orders[1].number}-1")]
    assert list(ShipmentLine.objects.filter(shipment__wave=wave).values_list("quantity", "picked_quantity")) == [
        (2, 0), (2, 0)]
    assert sorted(o.status for o in type(orders[0]).objects.filter(pk__in=[o.pk for o in orders])) == [
        OrderStatus.ALLOCATED, OrderStatus.PICKING, OrderStatus.PICKING]
    assert wave.number == f"W{wave.pk:06d}"

    second = wave_create(warehouse=main, user=picker, limit=5)
    assert list(Shipment.objects.filter(wave=second).values_list("order_id", flat=True)) == [orders[2].pk]
    with pytest.raises(FulfillmentError, match="No allocated orders"):
        wave_create(warehouse=main, user=picker, limit=5)


def test_wave_filters_carrier_promise_and_single_line_first(picker):
    main = WarehouseFactory(code="MAIN", priority=1)
    a, b = SkuFactory(), SkuFactory()
    stock(a, main, 50)
    stock(b, main, 50)
    _w, _s, [two_lines] = allocated_orders(1, warehouse=main, skus=[a, b])
    _w, _s, [one_line] = allocated_orders(1, warehouse=main, skus=[a])
    _w, _s, [by_usps] = allocated_orders(1, warehouse=main, skus=[a], shipping_method=priority_mail())

    candidates = wave_create(warehouse=main, user=picker, limit=1, filters=WaveFilters(carrier="usps"))
    assert list(candidates.shipments.values_list("order_id", flat=True)) == [by_usps.pk]

    first = wave_create(warehouse=main, user=picker, limit=1, filters=WaveFilters(single_line_first=True))
    assert list(first.shipments.values_list("order_id", flat=True)) == [one_line.pk]

    import datetime as dt
    with pytest.raises(FulfillmentError):
        wave_create(warehouse=main, user=picker, limit=1,
                    filters=WaveFilters(promised_by=dt.date.today() - dt.timedelta(days=1)))
    last = wave_create(warehouse=main, user=picker, limit=1,
                       filters=WaveFilters(promised_by=dt.date.today() + dt.timedelta(days=30)))
    assert list(last.shipments.values_list("order_id", flat=True)) == [two_lines.pk]


def test_the_pick_list_is_in_bin_order(picker):
    main, (far, near), _orders = allocated_orders(2, lines_per_order=2)
    wave = wave_create(warehouse=main, user=picker, limit=2)

    assert [(row.bin_code, row.order_line.sku_code) for row in pick_lines(wave)] == [
        ("B-01", near.code), ("B-01", near.code), ("B-02", far.code), ("B-02", far.code)]


@pytest.mark.django_db(transaction=True)
def test_two_users_creating_waves_at_once_never_take_an_order_twice():
    main, _skus, orders = allocated_orders(6)
    users = [UserFactory(role="Warehouse"), UserFactory(role="Warehouse")]
    barrier = threading.Barrier(2)
    errors = []

    def create(user):
        try:
            barrier.wait()
            wave_create(warehouse=main, user=user, limit=4)
        except FulfillmentError as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    taken = list(Shipment.objects.values_list("order_id", flat=True))
    assert sorted(taken) == sorted(set(taken))
    assert len(taken) == 6 and errors == []
    assert PickWave.objects.count() == 2


def test_a_scan_of_the_right_sku_picks_and_a_wrong_one_is_refused(picker):
    main, (lamp,), [order] = allocated_orders(1, units=2)
    wave = wave_create(warehouse=main, user=picker, limit=1)
    pick = next_pick(wave)

    refused = pick_scan(line=pick, code="NOT-IT", user=picker)
    assert not refused.accepted and refused.message == f"Wrong item: NOT-IT scanned, {lamp.code} expected."

    assert pick_scan(line=pick, code=lamp.barcode, user=picker).accepted
    pick.refresh_from_db()
    assert (pick.picked_quantity, pick.picked_by, pick.shipment.status) == (1, picker, "picking")
    assert PickWave.objects.get(pk=wave.pk).status == "picking"

    assert pick_scan(line=pick, code=lamp.code.lower(), user=picker).accepted
    pick.refresh_from_db()
    assert pick.picked_quantity == 2 and pick.picked_at is not None
    assert pick.shipment.status == "picked"
    assert PickWave.objects.get(pk=wave.pk).status == "done"
    assert list(ShipmentEvent.objects.filter(shipment=pick.shipment).values_list("kind", "actor")) == [
        ("created", picker.pk), ("refused_scan", picker.pk), ("pick", picker.pk), ("status", picker.pk),
        ("pick", picker.pk), ("status", picker.pk)]
    assert next_pick(wave) is None
    with pytest.raises(FulfillmentError, match="nothing is left to pick"):
        pick_scan(line=pick, code=lamp.code, user=picker)


def test_a_short_pick_goes_back_to_backorder_with_an_event_and_a_notice(picker, django_capture_on_commit_callbacks):
    main, (lamp,), [order] = allocated_orders(1, units=3)
    on_hand_before = level(lamp, main)[0]
    wave = wave_create(warehouse=main, user=picker, limit=1)
    pick = next_pick(wave)
    pick_scan(line=pick, code=lamp.code, user=picker)
    notices = []
    hooks.on_short_pick_notify(lambda *args: notices.append(args))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert pick_short(line=pick, reason="Bin empty", user=picker) == 2
    finally:
        hooks._short_pick_notify.clear()

    order_line = order.lines.get()
    pick.refresh_from_db()
    assert (order_line.quantity_allocated, order_line.quantity_backordered) == (1, 2)
    assert (pick.quantity, pick.picked_quantity, pick.shipment.status) == (1, 1, "picked")
    assert level(lamp, main) == (on_hand_before - 2, 1)
    assert list(Reservation.objects.filter(status="open").values_list("quantity", flat=True)) == [1]
    assert StockMovement.objects.filter(kind="adjustment", quantity=-2, sku=lamp).count() == 1
    short = OrderEvent.objects.get(order=order, kind="short_pick")
    assert short.actor == picker
    assert short.message == f"Line 1: 2 × {lamp.code} short at MAIN (Bin empty); back to backorder."
    assert notices == [(order.pk, order_line.pk, 2)]
    assert short_picks_open(order) == [short]
    assert all_violations() == []


def test_a_short_pick_is_allocated_again_at_another_warehouse_that_has_it(picker):
    main, (lamp,), [order] = allocated_orders(1, units=2)
    other = WarehouseFactory(code="WEST", priority=50)
    stock(lamp, other, 5)
    wave = wave_create(warehouse=main, user=picker, limit=1)

    pick_short(line=next_pick(wave), reason="Damaged", user=picker, route="other_warehouse")

    assert list(LineAllocation.objects.filter(line__order=order, is_open=True).values_list(
        "warehouse__code", "quantity")) == [("WEST", 2)]
    assert Shipment.objects.get(wave=wave).status == "cancelled"
    assert PickWave.objects.get(pk=wave.pk).status == "done"
    assert OrderEvent.objects.get(order=order, kind="short_pick").message == (
        f"Line 1: 2 × {lamp.code} short at MAIN (Damaged); allocated again at WEST.")
    # The order can go into a wave at the other warehouse now.
    again = wave_create(warehouse=other, user=picker, limit=1)
    assert list(again.shipments.values_list("order_id", flat=True)) == [order.pk]


def test_the_customer_answers_a_short_pick_cancel_substitute_or_wait(picker):
    agent = UserFactory(role="Agent")
    main, (lamp,), [order] = allocated_orders(1, units=2)
    wave = wave_create(warehouse=main, user=picker, limit=1)
    pick_short(line=next_pick(wave), reason="Bin empty", user=picker)
    short = short_picks_open(order)[0]
    substitute = SkuFactory()
    stock(substitute, main, 5)

    answer = short_pick_answer(order_event=short, choice="substitute", substitute=substitute, user=agent)

    order_line = order.lines.get()
    assert (order_line.sku, order_line.substituted_from, order_line.quantity_allocated) == (substitute, lamp, 2)
    assert answer.message == f"Line 1: the customer takes {substitute.code} instead of {lamp.code}."
    assert short_picks_open(order) == []
    with pytest.raises(FulfillmentError, match="already been answered"):
        short_pick_answer(order_event=short, choice="wait", user=agent)


def test_cancelling_the_short_units_reprices_the_order(picker):
    agent = UserFactory(role="Agent")
    main = WarehouseFactory(code="MAIN", priority=1)
    lamp, shade = SkuFactory(), SkuFactory()
    _w, _s, [order] = allocated_orders(1, warehouse=main, skus=[lamp, shade])
    total_before = type(order).objects.get(pk=order.pk).total
    wave = wave_create(warehouse=main, user=picker, limit=1)
    shade_pick = next(row for row in pick_lines(wave) if row.order_line.sku == shade)
    pick_short(line=shade_pick, reason="Bin empty", user=picker)

    short_pick_answer(order_event=short_picks_open(order)[0], choice="cancel", user=agent)

    order.refresh_from_db()
    shade_line = order.lines.get(sku=shade)
    assert (shade_line.quantity_cancelled, shade_line.quantity_backordered) == (1, 0)
    assert order.total < total_before
    assert order.status == OrderStatus.PICKING


def test_a_wave_nobody_started_can_be_cancelled_and_its_orders_taken_again(picker):
    main, _skus, [order] = allocated_orders(1)
    wave = wave_create(warehouse=main, user=picker, limit=1)

    wave_cancel(wave=wave, user=picker)

    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED
    assert list(Shipment.objects.values_list("status", flat=True)) == ["cancelled"]
    again = wave_create(warehouse=main, user=picker, limit=1)
    assert list(again.shipments.values_list("order_id", flat=True)) == [order.pk]


def test_shipment_transitions_refuse_skipping_ahead():
    main, _skus, [order] = allocated_orders(1)
    shipment = Shipment(order=order, warehouse=main, number="X-1")
    with pytest.raises(IllegalShipmentTransition, match="pending cannot become shipped"):
        shipment_move(shipment, "shipped", user=None, events=[])
    events = []
    shipment_move(shipment, "picking", user=None, events=events)
    assert shipment.status == "picking" and len(events) == 1
