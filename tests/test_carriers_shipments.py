"""The carriers applied to shipments: the request from the order, the label with its rate choice
and reason recorded on the shipment, one label per shipment, void, the manifest of the day's shipped
shipments, and the tracking poll moving a shipped shipment (and its order) to delivered."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.fulfillment.carriers import services
from orders.fulfillment.carriers.base import CarrierError
from orders.fulfillment.carriers.models import (
    CarrierLabel,
    CarrierRate,
    CarrierZone,
    LabelFormat,
    LabelPrinter,
)
from orders.fulfillment.carriers.shipments import (
    promised_date_of,
    shipment_label_buy,
    shipment_label_void,
    shipment_request_for,
)
from orders.fulfillment.models import Shipment, ShipmentEvent, ShipmentStatus
from orders.fulfillment.services import wave_create
from orders.models import Order, OrderStatus
from tests.easypost_fake import FakeEasyPost, error_body
from tests.fulfillment_helpers import allocated_orders

pytestmark = pytest.mark.django_db


@pytest.fixture
def us_zone():
    zone = CarrierZone.objects.create(code="US", name="United States", country="US")
    CarrierRate.objects.create(zone=zone, service="Ground", max_weight_grams=5000, amount=Decimal("9.00"),
                               transit_days=6)
    CarrierRate.objects.create(zone=zone, service="Express", max_weight_grams=5000, amount=Decimal("19.00"),
                               transit_days=2)
    return zone


@pytest.fixture
def packed_shipment(make_user):
    """A shipment of a placed, allocated, waved order, packed at 1.5 kg in box M.

    Packing is the pack station's work (another branch); the test sets the packed state directly.
    """
    warehouse, _skus, [order] = allocated_orders(1)
    warehouse.address_line, warehouse.city, warehouse.region, warehouse.postal_code = (
        "1 Dock Road", "Newark", "NJ", "07102")
    warehouse.save()
    wave_create(warehouse=warehouse, user=make_user("Warehouse"), limit=1)
    shipment = Shipment.objects.get(order=order)
    Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.PACKED, weight_grams=1500, box="M")
    shipment.refresh_from_db()
    return shipment


def _ship(shipment, *, at):
    """Ship confirmation is another branch's service: the test sets the shipped state directly."""
    Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.SHIPPED, shipped_at=at)
    Order.objects.filter(pk=shipment.order_id).update(status=OrderStatus.SHIPPED)


def test_the_request_carries_the_orders_address_the_weight_and_the_promise(packed_shipment):
    request = shipment_request_for(shipment=packed_shipment, ship_date=datetime.date(2026, 12, 1))

    order = packed_shipment.order
    assert request.to_address == order.ship_to
    assert request.from_address["postal_code"] == "07102"
    assert [(parcel.weight_grams, parcel.box) for parcel in request.parcels] == [(1500, "M")]
    assert request.reference == packed_shipment.number
    assert request.promised_date == promised_date_of(order)
    placed_in_new_york = timezone.localtime(order.placed_at, timezone=ZoneInfo("America/New_York")).date()
    assert request.promised_date == placed_in_new_york + datetime.timedelta(days=5)


def test_the_label_records_the_choice_and_its_reason_on_the_shipment(packed_shipment, us_zone, make_user):
    user = make_user("Warehouse")
    request = shipment_request_for(shipment=packed_shipment)
    choice = services.rate_shop(request=request)

    label = shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate, reason=choice.reason,
                               actor=user)

    packed_shipment.refresh_from_db()
    # Ground takes 6 days, past the 5-day promise: Express is the cheapest that arrives in time.
    assert (packed_shipment.carrier, packed_shipment.service, packed_shipment.rate_amount,
            packed_shipment.rate_currency, packed_shipment.tracking_number) == (
        "table", "Express", Decimal("19.00"), "USD", label.tracking_number)
    assert packed_shipment.rate_reason == choice.reason
    assert choice.reason.startswith("Cheapest of 1 of 2 rates that arrive by the promised ")
    assert (label.shipment_id, label.shipment_reference, label.weight_grams) == (
        packed_shipment.pk, packed_shipment.number, 1500)
    event = ShipmentEvent.objects.get(shipment=packed_shipment, kind=ShipmentEvent.Kind.LABEL)
    assert (event.actor, event.data["tracking_number"], event.data["reason"]) == (
        user, label.tracking_number, choice.reason)


