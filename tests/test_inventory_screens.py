"""Stock and purchasing screens: who may use them, what they write, and that a refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from inventory.models import PurchaseOrder, PurchaseOrderLine, StockLevel, StockMovement
from inventory.services import stock_reserve
from tests.factories import SkuFactory, VendorFactory, WarehouseFactory, kit, stock
from tests.screens_helpers import (
    ROLES,
    VendorItemFactory,
    count_queries,
    movement_count,
    on_hand,
    purchase_order,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
ALLOWED = 200
DENIED = 403
REDIRECT = 302

# Who may open what: written out, not derived from oms.roles, so a change of roles shows up here.
ACCESS = {
    #                       Agent     Warehouse  Manager   Accountant Admin
    "adjust":             (DENIED,   ALLOWED,   ALLOWED,  DENIED,    ALLOWED),
    "transfer":           (DENIED,   ALLOWED,   ALLOWED,  DENIED,    ALLOWED),
    "count":              (DENIED,   ALLOWED,   ALLOWED,  DENIED,    ALLOWED),
    "sku_stock":          (ALLOWED,  ALLOWED,   ALLOWED,  ALLOWED,   ALLOWED),
    "warehouse_list":     (ALLOWED,  ALLOWED,   ALLOWED,  ALLOWED,   ALLOWED),
    "po_list":            (DENIED,   ALLOWED,   ALLOWED,  ALLOWED,   ALLOWED),
    "po_detail":          (DENIED,   ALLOWED,   ALLOWED,  ALLOWED,   ALLOWED),
    "po_create":          (DENIED,   DENIED,    ALLOWED,  DENIED,    ALLOWED),
    "po_receive":         (DENIED,   ALLOWED,   ALLOWED,  DENIED,    ALLOWED),
    "po_send":            (DENIED,   DENIED,    REDIRECT, DENIED,    REDIRECT),
    "po_close":           (DENIED,   DENIED,    REDIRECT, DENIED,    REDIRECT),
    "po_cancel":          (DENIED,   DENIED,    REDIRECT, DENIED,    REDIRECT),
}


@pytest.fixture
def inventory_objects():
    sku = SkuFactory()
    order = purchase_order(lines=[(sku, 5)])
    return {"sku": sku, "order": order}


def _request(client, view: str, objects: dict):
    pk = objects["order"].pk
    calls = {
        "adjust": ("get", reverse("inventory:adjust"), {}),
        "transfer": ("get", reverse("inventory:transfer"), {}),
        "count": ("get", reverse("inventory:count"), {}),
        "sku_stock": ("get", reverse("inventory:sku_stock"), {"sku": objects["sku"].code}),
        "warehouse_list": ("get", reverse("inventory:warehouse_list"), {}),
        "po_list": ("get", reverse("inventory:po_list"), {}),
        "po_detail": ("get", reverse("inventory:po_detail", args=[pk]), {}),
        "po_create": ("get", reverse("inventory:po_create"), {}),
        "po_receive": ("get", reverse("inventory:po_receive", args=[pk]), {}),
        "po_send": ("post", reverse("inventory:po_send", args=[pk]), {}),
        "po_close": ("post", reverse("inventory:po_close", args=[pk]), {}),
        "po_cancel": ("post", reverse("inventory:po_cancel", args=[pk]), {}),
    }
    method, url, data = calls[view]
    return getattr(client, method)(url, data)


@pytest.mark.parametrize("view", list(ACCESS))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_inventory_screens_its_table_row_allows(role_client, inventory_objects,
                                                                          view, role):
    client = role_client(role)

    response = _request(client, view, inventory_objects)

    assert response.status_code == ACCESS[view][ROLES.index(role)]


@pytest.mark.parametrize("view", list(ACCESS))
def test_anonymous_visitors_are_sent_to_sign_in(client, inventory_objects, view):
    response = _request(client, view, inventory_objects)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("view", ["po_send", "po_close", "po_cancel"])
def test_purchase_order_actions_refuse_get(role_client, inventory_objects, view):
    client = role_client("Manager")

    response = client.get(reverse(f"inventory:{view}", args=[inventory_objects["order"].pk]))

    assert response.status_code == 405
    inventory_objects["order"].refresh_from_db()
    assert inventory_objects["order"].status == PurchaseOrder.Status.SENT


@pytest.mark.parametrize(
    "role, expected",
    [("Agent", {"Catalog", "Warehouses"}),
     ("Warehouse", {"Catalog", "Warehouses", "Purchase orders", "Stock adjustment", "Stock transfer", "Stock count"}),
     ("Manager", {"Catalog", "Warehouses", "Purchase orders", "Stock adjustment", "Stock transfer", "Stock count"}),
     ("Accountant", {"Catalog", "Warehouses", "Purchase orders"})],
)
def test_navigation_shows_each_role_its_catalog_and_inventory_screens(role_client, role, expected):
    from oms.navigation import items_for

    client = role_client(role)
    user = client.get(reverse("home")).wsgi_request.user
    ours = {"Catalog", "Warehouses", "Purchase orders", "Stock adjustment", "Stock transfer", "Stock count"}

    assert {str(item.label) for item in items_for(user)} & ours == expected


# --- adjustment -----------------------------------------------------------------------------------


def test_warehouse_user_adjusts_stock_and_gets_a_toast(role_client):
    warehouse, sku = WarehouseFactory(code="MAIN"), SkuFactory(code="LAMP-1")
    stock(sku, warehouse, 10)
    client = role_client("Warehouse")

    response = client.post(reverse("inventory:adjust"),
                           {"sku": "lamp-1", "warehouse": warehouse.pk, "quantity": "-3", "reason": "Damaged"})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('inventory:adjust')}?warehouse={warehouse.pk}"
    assert on_hand(sku, warehouse) == 7
    movement = StockMovement.objects.get(kind=StockMovement.Kind.ADJUSTMENT)
    assert (movement.quantity, movement.reason, movement.created_by) == (-3, "Damaged", response.wsgi_request.user)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Adjusted LAMP-1 at MAIN by -3."]


def test_adjusting_through_htmx_returns_a_fresh_form_the_new_stock_and_the_toast(role_client):
    warehouse, sku = WarehouseFactory(code="MAIN"), SkuFactory(code="LAMP-2")
    client = role_client("Manager")

    response = client.post(reverse("inventory:adjust"),
                           {"sku": "LAMP-2", "warehouse": warehouse.pk, "quantity": "4", "reason": "Found"},
                           headers=HTMX)

    body = response.content.decode()
    assert body.lstrip().startswith('<div class="row g-4" id="stock-form">')
    assert 'name="sku" id="id_sku" value=""' in body
    assert f'<option value="{warehouse.pk}" selected>' in body
    assert '<div class="fs-5 fw-semibold" id="sku-total">4</div>' in body
    assert 'hx-swap-oob="beforeend"' in body and "Adjusted LAMP-2 at MAIN by +4." in body
    assert on_hand(sku, warehouse) == 4


def test_taking_away_more_than_is_free_is_refused_on_the_form_and_nothing_is_written(role_client):
    warehouse, sku = WarehouseFactory(code="MAIN"), SkuFactory(code="LAMP-3")
    stock(sku, warehouse, 5)
    stock_reserve(sku=sku, warehouse=warehouse, quantity=3, reference="order:1")
    client = role_client("Warehouse")
    before = movement_count()

    response = client.post(reverse("inventory:adjust"),
                           {"sku": "LAMP-3", "warehouse": warehouse.pk, "quantity": "-4", "reason": "Lost"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Only 2 of LAMP-3 are free at MAIN (3 reserved); cannot take away 4."]
    assert movement_count() == before
    assert StockLevel.objects.get(sku=sku, warehouse=warehouse).on_hand == 5


@pytest.mark.parametrize(
    "data, errors",
    [({"quantity": "2", "reason": ""}, {"reason": ["This field is required."]}),
     ({"quantity": "0", "reason": "x"}, {"quantity": ["Enter a quantity other than zero."]}),
     ({"quantity": "2", "reason": "x", "sku": "NOPE"}, {"sku": ["No SKU has the code or barcode “NOPE”."]})],
)
def test_an_invalid_adjustment_names_the_field_and_writes_nothing(role_client, data, errors):
    warehouse, sku = WarehouseFactory(), SkuFactory()
    client = role_client("Warehouse")

    response = client.post(reverse("inventory:adjust"), {"sku": sku.code, "warehouse": warehouse.pk, **data})

    assert response.context["form"].errors == errors
    assert movement_count() == 0


def test_a_kit_cannot_be_adjusted(role_client):
    warehouse = WarehouseFactory()
    bundle = kit((SkuFactory(), 1), code="BUNDLE")
    client = role_client("Warehouse")

    response = client.post(reverse("inventory:adjust"),
                           {"sku": "BUNDLE", "warehouse": warehouse.pk, "quantity": "1", "reason": "x"})

    assert response.context["form"].non_field_errors() == [
        "BUNDLE is a kit: kits hold no stock of their own; move its components."]
    assert movement_count() == 0
    assert not StockLevel.objects.filter(sku=bundle).exists()


def test_sku_lookup_shows_the_stock_of_the_typed_code_and_fills_the_list(role_client):
    warehouse, sku = WarehouseFactory(code="MAIN"), SkuFactory(code="DESK-1", name="Desk")
    stock(sku, warehouse, 6)
    client = role_client("Warehouse")

    response = client.get(reverse("inventory:sku_stock"), {"sku": "desk-1"}, headers=HTMX)

    body = response.content.decode()
    assert '<tr data-warehouse="MAIN">' in body and '<div class="fs-5 fw-semibold" id="sku-total">6</div>' in body
    assert '<datalist id="sku-options" hx-swap-oob="true"><option value="DESK-1">Desk</option></datalist>' in body


# --- transfer and count ---------------------------------------------------------------------------


def test_transfer_moves_units_between_warehouses(role_client):
    main, store, sku = WarehouseFactory(code="MAIN"), WarehouseFactory(code="STORE"), SkuFactory(code="VASE")
    stock(sku, main, 8)
    client = role_client("Warehouse")

    response = client.post(reverse("inventory:transfer"),
                           {"sku": "VASE", "source": main.pk, "destination": store.pk, "quantity": "5", "reason": ""})

    assert response.status_code == 302
    assert (on_hand(sku, main), on_hand(sku, store)) == (3, 5)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Moved 5 × VASE from MAIN to STORE."]


@pytest.mark.parametrize(
    "quantity, same_place, message",
    [("9", False, "Only 8 of VASE are free at MAIN (0 reserved); cannot take away 9."),
     ("1", True, "Choose two different warehouses.")],
)
def test_a_refused_transfer_writes_nothing(role_client, quantity, same_place, message):
    main, store, sku = WarehouseFactory(code="MAIN"), WarehouseFactory(code="STORE"), SkuFactory(code="VASE")
    stock(sku, main, 8)
    client = role_client("Manager")
    before = movement_count()

    response = client.post(reverse("inventory:transfer"), {
        "sku": "VASE", "source": main.pk, "destination": (main if same_place else store).pk, "quantity": quantity})

    assert response.context["form"].non_field_errors() == [message]
    assert movement_count() == before
    assert (on_hand(sku, main), on_hand(sku, store)) == (8, 0)


def test_count_books_the_difference_or_nothing_when_it_matches(role_client):
    warehouse, sku = WarehouseFactory(code="MAIN"), SkuFactory(code="RUG")
    stock(sku, warehouse, 10)
    client = role_client("Warehouse")

    lower = client.post(reverse("inventory:count"), {"sku": "RUG", "warehouse": warehouse.pk, "counted": "7"},
                        follow=True)
    same = client.post(reverse("inventory:count"), {"sku": "RUG", "warehouse": warehouse.pk, "counted": "7"},
                       follow=True)

    assert on_hand(sku, warehouse) == 7
    assert list(StockMovement.objects.filter(kind=StockMovement.Kind.COUNT).values_list("quantity", flat=True)) == [-3]
    assert [str(m) for m in lower.context["messages"]] == ["RUG at MAIN: 7 counted, -3 booked."]
    assert [str(m) for m in same.context["messages"]] == ["RUG at MAIN: 7 counted, as on hand; nothing to book."]


def test_a_count_below_what_is_reserved_is_refused(role_client):
    warehouse, sku = WarehouseFactory(code="MAIN"), SkuFactory(code="RUG")
    stock(sku, warehouse, 10)
    stock_reserve(sku=sku, warehouse=warehouse, quantity=6, reference="order:3")
    client = role_client("Warehouse")
    before = movement_count()

    response = client.post(reverse("inventory:count"), {"sku": "RUG", "warehouse": warehouse.pk, "counted": "5"})

    assert response.context["form"].non_field_errors() == [
        "Only 4 of RUG are free at MAIN (6 reserved); cannot take away 5."]
    assert movement_count() == before and on_hand(sku, warehouse) == 10


# --- warehouses -----------------------------------------------------------------------------------


def test_warehouse_list_shows_sku_counts_and_units_in_one_query(role_client):
    main = WarehouseFactory(code="MAIN", priority=1)
    store = WarehouseFactory(code="STORE", priority=2, kind="store", ships=False, allows_pickup=True)
    empty = WarehouseFactory(code="EMPTY", priority=3)
    first, second = SkuFactory(), SkuFactory()
    stock(first, main, 4)
    stock(second, main, 6)
    stock(first, store, 2)
    client = role_client("Agent")
    url = reverse("inventory:warehouse_list")
    few = count_queries(client, url)
    for _number in range(5):
        stock(SkuFactory(), WarehouseFactory(), 1)

    response = client.get(url)
    many = count_queries(client, url)

    rows = {row.code: (row.sku_count, row.units_on_hand) for row in response.context["warehouses"]}
    assert (rows["MAIN"], rows["STORE"], rows["EMPTY"]) == ((2, 10), (1, 2), (0, 0))
    assert [w.code for w in response.context["warehouses"]][:3] == [main.code, store.code, empty.code]
    assert few == many == 6


# --- purchase orders ------------------------------------------------------------------------------


def test_po_list_filters_by_status_and_vendor_newest_first(role_client):
    acme, globex = VendorFactory(name="Acme"), VendorFactory(name="Globex")
    sku = SkuFactory()
    old_acme = purchase_order(lines=[(sku, 1)], vendor=acme)
    draft_acme = purchase_order(lines=[(sku, 1)], vendor=acme, sent=False)
    new_globex = purchase_order(lines=[(sku, 2, Decimal("1.500"))], vendor=globex)
    client = role_client("Accountant")
    url = reverse("inventory:po_list")

    everything = client.get(url).context["page"].object_list
    sent = client.get(url, {"status": "sent"}).context["page"].object_list
    acme_only = client.get(url, {"vendor": acme.pk}).context["page"].object_list
    to_receive = client.get(url, {"status": "receivable", "vendor": acme.pk}).context["page"].object_list

    assert list(everything) == [new_globex, draft_acme, old_acme]
    assert list(sent) == [new_globex, old_acme]
    assert list(acme_only) == [draft_acme, old_acme]
    assert list(to_receive) == [old_acme]
    assert (everything[0].line_count, everything[0].units_ordered, everything[0].total_cost) == (1, 2, Decimal("3.000"))


def test_po_list_filter_answers_htmx_with_the_results_only(role_client):
    purchase_order(lines=[(SkuFactory(), 1)])
    client = role_client("Warehouse")

    response = client.get(reverse("inventory:po_list"), {"status": "draft"}, headers=HTMX)

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="po-results">') and "No purchase orders match." in body


def test_po_list_makes_the_same_number_of_queries_for_one_or_many_pages(role_client):
    sku = SkuFactory()
    purchase_order(lines=[(sku, 1)])
    client = role_client("Manager")
    url = reverse("inventory:po_list")
    few = count_queries(client, url)
    for _number in range(30):
        purchase_order(lines=[(sku, 1), (SkuFactory(), 2)], sent=False)

    many = count_queries(client, url)
    second_page = count_queries(client, url + "?page=2")

    assert few == many == second_page == 8


def test_po_detail_shows_lines_and_receipts_and_the_manager_actions(role_client):
    sku = SkuFactory(code="CHAIR")
    order = purchase_order(lines=[(sku, 10)])
    client = role_client("Manager")
    client.post(reverse("inventory:po_receive", args=[order.pk]), {f"line_{order.lines.get().pk}": "4"})

    response = client.get(reverse("inventory:po_detail", args=[order.pk]))

    body = response.content.decode()
    lines = response.context["lines"]
    assert [(line.quantity_ordered, line.quantity_received, line.quantity_open) for line in lines] == [(10, 4, 6)]
    assert [receipt.quantity for receipt in response.context["receipts"]] == [4]
    assert (response.context["can_receive"], response.context["can_close"], response.context["can_send"],
            response.context["can_cancel"]) == (True, True, False, False)
    assert 'data-status="partially_received">Partially received</span>' in body
    assert 'data-confirm="Close ' in body


def test_po_detail_query_count_does_not_grow_with_lines(role_client):
    skus = [SkuFactory() for _number in range(2)]
    few_lines = purchase_order(lines=[(sku, 3) for sku in skus])
    many_skus = [SkuFactory() for _number in range(12)]
    many_lines = purchase_order(lines=[(sku, 3) for sku in many_skus])
    client = role_client("Manager")
    for order in (few_lines, many_lines):
        client.post(reverse("inventory:po_receive", args=[order.pk]),
                    {f"line_{line.pk}": "1" for line in order.lines.all()})

    assert count_queries(client, reverse("inventory:po_detail", args=[few_lines.pk])) == count_queries(
        client, reverse("inventory:po_detail", args=[many_lines.pk]))


@pytest.mark.parametrize(
    "view, start_sent, status",
    [("po_send", False, PurchaseOrder.Status.SENT), ("po_close", True, PurchaseOrder.Status.CLOSED),
     ("po_cancel", True, PurchaseOrder.Status.CANCELLED), ("po_cancel", False, PurchaseOrder.Status.CANCELLED)],
)
def test_manager_moves_a_purchase_order_through_the_services(role_client, view, start_sent, status):
    order = purchase_order(lines=[(SkuFactory(), 1)], sent=start_sent)
    client = role_client("Manager")

    response = client.post(reverse(f"inventory:{view}", args=[order.pk]))

    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    order.refresh_from_db()
    assert order.status == status


def test_an_illegal_move_is_refused_with_a_message_and_changes_nothing(role_client):
    order = purchase_order(lines=[(SkuFactory(), 1)], sent=False)
    client = role_client("Manager")

    response = client.post(reverse("inventory:po_close", args=[order.pk]), follow=True)

    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.DRAFT
    assert [str(m) for m in response.context["messages"]] == [
        "A purchase order that is Draft cannot become Closed."]


def test_manager_creates_a_purchase_order_with_the_vendor_cost_as_default(role_client):
    vendor, warehouse = VendorFactory(name="Acme"), WarehouseFactory()
    priced = SkuFactory(code="PRICED")
    SkuFactory(code="TYPED")
    VendorItemFactory(vendor=vendor, sku=priced, cost=Decimal("2.750"))
    client = role_client("Manager")

    response = client.post(reverse("inventory:po_create"), {
        "vendor": vendor.pk, "warehouse": warehouse.pk, "expected_on": "2030-01-15", "notes": "Rush",
        "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0",
        "lines-0-sku": "priced", "lines-0-quantity": "10", "lines-0-unit_cost": "",
        "lines-1-sku": "TYPED", "lines-1-quantity": "2", "lines-1-unit_cost": "9.5",
        "lines-2-sku": "", "lines-2-quantity": "", "lines-2-unit_cost": "",
    })

    order = PurchaseOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert (order.status, order.vendor, order.expected_on, order.notes) == (
        PurchaseOrder.Status.DRAFT, vendor, dt.date(2030, 1, 15), "Rush")
    assert sorted(order.lines.values_list("sku__code", "quantity_ordered", "unit_cost")) == [
        ("PRICED", 10, Decimal("2.750")), ("TYPED", 2, Decimal("9.500"))]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Purchase order {order.number} was created as a draft."]


@pytest.mark.parametrize(
    "line, where, message",
    [({"lines-0-sku": "TYPED", "lines-0-quantity": "2", "lines-0-unit_cost": ""}, "unit_cost",
      "Acme has no price for TYPED: enter the unit cost."),
     ({"lines-0-sku": "BUNDLE", "lines-0-quantity": "1", "lines-0-unit_cost": "1"}, None,
      "BUNDLE is a kit: kits hold no stock of their own; move its components."),
     ({"lines-0-sku": "", "lines-0-quantity": "", "lines-0-unit_cost": ""}, None,
      "A purchase order needs at least one line."),
     ({"lines-0-sku": "TYPED", "lines-0-quantity": "", "lines-0-unit_cost": "1"}, "quantity",
      "Enter the quantity to order.")],
)
def test_a_refused_purchase_order_is_not_created(role_client, line, where, message):
    vendor, warehouse = VendorFactory(name="Acme"), WarehouseFactory()
    SkuFactory(code="TYPED")
    kit((SkuFactory(), 1), code="BUNDLE")
    client = role_client("Manager")

    response = client.post(reverse("inventory:po_create"), {
        "vendor": vendor.pk, "warehouse": warehouse.pk, "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", **line})

    assert response.status_code == 200
    if where:
        assert response.context["formset"].forms[0].errors[where] == [message]
    else:
        assert response.context["form"].non_field_errors() == [message]
    assert not PurchaseOrder.objects.exists() and not PurchaseOrderLine.objects.exists()


# --- receiving ------------------------------------------------------------------------------------


def _receiving(lines=((10,), (4,))):
    warehouse = WarehouseFactory(code="MAIN")
    skus = [SkuFactory() for _line in lines]
    order = purchase_order(lines=[(sku, line[0]) for sku, line in zip(skus, lines, strict=False)], warehouse=warehouse)
    return order, skus, warehouse, list(order.lines.order_by("pk"))


def test_warehouse_user_receives_part_of_a_purchase_order(role_client):
    order, skus, warehouse, (first, second) = _receiving()
    client = role_client("Warehouse")

    response = client.post(reverse("inventory:po_receive", args=[order.pk]),
                           {f"line_{first.pk}": "3", f"line_{second.pk}": ""})

    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    order.refresh_from_db()
    first.refresh_from_db()
    assert order.status == PurchaseOrder.Status.PARTIALLY_RECEIVED
    assert first.quantity_received == 3
    assert (on_hand(skus[0], warehouse), on_hand(skus[1], warehouse)) == (3, 0)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Received 3 units on purchase order {order.number}."]


def test_the_receiving_screen_lists_open_lines_with_their_barcodes_for_the_scan_box(role_client):
    order, skus, _warehouse, (first, second) = _receiving()
    client = role_client("Warehouse")
    client.post(reverse("inventory:po_receive", args=[order.pk]), {f"line_{second.pk}": "4"})

    response = client.get(reverse("inventory:po_receive", args=[order.pk]))

    body = response.content.decode()
    assert [line for line, _field in response.context["form"].rows()] == [first]
    assert f'data-code="{skus[0].code}" data-barcode="{skus[0].barcode}" data-open="10"' in body
    assert 'id="scan-form"' in body and 'id="receive-form"' in body
    assert "allow_over_receipt" not in body


def test_over_receipt_is_refused_for_a_warehouse_user_even_when_the_box_is_forced(role_client):
    order, skus, warehouse, (first, _second) = _receiving()
    client = role_client("Warehouse")
    before = movement_count()

    response = client.post(reverse("inventory:po_receive", args=[order.pk]),
                           {f"line_{first.pk}": "11", "allow_over_receipt": "on"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        f"{skus[0].code}: 11 received but only 10 still expected. A manager may allow over-receipt."]
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.SENT
    assert movement_count() == before and on_hand(skus[0], warehouse) == 0


def test_manager_over_receives_only_when_ticking_the_box(role_client):
    order, skus, warehouse, (first, second) = _receiving()
    client = role_client("Manager")
    url = reverse("inventory:po_receive", args=[order.pk])
    assert 'name="allow_over_receipt"' in client.get(url).content.decode()

    refused = client.post(url, {f"line_{first.pk}": "12", f"line_{second.pk}": "4"})
    assert refused.status_code == 200 and on_hand(skus[0], warehouse) == 0

    accepted = client.post(url, {f"line_{first.pk}": "12", f"line_{second.pk}": "4", "allow_over_receipt": "on"})

    assert accepted.status_code == 302
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED
    assert (on_hand(skus[0], warehouse), on_hand(skus[1], warehouse)) == (12, 4)


def test_receiving_nothing_is_refused(role_client):
    order, _skus, _warehouse, (first, _second) = _receiving()
    client = role_client("Warehouse")

    response = client.post(reverse("inventory:po_receive", args=[order.pk]), {f"line_{first.pk}": "0"})

    assert response.context["form"].non_field_errors() == ["Enter a quantity for at least one line."]
    assert movement_count() == 0


def test_a_draft_purchase_order_cannot_be_received(role_client):
    sku = SkuFactory()
    order = purchase_order(lines=[(sku, 5)], sent=False)
    line = order.lines.get()
    client = role_client("Warehouse")

    page = client.get(reverse("inventory:po_receive", args=[order.pk]))
    response = client.post(reverse("inventory:po_receive", args=[order.pk]), {f"line_{line.pk}": "1"})

    assert "there is nothing to receive" in page.content.decode()
    assert response.context["form"].non_field_errors() == [
        f"Purchase order {order.number} is Draft and cannot be received."]
    assert movement_count() == 0


# --- home panel and admin -------------------------------------------------------------------------


def test_home_shows_purchase_orders_to_receive_to_warehouse_users_only(role_client):
    sku = SkuFactory()
    purchase_order(lines=[(sku, 1)])
    late = purchase_order(lines=[(sku, 1)])
    PurchaseOrder.objects.filter(pk=late.pk).update(expected_on=timezone.localdate() - dt.timedelta(days=3))
    purchase_order(lines=[(sku, 1)], sent=False)

    warehouse_home = role_client("Warehouse").get(reverse("home")).content.decode()

    assert '<span class="fs-4 fw-semibold" data-count="to-receive">2</span>' in warehouse_home
    assert '<span class="fs-4 fw-semibold text-danger" data-count="overdue">1</span>' in warehouse_home


def test_home_has_no_receiving_panel_for_an_agent(role_client):
    assert 'id="home-receiving"' not in role_client("Agent").get(reverse("home")).content.decode()


def test_stock_movements_are_read_only_in_the_admin(role_client):
    movement = stock(SkuFactory(), WarehouseFactory(), 2)
    client = role_client("Admin")

    listing = client.get(reverse("admin:inventory_stockmovement_changelist"))
    change = client.get(reverse("admin:inventory_stockmovement_change", args=[movement.pk]))
    delete = client.post(reverse("admin:inventory_stockmovement_delete", args=[movement.pk]), {"post": "yes"})
    add = client.get(reverse("admin:inventory_stockmovement_add"))

    assert (listing.status_code, change.status_code, delete.status_code, add.status_code) == (200, 200, 403, 403)
    assert 'name="_save"' not in change.content.decode()
    assert StockMovement.objects.filter(pk=movement.pk).exists()


def test_admin_manages_warehouses_in_the_admin(role_client):
    client = role_client("Admin")

    response = client.post(reverse("admin:inventory_warehouse_add"), {
        "code": "NORTH", "name": "North", "kind": "warehouse", "ships": "on", "priority": "5", "is_active": "on",
        "country": "US", "postal_code": "", "city": ""})

    assert response.status_code == 302
    assert list(WarehouseFactory._meta.model.objects.values_list("code", "priority")) == [("NORTH", 5)]
