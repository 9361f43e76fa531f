"""Sales tax at order entry.

**The rule.** The tax rate of an address is the *sum* of the country-wide rate (the
``TaxRate`` row with a blank region) and the rate of its state or region (the row with that
region code), each when it exists. So a region row *extends* the country:

- United States: no country row, one row per state (``US``/``NY`` 0.04) — the state's rate;
- Canada: ``CA`` 0.05 (GST) plus ``CA``/``BC`` 0.07 (PST) — 12 % in British Columbia, 5 % in Alberta;
- a VAT country: one country row and no regions.

Where a region's tax *replaces* the country's (the Canary Islands, say), leave out the country
row and give every region its own. An address with no matching row pays no tax.

Shipping is taxed at the sum of the rates of those rows that have ``applies_to_shipping``.

**What is taxed.** Each line's amount after its discounts, at the address's rate, rounded with
:func:`oms.money.round_money` per line; SKUs of tax class ``zero`` or ``exempt`` pay none (the
schema has one rate per region, so ``reduced`` is taxed at that rate too). Tax-exempt customers
pay none at all. Shipping tax is one more rounded amount. The order's tax is the sum of the
line taxes and the shipping tax, so it adds up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from catalog.models import Sku
from oms.money import round_money
from orders.models import TaxRate

ZERO = Decimal("0")
UNTAXED_CLASSES = frozenset({Sku.TaxClass.ZERO, Sku.TaxClass.EXEMPT})


@dataclass(frozen=True)
class TaxRule:
    """The rates that apply to one address: on merchandise and on shipping."""

    rate: Decimal = ZERO
    shipping_rate: Decimal = ZERO
    jurisdiction: str = ""  # "US-NY", "CA-BC", "DE"; empty when nothing applies

    def line_tax(self, amount: Decimal, *, tax_class: str, currency: str) -> Decimal:
        if tax_class in UNTAXED_CLASSES or not self.rate:
            return round_money(ZERO, currency)
        return round_money(amount * self.rate, currency)

    def shipping_tax(self, amount: Decimal, *, currency: str) -> Decimal:
        return round_money(amount * self.shipping_rate, currency)

    def as_dict(self) -> dict:
        return {"rate": str(self.rate), "shipping_rate": str(self.shipping_rate),
                "jurisdiction": self.jurisdiction}


NO_TAX = TaxRule()


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
        cursor.execute(f"SELECT region, rate, applies_to_shipping FROM {TaxRate._meta.db_table} "
                       "WHERE country = %s AND (region = '' OR UPPER(region) = %s)",
                       [country, region.upper()])
        rows = cursor.fetchall()
    if not rows:
        return NO_TAX
    rate = sum((row_rate for _region, row_rate, _shipping in rows), ZERO)
    shipping_rate = sum((row_rate for _region, row_rate, shipping in rows if shipping), ZERO)
    regional = any(row_region for row_region, _rate, _shipping in rows)
    return TaxRule(rate=rate, shipping_rate=shipping_rate,
                   jurisdiction=f"{country}-{region.upper()}" if regional else country)