def test_a_second_label_for_the_same_shipment_is_refused(packed_shipment, us_zone):
    request = shipment_request_for(shipment=packed_shipment)
    choice = services.rate_shop(request=request)
    shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate, reason=choice.reason, actor=None)

    with pytest.raises(CarrierError) as raised:
        shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate, reason=choice.reason,
                           actor=None)

    assert str(raised.value) == f"Shipment {packed_shipment.number} already has a label; void it first."
    assert CarrierLabel.objects.count() == 1


def test_a_pending_shipment_gets_no_label(packed_shipment, us_zone):
    Shipment.objects.filter(pk=packed_shipment.pk).update(status=ShipmentStatus.PENDING)
    packed_shipment.refresh_from_db()
    request = shipment_request_for(shipment=packed_shipment)
    choice = services.rate_shop(request=request)

    with pytest.raises(CarrierError, match=r"is pending: a label is bought once it is picked or packed\.$"):
        shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate, reason=choice.reason,
                           actor=None)

    assert CarrierLabel.objects.count() == 0


def test_void_before_shipping_clears_the_tracking_and_allows_a_new_label(packed_shipment, us_zone):
    request = shipment_request_for(shipment=packed_shipment)
    choice = services.rate_shop(request=request)
    label = shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate, reason=choice.reason,
                               actor=None)

    shipment_label_void(label=label, actor=None)

    packed_shipment.refresh_from_db()
    assert packed_shipment.tracking_number == ""
    again = shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate, reason=choice.reason,
                               actor=None)
    assert again.tracking_number != label.tracking_number


def test_a_shipped_label_cannot_be_voided(packed_shipment, us_zone):
    request = shipment_request_for(shipment=packed_shipment)
    choice = services.rate_shop(request=request)
    label = shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate, reason=choice.reason,
                               actor=None)
    _ship(packed_shipment, at=timezone.now())

    with pytest.raises(CarrierError, match="has shipped and cannot be voided"):
        shipment_label_void(label=label, actor=None)

    label.refresh_from_db()
    assert label.voided_at is None


def test_the_manifest_takes_shipped_shipments_only(packed_shipment, us_zone, make_user):
    user = make_user("Warehouse")
    request = shipment_request_for(shipment=packed_shipment)
    choice = services.rate_shop(request=request)
    label = shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate, reason=choice.reason,
                               actor=user)
    day = services.shop_today()

    on_the_bench = services.manifest_close(carrier="table", warehouse_id=packed_shipment.warehouse_id, day=day,
                                           actor=user)
    assert on_the_bench.label_count == 0

    _ship(packed_shipment, at=timezone.now())
    manifest = services.manifest_close(carrier="table", warehouse_id=packed_shipment.warehouse_id, day=day,
                                       actor=user)
    assert manifest.pk == on_the_bench.pk and manifest.label_count == 1
    label.refresh_from_db()
    assert label.manifest_id == manifest.pk


def test_the_poll_delivers_a_shipped_shipment_and_its_order(packed_shipment, us_zone):
    request = shipment_request_for(shipment=packed_shipment)
    choice = services.rate_shop(request=request)
    label = shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate, reason=choice.reason,
                               actor=None)
    assert services.labels_track() == 0  # packed, not shipped: not on its way yet
    bought = timezone.now() - datetime.timedelta(days=4)
    CarrierLabel.objects.filter(pk=label.pk).update(bought_at=bought)
    shipped = timezone.now() - datetime.timedelta(days=1)
    _ship(packed_shipment, at=shipped)
    assert services.labels_track() == 0  # 2 transit days count from the day it shipped, not bought

    _ship(packed_shipment, at=shipped - datetime.timedelta(days=2))
    assert services.labels_track() == 1
    assert services.labels_track() == 0

    packed_shipment.refresh_from_db()
    assert (packed_shipment.status, packed_shipment.delivered_at) == (ShipmentStatus.DELIVERED, shipped)
    assert Order.objects.get(pk=packed_shipment.order_id).status == OrderStatus.DELIVERED
    assert ShipmentEvent.objects.filter(shipment=packed_shipment, kind=ShipmentEvent.Kind.STATUS,
                                        data__to="delivered").count() == 1


def test_the_poll_delivers_an_easypost_shipment_through_the_fake(packed_shipment, settings):
    with FakeEasyPost() as fake:
        settings.EASYPOST_API_KEY, settings.EASYPOST_API_BASE = "EZTK_test_key", fake.api_base
        request = shipment_request_for(shipment=packed_shipment)
        choice = services.rate_shop(request=request)
        label = shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate,
                                   reason=choice.reason, actor=None)
        _ship(packed_shipment, at=timezone.now())
        assert services.labels_track() == 0  # in transit
        fake.tracker_status[label.tracking_number] = "delivered"

        assert services.labels_track() == 1

    packed_shipment.refresh_from_db()
    assert (packed_shipment.carrier, packed_shipment.service, packed_shipment.status) == (
        "easypost", "USPS GroundAdvantage", ShipmentStatus.DELIVERED)  # 5 days meets the 5-day promise
    assert packed_shipment.delivered_at == datetime.datetime(2026, 11, 30, 14, 5, tzinfo=datetime.UTC)


