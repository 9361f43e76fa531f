"""Pick screens per role (Agent, Warehouse, Manager, Accountant, Admin), the scan screen, short picks,
the order page's short-pick panel, the SKU page's bins panel and the bin import."""

from __future__ import annotations

import pytest
from django.urls import reverse

from oms.imports.services import import_file
from orders.fulfillment.models import BinLocation, PickWave, ShipmentEvent
from orders.fulfillment.selectors import next_pick
from orders.fulfillment.services import pick_short, wave_create
from orders.models import OrderEvent
from tests.factories import SkuFactory, UserFactory, WarehouseFactory, kit
from tests.fulfillment_helpers import allocated_orders
from tests.test_imports import csv_bytes

pytestmark = pytest.mark.django_db

ROLES = ["Agent", "Warehouse", "Manager", "Accountant", "Admin"]
PICKERS = {"Warehouse", "Manager", "Admin"}
ANSWERERS = {"Agent", "Manager", "Admin"}


@pytest.fixture
def wave():
    main, _skus, _orders = allocated_orders(2)
    return wave_create(warehouse=main, user=UserFactory(role="Warehouse"), limit=2)


@pytest.mark.parametrize("role", ROLES)
def test_wave_screens_are_for_warehouse_and_managers(role_client, role, wave):
    client = role_client(role)
    allowed = role in PICKERS
    for url in (reverse("fulfillment:wave_list"), wave.get_absolute_url(),
                reverse("fulfillment:wave_scan", args=[wave.pk])):
        assert client.get(url).status_code == (200 if allowed else 403), url
    pdf = client.get(reverse("fulfillment:wave_pick_list", args=[wave.pk]))
    assert pdf.status_code == (200 if allowed else 403)
    if allowed:
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize("role", ROLES)
def test_creating_a_wave_is_for_warehouse_and_managers(role_client, role):
    main, _skus, [order] = allocated_orders(1)
    response = role_client(role).post(reverse("fulfillment:wave_create"), {
        "warehouse": main.pk, "limit": 5, "single_line_first": "on"})
    if role in PICKERS:
        wave = PickWave.objects.get()
        assert response.status_code == 302 and response["Location"] == wave.get_absolute_url()
        assert list(wave.shipments.values_list("order_id", flat=True)) == [order.pk]
    else:
        assert response.status_code == 403 and not PickWave.objects.exists()


def test_a_wave_with_no_candidates_says_so(role_client):
    main = WarehouseFactory(code="EMPTY")
    response = role_client("Warehouse").post(reverse("fulfillment:wave_create"), {"warehouse": main.pk, "limit": 5})
    assert response.status_code == 422
    assert "No allocated orders at EMPTY match these filters." in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_scanning_is_for_warehouse_and_managers(role_client, role, wave):
    pick = next_pick(wave)
    response = role_client(role).post(reverse("fulfillment:wave_scan", args=[wave.pk]),
                                      {"line": pick.pk, "code": pick.order_line.sku_code}, HTTP_HX_REQUEST="true")
    pick.refresh_from_db()
    if role in PICKERS:
        assert response.status_code == 200 and pick.picked_quantity == 1
        assert "HX-Trigger" not in response
    else:
        assert response.status_code == 403 and pick.picked_quantity == 0


