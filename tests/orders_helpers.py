"""Factories and helpers for the order tests: customers, delivery methods, tax rates, placing orders."""

from __future__ import annotations

from decimal import Decimal

import factory

NEW_YORK = {"name": "Ada Lovelace", "line1": "350 Fifth Avenue", "city": "New York", "region": "NY",
            "postal_code": "10118", "country": "US", "phone": "2125551234"}
CALIFORNIA = {"name": "Grace Hopper", "line1": "1 Infinite Loop", "city": "Cupertino", "region": "CA",
              "postal_code": "95014", "country": "US"}
OREGON = {"name": "Linus Pauling", "line1": "1 Main Street", "city": "Portland", "region": "OR",
          "postal_code": "97201", "country": "US"}
TORONTO = {"name": "Alan Turing", "line1": "301 Front Street West", "city": "Toronto", "region": "ON",
           "postal_code": "M5V 2T6", "country": "CA"}
VANCOUVER = {"name": "Alan Turing", "line1": "800 Robson Street", "city": "Vancouver", "region": "BC",
             "postal_code": "V6Z 2E6", "country": "CA"}


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.Customer"

    number = factory.Sequence(lambda n: f"T{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    emails = factory.LazyAttribute(lambda customer: [f"{customer.number.lower()}@example.com"])


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.ShippingMethod"
        django_get_or_create = ("code",)

    code = "GROUND"
    name = "Ground"
    carrier = "UPS"
    base_charge = Decimal("5.00")
    per_item_charge = Decimal("1.00")
    countries = factory.LazyFunction(lambda: ["US"])
    serves_po_boxes = False
    transit_days = 5


def ground() -> object:
    """UPS Ground: US only, no PO boxes, 5.00 + 1.00 per item."""
    return ShippingMethodFactory()


def priority_mail() -> object:
    """USPS Priority: US and Canada, PO boxes welcome, 8.00 flat."""
    return ShippingMethodFactory(code="PRIORITY", name="Priority Mail", carrier="USPS",
                                 base_charge=Decimal("8.00"),
                                 per_item_charge=Decimal("0"), countries=["US", "CA"], serves_po_boxes=True)


def store_pickup() -> object:
    return ShippingMethodFactory(code="PICKUP", name="Store pickup", carrier="", base_charge=Decimal("0"),
                                 per_item_charge=Decimal("0"), countries=[], fulfillment_type="pickup")


def ship_to_store() -> object:
    return ShippingMethodFactory(code="TOSTORE", name="Ship to store", carrier="", base_charge=Decimal("0"),
                                 per_item_charge=Decimal("0"), countries=[], fulfillment_type="ship_to_store")


def tax_rates() -> None:
    """New York 8.875 % (shipping taxed), California 7.25 %, Canada GST 5 % + BC PST 7 %; none in Oregon."""
    from orders.models import TaxRate

    TaxRate.objects.bulk_create([
        TaxRate(country="US", region="NY", rate=Decimal("0.08875"), applies_to_shipping=True),
        TaxRate(country="US", region="CA", rate=Decimal("0.0725")),
        TaxRate(country="CA", region="", rate=Decimal("0.05"), applies_to_shipping=True),
        TaxRate(country="CA", region="BC", rate=Decimal("0.07")),
    ])


def line(sku, quantity: int = 1, **personalization):
    from orders.services import LineRequest

    return LineRequest(sku=sku, quantity=quantity, personalization=personalization)


def place(*, lines, customer=None, channel: str = "phone", ship_to: dict | None = None, user=None, **options):
    """Place an order through the service with sensible defaults (a phone order to New York)."""
    from orders.services import order_place

    return order_place(user=user, channel=channel, customer=customer or CustomerFactory(), lines=lines,
                       ship_to=NEW_YORK if ship_to is None else ship_to, **options)


def all_violations() -> list:
    """Every invariant violation of every app (what ``manage.py check_invariants`` reports)."""
    try:
        from oms.invariants import all_violations as collect  # where it may move
    except ImportError:
        from oms.management.commands.check_invariants import all_violations as collect
    return collect()


def level(sku, warehouse) -> tuple[int, int]:
    """(on hand, reserved) of a SKU at a warehouse."""
    from inventory.models import StockLevel

    row = StockLevel.objects.filter(sku=sku, warehouse=warehouse).values_list("on_hand", "reserved").first()
    return row or (0, 0)


def table_counts() -> dict[str, int]:
    """Row counts of every table an order touches: to prove a refusal wrote nothing."""
    from inventory.models import Reservation, StockLevel
    from marketing.models import PromotionUsage
    from orders.models import Hold, LineAllocation, Order, OrderEvent, OrderLine

    return {model.__name__: model.objects.count() for model in (
        Order, OrderLine, LineAllocation, Hold, OrderEvent, Reservation, PromotionUsage)} | {
        "reserved": sum(StockLevel.objects.values_list("reserved", flat=True))}

