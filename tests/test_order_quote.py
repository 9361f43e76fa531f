"""order_quote: what the order-entry screen shows on every keystroke; it writes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from catalog.models import PersonalizationField, PersonalizationTemplate
from inventory.services import purchase_order_create, purchase_order_send
from orders.availability import shop_today
from orders.services import order_quote
from tests.factories import SkuFactory, StyleFactory, VendorFactory, WarehouseFactory, kit, stock
from tests.orders_helpers import NEW_YORK, CustomerFactory, ground, line, table_counts, tax_rates

pytestmark = pytest.mark.django_db


def test_a_quote_prices_taxes_and_shows_stock_without_writing_anything():
    tax_rates()
    east, west = WarehouseFactory(code="EAST", priority=10), WarehouseFactory(code="WEST", priority=20)
    style = StyleFactory()
    shirt_m, shirt_l, shirt_s = (SkuFactory(style=style, code=code, list_price=Decimal("19.99"))
                                 for code in ("SH-M", "SH-L", "SH-S"))
    stock(shirt_m, east, 2)
    stock(shirt_m, west, 1)
    stock(shirt_l, west, 8)
    vendor = VendorFactory()
    due = shop_today() + dt.timedelta(days=9)
    purchase_order_send(purchase_order=purchase_order_create(
        vendor=vendor, warehouse=east, lines=[(shirt_m, 20, Decimal("6.00"))], user=None, expected_on=due),
        user=None)
    before = table_counts()

    quote = order_quote(channel="phone", customer=CustomerFactory(), lines=[line(shirt_m, 5), line(shirt_s,
                                                                                                   1)],
                        ship_to=NEW_YORK, shipping_method=ground())

    assert table_counts() == before
    assert quote.is_placeable and quote.errors == {}
    m_line, s_line = quote.lines
    assert (m_line.unit_price, m_line.subtotal, m_line.tax, m_line.line_total) == (
        Decimal("19.99"), Decimal("99.95"), Decimal("8.87"), Decimal("108.82"))
    assert m_line.availability == {"EAST": 2, "WEST": 1} and m_line.available == 3 and m_line.is_short
    assert m_line.expected_on == due
    assert [sku.code for sku in m_line.substitutes] == ["SH-L"]
    assert s_line.available == 0 and s_line.expected_on is None  # nobody supplies it
    assert (quote.subtotal, quote.shipping_total, quote.shipping_tax, quote.tax_total, quote.total) == (
        Decimal("119.94"), Decimal("11.00"), Decimal("0.98"), Decimal("11.62"),  # tax 8.87 + 1.77 + 0.98
        Decimal("142.56"))
    assert quote.tax_rate == Decimal("0.08875")
    assert any("Total" in str(note) for note in quote.explanation)


def test_a_quote_shows_line_address_and_delivery_problems_instead_of_raising():
    template = PersonalizationTemplate.objects.create(name="Name", price_addon=Decimal("5.00"))
    PersonalizationField.objects.create(template=template, key="name", label="Name", max_length=5)
    mug = SkuFactory(personalization_template=template)

    quote = order_quote(channel="phone", customer=None, lines=[line(mug, 1, name="Bartholomew")],
                        ship_to=NEW_YORK | {"line1": "PO Box 5", "postal_code": "9"},
                        shipping_method=ground())

    too_long = "Name can be at most 5 characters (it has 11)."
    assert quote.lines[0].personalization_errors == {"name": [too_long]}
    assert quote.errors == {"lines-0-personalization-name": ["Name can be at most 5 characters (it has 11)."]}
    assert list(quote.address_problems) == ["postal_code"]
    assert quote.delivery_problems == ["Ground cannot deliver to a PO box: give a street address or choose "
                                       "another method."]
    assert not quote.is_placeable
    assert quote.lines[0].line_total == Decimal("15.00")  # priced as personalized all the same


def test_a_kit_is_available_as_many_times_as_its_scarcest_component_allows():
    warehouse = WarehouseFactory(code="EAST")
    candle, holder = SkuFactory(), SkuFactory()
    stock(candle, warehouse, 7)
    stock(holder, warehouse, 2)
    gift_set = kit((candle, 3), (holder, 1), list_price=Decimal("40.00"))

    quote = order_quote(channel="web", customer=None, lines=[line(gift_set, 1)], ship_to=NEW_YORK)

    assert quote.lines[0].availability == {"EAST": 2}


def test_the_quote_costs_the_same_number_of_queries_for_one_line_or_eight(django_assert_num_queries):
    tax_rates()
    warehouse = WarehouseFactory()
    skus = [SkuFactory() for _ in range(8)]
    for sku in skus:
        stock(sku, warehouse, 5)
    customer, method = CustomerFactory(), ground()

    def quote(count: int):
        return order_quote(channel="phone", customer=customer, lines=[line(sku, 1) for sku in skus[:count]],
                           ship_to=NEW_YORK, shipping_method=method)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one_line:
        quote(1)
    with django_assert_num_queries(len(one_line.captured_queries)):
        result = quote(8)
    assert len(result.lines) == 8
    assert len(one_line.captured_queries) <= 8
