"""Catalog screens: SKU search, style and SKU pages, kit editor; per role, per query count, per rule."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from catalog.models import KitComponent
from catalog.selectors import sku_search
from inventory.services import stock_adjust, stock_reserve
from tests.factories import SkuFactory, WarehouseFactory, kit, stock
from tests.screens_helpers import ROLES, VendorItemFactory, count_queries, styled_skus

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}

# Who may open what: written out, not derived from oms.roles, so a change of roles shows up here.
ALLOWED = 200
DENIED = 403
ACCESS = {
    #                             Agent    Warehouse Manager  Accountant Admin
    "sku_search":               (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "sku_options":              (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "style_detail":             (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "sku_detail":               (ALLOWED, ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "kit_edit":                 (DENIED, DENIED, ALLOWED, DENIED, ALLOWED),
    "kit_component_add":        (DENIED, DENIED, ALLOWED, DENIED, ALLOWED),
    "kit_component_update":     (DENIED, DENIED, ALLOWED, DENIED, ALLOWED),
    "kit_component_remove":     (DENIED, DENIED, 302, DENIED, 302),
}


@pytest.fixture
def catalog_objects():
    warehouse = WarehouseFactory()
    style, (small, large) = styled_skus(["size"], [{"size": "S"}, {"size": "M"}])
    stock(small, warehouse, 5)
    bundle = kit((small, 1), (large, 2))
    return {"style": style, "sku": small, "kit": bundle, "component": large}


def _request(client, view: str, objects: dict):
    kit_pk, component_pk = objects["kit"].pk, objects["component"].pk
    calls = {
        "sku_search": ("get", reverse("catalog:sku_search"), {"q": objects["sku"].code}),
        "sku_options": ("get", reverse("catalog:sku_options"), {"q": objects["sku"].code}),
        "style_detail": ("get", reverse("catalog:style_detail", args=[objects["style"].pk]), {}),
        "sku_detail": ("get", reverse("catalog:sku_detail", args=[objects["sku"].pk]), {}),
        "kit_edit": ("get", reverse("catalog:kit_edit", args=[kit_pk]), {}),
        "kit_component_add": ("post", reverse("catalog:kit_component_add", args=[kit_pk]), {}),
        "kit_component_update": ("post", reverse("catalog:kit_component_update", args=[kit_pk, component_pk]), {}),
        "kit_component_remove": ("post", reverse("catalog:kit_component_remove", args=[kit_pk, component_pk]), {}),
    }
    method, url, data = calls[view]
    return getattr(client, method)(url, data)


@pytest.mark.parametrize("view", list(ACCESS))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_catalog_screens_its_table_row_allows(role_client, catalog_objects, view, role):
    client = role_client(role)

    response = _request(client, view, catalog_objects)

    assert response.status_code == ACCESS[view][ROLES.index(role)]


@pytest.mark.parametrize("view", list(ACCESS))
def test_anonymous_visitors_are_sent_to_sign_in(client, catalog_objects, view):
    response = _request(client, view, catalog_objects)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_kit_writes_refuse_get_requests(role_client, catalog_objects):
    client = role_client("Manager")

    response = client.get(reverse("catalog:kit_component_remove",
                                  args=[catalog_objects["kit"].pk, catalog_objects["component"].pk]))

    assert response.status_code == 405
    assert KitComponent.objects.filter(kit=catalog_objects["kit"]).count() == 2


# --- search -------------------------------------------------------------------------------------


def test_search_puts_the_exact_barcode_match_first_then_contains_matches_in_code_order():
    a = SkuFactory(code="MUG-100", name="Mug blue")
    b = SkuFactory(code="MUG-010", name="Mug red")
    scanned = SkuFactory(code="ZZ-1", name="Plate", barcode="4006381333931")
    SkuFactory(code="PLATE-1", name="Plate")

    assert list(sku_search(query="mug")) == [b, a]
    assert list(sku_search(query="4006381333931")) == [scanned]
    assert list(sku_search(query="  ")) == []
    exact_first = SkuFactory(code="MUG", name="Just a mug")
    assert list(sku_search(query="mug")) == [exact_first, b, a]
    assert [sku.code for sku in sku_search(query="mug", limit=2)] == ["MUG", "MUG-010"]


def test_search_ranks_a_short_exact_code_first_too():
    SkuFactory(code="AM-1", name="Lamp")
    SkuFactory(code="M", name="Medium")
    SkuFactory(code="XM", name="Extra")
    SkuFactory(code="B-7", name="Big mug")
    SkuFactory(code="MX-2", name="Plate")

    assert [sku.code for sku in sku_search(query="m")] == ["M", "MX-2", "B-7"]
    assert [sku.code for sku in sku_search(query="xm")] == ["XM"]
    assert [sku.code for sku in sku_search(query="amp")] == ["AM-1"]  # three letters: anywhere


def test_search_ranks_codes_starting_with_the_query_before_other_matches():
    SkuFactory(code="0-1094", name="Mug")
    SkuFactory(code="1094-RED", name="Mug")
    SkuFactory(code="B-1", name="Mug no. 1094")
    SkuFactory(code="1094", name="Plate")

    assert [sku.code for sku in sku_search(query="1094")] == ["1094", "1094-RED", "0-1094", "B-1"]


def test_search_with_more_matches_than_candidates_still_fills_the_list_exact_match_first(monkeypatch):
    from catalog import selectors

    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 5)
    for number in range(12):
        SkuFactory(code=f"CUP-{number:02d}", name="Cup")
    SkuFactory(code="CUP", name="Cup")

    found = [sku.code for sku in sku_search(query="cup", limit=4)]

    assert found[0] == "CUP"
    assert len(found) == 4 and found[1:] == sorted(found[1:])


def test_search_as_you_type_answers_with_the_results_fragment_only(role_client):
    warehouse = WarehouseFactory()
    shirt = SkuFactory(code="TEE-RED-M", name="Tee red M")
    stock(shirt, warehouse, 7)
    client = role_client("Agent")

    response = client.get(reverse("catalog:sku_search"), {"q": "tee-red"}, headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body
    assert 'data-sku="TEE-RED-M"' in body
    assert ">7</td>" in body
    assert "1 match" in body


def test_search_without_javascript_renders_the_whole_page_with_the_results(role_client):
    bundle_part = SkuFactory(code="CAP-1")
    kit((bundle_part, 1), code="BUNDLE-CAP", name="Cap bundle")
    client = role_client("Accountant")

    response = client.get(reverse("catalog:sku_search"), {"q": "bundle-cap"})

    body = response.content.decode()
    assert "<html" in body and 'id="sku-q"' in body and 'value="bundle-cap"' in body
    assert 'hx-trigger="input changed delay:150ms, search"' in body
    assert 'data-sku="BUNDLE-CAP"' in body
    assert ">Kit</span>" in body


def test_search_with_no_match_says_so(role_client):
    client = role_client("Agent")

    response = client.get(reverse("catalog:sku_search"), {"q": "no-such-thing"}, headers=HTMX)

    assert 'id="no-results"' in response.content.decode()
    assert "No SKU matches “no-such-thing”." in response.content.decode()


def test_search_reads_stock_for_all_results_in_a_fixed_number_of_queries(role_client):
    client = role_client("Agent")
    warehouse = WarehouseFactory()
    for number in range(2):
        stock(SkuFactory(code=f"FIX-{number}"), warehouse, 3)
    url = reverse("catalog:sku_search") + "?q=FIX-"
    few = count_queries(client, url, headers=HTMX)
    for number in range(2, 12):
        stock(SkuFactory(code=f"FIX-{number}"), warehouse, 3)

    many = count_queries(client, url, headers=HTMX)

    assert few == many


# --- style ------------------------------------------------------------------------------------------


def test_style_page_shows_the_variant_grid_in_creation_order_with_availability(role_client):
    warehouse = WarehouseFactory(code="MAIN")
    style, skus = styled_skus(["size", "colour"], [
        {"size": "S", "colour": "Red"}, {"size": "S", "colour": "Blue"},
        {"size": "M", "colour": "Red"}, {"size": "L", "colour": "Blue"},
    ])
    stock(skus[0], warehouse, 4)
    stock(skus[3], warehouse, 9)
    stock_reserve(sku=skus[3], warehouse=warehouse, quantity=2, reference="order:1")
    client = role_client("Agent")

    response = client.get(reverse("catalog:style_detail", args=[style.pk]))

    matrix = response.context["matrix"]
    assert matrix["kind"] == "grid"
    assert matrix["columns"] == ["Red", "Blue"]
    assert [row["value"] for row in matrix["rows"]] == ["S", "M", "L"]
    grid = [[[(item["sku"], item["available"]) for item in cell] for cell in row["cells"]] for row in matrix["rows"]]
    assert grid == [
        [[(skus[0], 4)], [(skus[1], 0)]],
        [[(skus[2], 0)], []],
        [[], [(skus[3], 7)]],
    ]
    body = response.content.decode()
    assert 'id="variant-matrix"' in body and 'id="style-stock"' in body


def test_single_axis_style_shows_a_list(role_client):
    style, skus = styled_skus(["size"], [{"size": "S"}, {"size": "M"}])
    client = role_client("Agent")

    response = client.get(reverse("catalog:style_detail", args=[style.pk]))

    assert response.context["matrix"]["kind"] == "list"
    items = response.context["matrix"]["items"]
    assert [(item["value"], item["sku"]) for item in items] == [("S", skus[0]), ("M", skus[1])]
    assert 'id="variant-list"' in response.content.decode()


def test_style_page_makes_the_same_number_of_queries_for_2_or_20_skus(role_client):
    warehouses = [WarehouseFactory(), WarehouseFactory()]
    style, skus = styled_skus(["size", "colour"], [{"size": "S", "colour": "Red"}, {"size": "M", "colour": "Red"}])
    for sku in skus:
        stock(sku, warehouses[0], 2)
    client = role_client("Warehouse")
    url = reverse("catalog:style_detail", args=[style.pk])
    few = count_queries(client, url)
    for number in range(18):
        sku = SkuFactory(style=style, option_values={"size": f"X{number}", "colour": "Blue"})
        stock(sku, warehouses[number % 2], 1)

    many = count_queries(client, url)

    assert few == many == 9


# --- SKU page ---------------------------------------------------------------------------------------


def test_sku_page_shows_stock_vendors_reservations_and_movements_to_a_warehouse_user(role_client):
    main, store = WarehouseFactory(code="MAIN"), WarehouseFactory(code="STORE")
    sku = SkuFactory(code="BOOT-42")
    stock(sku, main, 10)
    stock(sku, store, 3)
    stock_reserve(sku=sku, warehouse=main, quantity=4, reference="order:77")
    VendorItemFactory(sku=sku, vendor__name="Boots Inc", vendor_sku="B-42")
    client = role_client("Warehouse")

    response = client.get(reverse("catalog:sku_detail", args=[sku.pk]))

    assert [(row["warehouse"].code, row["on_hand"], row["reserved"], row["available"])
            for row in response.context["stock_rows"]] == [("MAIN", 10, 4, 6), ("STORE", 3, 0, 3)]
    assert response.context["total_available"] == 9
    assert [reservation.reference for reservation in response.context["reservations"]] == ["order:77"]
    assert [movement.quantity for movement in response.context["page"].movements] == [3, 10]
    body = response.content.decode()
    assert "Boots Inc" in body and "B-42" in body and 'id="movement-table"' in body


def test_agent_sees_stock_but_not_movements_or_reservations(role_client):
    sku = SkuFactory()
    stock(sku, WarehouseFactory(), 2)
    client = role_client("Agent")

    response = client.get(reverse("catalog:sku_detail", args=[sku.pk]))

    body = response.content.decode()
    assert 'id="sku-stock"' in body
    assert 'id="movement-table"' not in body and 'id="reservations"' not in body
    assert "page" not in response.context


def test_kit_page_shows_components_and_kit_availability_per_warehouse(role_client):
    main, east = WarehouseFactory(code="MAIN"), WarehouseFactory(code="EAST")
    shirt, cap = SkuFactory(code="SHIRT"), SkuFactory(code="CAP")
    stock(shirt, main, 7)
    stock(cap, main, 6)
    stock(shirt, east, 5)
    bundle = kit((shirt, 1), (cap, 2))
    client = role_client("Manager")

    response = client.get(reverse("catalog:sku_detail", args=[bundle.pk]))

    assert [(row["warehouse"].code, row["available"]) for row in response.context["stock_rows"]] == [
        ("MAIN", 3), ("EAST", 0)]
    assert response.context["total_available"] == 3
    assert [(item["line"].component.code, item["line"].quantity, item["available"])
            for item in response.context["components"]] == [("CAP", 2, 6), ("SHIRT", 1, 12)]
    assert "Kit availability by warehouse" in response.content.decode()


def test_movement_history_pages_by_cursor_forward_and_back(role_client):
    warehouse = WarehouseFactory()
    sku = SkuFactory()
    stock(sku, warehouse, 100)
    for number in range(1, 30):
        stock_adjust(sku=sku, warehouse=warehouse, quantity=-1, reason=f"r{number}", user=None)
    client = role_client("Warehouse")
    url = reverse("catalog:sku_detail", args=[sku.pk])

    first = client.get(url).context["page"]
    second = client.get(url, {"after": first.next_cursor}).context["page"]
    back = client.get(url, {"before": second.previous_cursor}).context["page"]
    fragment = client.get(url, {"after": first.next_cursor}, headers=HTMX).content.decode()

    assert [m.reason for m in first.movements] == [f"r{number}" for number in range(29, 4, -1)]
    assert first.previous_cursor is None and first.next_cursor
    assert [m.reason for m in second.movements] == ["r4", "r3", "r2", "r1", ""]
    assert second.next_cursor is None
    assert [m.pk for m in back.movements] == [m.pk for m in first.movements]
    assert back.previous_cursor is None and back.next_cursor == first.next_cursor
    assert fragment.lstrip().startswith('<div id="movements">') and "r4" in fragment and "<html" not in fragment


def test_a_movement_cursor_that_cannot_be_read_gives_the_first_page(role_client):
    sku = SkuFactory()
    stock(sku, WarehouseFactory(), 1)
    client = role_client("Warehouse")

    response = client.get(reverse("catalog:sku_detail", args=[sku.pk]), {"after": "not-a-cursor"})

    assert [m.quantity for m in response.context["page"].movements] == [1]


def test_sku_page_makes_the_same_number_of_queries_for_few_or_many_rows(role_client):
    warehouses = [WarehouseFactory(), WarehouseFactory()]
    parts = [SkuFactory(), SkuFactory()]
    for part in parts:
        stock(part, warehouses[0], 5)
    bundle = kit((parts[0], 1), (parts[1], 1))
    client = role_client("Warehouse")
    url = reverse("catalog:sku_detail", args=[bundle.pk])
    few = count_queries(client, url)
    for _number in range(6):
        part = SkuFactory()
        stock(part, warehouses[1], 4)
        VendorItemFactory(sku=part)
        KitComponent.objects.create(kit=bundle, component=part, quantity=1)
        VendorItemFactory(sku=bundle)
    WarehouseFactory()

    many = count_queries(client, url)

    assert few == many == 14


# --- kit editor -------------------------------------------------------------------------------------


def test_manager_adds_a_component_by_code_and_sees_the_editor_again(role_client):
    shirt = SkuFactory(code="SHIRT")
    SkuFactory(code="CAP")
    bundle = kit((shirt, 1))
    client = role_client("Manager")

    response = client.post(reverse("catalog:kit_component_add", args=[bundle.pk]),
                           {"component": "cap", "quantity": "3"}, headers=HTMX)

    assert response.status_code == 200
    assert list(KitComponent.objects.filter(kit=bundle).values_list("component__code", "quantity")) == [
        ("CAP", 3), ("SHIRT", 1)]
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="kit-editor"')
    assert "3 × CAP is in kit" in body  # the toast, out of band


def test_adding_a_component_to_a_plain_sku_makes_it_a_kit(role_client):
    plain, part = SkuFactory(), SkuFactory()
    client = role_client("Manager")

    response = client.post(reverse("catalog:kit_component_add", args=[plain.pk]),
                           {"component": part.barcode, "quantity": "1"})

    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:kit_edit", args=[plain.pk])
    plain.refresh_from_db()
    assert plain.is_kit is True
    assert [str(m) for m in get_messages(response.wsgi_request)] == [f"1 × {part.code} is in kit {plain.code}."]


def test_a_cycle_is_refused_inline_and_nothing_changes(role_client):
    cap = SkuFactory(code="CAP")
    inner = kit((cap, 1), code="INNER")
    outer = kit((inner, 2), code="OUTER")
    client = role_client("Manager")

    response = client.post(reverse("catalog:kit_component_add", args=[inner.pk]),
                           {"component": "OUTER", "quantity": "1"}, headers=HTMX)

    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="kit-editor"')
    assert ('<div class="invalid-feedback d-block" role="alert">'
            "OUTER already contains INNER, so adding it to INNER would make a cycle.</div>") in body
    assert list(KitComponent.objects.filter(kit=inner).values_list("component__code", flat=True)) == ["CAP"]
    assert list(KitComponent.objects.filter(kit=outer).values_list("component__code", flat=True)) == ["INNER"]


def test_a_kit_cannot_contain_itself(role_client):
    bundle = kit((SkuFactory(), 1), code="SELF")
    client = role_client("Manager")

    response = client.post(reverse("catalog:kit_component_add", args=[bundle.pk]),
                           {"component": "SELF", "quantity": "1"})

    assert response.context["add_form"].errors == {"component": ["A kit cannot contain itself."]}
    assert KitComponent.objects.filter(kit=bundle).count() == 1


def test_an_unknown_code_is_refused_on_the_field(role_client):
    bundle = kit((SkuFactory(), 1))
    client = role_client("Manager")

    response = client.post(reverse("catalog:kit_component_add", args=[bundle.pk]),
                           {"component": "NOPE", "quantity": "1"})

    assert response.context["add_form"].errors == {"component": ["No SKU has the code or barcode “NOPE”."]}
    assert KitComponent.objects.filter(kit=bundle).count() == 1


def test_manager_changes_a_quantity_and_a_zero_is_refused(role_client):
    part = SkuFactory()
    bundle = kit((part, 1))
    client = role_client("Manager")
    url = reverse("catalog:kit_component_update", args=[bundle.pk, part.pk])

    refused = client.post(url, {f"c{part.pk}-quantity": "0"})
    assert KitComponent.objects.get(kit=bundle).quantity == 1
    assert refused.context["rows"][0]["form"].errors == {
        "quantity": ["Ensure this value is greater than or equal to 1."]}

    client.post(url, {f"c{part.pk}-quantity": "4"}, headers=HTMX)
    assert KitComponent.objects.get(kit=bundle).quantity == 4


def test_manager_removes_a_component_after_confirming(role_client):
    first, second = SkuFactory(code="A-1"), SkuFactory(code="B-1")
    bundle = kit((first, 1), (second, 1))
    client = role_client("Manager")
    page = client.get(reverse("catalog:kit_edit", args=[bundle.pk])).content.decode()
    assert 'hx-confirm="Take A-1 out of this kit?"' in page

    response = client.post(reverse("catalog:kit_component_remove", args=[bundle.pk, first.pk]), headers=HTMX)

    assert response.status_code == 200
    assert list(KitComponent.objects.filter(kit=bundle).values_list("component__code", flat=True)) == ["B-1"]
    assert "A-1 was taken out of kit" in response.content.decode()


def test_sku_options_lists_matching_codes_for_the_datalist(role_client):
    SkuFactory(code="LAMP-1", name="Desk lamp")
    client = role_client("Manager")

    response = client.get(reverse("catalog:sku_options"), {"component": "lamp"})

    assert response.content.decode().strip() == '<option value="LAMP-1">Desk lamp</option>'


# --- admin --------------------------------------------------------------------------------------------


def test_admin_lists_skus_and_kit_contents_are_read_only_there(role_client):
    part = SkuFactory()
    bundle = kit((part, 2))
    client = role_client("Admin")

    listing = client.get(reverse("admin:catalog_sku_changelist"), {"q": bundle.code})
    change = client.get(reverse("admin:catalog_sku_change", args=[bundle.pk]))

    assert listing.status_code == 200 and bundle.code in listing.content.decode()
    assert change.status_code == 200
    assert reverse("catalog:kit_edit", args=[bundle.pk]) in change.content.decode()
    assert 'name="components-0-quantity"' not in change.content.decode()
    assert 'name="components-0-DELETE"' not in change.content.decode()