def test_a_wrong_scan_is_refused_with_a_message_and_a_beep_trigger(role_client, wave):
    pick = next_pick(wave)
    response = role_client("Warehouse").post(reverse("fulfillment:wave_scan", args=[wave.pk]),
                                             {"line": pick.pk, "code": "WRONG"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "pick-refused" in response["HX-Trigger"]
    assert f"Wrong item: WRONG scanned, {pick.order_line.sku_code} expected." in response.content.decode()
    pick.refresh_from_db()
    assert pick.picked_quantity == 0
    assert ShipmentEvent.objects.filter(kind="refused_scan").count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_recording_a_short_pick_is_for_warehouse_and_managers(role_client, role, wave):
    pick = next_pick(wave)
    response = role_client(role).post(reverse("fulfillment:pick_short", args=[pick.pk]),
                                      {"reason": "Bin empty", "route": "backorder"})
    shorts = OrderEvent.objects.filter(kind="short_pick").count()
    if role in PICKERS:
        assert response.status_code == 302 and shorts == 1
    else:
        assert response.status_code == 403 and shorts == 0


@pytest.mark.parametrize("role", ROLES)
def test_agents_answer_a_short_pick_from_the_order_page(role_client, role, wave):
    pick = next_pick(wave)
    order = pick.shipment.order
    pick_short(line=pick, reason="Bin empty", user=UserFactory(role="Warehouse"))
    short = OrderEvent.objects.get(kind="short_pick")
    client = role_client(role)

    page = client.get(order.get_absolute_url())
    answer_url = reverse("fulfillment:short_pick_answer", args=[short.pk])
    assert page.status_code == 200
    assert (answer_url in page.content.decode()) == (role in ANSWERERS)
    answer = client.post(answer_url, {"choice": "wait", "note": "ok"})

    short.refresh_from_db()
    if role in ANSWERERS:
        assert 'id="short-picks"' in page.content.decode()
        assert answer.status_code == 302 and short.data["answered"] is True and short.data["choice"] == "wait"
    else:
        assert answer.status_code == 403 and short.data["answered"] is False


@pytest.mark.parametrize("role", ROLES)
def test_the_sku_page_shows_and_edits_bins_for_warehouse_and_managers(role_client, role):
    sku, main = SkuFactory(), WarehouseFactory(code="MAIN")
    client = role_client(role)

    page = client.get(sku.get_absolute_url())
    response = client.post(reverse("fulfillment:sku_bin", args=[sku.pk]), {"bin-warehouse": main.pk,
                                                                          "bin-code": "a-01-02"})
    if role in PICKERS:
        assert 'id="bin-form"' in page.content.decode()
        assert response.status_code == 302
        assert list(BinLocation.objects.values_list("code", flat=True)) == ["A-01-02"]
        assert "A-01-02" in client.get(sku.get_absolute_url()).content.decode()
    else:
        assert 'id="bin-form"' not in page.content.decode()
        assert response.status_code == 403 and not BinLocation.objects.exists()


def test_bins_are_imported_upserted_and_checked():
    main = WarehouseFactory(code="MAIN")
    WarehouseFactory(code="WEST")
    lamp, shade = SkuFactory(code="LAMP"), SkuFactory(code="SHADE")
    bundle = kit((lamp, 1), (shade, 1), code="BUNDLE")
    BinLocation.objects.create(sku=lamp, warehouse=main, code="OLD")

    bad = import_file(kind="bin_locations", file=csv_bytes(["warehouse_code", "sku_code", "bin"],
                      ["MAIN", "NOPE", "A-1"], ["NOWHERE", "LAMP", "A-1"], ["MAIN", bundle.code, "A-1"]),
                      user=None, dry_run=False)
    assert [(e.row, e.column) for e in bad.row_errors] == [(2, "sku_code"), (3, "warehouse_code"), (4, "sku_code")]

    result = import_file(kind="bin_locations", file=csv_bytes(["warehouse_code", "sku_code", "bin"],
                         ["MAIN", "LAMP", "a-01-01"], ["MAIN", "SHADE", "A-01-02"], ["WEST", "LAMP", "Z-9"]),
                         user=None, dry_run=False)
    assert (result.new, result.updated, result.unchanged) == (2, 1, 0)
    assert sorted(BinLocation.objects.values_list("warehouse__code", "sku__code", "code")) == [
        ("MAIN", "LAMP", "A-01-01"), ("MAIN", "SHADE", "A-01-02"), ("WEST", "LAMP", "Z-9")]