@pytest.mark.django_db(transaction=True)
def test_two_packers_buying_a_label_at_once_one_wins(make_user):
    """Both may pass the first check and buy; only one label is recorded, the other is voided again
    and its packer gets a clear message."""
    import threading

    from django.db import connection

    zone = CarrierZone.objects.create(code="US", name="United States", country="US")
    CarrierRate.objects.create(zone=zone, service="Ground", max_weight_grams=5000, amount=Decimal("9.00"),
                               transit_days=3)
    warehouse, _skus, [order] = allocated_orders(1)
    wave_create(warehouse=warehouse, user=make_user("Warehouse"), limit=1)
    shipment = Shipment.objects.get(order=order)
    Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.PACKED, weight_grams=900)
    shipment.refresh_from_db()
    request = shipment_request_for(shipment=shipment)
    choice = services.rate_shop(request=request)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pack():
        try:
            barrier.wait()
            shipment_label_buy(shipment=Shipment.objects.get(pk=shipment.pk), request=request, rate=choice.rate,
                               reason=choice.reason, actor=None)
            outcomes.append("label")
        except CarrierError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=pack) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("label") == 1
    loser = next(outcome for outcome in outcomes if outcome != "label")
    assert loser in (f"Shipment {shipment.number} already has a label; void it first.",
                     f"Shipment {shipment.number} got a label from someone else meanwhile.")
    assert CarrierLabel.objects.filter(shipment=shipment, voided_at__isnull=True).count() == 1
    shipment.refresh_from_db()
    assert shipment.tracking_number == CarrierLabel.objects.get(shipment=shipment).tracking_number


def test_a_zpl_printer_gets_its_label_in_zpl(packed_shipment, us_zone):
    printer = LabelPrinter.objects.create(name="Pack 1 Zebra", warehouse=packed_shipment.warehouse,
                                          label_format=LabelFormat.ZPL)
    request = shipment_request_for(shipment=packed_shipment, printer=printer)
    choice = services.rate_shop(request=request)

    label = shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate, reason=choice.reason,
                               actor=None)

    content = bytes(label.content).decode()
    assert label.label_format == "zpl" and content.startswith("^XA")
    assert f"^BCN,200,N,N,N^FD{label.tracking_number}^FS" in content


def test_voiding_on_the_screen_shows_easypost_422_as_a_message(packed_shipment, role_client, settings):
    client = role_client("Warehouse")
    with FakeEasyPost() as fake:
        settings.EASYPOST_API_KEY, settings.EASYPOST_API_BASE = "EZTK_test_key", fake.api_base
        request = shipment_request_for(shipment=packed_shipment)
        choice = services.rate_shop(request=request)
        label = shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate,
                                   reason=choice.reason, actor=None)
        fake.fail["refund"] = (422, error_body("SHIPMENT.REFUND.UNAVAILABLE", "Refund window has passed."))

        refused = client.post(reverse("carriers:label_void", args=[label.pk]), follow=True)

        assert refused.status_code == 200
        assert "EasyPost refused the request (422): Refund window has passed." in refused.content.decode()
        label.refresh_from_db()
        assert label.voided_at is None

        del fake.fail["refund"]
        voided = client.post(reverse("carriers:label_void", args=[label.pk]), follow=True)

    assert f"Label {label.tracking_number} voided." in voided.content.decode()
    label.refresh_from_db()
    packed_shipment.refresh_from_db()
    assert label.voided_at is not None and packed_shipment.tracking_number == ""


@pytest.mark.parametrize("role, status", [("Agent", 403), ("Accountant", 403), ("Warehouse", 302), ("Manager", 302)])
def test_voiding_is_for_warehouse_and_manager(role, status, packed_shipment, us_zone, role_client):
    request = shipment_request_for(shipment=packed_shipment)
    choice = services.rate_shop(request=request)
    label = shipment_label_buy(shipment=packed_shipment, request=request, rate=choice.rate, reason=choice.reason,
                               actor=None)

    response = role_client(role).post(reverse("carriers:label_void", args=[label.pk]))

    assert response.status_code == status
    label.refresh_from_db()
    assert (label.voided_at is not None) == (status == 302)
