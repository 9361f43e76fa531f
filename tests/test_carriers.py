"""Carriers: the table-rate carrier, the EasyPost adapter against a local fake, rate shopping,
labels (PDF by text, page size and decoded barcode; ZPL), labels bought and voided, the tracking
poll, the end-of-day close with its manifest, and the screen's permissions per role."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from orders.fulfillment.carriers import base, labels, services
from orders.fulfillment.carriers.base import CarrierError, Parcel, Rate, ShipmentRequest
from orders.fulfillment.carriers.easypost_carrier import EasyPostCarrier
from orders.fulfillment.carriers.models import CarrierLabel, CarrierManifest, CarrierRate, CarrierZone
from orders.fulfillment.carriers.table_rate import TableRateCarrier
from tests.easypost_fake import LABEL_PDF, LABEL_ZPL, FakeEasyPost, error_body
from tests.factories import WarehouseFactory
from tests.pdf_helpers import decoded_barcodes, pdf_text

pytestmark = pytest.mark.django_db

FROM = {"name": "OMS Warehouse", "line1": "1 Dock Road", "city": "Newark", "region": "NJ", "postal_code": "07102",
        "country": "US"}
TO = {"name": "Ada Lovelace", "line1": "12 Analytical Way", "city": "Boston", "region": "MA", "postal_code": "02110",
      "country": "US", "phone": "6175550100"}
SHIP_DATE = datetime.date(2026, 12, 1)


def request_for(warehouse, *, to=TO, grams=(1200,), promised=None, label_format="pdf") -> ShipmentRequest:
    return ShipmentRequest(from_address=FROM, to_address=to, parcels=tuple(Parcel(weight_grams=g) for g in grams),
                           warehouse_id=warehouse.pk, ship_date=SHIP_DATE, promised_date=promised,
                           reference="S000123", label_format=label_format)


@pytest.fixture
def warehouse():
    return WarehouseFactory()


@pytest.fixture
def zones():
    """US everywhere, a cheaper New England zone (postal prefix 02), and Canada."""
    us = CarrierZone.objects.create(code="US", name="United States", country="US")
    new_england = CarrierZone.objects.create(code="US-02", name="New England", country="US", postal_prefix="02")
    canada = CarrierZone.objects.create(code="CA", name="Canada", country="CA")
    for zone, ground, express in ((us, "9.00", "19.00"), (new_england, "6.00", "14.00"), (canada, "15.00", "35.00")):
        CarrierRate.objects.create(zone=zone, service="Ground", max_weight_grams=1000, amount=Decimal(ground),
                                   transit_days=5)
        CarrierRate.objects.create(zone=zone, service="Ground", max_weight_grams=5000,
                                   amount=Decimal(ground) + Decimal("3.00"), transit_days=5)
        CarrierRate.objects.create(zone=zone, service="Express", max_weight_grams=2000, amount=Decimal(express),
                                   transit_days=2)
    return {"us": us, "new_england": new_england, "canada": canada}


@pytest.fixture
def fake_easypost():
    with FakeEasyPost() as fake:
        yield fake


@pytest.fixture
def easypost_settings(settings, fake_easypost):
    settings.EASYPOST_API_KEY = "EZTK_test_key"
    settings.EASYPOST_API_BASE = fake_easypost.api_base
    return fake_easypost


# --- the table-rate carrier --------------------------------------------------------------------


def test_table_rate_uses_the_most_specific_zone_and_the_weight_band(zones, warehouse):
    rates = TableRateCarrier().rates(request_for(warehouse, grams=(1200,)))

    assert [(rate.service, rate.amount, rate.transit_days) for rate in rates] == [
        ("Ground", Decimal("9.00"), 5), ("Express", Decimal("14.00"), 2)]
    assert {rate.carrier_rate_id for rate in rates} == {str(zones["new_england"].pk)}


def test_table_rate_outside_the_prefix_falls_back_to_the_country(zones, warehouse):
    to = {**TO, "city": "Chicago", "region": "IL", "postal_code": "60601"}

    rates = TableRateCarrier().rates(request_for(warehouse, to=to, grams=(800,)))

    assert [(rate.service, rate.amount) for rate in rates] == [("Ground", Decimal("9.00")), ("Express", Decimal("19.00"))]


def test_table_rate_prices_each_parcel_and_drops_a_service_too_heavy_for_one(zones, warehouse):
    rates = TableRateCarrier().rates(request_for(warehouse, grams=(900, 3000)))

    assert [(rate.service, rate.amount, rate.transit_days) for rate in rates] == [("Ground", Decimal("15.00"), 5)]


def test_table_rate_without_a_zone_is_a_clear_error(zones, warehouse):
    to = {**TO, "country": "FR", "region": "", "postal_code": "75001"}

    with pytest.raises(CarrierError) as raised:
        TableRateCarrier().rates(request_for(warehouse, to=to))

    assert str(raised.value) == "The table-rate carrier has no zone for FR 75001."
    assert raised.value.code == "NO_ZONE"


def test_table_rate_too_heavy_for_every_band_is_a_clear_error(zones, warehouse):
    with pytest.raises(CarrierError) as raised:
        TableRateCarrier().rates(request_for(warehouse, grams=(7000,)))

    assert str(raised.value) == "No table-rate service of zone US-02 carries 7000 g."


# --- rate shopping -----------------------------------------------------------------------------


def _rate(carrier, service, amount, days):
    return Rate(carrier=carrier, service=service, amount=Decimal(amount), currency="USD", transit_days=days)


def test_rate_choice_is_the_cheapest_that_meets_the_promise(warehouse):
    request = request_for(warehouse, promised=SHIP_DATE + datetime.timedelta(days=3))
    rates = [_rate("table", "Ground", "6.00", 5), _rate("easypost", "USPS Priority", "7.58", 2),
             _rate("easypost", "UPS NextDayAir", "30.10", 1)]

    rate, reason = services.rate_choose(request=request, rates=rates)

    assert rate == rates[1]
    assert reason == ("Cheapest of 2 of 3 rates that arrive by the promised 2026-12-04: "
                      "easypost USPS Priority at 7.58 USD, arriving 2026-12-03.")


def test_rate_choice_without_a_promise_is_the_cheapest(warehouse):
    rates = [_rate("easypost", "USPS Priority", "7.58", 2), _rate("table", "Ground", "6.00", 5)]

    rate, reason = services.rate_choose(request=request_for(warehouse), rates=rates)

    assert rate == rates[1]
    assert reason == "Cheapest of 2 rates (no promised date): table Ground at 6.00 USD, arriving 2026-12-06."


def test_rate_choice_when_nothing_meets_the_promise_is_the_soonest_and_says_so(warehouse):
    request = request_for(warehouse, promised=SHIP_DATE)
    rates = [_rate("table", "Ground", "6.00", 5), _rate("easypost", "UPS NextDayAir", "30.10", 1)]

    rate, reason = services.rate_choose(request=request, rates=rates)

    assert rate == rates[1]
    assert reason == ("No rate arrives by the promised 2026-12-01; the soonest of 2: "
                      "easypost UPS NextDayAir at 30.10 USD, arriving 2026-12-02.")


def test_rate_shop_across_carriers_chooses_easypost_when_only_it_arrives_in_time(zones, warehouse, easypost_settings):
    request = request_for(warehouse, promised=SHIP_DATE + datetime.timedelta(days=2))

    choice = services.rate_shop(request=request)

    assert (choice.rate.carrier, choice.rate.service, choice.rate.amount) == ("easypost", "USPS Priority",
                                                                               Decimal("7.58"))
    assert len(choice.rates) == 5  # 2 table-rate + 3 EasyPost
    assert choice.errors == ()
    assert choice.reason.startswith("Cheapest of 3 of 5 rates that arrive by the promised 2026-12-03")


def test_rate_shop_keeps_going_when_one_carrier_answers_422(zones, warehouse, easypost_settings):
    easypost_settings.fail["create"] = (422, error_body("SHIPMENT.INVALID_PARAMS", "Unable to create shipment."))

    choice = services.rate_shop(request=request_for(warehouse))

    assert (choice.rate.carrier, choice.rate.service, choice.rate.amount) == ("table", "Ground", Decimal("9.00"))
    assert [str(error) for error in choice.errors] == [
        "EasyPost refused the request (422): Unable to create shipment."]


def test_rate_shop_with_no_rate_anywhere_is_a_clear_error(warehouse):
    with pytest.raises(CarrierError) as raised:
        services.rate_shop(request=request_for(warehouse))

    assert str(raised.value) == "No carrier offered a rate for this shipment. The table-rate carrier has no zone for US 02110."


def test_easypost_is_not_offered_without_a_key(settings):
    settings.EASYPOST_API_KEY = ""

    assert [carrier.code for carrier in base.available_carriers()] == ["table"]
    with pytest.raises(CarrierError, match="The carrier “easypost” is not configured."):
        base.get_carrier("easypost")


# --- labels ------------------------------------------------------------------------------------


def test_label_pdf_is_4_by_6_inches_with_the_address_and_a_code128_of_the_tracking_number():
    content = labels.label_pdf(labels.LabelContent(
        carrier_name="Table rate", service="Ground", tracking_number="OMS123456789012", from_address=FROM,
        to_address=TO, weight_grams=1250, reference="S000123"))

    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (288, 432)  # 4 × 72, 6 × 72 points
    text = pdf_text(content)
    for expected in ("Table rate · Ground", "SHIP TO", "Ada Lovelace", "12 Analytical Way", "Boston MA 02110",
                     "OMS123456789012", "Weight: 1.25 kg", "Shipment S000123"):
        assert expected in text
    assert decoded_barcodes(content) == [("Code 128", "OMS123456789012")]


def test_label_zpl_has_a_code128_of_the_tracking_number():
    content = labels.label_zpl(labels.LabelContent(
        carrier_name="Table rate", service="Ground", tracking_number="OMS123456789012", from_address=FROM,
        to_address=TO, weight_grams=1250)).decode()

    assert content.startswith("^XA\n") and content.endswith("^XZ\n")
    assert "^PW812\n^LL1218" in content  # 4 × 6 in at 203 dpi
    assert "^BY3^BCN,200,N,N,N^FDOMS123456789012^FS" in content
    assert "^FDAda Lovelace^FS" in content


def test_buying_a_table_rate_label_records_it_with_our_pdf(zones, warehouse, make_user):
    user = make_user("Warehouse")
    request = request_for(warehouse)
    rate = TableRateCarrier().rates(request)[0]

    label = services.label_buy(request=request, rate=rate, actor=user)

    label.refresh_from_db()
    assert (label.carrier, label.service, label.cost, label.currency, label.transit_days, label.weight_grams,
            label.label_format, label.destination, label.shipment_reference, label.bought_by) == (
        "table", "Ground", Decimal("9.00"), "USD", 5, 1200, "pdf", "Boston MA 02110 US", "S000123", user)
    assert label.tracking_number.startswith("OMS") and len(label.tracking_number) == 15
    assert decoded_barcodes(bytes(label.content)) == [("Code 128", label.tracking_number)]


def test_a_zpl_printer_gets_a_zpl_table_rate_label(zones, warehouse):
    request = request_for(warehouse, label_format="zpl")
    rate = TableRateCarrier().rates(request)[0]

    label = services.label_buy(request=request, rate=rate, actor=None)

    assert label.label_format == "zpl"
    assert f"^FD{label.tracking_number}^FS".encode() in bytes(label.content)


# --- EasyPost through the fake -----------------------------------------------------------------


def test_easypost_rates_buy_track_and_void(warehouse, easypost_settings):
    fake = easypost_settings
    carrier = base.get_carrier("easypost")
    request = request_for(warehouse)

    rates = carrier.rates(request)
    assert [(rate.service, rate.amount, rate.transit_days) for rate in rates] == [
        ("USPS GroundAdvantage", Decimal("5.20"), 5), ("USPS Priority", Decimal("7.58"), 2),
        ("UPS NextDayAir", Decimal("30.10"), 1)]
    method, path, body, authorization = fake.requests[0]
    assert (method, path, authorization) == ("POST", "/v2/shipments", "Bearer EZTK_test_key")
    assert body["shipment"]["to_address"]["zip"] == "02110"
    assert body["shipment"]["parcel"]["weight"] == "42.3"  # 1200 g in ounces
    assert body["shipment"]["options"] == {"label_format": "PDF", "label_size": "4x6"}

    label = services.label_buy(request=request, rate=rates[1], actor=None)
    assert (label.carrier, label.service, label.cost, bytes(label.content)) == (
        "easypost", "USPS Priority", Decimal("7.58"), LABEL_PDF)
    assert label.tracking_number.startswith("EZ") and label.carrier_reference == rates[1].carrier_shipment_id

    status = carrier.tracking(label.tracking_number)
    assert (status.status, status.delivered_at, len(status.events)) == ("in_transit", None, 2)
    fake.tracker_status[label.tracking_number] = "delivered"
    status = carrier.tracking(label.tracking_number)
    assert status.status == "delivered"
    assert status.delivered_at == datetime.datetime(2026, 11, 30, 14, 5, tzinfo=datetime.UTC)
    assert status.events[-1].location == "BOSTON, MA"

    services.label_void(label=label, actor=None)
    label.refresh_from_db()
    assert label.voided_at is not None
    assert fake.shipments[label.carrier_reference]["refund_status"] == "submitted"


def test_easypost_zpl_label_is_fetched_from_the_zpl_url(warehouse, easypost_settings):
    request = request_for(warehouse, label_format="zpl")
    rate = base.get_carrier("easypost").rates(request)[0]

    label = services.label_buy(request=request, rate=rate, actor=None)

    assert (label.label_format, bytes(label.content)) == ("zpl", LABEL_ZPL)
    assert easypost_settings.requests[0][2]["shipment"]["options"]["label_format"] == "ZPL"


def test_easypost_422_on_create_is_a_message_with_the_field_errors(warehouse, easypost_settings):
    to = {**TO, "postal_code": ""}

    with pytest.raises(CarrierError) as raised:
        base.get_carrier("easypost").rates(request_for(warehouse, to=to))

    assert str(raised.value) == "EasyPost refused the request (422): Address not found (zip: Zip code is missing)"
    assert raised.value.code == "ADDRESS.VERIFY.FAILURE"
    assert raised.value.field_errors == {"zip": ["Zip code is missing"]}


def test_easypost_422_on_buy_records_no_label(warehouse, easypost_settings):
    request = request_for(warehouse)
    rate = base.get_carrier("easypost").rates(request)[0]
    bad_rate = Rate(**{**rate.__dict__, "carrier_rate_id": "rate_unknown"})

    with pytest.raises(CarrierError) as raised:
        services.label_buy(request=request, rate=bad_rate, actor=None)

    assert str(raised.value) == ("EasyPost refused the request (422): The rate is not valid for this shipment. "
                                 "(rate: is invalid)")
    assert CarrierLabel.objects.count() == 0


def test_easypost_422_on_refund_leaves_the_label_unvoided(warehouse, easypost_settings):
    request = request_for(warehouse)
    label = services.label_buy(request=request, rate=base.get_carrier("easypost").rates(request)[0], actor=None)
    easypost_settings.fail["refund"] = (422, error_body("SHIPMENT.REFUND.UNAVAILABLE", "Refund window has passed."))

    with pytest.raises(CarrierError, match=r"^EasyPost refused the request \(422\): Refund window has passed\.$"):
        services.label_void(label=label, actor=None)

    label.refresh_from_db()
    assert label.voided_at is None


def test_easypost_422_on_tracker(easypost_settings):
    with pytest.raises(CarrierError) as raised:
        base.get_carrier("easypost").tracking("")

    assert str(raised.value) == ("EasyPost refused the request (422): Tracking code is required. "
                                 "(tracking_code: cannot be blank)")


def test_easypost_unreachable_is_a_clear_error(warehouse, settings):
    with FakeEasyPost() as fake:
        api_base = fake.api_base
    settings.EASYPOST_API_KEY = "EZTK_test_key"
    settings.EASYPOST_API_BASE = api_base  # that server is gone now

    with pytest.raises(CarrierError) as raised:
        EasyPostCarrier("EZTK_test_key", api_base).rates(request_for(warehouse))

    assert str(raised.value).startswith("EasyPost could not be reached:")
    assert raised.value.code == "UNREACHABLE"


# --- the tracking poll -------------------------------------------------------------------------


def _table_label(warehouse, *, bought_at, transit_days=5, tracking_number="OMS000000000001", carrier="table"):
    return CarrierLabel.objects.create(
        carrier=carrier, service="Ground", tracking_number=tracking_number, warehouse=warehouse,
        label_format="pdf", content=b"", cost=Decimal("9.00"), currency="USD", weight_grams=1000,
        transit_days=transit_days, bought_at=bought_at)


def test_the_poll_delivers_table_rate_labels_after_their_transit_days(warehouse):
    now = timezone.now()
    due = _table_label(warehouse, bought_at=now - datetime.timedelta(days=6), tracking_number="OMS000000000001")
    on_its_way = _table_label(warehouse, bought_at=now - datetime.timedelta(days=2), tracking_number="OMS000000000002")
    delivered_calls = []
    from orders.fulfillment.carriers import hooks

    hooks.on_label_delivered(delivered_calls.append)
    try:
        assert services.labels_track() == 1
    finally:
        hooks._LABEL_DELIVERED.remove(delivered_calls.append)

    due.refresh_from_db()
    on_its_way.refresh_from_db()
    assert (due.tracking_status, due.delivered_at) == ("delivered", due.bought_at + datetime.timedelta(days=5))
    assert (on_its_way.tracking_status, on_its_way.delivered_at) == ("in_transit", None)
    assert [label.pk for label in delivered_calls] == [due.pk]
    assert services.labels_track() == 0  # a delivered label is not polled again


def test_the_beat_job_polls_easypost_through_the_fake(warehouse, easypost_settings):
    request = request_for(warehouse)
    label = services.label_buy(request=request, rate=base.get_carrier("easypost").rates(request)[0], actor=None)
    easypost_settings.tracker_status[label.tracking_number] = "delivered"
    from orders.fulfillment.carriers.tasks import tracking_poll_task

    assert settings.CELERY_BEAT_SCHEDULE["carrier-tracking-poll"]["task"] == tracking_poll_task.name
    assert tracking_poll_task.apply().get() == 1

    label.refresh_from_db()
    assert (label.tracking_status, label.delivered_at) == (
        "delivered", datetime.datetime(2026, 11, 30, 14, 5, tzinfo=datetime.UTC))


def test_the_poll_skips_a_carrier_that_fails_and_goes_on(warehouse, easypost_settings):
    now = timezone.now()
    _table_label(warehouse, bought_at=now - datetime.timedelta(days=9), tracking_number="EZ0000000001",
                 carrier="easypost")
    table = _table_label(warehouse, bought_at=now - datetime.timedelta(days=6))
    easypost_settings.fail["tracker"] = (422, error_body("TRACKER.INVALID", "Tracker could not be created."))

    assert services.labels_track() == 1

    table.refresh_from_db()
    assert table.delivered_at is not None
    assert CarrierLabel.objects.get(carrier="easypost").tracked_at is None


# --- end-of-day close --------------------------------------------------------------------------


def test_manifest_close_lists_the_days_labels_and_is_idempotent(zones, warehouse, make_user):
    user = make_user("Warehouse")
    day = services.shop_today()
    request = request_for(warehouse)
    rate = TableRateCarrier().rates(request)[0]
    first = services.label_buy(request=request, rate=rate, actor=user)
    second = services.label_buy(request=request, rate=rate, actor=user)
    voided = services.label_buy(request=request, rate=rate, actor=user)
    services.label_void(label=voided, actor=user)
    yesterday = _table_label(warehouse, bought_at=timezone.now() - datetime.timedelta(days=2),
                             tracking_number="OMS999999999999")

    manifest = services.manifest_close(carrier="table", warehouse_id=warehouse.pk, day=day, actor=user)
    again = services.manifest_close(carrier="table", warehouse_id=warehouse.pk, day=day, actor=user)

    assert again.pk == manifest.pk and CarrierManifest.objects.count() == 1
    assert again.label_count == 2
    assert set(manifest.labels.values_list("pk", flat=True)) == {first.pk, second.pk}
    yesterday.refresh_from_db()
    assert yesterday.manifest_id is None
    text = pdf_text(bytes(again.pdf))
    assert "Manifest: table" in text
    assert first.tracking_number in text and second.tracking_number in text
    assert voided.tracking_number not in text
    # pypdf splits some kerned words ("T otal"): compare without spaces.
    assert "2parcels·Totalweight:2.40kg·Totalcost:18.00USD" in text.replace(" ", "")
    assert sorted(decoded for _format, decoded in decoded_barcodes(bytes(again.pdf))) == sorted(
        [first.tracking_number, second.tracking_number])
    with pytest.raises(CarrierError, match="is on a closed manifest and cannot be voided"):
        services.label_void(label=first, actor=user)


def test_a_label_bought_after_the_close_joins_the_manifest_on_the_next_close(zones, warehouse, make_user):
    user = make_user("Warehouse")
    request = request_for(warehouse)
    rate = TableRateCarrier().rates(request)[0]
    services.label_buy(request=request, rate=rate, actor=user)
    day = services.shop_today()
    services.manifest_close(carrier="table", warehouse_id=warehouse.pk, day=day, actor=user)
    late = services.label_buy(request=request, rate=rate, actor=user)

    manifest = services.manifest_close(carrier="table", warehouse_id=warehouse.pk, day=day, actor=user)

    assert manifest.label_count == 2
    assert late.tracking_number in pdf_text(bytes(manifest.pdf))


# --- the screen, per role ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Warehouse", "Manager"])
def test_warehouse_and_manager_close_the_day_on_the_screen(role, role_client, zones, warehouse):
    client = role_client(role)
    request = request_for(warehouse)
    label = services.label_buy(request=request, rate=TableRateCarrier().rates(request)[0], actor=None)
    day = services.shop_today().isoformat()

    page = client.get(reverse("carriers:day_close"), {"warehouse": warehouse.pk, "day": day})
    assert page.status_code == 200
    assert label.tracking_number in page.content.decode()

    response = client.post(reverse("carriers:day_close_carrier"),
                           {"carrier": "table", "warehouse": warehouse.pk, "day": day}, follow=True)
    assert response.status_code == 200
    assert f"table closed for {day}: 1 labels on the manifest." in response.content.decode()
    manifest = CarrierManifest.objects.get()
    pdf = client.get(reverse("carriers:manifest_pdf", args=[manifest.pk]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert label.tracking_number in pdf_text(pdf.content)
    label_response = client.get(reverse("carriers:label_file", args=[label.pk]))
    assert (label_response.status_code, label_response.content) == (200, bytes(CarrierLabel.objects.get().content))


@pytest.mark.parametrize("role", ["Agent", "Accountant"])
def test_other_roles_get_403(role, role_client, zones, warehouse):
    client = role_client(role)
    request = request_for(warehouse)
    label = services.label_buy(request=request, rate=TableRateCarrier().rates(request)[0], actor=None)
    day = services.shop_today().isoformat()

    assert client.get(reverse("carriers:day_close")).status_code == 403
    assert client.post(reverse("carriers:day_close_carrier"),
                       {"carrier": "table", "warehouse": warehouse.pk, "day": day}).status_code == 403
    assert client.get(reverse("carriers:label_file", args=[label.pk])).status_code == 403
    assert CarrierManifest.objects.count() == 0


def test_csrf_is_required_to_close(client, make_user, warehouse):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_user("Warehouse"))

    response = csrf_client.post(reverse("carriers:day_close_carrier"),
                                {"carrier": "table", "warehouse": warehouse.pk, "day": "2026-12-01"})

    assert response.status_code == 403
    assert CarrierManifest.objects.count() == 0


def test_the_table_rates_are_kept_in_the_admin(role_client, zones):
    client = role_client("Admin")

    changelist = client.get(reverse("admin:orders_carrierzone_changelist"))
    change = client.get(reverse("admin:orders_carrierzone_change", args=[zones["new_england"].pk]))
    response = client.post(reverse("admin:orders_carrierzone_add"), {
        "code": "US-HI", "name": "Hawaii", "country": "US", "region": "HI", "postal_prefix": "", "is_active": "on",
        "rates-TOTAL_FORMS": "1", "rates-INITIAL_FORMS": "0", "rates-MIN_NUM_FORMS": "0", "rates-MAX_NUM_FORMS": "1000",
        "rates-0-service": "Ground", "rates-0-max_weight_grams": "2000", "rates-0-amount": "24.00",
        "rates-0-currency": "USD", "rates-0-transit_days": "7",
    })

    assert (changelist.status_code, change.status_code, response.status_code) == (200, 200, 302)
    assert "New England" in changelist.content.decode()
    hawaii = CarrierZone.objects.get(code="US-HI")
    assert list(hawaii.rates.values_list("service", "max_weight_grams", "amount", "transit_days")) == [
        ("Ground", 2000, Decimal("24.00"), 7)]
    to = {**TO, "region": "HI", "postal_code": "96813", "city": "Honolulu"}
    assert [(rate.service, rate.amount) for rate in TableRateCarrier().rates(
        request_for(WarehouseFactory(), to=to))] == [("Ground", Decimal("24.00"))]


def test_the_demo_seeds_zones_and_printers_once(warehouse):
    from orders.fulfillment.carriers.demo import seed_carriers
    from orders.fulfillment.carriers.models import LabelPrinter

    seed_carriers(stdout=io.StringIO(), options={})
    seed_carriers(stdout=io.StringIO(), options={})

    assert CarrierZone.objects.count() == 4 and CarrierRate.objects.count() == 20
    assert sorted(LabelPrinter.objects.values_list("name", "label_format")) == [
        (f"{warehouse.code} pack 1", "pdf"), (f"{warehouse.code} thermal", "zpl")]
    new_york = {**TO, "city": "New York", "region": "NY", "postal_code": "10118"}
    assert [(rate.service, rate.amount, rate.transit_days) for rate in TableRateCarrier().rates(
        request_for(warehouse, to=new_york, grams=(1200,)))] == [("Ground", Decimal("9.00"), 3),
                                                                 ("Express", Decimal("22.00"), 1)]
