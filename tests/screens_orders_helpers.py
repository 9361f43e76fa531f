"""Setup for the customer and order screen tests (on top of tests/factories.py).

Orders here are written straight to the tables: the screens read whatever the services
wrote, and these tests check the reading (filters, pages, query counts), not the writing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import factory
import pytest
from django.utils import timezone

from orders.models import Address, Customer, Hold, LineAllocation, Order, OrderEvent, OrderLine, OrderStatus
from tests.factories import SkuFactory, WarehouseFactory

ROLES = ("Agent", "Warehouse", "Manager", "Accountant", "Admin")


@pytest.fixture(scope="session", autouse=True)
def roles_in_sync(django_db_setup, django_db_blocker):
    """Give the role groups the permissions of oms/roles.py once the test database exists.

    oms.roles.sync_roles_after_migrate waits for the post_migrate of the last app, but Django
    sends none for an app without models (integrations, today), so after a fresh migrate the
    groups lack the permissions of the apps migrated after oms.0002_roles (orders, marketing).
    Import this fixture into a test module to have it run.
    """
    from oms.roles import sync_roles

    with django_db_blocker.unblock():
        sync_roles()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    number = factory.Sequence(lambda n: f"C{90000 + n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    emails = factory.Sequence(lambda n: [f"customer{n}@example.com"])
    phones = factory.Sequence(lambda n: [f"1555{n:07d}"])


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    customer = factory.SubFactory(CustomerFactory)
    name = factory.LazyAttribute(lambda address: address.customer.display_name if address.customer else "Jo Doe")
    line1 = factory.Sequence(lambda n: f"{n + 1} Main Street")
    city = "Albany"
    region = "NY"
    postal_code = "12207"
    country = "US"


def customer_with_address(**fields) -> Customer:
    customer = CustomerFactory(**fields)
    address = AddressFactory(customer=customer)
    customer.default_ship_address = customer.default_bill_address = address
    customer.save(update_fields=["default_ship_address", "default_bill_address"])
    return customer


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"{500000 + n}")
    channel = "phone"
    customer = factory.SubFactory(CustomerFactory)
    status = OrderStatus.PLACED
    placed_at = factory.Sequence(lambda n: timezone.now() - dt.timedelta(hours=n))
    ship_to = factory.LazyFunction(lambda: {"name": "Jo Doe", "line1": "1 Main Street", "city": "Albany",
                                            "region": "NY", "postal_code": "12207", "country": "US"})
    subtotal = Decimal("20.000")
    total = Decimal("21.600")
    tax_total = Decimal("1.600")


def order_line(order: Order, *, sku=None, quantity: int = 1, line_number: int | None = None, **fields) -> OrderLine:
    sku = sku or SkuFactory()
    if line_number is None:
        line_number = order.lines.count() + 1
    return OrderLine.objects.create(
        order=order, line_number=line_number, sku=sku, sku_code=sku.code, description=sku.name, quantity=quantity,
        unit_price=fields.pop("unit_price", Decimal("10.000")),
        line_total=fields.pop("line_total", Decimal("10.000") * quantity), **fields)


def allocate(line: OrderLine, *, warehouse=None, quantity: int | None = None, reason: str = "") -> LineAllocation:
    quantity = quantity or line.quantity
    OrderLine.objects.filter(pk=line.pk).update(quantity_allocated=line.quantity_allocated + quantity)
    line.refresh_from_db()
    return LineAllocation.objects.create(line=line, warehouse=warehouse or WarehouseFactory(), quantity=quantity,
                                         reservation_group=uuid.uuid4(), reason=reason)


def hold(order: Order, reason: str = Hold.Reason.MANUAL, *, released: bool = False, note: str = "") -> Hold:
    return Hold.objects.create(order=order, reason=reason, note=note,
                               released_at=timezone.now() if released else None)


def event(order: Order, message: str = "Placed", kind: str = OrderEvent.Kind.STATUS, **fields) -> OrderEvent:
    return OrderEvent.objects.create(order=order, kind=kind, message=message, **fields)


def full_order(**fields) -> Order:
    """An order with what its page shows: three lines (one allocated in two warehouses, one
    backordered, one substituted and personalized), an open and a released hold, events."""
    order = OrderFactory(**fields)
    first = order_line(order, quantity=3)
    allocate(first, quantity=2, reason="Ships the whole order")
    allocate(first, quantity=1, reason="Second warehouse")
    order_line(order, quantity=2, expected_on=dt.date.today() + dt.timedelta(days=9))
    substituted = SkuFactory()
    order_line(order, quantity=1, substituted_from=substituted, personalization={"monogram": "ABC"},
               personalization_amount=Decimal("5.000"))
    hold(order, Hold.Reason.MANUAL, note="Customer asked to wait")
    hold(order, Hold.Reason.ADDRESS, released=True)
    for message in ("Placed", "On hold", "Allocated"):
        event(order, message)
    return order


# --- a shop to take phone orders in -----------------------------------------------------------

NEW_YORK = {"name": "Ada Lovelace", "line1": "350 Fifth Avenue", "city": "New York", "region": "NY",
            "postal_code": "10118", "country": "US"}


def entry_world():
    """What a phone order touches: two warehouses with stock, two shipping methods, New York's tax,
    a plain SKU on a source code's price list, a kit, a personalized SKU, one out of stock with a
    vendor (so it is backordered with an expected date), and a returning customer in New York."""
    from string import ascii_uppercase
    from types import SimpleNamespace

    from catalog.models import PersonalizationField, PersonalizationTemplate, VendorItem
    from marketing.models import Campaign, PriceList, PriceListEntry, SourceCode
    from orders.models import ShippingMethod, TaxRate
    from tests.factories import StyleFactory, VendorFactory, kit, stock

    east = WarehouseFactory(code="EAST", name="East", priority=1)
    west = WarehouseFactory(code="WEST", name="West", priority=2)
    ground = ShippingMethod.objects.create(code="GROUND", name="Ground", carrier="UPS", base_charge=Decimal("5"),
                                           per_item_charge=Decimal("1"), countries=["US"], position=0)
    express = ShippingMethod.objects.create(code="EXPRESS", name="Express", carrier="FedEx",
                                            base_charge=Decimal("15"), countries=["US"], position=1)
    TaxRate.objects.create(country="US", region="NY", rate=Decimal("0.08875"), applies_to_shipping=True)
    mugs = StyleFactory(code="MUGS", name="Mugs")
    mug = SkuFactory(style=mugs, code="MUG-RED", name="Red mug", list_price=Decimal("12.000"))
    blue_mug = SkuFactory(style=mugs, code="MUG-BLUE", name="Blue mug", list_price=Decimal("12.000"))
    coaster = SkuFactory(code="COASTER-CORK", name="Cork coaster", list_price=Decimal("3.000"))
    stock(mug, east, 40)
    stock(mug, west, 5)
    stock(blue_mug, west, 30)
    stock(coaster, east, 100)
    gift_set = kit((mug, 1), (coaster, 2), code="SET-MUG", name="Mug and coasters gift set",
                   list_price=Decimal("19.000"))
    monogram = PersonalizationTemplate.objects.create(name="Monogram", price_addon=Decimal("5.000"))
    PersonalizationField.objects.create(template=monogram, key="initials", label="Initials", max_length=3,
                                        allowed_characters=ascii_uppercase)
    tote = SkuFactory(code="TOTE-NAVY", name="Navy tote bag", list_price=Decimal("20.000"),
                      personalization_template=monogram)
    stock(tote, east, 10)
    lamp = SkuFactory(code="LAMP-BRASS", name="Brass desk lamp", list_price=Decimal("80.000"))
    VendorItem.objects.create(vendor=VendorFactory(lead_time_days=21), sku=lamp, cost=Decimal("30"),
                              lead_time_days=10, is_preferred=True)
    campaign = Campaign.objects.create(code="SPRING", name="Spring catalog")
    price_list = PriceList.objects.create(code="SPRING-PRICES", name="Spring prices")
    PriceListEntry.objects.create(price_list=price_list, sku=mug, price=Decimal("10.000"))
    source_code = SourceCode.objects.create(code="CAT25", campaign=campaign, price_list=price_list)
    customer = CustomerFactory(first_name="Ada", last_name="Lovelace", emails=["ada@example.com"],
                               phones=["12125550123"])
    home = Address.objects.create(customer=customer, **NEW_YORK)
    customer.default_ship_address = customer.default_bill_address = home
    customer.save(update_fields=["default_ship_address", "default_bill_address"])
    return SimpleNamespace(east=east, west=west, ground=ground, express=express, mug=mug, blue_mug=blue_mug,
                           coaster=coaster, gift_set=gift_set, tote=tote, lamp=lamp, source_code=source_code,
                           customer=customer, home=home)
