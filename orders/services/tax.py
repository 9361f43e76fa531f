"""Sales tax at order entry.

**Where.** Tax is due where the goods are handed over (:func:`tax_address`): the ship-to
address of a shipped order, and the store's own address (``Warehouse`` country, region, city,
postal code) for store pickup and ship-to-store, whatever the customer's address is.

**The rule.** The tax rate of an address is the *sum* of the country-wide rate (the
``TaxRate`` row with a blank region) and the rate of its state or region (the row with that
region code), each when it exists. So a region row *extends* the country:

- United States: no country row, one row per state (``US``/``NY`` 0.04) — the state's rate;
- Canada: ``CA`` 0.05 (GST) plus ``CA``/``BC`` 0.07 (PST) — 12 % in British Columbia, 5 % in Alberta;
- a VAT country: one country row and no regions.

Where a region's tax *replaces* the country's (the Canary Islands, say), leave out the country
row and give every region its own. An address with no matching row pays no tax.

**Tax classes.** Each row is for one tax class of SKU. ``standard`` rows give the rate of the
place; a ``reduced`` row gives reduced-rate SKUs their own rate at its level (country or
region), and where a level has no reduced row its standard row applies to them too (Germany:
``DE`` 0.19 and ``DE`` reduced 0.07; a US state with no reduced row taxes everything at its
rate). SKUs of class ``zero`` or ``exempt`` pay none anywhere; tax-exempt customers pay none at
all. Shipping is taxed at the sum of the *standard* rows that have ``applies_to_shipping``.

**What is taxed.** Each line's amount after its discounts, at its class's rate, rounded with
:func:`oms.money.round_money` per line. Shipping tax is one more rounded amount. The order's
tax is the sum of the line taxes and the shipping tax, so it adds up exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from catalog.models import Sku
from inventory.models import Warehouse
from oms.money import round_money
from orders.models import ShippingMethod, TaxRate

ZERO = Decimal("0")
UNTAXED_CLASSES = frozenset({Sku.TaxClass.ZERO, Sku.TaxClass.EXEMPT})
STANDARD = TaxRate.TaxClass.STANDARD.value
HANDED_OVER_AT_STORE = frozenset({ShippingMethod.FulfillmentType.PICKUP, ShippingMethod.FulfillmentType.SHIP_TO_STORE})


@dataclass(frozen=True)
class TaxRule:
    """The rates that apply to one address: on merchandise, by tax class, and on shipping."""

    rate: Decimal = ZERO  # the standard rate
    shipping_rate: Decimal = ZERO
    jurisdiction: str = ""  # "US-NY", "CA-BC", "DE"; empty when nothing applies
    class_rates: Mapping[str, Decimal] = field(default_factory=dict)  # classes with a rate other than standard

    def rate_for(self, tax_class: str) -> Decimal:
        """The rate a SKU of ``tax_class`` pays here (none for zero-rated and exempt SKUs)."""
        if tax_class in UNTAXED_CLASSES:
            return ZERO
        return self.class_rates.get(tax_class, self.rate)

    def line_tax(self, amount: Decimal, *, tax_class: str, currency: str) -> Decimal:
        return round_money(amount * self.rate_for(tax_class), currency)

    def shipping_tax(self, amount: Decimal, *, currency: str) -> Decimal:
        return round_money(amount * self.shipping_rate, currency)

    def as_dict(self) -> dict:
        return {"rate": str(self.rate), "shipping_rate": str(self.shipping_rate),
                "jurisdiction": self.jurisdiction,
                "class_rates": {tax_class: str(rate) for tax_class, rate in sorted(self.class_rates.items())}}


NO_TAX = TaxRule()


def tax_address(*, ship_to: dict, fulfillment_type: str, pickup_warehouse: Warehouse | None) -> dict:
    """Where the goods are handed over, for tax: the store for pickup and ship-to-store, else ``ship_to``."""
    if fulfillment_type in HANDED_OVER_AT_STORE and pickup_warehouse is not None:
        return warehouse_address(pickup_warehouse)
    return ship_to


def warehouse_address(warehouse: Warehouse) -> dict:
    """A warehouse's (a store's) location as an address snapshot."""
    return {"name": warehouse.name, "company": warehouse.name, "line1": warehouse.address_line, "line2": "",
            "city": warehouse.city, "region": warehouse.region, "postal_code": warehouse.postal_code,
            "country": warehouse.country}


def tax_rule(*, address: dict, is_exempt: bool = False) -> TaxRule:
    """The tax that applies at ``address`` (a snapshot dict with ``country`` and ``region``). One query."""
    if is_exempt:
        return NO_TAX
    country = (address.get("country") or "").upper()
    region = (address.get("region") or "").strip()
    if not country:
        return NO_TAX
    # Raw SQL: this runs on every keystroke of order entry, and the ORM would cost more than the query.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT region, tax_class, rate, applies_to_shipping FROM {TaxRate._meta.db_table} "
                       "WHERE country = %s AND (region = '' OR UPPER(region) = %s)",
                       [country, region.upper()])
        rows = cursor.fetchall()
    if not rows:
        return NO_TAX
    # {is the region's row: {tax class: rate}}: the country's level and the region's.
    levels: dict[bool, dict[str, Decimal]] = {}
    shipping_rate = ZERO
    for row_region, tax_class, row_rate, shipping in rows:
        levels.setdefault(bool(row_region), {})[tax_class] = row_rate
        if shipping and tax_class == STANDARD:
            shipping_rate += row_rate

    def rate_of(tax_class: str) -> Decimal:
        return sum((classes.get(tax_class, classes.get(STANDARD, ZERO)) for classes in levels.values()), ZERO)

    rate = rate_of(STANDARD)
    others = {tax_class for classes in levels.values() for tax_class in classes} - {STANDARD}
    class_rates = {tax_class: rate_of(tax_class) for tax_class in sorted(others)}
    return TaxRule(rate=rate, shipping_rate=shipping_rate,
                   jurisdiction=f"{country}-{region.upper()}" if True in levels else country,
                   class_rates={tax_class: value for tax_class, value in class_rates.items() if value != rate})
