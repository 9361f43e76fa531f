"""The customer and campaign reports' rollups: folded, rebuilt and proved like the others."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.services import stock_receive
from marketing.models import Campaign, SourceCode
from orders.fulfillment.shipping import shipment_confirm, shipment_open
from orders.models import Order
from orders.services import order_cancel
from reporting.models import CustomerSales, DailyCampaignSales
from reporting.rollups import registry
from reporting.rollups.definitions import shop_today
from reporting.rollups.engine import rollups_fold, rollups_rebuild, rollups_verify
from reporting.selectors.customers import rfm_extraction, top_customers
from tests.factories import SkuFactory, UserFactory, WarehouseFactory
from tests.orders_helpers import OREGON, CustomerFactory, ground, line, place

pytestmark = pytest.mark.django_db

CUSTOMER_FIELDS = ("customer_id", "orders", "spend", "first_order_id", "last_source_code", "last_channel")
CAMPAIGN_FIELDS = ("day", "source_code", "channel", "orders", "revenue", "shipped_revenue", "cogs")


@pytest.fixture
def shop():
    warehouse = WarehouseFactory(code="EAST", priority=1)
    lamp = SkuFactory(code="LAMP", list_price=Decimal("40.00"))
    stock_receive(sku=lamp, warehouse=warehouse, quantity=20, unit_cost=Decimal("10.00"), user=None)
    campaign = Campaign.objects.create(code="FALL", name="Fall catalog", medium="catalog")
    SourceCode.objects.create(code="FALL-A", campaign=campaign, quantity_circulated=100, cost=Decimal("5.00"))
    return {"warehouse": warehouse, "lamp": lamp, "packer": UserFactory(username="packer")}


def _order(shop, customer, lamps, *, code="FALL-A", channel="phone", ship=False):
    placed = place(lines=[line(shop["lamp"], lamps)], customer=customer, source_code=code, channel=channel,
                   ship_to=OREGON, shipping_method=ground())
    if ship:
        shipment = shipment_open(order=placed, warehouse=shop["warehouse"], user=shop["packer"])
        shipment_confirm(shipment=shipment, user=shop["packer"])
    placed.refresh_from_db()
    return placed


def rows(model, fields):
    return sorted(model.objects.values_list(*fields))


def test_the_report_rollups_are_registered():
    names = [rollup.name for rollup in registry.all_rollups()]
    assert {"customer_sales", "daily_campaign"} <= set(names)


def test_folds_keep_a_row_per_customer_and_per_day_code_and_channel(shop):
    ann, bob = CustomerFactory(number="C-ANN"), CustomerFactory(number="C-BOB")
    first = _order(shop, ann, 2, ship=True)  # 80 + shipping 7, no tax (Oregon)
    assert CustomerSales.objects.count() == 0  # nothing is written in the order's transaction
    rollups_fold()
    second = _order(shop, ann, 1, channel="web")
    cancelled = _order(shop, bob, 1)
    rollups_fold()
    today = shop_today()
    assert rows(CustomerSales, CUSTOMER_FIELDS) == sorted([
        (ann.pk, 2, first.total + second.total, first.pk, "FALL-A", "web"),
        (bob.pk, 1, cancelled.total, cancelled.pk, "FALL-A", "phone")])
    order_cancel(order=cancelled, user=shop["packer"], reason="changed mind")
    rollups_fold()
    # Ann: two orders, her last on the web; Bob's only order is cancelled: no row
    assert rows(CustomerSales, CUSTOMER_FIELDS) == [
        (ann.pk, 2, first.total + second.total, first.pk, "FALL-A", "web")]
    # The ledger's shipment entry: 87.00 of income (lamps and shipping), 20.00 of COGS (2 × 10.00)
    assert rows(DailyCampaignSales, CAMPAIGN_FIELDS) == [
        (today, "FALL-A", "phone", 1, first.total - first.tax_total, Decimal("87.000"), Decimal("20.000")),
        (today, "FALL-A", "web", 1, second.total - second.tax_total, Decimal("0"), Decimal("0"))]
    before = rows(CustomerSales, CUSTOMER_FIELDS), rows(DailyCampaignSales, CAMPAIGN_FIELDS)
    rollups_fold()  # the overlap behind the watermark changes nothing
    assert (rows(CustomerSales, CUSTOMER_FIELDS), rows(DailyCampaignSales, CAMPAIGN_FIELDS)) == before
    # And a rebuild from scratch gives the same rows
    CustomerSales.objects.all().delete()
    DailyCampaignSales.objects.all().delete()
    rollups_rebuild()
    assert (rows(CustomerSales, CUSTOMER_FIELDS), rows(DailyCampaignSales, CAMPAIGN_FIELDS)) == before
    # The reports read them
    assert [row["number"] for row in top_customers()] == ["C-ANN"]
    assert top_customers()[0]["spend"] == first.total + second.total


def test_the_nightly_check_covers_the_report_rollups_and_repairs_them(shop):
    ann = CustomerFactory(number="C-ANN")
    order = _order(shop, ann, 2)
    Order.objects.filter(pk=order.pk).update(updated_at=timezone.now() - timedelta(hours=1))  # long folded
    rollups_fold()
    assert rollups_verify(days=[shop_today()]).ok
    Order.objects.filter(pk=order.pk).update(total=order.total + 1)  # no updated_at
    rollups_fold()
    assert CustomerSales.objects.get().spend == order.total  # the fold could not see it
    check = rollups_verify(days=[shop_today()])
    found = {detail.split(": ")[1] for detail in check.details}
    assert {"customer_sales", "daily_campaign"} <= found
    assert CustomerSales.objects.get().spend == order.total + 1
    assert DailyCampaignSales.objects.get().revenue == order.total + 1 - order.tax_total
    assert rollups_verify(days=[shop_today()]).ok


def test_the_rfm_extraction_of_today_reads_the_rollup(shop):
    ann = CustomerFactory(number="C-ANN", marketing_opt_in=True)
    _order(shop, ann, 1)
    assert rfm_extraction() == []  # not folded yet: the rollup is what the extraction reads
    rollups_fold()
    (row,) = rfm_extraction()
    assert (row["number"], row["frequency"], row["rfm_cell"]) == ("C-ANN", 1, "555")
