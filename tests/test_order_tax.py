"""Sales tax by tax class and by where the goods are handed over (orders.services.tax)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.models import TaxRate
from orders.services import order_cancel_lines, order_quote
from orders.services.tax import tax_address, tax_rule
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import (
    CALIFORNIA,
    VANCOUVER,
    CustomerFactory,
    all_violations,
    ground,
    line,
    place,
    priority_mail,
    ship_to_store,
    store_pickup,
)

pytestmark = pytest.mark.django_db

CHICAGO = {"name": "Ada Lovelace", "line1": "233 South Wacker Drive", "city": "Chicago", "region": "IL",
           "postal_code": "60606", "country": "US"}


def rates(*rows) -> None:
    TaxRate.objects.bulk_create([TaxRate(country=country, region=region, tax_class=tax_class, rate=Decimal(rate),
                                         applies_to_shipping=shipping)
                                 for country, region, tax_class, rate, shipping in rows])


@pytest.fixture
def rate_table():
    """Illinois 6.25 % with food at 1 %; New York 8.875 % (shipping taxed), no reduced row;
    California 7.25 %; Canada GST 5 % with food at 0 %, BC PST 7 % with no reduced row."""
    rates(("US", "IL", "standard", "0.0625", False), ("US", "IL", "reduced", "0.01", False),
          ("US", "NY", "standard", "0.08875", True), ("US", "CA", "standard", "0.0725", False),
          ("CA", "", "standard", "0.05", True), ("CA", "", "reduced", "0", False),
          ("CA", "BC", "standard", "0.07", False))


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="EAST", priority=10)


@pytest.fixture
def store():
    """A store in New York; its own stock is what pickup orders take."""
    return WarehouseFactory(code="SOHO", name="SoHo Store", kind="store", ships=False, allows_pickup=True,
                            priority=90, address_line="120 Prince Street", city="New York", region="NY",
                            postal_code="10012", country="US")


@pytest.fixture
def skus(warehouse, store):
    """A standard, a reduced, a zero-rated and an exempt SKU at 100.00 each, stocked everywhere."""
    made = {tax_class: SkuFactory(code=tax_class.upper(), list_price=Decimal("100.00"), tax_class=tax_class)
            for tax_class in ("standard", "reduced", "zero", "exempt")}
    for sku in made.values():
        stock(sku, warehouse, 10)
        stock(sku, store, 10)
    return made


def every_class(skus, quantity: int = 1) -> list:
    return [line(skus[tax_class], quantity) for tax_class in ("standard", "reduced", "zero", "exempt")]


def line_taxes(order) -> list[Decimal]:
    return list(order.lines.order_by("line_number").values_list("tax_amount", flat=True))


# --- the rule ---------------------------------------------------------------------------------------


def test_a_reduced_row_gives_reduced_skus_their_rate_and_each_level_falls_back_to_its_standard_row(
        rate_table, django_assert_num_queries):
    with django_assert_num_queries(1):
        illinois = tax_rule(address=CHICAGO)
    british_columbia = tax_rule(address=VANCOUVER)
    new_york = tax_rule(address={"country": "US", "region": "ny"})

    assert [illinois.rate_for(tax_class) for tax_class in ("standard", "reduced", "zero", "exempt")] == [
        Decimal("0.0625"), Decimal("0.01"), Decimal("0"), Decimal("0")]
    # GST's reduced row (0 %) plus BC's standard row, as BC has no reduced one.
    assert [british_columbia.rate_for(tax_class) for tax_class in ("standard", "reduced", "zero", "exempt")] == [
        Decimal("0.12"), Decimal("0.07"), Decimal("0"), Decimal("0")]
    assert (british_columbia.shipping_rate, british_columbia.jurisdiction) == (Decimal("0.05"), "CA-BC")
    # No reduced row at all: a reduced SKU pays the standard rate.
    assert (new_york.rate_for("reduced"), new_york.class_rates) == (Decimal("0.08875"), {})
    assert illinois.as_dict() == {"rate": "0.06250", "shipping_rate": "0", "jurisdiction": "US-IL",
                                  "class_rates": {"reduced": "0.01000"}}


def test_a_reduced_row_does_not_tax_shipping_even_when_it_says_so():
    rates(("DE", "", "standard", "0.19", True), ("DE", "", "reduced", "0.07", True))

    germany = tax_rule(address={"country": "DE"})

    assert (germany.rate, germany.rate_for("reduced"), germany.shipping_rate) == (
        Decimal("0.19"), Decimal("0.07"), Decimal("0.19"))


def test_where_the_goods_are_handed_over(store):
    assert tax_address(ship_to=CALIFORNIA, fulfillment_type="ship", pickup_warehouse=None) == CALIFORNIA
    for fulfillment_type in ("pickup", "ship_to_store"):
        address = tax_address(ship_to=CALIFORNIA, fulfillment_type=fulfillment_type, pickup_warehouse=store)
        assert {key: address[key] for key in ("line1", "city", "region", "postal_code", "country")} == {
            "line1": "120 Prince Street", "city": "New York", "region": "NY", "postal_code": "10012",
            "country": "US"}


# --- orders -----------------------------------------------------------------------------------------


def test_a_shipped_order_taxes_each_line_at_its_class_rate(rate_table, skus):
    order = place(lines=every_class(skus, 2), ship_to=CHICAGO, shipping_method=ground())

    assert line_taxes(order) == [Decimal("12.50"), Decimal("2.00"), Decimal("0.00"), Decimal("0.00")]
    assert order.shipping_total == Decimal("13.00")  # 5.00 + 8 items; Illinois does not tax shipping
    assert order.tax_total == Decimal("14.50")
    assert order.total == Decimal("800.00") + Decimal("13.00") + Decimal("14.50")
    assert order.pricing["tax"]["class_rates"] == {"reduced": "0.01000"}
    assert all_violations() == []


def test_a_canadian_order_taxes_reduced_skus_at_gst_zero_plus_pst(rate_table, skus):
    order = place(lines=every_class(skus), ship_to=VANCOUVER, shipping_method=priority_mail())

    assert line_taxes(order) == [Decimal("12.00"), Decimal("7.00"), Decimal("0.00"), Decimal("0.00")]
    assert order.tax_total == Decimal("19.00") + Decimal("0.40")  # GST alone on the 8.00 shipping


def test_a_tax_exempt_customer_pays_none_on_any_class(rate_table, skus):
    order = place(customer=CustomerFactory(is_tax_exempt=True, tax_exempt_number="IL-1"), lines=every_class(skus),
                  ship_to=CHICAGO, shipping_method=ground())

    assert line_taxes(order) == [Decimal("0.00")] * 4
    assert order.tax_total == Decimal("0.00")


@pytest.mark.parametrize("method", [store_pickup, ship_to_store])
def test_pickup_and_ship_to_store_are_taxed_at_the_store_not_the_customers_address(rate_table, skus, store,
                                                                                 method):
    # A Californian (7.25 %) collects at the New York store (8.875 %, no reduced rate).
    order = place(lines=every_class(skus), ship_to=CALIFORNIA, shipping_method=method(), pickup_warehouse=store)

    assert line_taxes(order) == [Decimal("8.88"), Decimal("8.88"), Decimal("0.00"), Decimal("0.00")]
    assert order.tax_total == Decimal("17.76")  # the store methods charge no shipping
    assert order.pricing["tax"]["jurisdiction"] == "US-NY"
    assert all_violations() == []


def test_a_pickup_order_without_an_address_takes_the_stores_for_tax_and_the_slip(rate_table, skus, store):
    order = place(lines=[line(skus["reduced"], 1)], ship_to={}, shipping_method=store_pickup(),
                  pickup_warehouse=store)

    assert (order.ship_to["line1"], order.ship_to["city"], order.ship_to["region"]) == (
        "120 Prince Street", "New York", "NY")
    assert line_taxes(order) == [Decimal("8.88")]


def test_the_quote_taxes_a_pickup_at_the_store(rate_table, skus, store):
    quote = order_quote(channel="phone", customer=CustomerFactory(), lines=every_class(skus), ship_to=CALIFORNIA,
                        shipping_method=store_pickup(), fulfillment_type="pickup", pickup_warehouse=store)

    assert quote.errors == {}
    assert [quote_line.tax for quote_line in quote.lines] == [
        Decimal("8.88"), Decimal("8.88"), Decimal("0.00"), Decimal("0.00")]
    assert (quote.tax_total, quote.tax_rate) == (Decimal("17.76"), Decimal("0.08875"))


def test_repricing_a_pickup_order_keeps_the_stores_tax(rate_table, skus, store):
    order = place(lines=every_class(skus, 2), ship_to=CALIFORNIA, shipping_method=store_pickup(),
                  pickup_warehouse=store)
    standard_line = order.lines.get(line_number=1)

    order = order_cancel_lines(order=order, quantities={standard_line.pk: 1}, user=None, reason="Changed mind")

    assert line_taxes(order) == [Decimal("8.88"), Decimal("17.75"), Decimal("0.00"), Decimal("0.00")]
    assert order.tax_total == Decimal("26.63")
    assert all_violations() == []
