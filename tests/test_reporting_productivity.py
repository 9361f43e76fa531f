"""Warehouse productivity: work per person per hour, time from placed to shipped, 3PL performance."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from orders.fulfillment.models import Shipment, ShipmentEvent, ShipmentLine
from orders.fulfillment.packing import pack_scan
from orders.fulfillment.services import pick_scan
from orders.fulfillment.shipping import shipment_confirm, shipment_open
from orders.models import Order
from reporting.selectors.productivity import staff_productivity, time_to_ship, tpl_performance
from tests.factories import SkuFactory, UserFactory, WarehouseFactory, stock
from tests.orders_helpers import line, place
from tests.reporting_helpers import at

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 2)


def moved(events, moment):
    """Set when recorded events happened (the services stamp them with the present)."""
    ShipmentEvent.objects.filter(pk__in=[event.pk for event in events]).update(created_at=moment)


@pytest.fixture
def floor(settings):
    """At EAST, Alice picks orders 1 and 2 (2 lamps each) at 9:10; Bob picks order 3 at 10:05, packs
    orders 1 and 2 at 10:30 and ships them at 11:15. Order 1 was placed 23¼ hours before, order 2
    48 hours before; both shipments were released at 9:00. The 3PL ships order 4 twelve hours after
    its release at 8:00 and still holds order 5."""
    settings.SHOP_TIME_ZONE = "America/New_York"
    east = WarehouseFactory(code="EAST", priority=1)
    tpl = WarehouseFactory(code="TPL", priority=2, kind="3pl")
    lamp = SkuFactory(code="LAMP", list_price=Decimal("40.00"))
    stock(lamp, east, 6)
    alice = UserFactory(username="alice", first_name="Alice", last_name="Picker")
    bob = UserFactory(username="bob", first_name="", last_name="")
    importer = UserFactory(username="importer")
    orders = [place(lines=[line(lamp, 2)]) for _n in range(3)]
    shipments = [shipment_open(order=order, warehouse=east, user=None) for order in orders]
    lines = [ShipmentLine.objects.get(shipment=shipment) for shipment in shipments]
    for picker, item in ((alice, lines[0]), (alice, lines[1]), (bob, lines[2])):
        pick_scan(line=item, code="LAMP", user=picker, quantity=2)
    for shipment in shipments[:2]:
        pack_scan(shipment=shipment, code="LAMP", user=bob)
        pack_scan(shipment=shipment, code="LAMP", user=bob)
        shipment_confirm(shipment=shipment, user=bob)
    events = ShipmentEvent.objects.filter(kind__in=("pick", "pack", "ship"))
    moved(events.filter(actor=alice), at("2026-03-02", 9).replace(minute=10))
    moved(events.filter(actor=bob, kind="pick"), at("2026-03-02", 10).replace(minute=5))
    moved(events.filter(actor=bob, kind="pack"), at("2026-03-02", 10).replace(minute=30))
    moved(events.filter(actor=bob, kind="ship"), at("2026-03-02", 11).replace(minute=15))
    shipped_at = at("2026-03-02", 11).replace(minute=15)
    Shipment.objects.filter(pk__in=[s.pk for s in shipments[:2]]).update(shipped_at=shipped_at,
                                                                         created_at=at("2026-03-02", 9))
    Order.objects.filter(pk=orders[0].pk).update(placed_at=at("2026-03-01", 12))
    Order.objects.filter(pk=orders[1].pk).update(placed_at=at("2026-02-28", 11).replace(minute=15))
    # The 3PL's
    stock(lamp, tpl, 4)
    third = [place(lines=[line(lamp, 2)]) for _n in range(2)]
    tpl_shipments = [shipment_open(order=order, warehouse=tpl, user=importer) for order in third]
    shipment_confirm(shipment=tpl_shipments[0], user=importer, tracking_number="T1")
    Shipment.objects.filter(pk__in=[s.pk for s in tpl_shipments]).update(created_at=at("2026-03-02", 8))
    Shipment.objects.filter(pk=tpl_shipments[0].pk).update(shipped_at=at("2026-03-02", 20))
    moved(ShipmentEvent.objects.filter(actor=importer, kind="ship"), at("2026-03-02", 20))
    Order.objects.filter(pk__in=[order.pk for order in third]).update(placed_at=at("2026-03-02", 7))
    return east, tpl, alice, bob


def test_work_per_person_per_hour(floor):
    _east, _tpl, alice, bob = floor
    rows = staff_productivity(date_from=DAY, date_to=DAY, grouping="person_day")
    got = {row["person"]: (row["period_start"].date(), row["units_picked"], row["pick_scans"], row["units_packed"],
                           row["shipments"], row["hours"], row["picks_per_hour"], row["packs_per_hour"],
                           row["shipments_per_hour"]) for row in rows}
    assert got == {
        # Alice: 2 scans of 2 units in the 9 o'clock hour
        "Alice Picker": (DAY, 4, 2, 0, 0, 1, Decimal("4.00"), Decimal("0.00"), Decimal("0.00")),
        # Bob (no name: his user name): 2 picked and 4 packed at 10, 2 shipped at 11: two hours
        "bob": (DAY, 2, 1, 4, 2, 2, Decimal("1.00"), Decimal("2.00"), Decimal("1.00")),
    }  # the importer's 3PL confirmation is not floor work
    hourly = staff_productivity(date_from=DAY, date_to=DAY, grouping="person_hour", person_id=bob.pk)
    assert [(row["period_start"].hour, row["units_packed"], row["shipments"]) for row in hourly] == [
        (11, 0, 2), (10, 4, 0)]
    assert staff_productivity(date_from=DAY + dt.timedelta(days=1)) == []
    by_picks = staff_productivity(grouping="person", sort="units_picked", limit=1)
    assert [row["person"] for row in by_picks] == ["Alice Picker"]
    after = staff_productivity(grouping="person", sort="units_picked", limit=1, after=by_picks[0]["_cursor"])
    assert [row["person"] for row in after] == ["bob"]


def test_time_from_placed_to_shipped(floor):
    east, tpl, _alice, _bob = floor
    rows = time_to_ship(date_from=DAY, date_to=DAY, target_hours=24)
    got = {row["warehouse"]: (row["ship_day"], row["shipments"], row["average_hours"], row["median_hours"],
                              row["p90_hours"], row["within_target"], row["within_target_rate"],
                              row["release_to_ship_hours"]) for row in rows}
    assert got == {
        # 23.25 and 48 hours: average 35.63, median 23.25, 90th percentile 48; one within a day; released 2.25 h before
        "EAST": (DAY, 2, Decimal("35.63"), Decimal("23.25"), Decimal("48.00"), 1, Decimal("50.00"), Decimal("2.25")),
        "TPL": (DAY, 1, Decimal("13.00"), Decimal("13.00"), Decimal("13.00"), 1, Decimal("100.00"), Decimal("12.00")),
    }
    assert [row["warehouse"] for row in time_to_ship(date_from=DAY, date_to=DAY, third_party_only=True)] == ["TPL"]
    assert [row["warehouse"] for row in time_to_ship(warehouse_id=east.pk, by_day=False)] == ["EAST"]


def test_third_party_performance(floor):
    rows = tpl_performance(date_from=DAY, date_to=DAY, target_hours=24)
    assert len(rows) == 1
    row = rows[0]
    assert (row["warehouse"], row["released"], row["shipped"], row["average_hours"], row["p90_hours"],
            row["within_target"], row["within_target_rate"], row["open_now"]) == (
        "TPL", 2, 1, Decimal("12.00"), Decimal("12.00"), 1, Decimal("100.00"), 1)
    assert row["oldest_open_hours"] > 0
    assert tpl_performance(date_from=DAY, date_to=DAY, target_hours=6)[0]["within_target"] == 0


# --- the registered reports -------------------------------------------------------------------------

WAREHOUSE_REPORTS = ("warehouse-productivity", "warehouse-time-to-ship", "warehouse-3pl")


@pytest.mark.parametrize(("role", "status"), [("Manager", 200), ("Warehouse", 200), ("Agent", 403),
                                              ("Accountant", 403)])
def test_warehouse_reports_answer_each_role(role_client, role, status):
    client = role_client(role)
    for key in WAREHOUSE_REPORTS:
        assert client.get(reverse("reporting:report", args=[key])).status_code == status, key
        for file_format in ("csv", "xlsx", "pdf"):
            response = client.get(reverse("reporting:report_file", args=[key, file_format]))
            assert response.status_code == status, (key, file_format)


def test_the_productivity_csv_and_page(floor, role_client):
    client = role_client("Warehouse")
    response = client.get(reverse("reporting:report_file", args=["warehouse-productivity", "csv"]),
                          {"date_from": "2026-03-02", "date_to": "2026-03-02", "grouping": "person_hour",
                           "sort": "period"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["Period", "Person", "Units picked", "Pick scans"]
    assert [row[:2] + row[4:6] + row[8:] for row in rows[1:]] == [
        ["2026-03-02 11:00", "bob", "0", "2", "0.00", "0.00", "2.00"],
        ["2026-03-02 10:00", "bob", "4", "0", "2.00", "4.00", "0.00"],
        ["2026-03-02 09:00", "Alice Picker", "0", "0", "4.00", "0.00", "0.00"],
    ]
    page = client.get(reverse("reporting:report", args=["warehouse-3pl"]),
                      {"date_from": "2026-03-02", "date_to": "2026-03-02"})
    assert page.status_code == 200 and "TPL" in page.content.decode()
