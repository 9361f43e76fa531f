"""The marketing screens: who may open what, the forms managers fill in, and the pricing simulator."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketing.models import Campaign, Coupon, CouponBatch, PriceListEntry, Promotion, SourceCode
from tests.factories import SkuFactory, StyleFactory
from tests.test_pricing_service import make_campaign, make_price_list, make_promotion, make_source_code

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def objects():
    campaign = make_campaign()
    promotion = make_promotion("Ten off", campaign=campaign)
    price_list = make_price_list()
    batch = CouponBatch.objects.create(promotion=promotion, quantity=0)
    return {"campaign": campaign.pk, "promotion": promotion.pk, "price_list": price_list.pk, "batch": batch.pk}


A, W, M, C, AD = "Agent", "Warehouse", "Manager", "Accountant", "Admin"
# url name, the object its pk comes from (or None), and the status each role gets.
ACCESS = [
    ("marketing:campaign_list", None, {A: 200, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:campaign_detail", "campaign", {A: 200, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:campaign_create", None, {A: 403, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:campaign_edit", "campaign", {A: 403, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:sourcecode_list", None, {A: 200, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:sourcecode_create", None, {A: 403, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:pricelist_list", None, {A: 403, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:pricelist_detail", "price_list", {A: 403, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:pricelist_create", None, {A: 403, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:pricelist_edit", "price_list", {A: 403, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:promotion_list", None, {A: 200, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:promotion_detail", "promotion", {A: 200, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:promotion_create", None, {A: 403, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:promotion_edit", "promotion", {A: 403, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:coupon_batch_download", "batch", {A: 403, W: 403, M: 200, C: 403, AD: 200}),
    ("marketing:simulator", None, {A: 200, W: 403, M: 200, C: 403, AD: 200}),
]


@pytest.mark.parametrize("role", [A, W, M, C, AD])
@pytest.mark.parametrize("url_name, target, expected", ACCESS, ids=[row[0].split(":")[1] for row in ACCESS])
def test_each_role_gets_the_screens_its_permissions_allow(role_client, objects, role, url_name, target, expected):
    client = role_client(role)
    url = reverse(url_name, args=[objects[target]] if target else [])

    response = client.get(url)

    assert response.status_code == expected[role]


@pytest.mark.parametrize("role, expected", [
    (A, ["Campaigns", "Promotions", "Pricing simulator"]),
    (W, []),
    (M, ["Campaigns", "Promotions", "Price lists", "Pricing simulator"]),
    (C, []),
])
def test_navigation_shows_the_marketing_screens_of_each_role(role_client, role, expected):
    response = role_client(role).get(reverse("home"))

    labels = [str(item.label) for item in response.context["nav_items"] if str(item.section) == "Marketing"]
    assert labels == expected


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(reverse("marketing:simulator"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_agent_cannot_post_to_manager_forms(role_client, objects):
    client = role_client(A)

    response = client.post(reverse("marketing:campaign_create"), {"code": "X", "name": "X"})

    assert response.status_code == 403
    assert not Campaign.objects.filter(code="X").exists()


# --- managers set things up ------------------------------------------------------------------------


def test_manager_creates_a_campaign_and_a_source_code_with_price_list_and_promotions(role_client):
    client = role_client(M)
    price_list = make_price_list()
    promotion = make_promotion("Ten off")

    response = client.post(reverse("marketing:campaign_create"), {
        "code": "FALL26", "name": "Fall catalog", "medium": "catalog", "starts_on": "2026-09-01",
        "ends_on": "2026-11-30", "cost": "25000.00", "currency": "USD", "quantity_circulated": "200000"})
    campaign = Campaign.objects.get(code="FALL26")
    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()

    response = client.post(reverse("marketing:sourcecode_create"), {
        "code": "f26a ", "campaign": campaign.pk, "price_list": price_list.pk, "promotions": [promotion.pk],
        "offers_free_shipping": "on", "free_shipping_minimum": "50", "active_from": "2026-09-01"})
    assert response.status_code == 302
    source_code = SourceCode.objects.get(code="F26A")
    assert (source_code.campaign, source_code.price_list, list(source_code.promotions.all()),
            source_code.offers_free_shipping) == (campaign, price_list, [promotion], True)

    detail = client.get(campaign.get_absolute_url())
    assert "F26A" in detail.content.decode()


def test_campaign_form_refuses_an_end_before_the_start(role_client):
    response = role_client(M).post(reverse("marketing:campaign_create"), {
        "code": "BAD", "name": "Bad", "medium": "email", "starts_on": "2026-09-01", "ends_on": "2026-08-01",
        "cost": "0", "currency": "USD", "quantity_circulated": "0"})

    assert response.status_code == 200
    assert "The end must not come before the start." in response.content.decode()
    assert not Campaign.objects.exists()


def test_manager_creates_a_bogo_and_a_tiered_promotion(role_client):
    client = role_client(M)
    SkuFactory(code="MUG")
    base = {"description": "", "campaign": "", "is_active": "on", "priority": "10", "currency": "USD",
            "target": "order", "gift_quantity": "1"}

    response = client.post(reverse("marketing:promotion_create"), {
        **base, "name": "Mugs: buy 2 get 1", "kind": "buy_x_get_y", "buy_quantity": "2", "get_quantity": "1",
        "get_sku": "MUG", "tiers": "100: 10%", "percent": "15"})
    assert response.status_code == 302, response.content.decode()
    bogo = Promotion.objects.get(name="Mugs: buy 2 get 1")
    # Fields of other kinds are cleared.
    assert (bogo.buy_quantity, bogo.get_quantity, bogo.get_sku.code, bogo.tiers, bogo.percent) == (
        2, 1, "MUG", [], None)

    response = client.post(reverse("marketing:promotion_create"), {
        **base, "name": "Spend and save", "kind": "tiered", "tiers": "250: 40\n100: 10%",
        "channels": "phone, web, marketplace:amazon", "customer_types": ["retail"]})
    assert response.status_code == 302
    tiered = Promotion.objects.get(name="Spend and save")
    assert tiered.tiers == [{"threshold": "100", "percent": "10"}, {"threshold": "250", "amount": "40"}]
    assert (tiered.channels, tiered.customer_types) == (["phone", "web", "marketplace:amazon"], ["retail"])

    edit = client.get(reverse("marketing:promotion_edit", args=[tiered.pk]))
    assert "100: 10%\n250: 40" in edit.content.decode()


@pytest.mark.parametrize("fields, error", [
    ({"kind": "tiered", "tiers": "a lot: 10%"}, "write a threshold, a colon and a discount"),
    ({"kind": "tiered", "tiers": ""}, "Give at least one tier."),
    ({"kind": "percent_off", "percent": ""}, "Give the percent off."),
    ({"kind": "percent_off", "percent": "10", "channels": "fax"}, "Not understood: fax."),
    ({"kind": "free_gift", "gift_sku": "NOPE"}, "Unknown SKU: NOPE."),
    ({"kind": "buy_x_get_y", "buy_quantity": "2"}, "Give how many are free."),
    ({"kind": "amount_off", "amount": "5", "target": "sku"}, "Name at least one SKU."),
    ({"kind": "percent_off", "percent": "5", "target": "category"}, "Name at least one category."),
])
def test_promotion_form_explains_what_is_missing(role_client, fields, error):
    data = {"name": "Broken", "priority": "1", "currency": "USD", "target": "order", "gift_quantity": "1", **fields}

    response = role_client(M).post(reverse("marketing:promotion_create"), data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Promotion.objects.exists()


def test_price_list_entries_set_remove_and_search(role_client):
    client = role_client(M)
    price_list = make_price_list()
    SkuFactory(code="A-1")

    response = client.post(reverse("marketing:pricelist_entry_set", args=[price_list.pk]),
                           {"sku": "A-1", "price": "7.25"})
    assert response.status_code == 302
    entry = PriceListEntry.objects.get()
    assert entry.price == D("7.250")
    client.post(reverse("marketing:pricelist_entry_set", args=[price_list.pk]), {"sku": "A-1", "price": "7.00"})
    assert PriceListEntry.objects.get().price == D("7.000")

    bad = client.post(reverse("marketing:pricelist_entry_set", args=[price_list.pk]), {"sku": "ZZ", "price": "1"})
    assert bad.status_code == 400 and "Unknown SKU: ZZ." in bad.content.decode()

    partial = client.get(reverse("marketing:pricelist_detail", args=[price_list.pk]), {"q": "A-"},
                         HTTP_HX_REQUEST="true")
    assert "A-1" in partial.content.decode() and "<html" not in partial.content.decode()

    client.post(reverse("marketing:pricelist_entry_delete", args=[price_list.pk, entry.pk]))
    assert not PriceListEntry.objects.exists()


def test_price_list_import_checks_then_imports_and_exports(role_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from oms.imports.models import ImportJob

    client = role_client(M)
    price_list = make_price_list()
    SkuFactory(code="A-1")
    url = reverse("marketing:pricelist_import", args=[price_list.pk])

    checked = client.post(url, {"file": SimpleUploadedFile("p.csv", b"sku_code,price\nA-1,3.50\n")},
                          HTTP_HX_REQUEST="true")
    job = ImportJob.objects.get()
    assert checked["HX-Redirect"] == job.get_absolute_url()
    assert (job.kind, job.status, job.options, job.result["new"]) == (
        "price_list_entries", ImportJob.Status.READY, {"price_list": "CAT26"}, 1)
    page = client.get(job.get_absolute_url()).content.decode()
    assert f'href="{price_list.get_absolute_url()}"' in page and "Commit import" in page
    assert not PriceListEntry.objects.exists()

    client.post(reverse("imports:import_job_commit", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, bytes(job.content)) == (ImportJob.Status.DONE, b"")
    assert PriceListEntry.objects.get().price == D("3.500")

    refused = client.post(url, {"file": SimpleUploadedFile("p.pdf", b"%PDF")}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200 and "Upload a .csv or .xlsx file." in refused.content.decode()
    assert ImportJob.objects.count() == 1

    exported = client.get(reverse("marketing:pricelist_export", args=[price_list.pk, "csv"]))
    assert exported["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8-sig")))) == [
        ["price_list", "sku_code", "price", "effective_from", "effective_to"], ["CAT26", "A-1", "3.500", "", ""]]


def test_coupons_single_and_generated_with_a_csv_download(role_client):
    client = role_client(M)
    campaign = make_campaign()
    promotion = make_promotion("Mailer", campaign=campaign, requires_coupon=True)

    client.post(reverse("marketing:coupon_create", args=[promotion.pk]), {"code": "mail10", "max_uses": ""})
    taken = client.post(reverse("marketing:coupon_create", args=[promotion.pk]), {"code": "MAIL10"})
    assert taken.status_code == 400 and "MAIL10 is taken" in taken.content.decode()

    response = client.post(reverse("marketing:coupon_generate", args=[promotion.pk]),
                           {"quantity": "25", "prefix": "m", "length": "8", "max_uses": "1", "campaign": campaign.pk})
    assert response.status_code == 302
    batch = CouponBatch.objects.get()
    download = client.get(reverse("marketing:coupon_batch_download", args=[batch.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))

    assert rows[0] == ["code", "promotion", "uses allowed"]
    assert sorted(row[0] for row in rows[1:]) == sorted(batch.coupons.values_list("code", flat=True))
    assert len(rows) == 26 and all(row[0].startswith("M") for row in rows[1:])
    assert Coupon.objects.filter(batch__isnull=True).get().code == "MAIL10"


def test_list_pages_do_not_query_per_row(role_client):
    client = role_client(M)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    campaign = make_campaign()
    make_promotion("First", campaign=campaign)
    make_source_code(campaign=campaign)
    make_price_list("P0")
    before = {name: queries(reverse(name)) for name in (
        "marketing:campaign_list", "marketing:promotion_list", "marketing:sourcecode_list", "marketing:pricelist_list")}
    for number in range(10):
        other = make_campaign(f"C{number}")
        make_promotion(f"P{number}", campaign=other)
        make_source_code(f"S{number}", campaign=other, price_list=make_price_list(f"L{number}"))
    after = {name: queries(reverse(name)) for name in before}

    assert after == before


# --- the simulator ---------------------------------------------------------------------------------------


def _simulator_post(**fields):
    data = {"lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0", "channel": "phone", "customer_type": "retail",
            "currency": "USD", "shipping_method": "ground", "shipping_charge": "", "source_code": "", "coupons": "",
            "segments": "", "customer_id": "", "at": ""}
    data.update(fields)
    return data


def test_simulator_prices_a_basket_as_you_type(role_client):
    style = StyleFactory(category="shoes")
    SkuFactory(code="SHOE-1", style=style, list_price=D("60"))
    SkuFactory(code="SHOE-2", style=style, list_price=D("40"))
    bogo = make_promotion("Shoes BOGO", Promotion.Kind.BUY_X_GET_Y, buy_quantity=1, get_quantity=1)
    make_source_code(promotions=[bogo], offers_free_shipping=True)
    client = role_client(A)

    response = client.post(reverse("marketing:simulator"), _simulator_post(**{
        "lines-0-sku_code": "SHOE-1", "lines-0-quantity": "1", "lines-1-sku_code": "SHOE-2",
        "source_code": "k26a", "shipping_charge": "9.95"}), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="result"')
    assert 'id="order-total">$60.00<' in html
    assert "Shoes BOGO" in html and "Source code K26A: free shipping" in html
    assert "Source code K26A of campaign SPRING26." in html


def test_simulator_explains_problems_instead_of_failing(role_client):
    SkuFactory(code="SHOE-1")
    client = role_client(M)

    unknown = client.post(reverse("marketing:simulator"), _simulator_post(**{"lines-0-sku_code": "NOPE"}),
                          HTTP_HX_REQUEST="true")
    assert "Unknown SKU: NOPE." in unknown.content.decode()

    invalid = client.post(reverse("marketing:simulator"),
                          _simulator_post(**{"lines-0-sku_code": "SHOE-1", "channel": "fax"}), HTTP_HX_REQUEST="true")
    assert "Use phone, web, pos, store or marketplace:&lt;name&gt;." in invalid.content.decode()

    empty = client.post(reverse("marketing:simulator"), _simulator_post(), HTTP_HX_REQUEST="true")
    assert "Enter at least one SKU code." in empty.content.decode()


def test_simulator_adds_a_row_and_works_without_javascript(role_client):
    SkuFactory(code="SHOE-1", list_price=D("10"))
    client = role_client(M)

    page = client.get(reverse("marketing:simulator"))
    assert page.content.decode().count('name="lines-') >= 15  # five rows of three fields

    more = client.post(reverse("marketing:simulator"), _simulator_post(add_row="1"), HTTP_HX_REQUEST="true")
    assert 'name="lines-3-sku_code"' in more.content.decode()
    assert more.content.decode().lstrip().startswith('<div id="simulator"')

    plain = client.post(reverse("marketing:simulator"), _simulator_post(**{"lines-0-sku_code": "SHOE-1",
                                                                           "lines-0-quantity": "3"}))
    assert "<html" in plain.content.decode() and 'id="order-total">$30.00<' in plain.content.decode()


@pytest.mark.parametrize("model", ["campaign", "sourcecode", "pricelist", "pricelistentry", "promotion", "coupon",
                                   "couponbatch", "segment", "promotionusage", "promotioncustomerusage"])
def test_admin_pages_of_every_marketing_model_open(role_client, objects, model):
    client = role_client(AD)

    assert client.get(reverse(f"admin:marketing_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:marketing_{model}_add")).status_code == 200
