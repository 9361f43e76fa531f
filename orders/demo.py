"""Demo customers and orders at scale: ``python manage.py seed_demo --orders N``.

:func:`seed_orders` runs after the catalog and inventory demo steps. It creates what order
entry needs if it is missing (shipping methods, tax rates), then customers (about one for
every three orders, names and street addresses from Faker with a fixed seed, cities across the
United States and a few other countries) and orders with their lines, holds and timeline
events over the last two years, from every channel, with source codes.

Each order's life is simulated from the moment it was placed (allocation, picking, packing,
shipping, delivery, the return window; sometimes a hold, a backorder, a cancellation or a
return), and its status is wherever that life has got to now: old orders are closed,
delivered, cancelled or returned, recent ones placed, on hold, allocated or on their way.
Amounts follow order entry's rules (``orders.services.pricing`` and ``tax``): a line's
subtotal is ``(unit_price + personalization_amount) × quantity``, its ``line_total`` that
less its discount plus its tax; ``total = subtotal - discount_total + shipping_total +
tax_total``, which is also ``Σ line_total + shipping_total + shipping tax``. Tax is the
country's rate plus the region's, for the SKU's tax class (a reduced row where there is one),
rounded per line, none on zero-rated or exempt SKUs or for tax-exempt customers; a pickup or
ship-to-store order is taxed at its store.

Speed: rows go into the tables with PostgreSQL's ``COPY`` (psycopg 3), fifty thousand orders a
transaction, so a million orders (and some six million lines and events) load in minutes.

Stock: history never touches stock. Shipped, delivered, closed, returned and cancelled orders
have no reservations or allocations (their stock left long ago, before the opening balance);
orders waiting for stock are backordered (nothing allocated). Only orders whose simulated life
stops at ``allocated``, ``picking`` or ``packed`` hold stock, and they reserve it through
``inventory.services.stock_reserve`` (reference ``order:<order id>:line:<line id>``, as
allocation writes it) with a matching
:class:`~orders.models.LineAllocation`; when the stock is not there, the order stays
``released`` and backordered. These are the demo's only reservations: each belongs to a line. Every simulated path follows
``orders.services.status.TRANSITIONS``. So
``manage.py check_invariants`` holds afterwards.

Numbers and ids come from the database sequences (``nextval``), so the sequences end past the
generated numbers and order entry carries on without a collision.

Additive and idempotent: ``--orders N`` adds orders until the database holds N (and customers
until it holds about N / 3); a second run with the same N does nothing, a larger N adds the
difference. The random generator is seeded from ``--seed`` and the number of orders already
there, so the same commands build the same data.
"""

from __future__ import annotations

import bisect
import json
import random
import time
import unicodedata
import uuid
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction

from oms.db import analyze

ORDERS_PER_STYLE = 10  # the default size follows the catalog's: 20,000 orders for 2,000 styles
DEFAULT_SEED = 1912
CUSTOMERS_PER_ORDER = 1 / 3
HISTORY_DAYS = 730
CHUNK = 50_000
DAY = 86_400.0
HOUR = 3_600.0

# --- who orders, from where ----------------------------------------------------------------------

# (channel, share of orders). Marketplace orders and web orders carry the channel's own id.
CHANNELS = (
    ("web", 44),
    ("phone", 19),
    ("marketplace:amazon", 15),
    ("marketplace:ebay", 5),
    ("pos", 9),
    ("store", 8),
)
# Hours (shop time) at which each kind of channel takes orders, as relative weights for 0..23.
HOURS_ONLINE = (3, 2, 1, 1, 1, 2, 4, 7, 9, 11, 12, 13, 14, 13, 12, 12, 12, 13, 15, 17, 18, 16, 11, 6)
HOURS_CALL_CENTER = (0, 0, 0, 0, 0, 0, 0, 3, 9, 14, 16, 16, 14, 15, 15, 14, 12, 10, 9, 8, 7, 5, 3, 0)
HOURS_STORE = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 10, 14, 15, 14, 13, 13, 14, 13, 10, 7, 0, 0, 0)
CHANNEL_HOURS = {"phone": HOURS_CALL_CENTER, "pos": HOURS_STORE, "store": HOURS_STORE}
# Monday first. Catalog buyers call early in the week; stores are busiest at the weekend.
WEEKDAYS = {
    "online": (1.10, 1.05, 1.02, 1.0, 0.95, 0.85, 1.0),
    "phone": (1.25, 1.15, 1.1, 1.05, 0.95, 0.55, 0.4),
    "store": (0.8, 0.8, 0.85, 0.9, 1.1, 1.5, 1.3),
}
# January first: the catalog season peaks before the holidays.
MONTHS = (0.75, 0.8, 0.95, 0.95, 1.0, 0.9, 0.85, 0.9, 0.95, 1.1, 1.6, 1.9)

# (country, share of customers, Faker locale)
COUNTRIES = (
    ("US", 930, "en_US"), ("CA", 30, "en_CA"), ("GB", 14, "en_GB"), ("DE", 8, "de_DE"),
    ("FR", 6, "fr_FR"), ("AU", 7, "en_AU"), ("JP", 5, "ja_JP"),
)
COUNTRY_DIALING = {"US": "1", "CA": "1", "GB": "44", "DE": "49", "FR": "33", "AU": "61", "JP": "81"}
# (city, state, first ZIP code, how many codes follow it, area code, relative population)
US_CITIES = (
    ("New York", "NY", 10001, 280, "212", 84), ("Brooklyn", "NY", 11201, 40, "718", 26),
    ("Los Angeles", "CA", 90001, 90, "213", 39), ("San Diego", "CA", 92101, 90, "619", 14),
    ("San Francisco", "CA", 94102, 30, "415", 9), ("San Jose", "CA", 95110, 60, "408", 10),
    ("Sacramento", "CA", 95811, 30, "916", 5), ("Chicago", "IL", 60601, 60, "312", 27),
    ("Naperville", "IL", 60540, 25, "630", 2), ("Houston", "TX", 77002, 98, "713", 23),
    ("Dallas", "TX", 75201, 50, "214", 13), ("Austin", "TX", 78701, 50, "512", 10),
    ("San Antonio", "TX", 78205, 55, "210", 15), ("Phoenix", "AZ", 85003, 50, "602", 16),
    ("Tucson", "AZ", 85701, 50, "520", 5), ("Philadelphia", "PA", 19102, 50, "215", 16),
    ("Pittsburgh", "PA", 15206, 30, "412", 3), ("Jacksonville", "FL", 32202, 50, "904", 9),
    ("Miami", "FL", 33125, 60, "305", 4), ("Tampa", "FL", 33602, 40, "813", 4),
    ("Orlando", "FL", 32801, 35, "407", 3), ("Columbus", "OH", 43201, 40, "614", 9),
    ("Cleveland", "OH", 44102, 40, "216", 4), ("Cincinnati", "OH", 45202, 40, "513", 3),
    ("Indianapolis", "IN", 46201, 40, "317", 9), ("Charlotte", "NC", 28202, 80, "704", 9),
    ("Raleigh", "NC", 27601, 15, "919", 5), ("Seattle", "WA", 98101, 99, "206", 7),
    ("Spokane", "WA", 99201, 20, "509", 2), ("Denver", "CO", 80202, 50, "303", 7),
    ("Boulder", "CO", 80301, 5, "303", 1), ("Washington", "DC", 20001, 60, "202", 7),
    ("Boston", "MA", 2108, 30, "617", 7), ("Cambridge", "MA", 2138, 5, "617", 1),
    ("Nashville", "TN", 37201, 40, "615", 7), ("Memphis", "TN", 38103, 40, "901", 6),
    ("Detroit", "MI", 48201, 40, "313", 6), ("Grand Rapids", "MI", 49503, 10, "616", 2),
    ("Portland", "OR", 97201, 30, "503", 6), ("Las Vegas", "NV", 89101, 60, "702", 6),
    ("Reno", "NV", 89501, 20, "775", 2), ("Louisville", "KY", 40202, 40, "502", 6),
    ("Baltimore", "MD", 21201, 30, "410", 6), ("Milwaukee", "WI", 53202, 30, "414", 6),
    ("Madison", "WI", 53703, 15, "608", 3), ("Albuquerque", "NM", 87102, 20, "505", 6),
    ("Oklahoma City", "OK", 73102, 50, "405", 7), ("Tulsa", "OK", 74103, 35, "918", 4),
    ("Atlanta", "GA", 30303, 60, "404", 5), ("Savannah", "GA", 31401, 20, "912", 1),
    ("Kansas City", "MO", 64105, 50, "816", 5), ("St. Louis", "MO", 63101, 40, "314", 3),
    ("Omaha", "NE", 68102, 30, "402", 5), ("Minneapolis", "MN", 55401, 30, "612", 4),
    ("Saint Paul", "MN", 55101, 20, "651", 3), ("New Orleans", "LA", 70112, 20, "504", 4),
    ("Salt Lake City", "UT", 84101, 20, "801", 2), ("Richmond", "VA", 23219, 20, "804", 2),
    ("Virginia Beach", "VA", 23451, 15, "757", 4), ("Providence", "RI", 2903, 10, "401", 2),
    ("Hartford", "CT", 6103, 10, "860", 1), ("Stamford", "CT", 6901, 5, "203", 1),
    ("Newark", "NJ", 7102, 10, "973", 3), ("Princeton", "NJ", 8540, 2, "609", 1),
    ("Burlington", "VT", 5401, 2, "802", 1), ("Portland", "ME", 4101, 2, "207", 1),
    ("Manchester", "NH", 3101, 3, "603", 1), ("Wilmington", "DE", 19801, 5, "302", 1),
    ("Charleston", "SC", 29401, 7, "843", 2), ("Birmingham", "AL", 35203, 20, "205", 2),
    ("Little Rock", "AR", 72201, 20, "501", 2), ("Des Moines", "IA", 50309, 10, "515", 2),
    ("Wichita", "KS", 67202, 20, "316", 4), ("Boise", "ID", 83702, 10, "208", 2),
    ("Billings", "MT", 59101, 5, "406", 1), ("Fargo", "ND", 58102, 3, "701", 1),
    ("Sioux Falls", "SD", 57103, 5, "605", 2), ("Cheyenne", "WY", 82001, 5, "307", 1),
    ("Anchorage", "AK", 99501, 15, "907", 3), ("Honolulu", "HI", 96813, 10, "808", 3),
    ("Jackson", "MS", 39201, 10, "601", 1), ("Charleston", "WV", 25301, 10, "304", 1),
)
# (city, region, postal code, area code)
WORLD_CITIES = {
    "CA": (("Toronto", "ON", "M5V 2T6", "416"), ("Ottawa", "ON", "K1P 1J1", "613"),
           ("Vancouver", "BC", "V6B 1A1", "604"), ("Montréal", "QC", "H3B 1A7", "514"),
           ("Calgary", "AB", "T2P 1J9", "403"), ("Halifax", "NS", "B3J 1S9", "902")),
    "GB": (("London", "", "SW1A 2AA", "20"), ("London", "", "EC1A 1BB", "20"),
           ("Manchester", "", "M1 1AE", "161"), ("Edinburgh", "", "EH1 1YZ", "131"),
           ("Bristol", "", "BS1 4DJ", "117")),
    "DE": (("Berlin", "", "10115", "30"), ("München", "", "80331", "89"), ("Hamburg", "", "20095", "40"),
           ("Köln", "", "50667", "221")),
    "FR": (("Paris", "", "75008", "1"), ("Lyon", "", "69002", "4"), ("Bordeaux", "", "33000", "5")),
    "AU": (("Sydney", "NSW", "2000", "2"), ("Melbourne", "VIC", "3000", "3"),
           ("Brisbane", "QLD", "4000", "7")),
    "JP": (("Tokyo", "東京都", "100-0005", "3"), ("Osaka", "大阪府", "530-0001", "6"),
           ("Kyoto", "京都府", "600-8216", "75")),
}
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved for examples: never real mailboxes

# --- what order entry needs ------------------------------------------------------------------------

SHIPPING_METHODS = (  # offered in this order
    {"code": "ground", "name": "UPS Ground", "carrier": "UPS", "base_charge": "7.95",
     "per_item_charge": "1.00", "countries": ["US"], "serves_po_boxes": False, "transit_days": 5},
    {"code": "priority", "name": "USPS Priority Mail", "carrier": "USPS", "base_charge": "8.95",
     "per_item_charge": "1.00", "countries": ["US"], "serves_po_boxes": True, "transit_days": 3},
    {"code": "2day", "name": "FedEx 2Day", "carrier": "FedEx", "base_charge": "14.95",
     "per_item_charge": "1.50", "countries": ["US"], "serves_po_boxes": False, "transit_days": 2},
    {"code": "overnight", "name": "FedEx Standard Overnight", "carrier": "FedEx", "base_charge": "29.95",
     "per_item_charge": "2.00", "countries": ["US"], "serves_po_boxes": False, "transit_days": 1},
    {"code": "intl", "name": "DHL Express Worldwide", "carrier": "DHL", "base_charge": "24.95",
     "per_item_charge": "2.50", "countries": ["CA", "GB", "DE", "FR", "AU", "JP"], "serves_po_boxes": False,
     "transit_days": 6},
    {"code": "pickup", "name": "Store pickup", "carrier": "", "fulfillment_type": "pickup",
     "base_charge": "0", "per_item_charge": "0", "countries": ["US"], "serves_po_boxes": True,
     "transit_days": 0},
    {"code": "ship_to_store", "name": "Ship to store", "carrier": "UPS", "fulfillment_type": "ship_to_store",
     "base_charge": "0", "per_item_charge": "0", "countries": ["US"], "serves_po_boxes": True,
     "transit_days": 5},
)
# (state, base sales tax rate, taxes shipping). Oregon, Montana, New Hampshire, Delaware and
# Alaska have no state sales tax.
US_TAX = (
    ("AL", "0.04", False), ("AK", "0", False), ("AZ", "0.056", False), ("AR", "0.065", True),
    ("CA", "0.0725", False), ("CO", "0.029", False), ("CT", "0.0635", True), ("DE", "0", False),
    ("DC", "0.06", False), ("FL", "0.06", False), ("GA", "0.04", True), ("HI", "0.04", True),
    ("ID", "0.06", False), ("IL", "0.0625", False), ("IN", "0.07", False), ("IA", "0.06", False),
    ("KS", "0.065", True), ("KY", "0.06", True), ("LA", "0.0445", False), ("ME", "0.055", False),
    ("MD", "0.06", False), ("MA", "0.0625", False), ("MI", "0.06", True), ("MN", "0.06875", True),
    ("MS", "0.07", True), ("MO", "0.04225", False), ("MT", "0", False), ("NE", "0.055", True),
    ("NV", "0.0685", False), ("NH", "0", False), ("NJ", "0.06625", True), ("NM", "0.04875", True),
    ("NY", "0.04", True), ("NC", "0.0475", True), ("ND", "0.05", True), ("OH", "0.0575", True),
    ("OK", "0.045", False), ("OR", "0", False), ("PA", "0.06", True), ("RI", "0.07", True),
    ("SC", "0.06", True), ("SD", "0.042", True), ("TN", "0.07", True), ("TX", "0.0625", True),
    ("UT", "0.0485", False), ("VT", "0.06", True), ("VA", "0.053", False), ("WA", "0.065", True),
    ("WV", "0.06", True), ("WI", "0.05", True), ("WY", "0.04", False),
)
# A region's row adds to its country's (orders.services.tax): Ontario's 13 % HST is 5 % + 8 %.
WORLD_TAX = (
    ("CA", "", "0.05", True), ("CA", "ON", "0.08", True), ("CA", "QC", "0.09975", True),
    ("CA", "BC", "0.07", False), ("CA", "NS", "0.10", True), ("GB", "", "0.20", True),
    ("DE", "", "0.19", True), ("FR", "", "0.20", True), ("AU", "", "0.10", True), ("JP", "", "0.10", True),
)
# Reduced rates (food, the demo's "reduced" tax class), where a place has one: (country, region, rate).
# Elsewhere reduced-rate SKUs pay the standard rate.
REDUCED_TAX = (
    ("US", "IL", "0.01"), ("US", "TN", "0.04"), ("US", "UT", "0.0175"), ("US", "VA", "0.01"),
    ("US", "MO", "0.01225"), ("CA", "", "0"), ("DE", "", "0.07"), ("FR", "", "0.055"), ("JP", "", "0.08"),
)

# --- how orders go -----------------------------------------------------------------------------------

HOLD_REASONS = (
    ("payment", 40, "Card authorization declined"), ("address", 20, "Address could not be verified"),
    ("fraud", 12, "Billing and shipping addresses differ; fraud review"), ("stock", 10, "Waiting for stock"),
    ("manual", 18, "Customer asked us to hold the order"),
)
RETURN_REASONS = ("Too small", "Too large", "Not as pictured", "Arrived damaged", "Changed my mind")
CANCEL_REASONS = ("Customer changed their mind", "Duplicate order", "Item no longer needed",
                  "Payment could not be collected", "Backorder took too long", "Ordered the wrong size")
ORDER_NOTES = ("Gift: please include a gift receipt.", "Leave the parcel at the side door.",
               "Customer asked for delivery after 5 pm.", "Repeat customer, catalog in hand.",
               "Birthday present, no prices on the packing slip.")
DISCOUNT_PERCENTS = (10, 15, 20, 25)
COUPON_CODES = ("WELCOME10", "SAVE15", "FRIENDS20", "HOLIDAY25")
# Open statuses that hold stock: only these get reservations and allocations.
STOCK_HOLDING = frozenset({"allocated", "picking", "packed"})
SHIPPED_STATUSES = frozenset({"shipped", "delivered", "closed", "return_requested", "returned"})


def seed_orders(*, stdout, options: dict) -> None:
    """Add demo customers and orders until there are ``options["orders"]`` orders.

    ``options``: ``orders`` (default: ten per style of the catalog, 20,000 for the default
    2,000 styles; 0 for none), ``styles`` and ``seed``.
    """
    from oms.demo import DEFAULT_STYLES
    from orders.models import Order

    target = options.get("orders")
    if target is None:
        target = ORDERS_PER_STYLE * int(options.get("styles") or DEFAULT_STYLES)
    target = int(target)
    existing = Order.objects.count()
    if target <= existing:
        stdout.write(f"Demo orders: {existing:,} orders already (asked for {target:,}).")
        return
    started = time.monotonic()
    seed = options.get("seed") or DEFAULT_SEED
    with transaction.atomic():
        methods = shipping_methods()
        taxes = tax_rates()
    generator = OrderGenerator(rng=random.Random(f"{seed}-orders-{existing}"), methods=methods, taxes=taxes,
                               faker_seed=int(seed), stdout=stdout)
    if not generator.skus:
        stdout.write("Demo orders: skipped, the catalog has no active stocked SKUs with a price.")
        return
    counts = generator.generate(count=target - existing, target_customers=round(target * CUSTOMERS_PER_ORDER))
    analyze("orders_customer", "orders_address", "orders_order", "orders_orderline", "orders_orderevent",
            "orders_hold", "orders_lineallocation")
    stdout.write(
        "Demo orders: {orders:,} orders ({lines:,} lines, {events:,} events, {holds:,} holds, "
        "{allocated:,} holding stock), {customers:,} new customers in {seconds:.1f} s.".format(
            **counts, seconds=time.monotonic() - started)
    )


def demo_ship_to(customer) -> dict:
    """Where a demo order placed through order entry (a later demo step's) goes: the customer's
    default address, or the demo's New York one."""
    from orders.models import ADDRESS_FIELDS

    address = customer.default_ship_address
    if address is None:
        return {"name": str(customer), "line1": "350 Fifth Avenue", "city": "New York", "region": "NY",
                "postal_code": "10118", "country": "US"}
    return {field: getattr(address, field) for field in ADDRESS_FIELDS if getattr(address, field)}


def shipping_methods() -> dict[str, object]:
    """The demo's shipping methods by code, created if missing (existing ones are kept as they are)."""
    from orders.models import ShippingMethod

    found = {}
    for position, spec in enumerate(SHIPPING_METHODS, start=1):
        fields = dict(spec, position=10 * position)
        code = fields.pop("code")
        fields["base_charge"] = Decimal(fields["base_charge"])
        fields["per_item_charge"] = Decimal(fields["per_item_charge"])
        found[code], _created = ShippingMethod.objects.get_or_create(code=code, defaults=fields)
    return found


def tax_rates() -> dict[tuple[str, str, str], tuple[int, bool]]:
    """Sales tax of the US states and a few countries, with some reduced rates, created if missing.

    Returns ``(country, region, tax class) -> (rate in hundred-thousandths, taxes shipping)`` of
    every row in the table, the demo's and any others (region "" is the country's own row).
    """
    from orders.models import TaxRate

    rows = [TaxRate(country="US", region=state, rate=Decimal(rate), applies_to_shipping=shipping)
            for state, rate, shipping in US_TAX]
    rows += [TaxRate(country=country, region=region, rate=Decimal(rate), applies_to_shipping=shipping)
             for country, region, rate, shipping in WORLD_TAX]
    rows += [TaxRate(country=country, region=region, tax_class=TaxRate.TaxClass.REDUCED, rate=Decimal(rate))
             for country, region, rate in REDUCED_TAX]
    TaxRate.objects.bulk_create(rows, ignore_conflicts=True)
    return {
        (country, region.upper(), tax_class): (int(rate * 100_000), applies)
        for country, region, tax_class, rate, applies in TaxRate.objects.values_list(
            "country", "region", "tax_class", "rate", "applies_to_shipping")
    }


# --- the generator -----------------------------------------------------------------------------------

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def copy_text(value: str) -> str:
    """``value`` escaped for COPY's text format."""
    return value.translate(_COPY_ESCAPES)


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(rounding=ROUND_HALF_UP))


def tax_on(amount_cents: int, rate: int) -> int:
    """Tax in cents on a non-negative amount at ``rate`` hundred-thousandths, rounded half up."""
    return (amount_cents * rate + 50_000) // 100_000


def timestamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(seconds))


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in folded.lower() if char.isalnum())


@dataclass
class CustomerInfo:
    """What an order copies from its customer."""

    id: int
    name: str
    ship: list[tuple[str, str, str, bool]] = field(default_factory=list)  # (json, country, region, po box)
    bill: str = "{}"
    is_tax_exempt: bool = False


@dataclass
class Line:
    id: int
    sku_id: int
    sku_code: str
    description: str
    quantity: int
    unit_cents: int  # base price, per unit
    personalization: str  # JSON, escaped for COPY
    personalization_cents: int  # add-on, per unit
    tax_class: str
    discount_cents: int = 0
    tax_cents: int = 0
    allocated: int = 0
    shipped: int = 0
    cancelled: int = 0
    returned: int = 0
    expected_on: date | None = None

    @property
    def subtotal_cents(self) -> int:
        return (self.unit_cents + self.personalization_cents) * self.quantity

    @property
    def total_cents(self) -> int:
        """After the discount, with the tax (as order entry writes ``line_total``)."""
        return self.subtotal_cents - self.discount_cents + self.tax_cents


@dataclass
class PlannedOrder:
    id: int
    number: str
    channel: str
    customer: CustomerInfo
    placed: float
    lines: list[Line]
    steps: list[tuple] = field(default_factory=list)  # (status or "", time, kind, message, actor, data)
    status: str = "placed"
    external_id: str | None = None
    method: object | None = None
    fulfillment_type: str = "ship"
    pickup_warehouse: object | None = None
    ship_to: str = "{}"
    region: tuple[str, str] = ("US", "")
    source_code: str = ""
    coupon: str = ""
    shipping_cents: int = 0
    shipping_tax_cents: int = 0
    notes: str = ""
    hold: tuple | None = None  # (reason, note, created at, released at or None)
    allocation_time: float = 0.0
    # (line, warehouse id, reservation group) of the few orders that hold stock
    allocations: list[tuple[Line, int, uuid.UUID]] = field(default_factory=list)


class OrderGenerator:
    def __init__(self, *, rng: random.Random, methods: dict, taxes: dict, faker_seed: int, stdout):
        self.rng = rng
        self.methods = methods
        self.taxes = taxes
        self._tax_rules: dict[tuple[str, str], tuple[dict[str, int], int]] = {}
        self.faker_seed = faker_seed
        self.stdout = stdout
        self.now = time.time()
        self.zone = ZoneInfo(settings.SHOP_TIME_ZONE)
        users = {user.username: user.pk for user in get_user_model().objects.filter(
            username__in=("agent", "manager", "warehouse"))}
        self.agent, self.manager, self.warehouse_user = (users.get("agent"), users.get("manager"),
                                                         users.get("warehouse"))
        self._load_skus()
        self._load_warehouses()
        self.source_codes = self._source_codes()
        self._codes_by_day: dict[date, list[str]] = {}

    # Reference data

    def _load_skus(self) -> None:
        from catalog.models import PersonalizationField, Sku

        fields = defaultdict(list)
        rows = PersonalizationField.objects.order_by("template", "position", "pk").values_list(
            "template_id", "key", "kind", "max_length", "choices")
        for template_id, key, kind, max_length, choices in rows:
            fields[template_id].append((key, kind, max_length or 12, choices))
        self.skus = []
        for sku_id, code, name, price, template_id, addon, tax_class in (
                Sku.objects.active().stocked().filter(list_price__gt=0).order_by("pk")
                .values_list("pk", "code", "name", "list_price", "personalization_template_id",
                             "personalization_template__price_addon", "tax_class")):
            self.skus.append((sku_id, code, copy_text(name[:200]), cents(price),
                              fields.get(template_id) if template_id else None, cents(addon or Decimal(0)),
                              tax_class))
        # Popularity: a few best sellers, a long tail (Zipf-like), in a seeded shuffle of the catalog.
        self.rng.shuffle(self.skus)
        weights = [1 / (rank + 10) ** 0.9 for rank in range(len(self.skus))]
        self.sku_cum_weights = list(_accumulate(weights))

    def _load_warehouses(self) -> None:
        from inventory.models import Warehouse

        self.stores = list(Warehouse.objects.filter(is_active=True, allows_pickup=True)
                           .order_by("priority", "pk"))
        self.shipping_warehouses = list(Warehouse.objects.filter(is_active=True, ships=True)
                                        .order_by("priority", "pk").values_list("pk", "code"))
        # Where a pickup or ship-to-store order is handed over, and so taxed (orders.services.tax).
        region_of = {city: state for city, state, *_rest in US_CITIES}
        self.store_addresses = {
            store.pk: {"name": store.name, "company": store.name, "line1": store.address_line or store.name,
                       "line2": "", "city": store.city,
                       "region": store.region or (region_of.get(store.city, "") if store.country == "US" else ""),
                       "postal_code": store.postal_code, "country": store.country, "phone": ""}
            for store in self.stores
        }

    def _source_codes(self) -> list[tuple[str, date | None, date | None]]:
        """Source codes of the marketing app when it has some, else plausible key codes by season."""
        from django.apps import apps

        try:
            model = apps.get_model("marketing", "SourceCode")
            if model._meta.db_table in connection.introspection.table_names():
                rows = list(model.objects.order_by("code").values_list("code", "active_from", "active_to"))
                if rows:
                    return rows
        except LookupError:
            pass
        codes = []
        today = date.fromtimestamp(self.now)
        for year in range(today.year - 2, today.year + 1):
            for season, months in (("SP", (2, 4)), ("SU", (5, 7)), ("FA", (8, 10)), ("HO", (11, 13))):
                start = date(year, months[0], 1)
                end = date(year + (months[1] > 12), (months[1] - 1) % 12 + 1, 28)
                for medium in ("CAT1", "CAT2", "CAT3", "EM", "WEB", "PA"):
                    codes.append((f"{season}{year % 100:02d}{medium}", start, end))
        return codes

    # Ids and numbers

    def _take(self, sequence: str, count: int) -> list[int]:
        """``count`` values of a sequence, each one ``nextval``: concurrent writers never collide."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
            return [row[0] for row in cursor.fetchall()]

    def _id_sequence(self, table: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            return cursor.fetchone()[0]

    # The plan

    def generate(self, *, count: int, target_customers: int) -> dict[str, int]:
        from orders.models import Customer

        rng = self.rng
        channels = rng.choices([name for name, _share in CHANNELS],
                               weights=[share for _name, share in CHANNELS], k=count)
        placed = self._placed_times(channels)
        order_index = sorted(range(count), key=placed.__getitem__)
        channels = [channels[index] for index in order_index]
        placed = [placed[index] for index in order_index]

        existing_customers = Customer.objects.count()
        customers = self._load_customers() if existing_customers else []  # those with an address
        new_customers = max(0, target_customers - existing_customers)
        if not customers and not new_customers:
            new_customers = max(1, target_customers)
        weights = [rng.paretovariate(2.5) for _ in range(len(customers) + new_customers)]
        choice = rng.choices(range(len(weights)), cum_weights=list(_accumulate(weights)), k=count)
        if new_customers:
            first_order = {}
            for position, customer_index in enumerate(choice):
                if customer_index >= len(customers) and customer_index not in first_order:
                    first_order[customer_index] = placed[position]
            created = self._create_customers(new_customers, first_order={
                index - len(customers): moment for index, moment in first_order.items()})
            customers.extend(created)

        totals = defaultdict(int, customers=new_customers)
        for start in range(0, count, CHUNK):
            stop = min(start + CHUNK, count)
            with transaction.atomic():
                chunk = self._chunk(channels[start:stop], placed[start:stop],
                                    [customers[index] for index in choice[start:stop]])
                for key, value in chunk.items():
                    totals[key] += value
            if count > CHUNK:
                self.stdout.write(f"  orders {stop:,} / {count:,}")
        return dict(totals)

    def _placed_times(self, channels: list[str]) -> list[float]:
        """When each order was placed: two years, growing, with yearly, weekly and daily rhythms."""
        rng = self.rng
        today = datetime.fromtimestamp(self.now, self.zone).date()
        days = [today - timedelta(days=offset) for offset in range(HISTORY_DAYS - 1, -1, -1)]
        midnights = [datetime(day.year, day.month, day.day, tzinfo=self.zone).timestamp() for day in days]
        profiles = {}
        for profile, weekday_factors in WEEKDAYS.items():
            weights = [
                (0.7 + 0.6 * index / HISTORY_DAYS) * weekday_factors[day.weekday()] * MONTHS[day.month - 1]
                * (1.6 if day.month == 11 and 23 <= day.day <= 30 else 1.0)  # Black Friday and Cyber Monday
                for index, day in enumerate(days)
            ]
            profiles[profile] = list(_accumulate(weights))
        hours = {name: list(_accumulate(weights)) for name, weights in
                 (("online", HOURS_ONLINE), ("phone", HOURS_CALL_CENTER), ("store", HOURS_STORE))}
        result = []
        for channel in channels:
            profile = "phone" if channel == "phone" else "store" if channel in ("pos", "store") else "online"
            day = bisect.bisect_right(profiles[profile], rng.random() * profiles[profile][-1])
            hour = bisect.bisect_right(hours[profile], rng.random() * hours[profile][-1])
            moment = midnights[min(day, len(days) - 1)] + hour * HOUR + rng.random() * HOUR
            if moment >= self.now:  # today, later than now: earlier today instead
                moment = self.now - rng.random() * min(self.now - midnights[-1], 12 * HOUR) - 60
            result.append(moment)
        return result

    # Customers

    def _load_customers(self) -> list[CustomerInfo]:
        from orders.models import ADDRESS_FIELDS

        columns = ", ".join(f"a.{name}" for name in ADDRESS_FIELDS)
        found: dict[int, CustomerInfo] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.id, COALESCE(NULLIF(TRIM(c.first_name || ' ' || c.last_name), ''), c.company), "
                f"c.is_tax_exempt, c.default_bill_address_id, a.id, {columns} "
                "FROM orders_customer c JOIN orders_address a ON a.customer_id = c.id ORDER BY c.id, a.id"
            )
            bills = {}
            for customer_id, name, exempt, bill_id, address_id, *values in cursor.fetchall():
                snapshot = dict(zip(ADDRESS_FIELDS, values, strict=True))
                encoded = copy_text(json.dumps(snapshot, ensure_ascii=False))
                info = found.setdefault(customer_id, CustomerInfo(id=customer_id, name=name.strip(),
                                                                  is_tax_exempt=exempt))
                info.ship.append((encoded, snapshot["country"], snapshot["region"],
                                  snapshot["line1"].upper().startswith("PO BOX")))
                if address_id == bill_id:
                    bills[customer_id] = encoded
        for customer_id, info in found.items():
            info.bill = bills.get(customer_id, info.ship[0][0])
        return list(found.values())

    def _faker_pools(self, customers: int) -> dict[str, dict[str, list[str]]]:
        """Names, streets and companies of each country, drawn once; customers combine them."""
        from faker import Faker

        pools = {}
        for country, share, locale in COUNTRIES:
            fake = Faker(locale)
            fake.seed_instance(self.faker_seed + share)
            size = min(3000 if country == "US" else 300, max(50, customers // 2))
            romanized = locale == "ja_JP"
            pools[country] = {
                "first": [fake.first_romanized_name() if romanized else fake.first_name()
                          for _ in range(size)],
                "last": [fake.last_romanized_name() if romanized else fake.last_name() for _ in range(size)],
                "street": [fake.street_address().replace("\n", " ") for _ in range(size * 2)],
                "company": [fake.company() for _ in range(size // 5)],
            }
        return pools

    def _create_customers(self, count: int, *, first_order: dict[int, float]) -> list[CustomerInfo]:
        """``count`` customers with one or two addresses each, inserted with COPY."""
        rng = self.rng
        pools = self._faker_pools(count)
        numbers = self._take("orders_customer_number_seq", count)
        customer_ids = self._take(self._id_sequence("orders_customer"), count)
        address_counts = [2 if rng.random() < 0.2 else 1 for _ in range(count)]
        address_ids = iter(self._take(self._id_sequence("orders_address"), sum(address_counts)))
        countries = rng.choices([code for code, _share, _locale in COUNTRIES],
                                weights=[share for _code, share, _locale in COUNTRIES], k=count)
        us_cum = list(_accumulate([city[5] for city in US_CITIES]))
        customer_rows, address_rows, infos = [], [], []
        for index in range(count):
            country = countries[index]
            pool = pools[country]
            first, last = rng.choice(pool["first"]), rng.choice(pool["last"])
            name = f"{first} {last}"
            number = number_format_customer(numbers[index])
            is_wholesale = rng.random() < 0.03
            company = rng.choice(pool["company"]) if is_wholesale or rng.random() < 0.04 else ""
            first_ascii, last_ascii = _ascii(first) or "guest", _ascii(last) or "customer"
            handle = rng.choice((f"{first_ascii}.{last_ascii}", f"{first_ascii[:1]}{last_ascii}",
                                 f"{last_ascii}.{first_ascii}"))
            email = f"{handle}{numbers[index]}@{rng.choice(EMAIL_DOMAINS)}"
            info = CustomerInfo(id=customer_ids[index], name=name,
                                is_tax_exempt=is_wholesale and rng.random() < 0.5)
            phone = ""
            for position in range(address_counts[index]):
                address_id = next(address_ids)
                if country == "US":
                    city, region, zip_start, zip_spread, area, _w = US_CITIES[
                        bisect.bisect_right(us_cum, rng.random() * us_cum[-1])]
                    postal_code = f"{zip_start + rng.randrange(zip_spread):05d}"
                    dialing = f"1{area}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
                else:
                    city, region, postal_code, area = rng.choice(WORLD_CITIES[country])
                    dialing = f"{COUNTRY_DIALING[country]}{area}{rng.randint(1000000, 9999999)}"
                is_po_box = country == "US" and rng.random() < 0.03
                line1 = f"PO Box {rng.randint(100, 9999)}" if is_po_box else rng.choice(pool["street"])
                recipient = name if position == 0 else f"{rng.choice(pool['first'])} {last}"
                snapshot = {"name": recipient, "company": company if position == 0 else "", "line1": line1,
                            "line2": "", "city": city, "region": region, "postal_code": postal_code,
                            "country": country, "phone": f"+{dialing}"}
                encoded = copy_text(json.dumps(snapshot, ensure_ascii=False))
                info.ship.append((encoded, country, region, is_po_box))
                if position == 0:
                    phone = dialing
                    info.bill = encoded
                    ship_address_id = address_id
                address_rows.append("\t".join((
                    str(address_id), copy_text(recipient), copy_text(snapshot["company"]), copy_text(line1),
                    "", copy_text(city), region, postal_code, country, f"+{dialing}", str(info.id),
                )))
            created = first_order.get(index, self.now - rng.random() * HISTORY_DAYS * DAY)
            created -= rng.random() * 30 * DAY
            terms = rng.choice(("net30", "net30", "net60", "net15")) if is_wholesale else "prepaid"
            customer_rows.append("\t".join((
                str(info.id), number, copy_text(first), copy_text(last), copy_text(company),
                "{" + email + "}", "{" + phone + "}", "wholesale" if is_wholesale else "retail", terms,
                money(rng.choice((250000, 500000, 1000000))) if is_wholesale else "0",
                settings.DEFAULT_CURRENCY,
                "t" if info.is_tax_exempt else "f",
                f"EX-{rng.randint(100000, 999999)}" if info.is_tax_exempt else "",
                "t" if rng.random() < 0.4 else "f", "", timestamp(created), timestamp(created),
                str(ship_address_id), str(ship_address_id),
            )))
            infos.append(info)
        with transaction.atomic(), connection.cursor() as cursor:
            _copy(cursor, "orders_customer", (
                "id", "number", "first_name", "last_name", "company", "emails", "phones", "customer_type",
                "terms", "credit_limit", "currency", "is_tax_exempt", "tax_exempt_number", "marketing_opt_in",
                "notes", "created_at", "updated_at", "default_bill_address_id", "default_ship_address_id",
            ), customer_rows)
            _copy(cursor, "orders_address", (
                "id", "name", "company", "line1", "line2", "city", "region", "postal_code", "country",
                "phone", "customer_id",
            ), address_rows)
        return infos

    # Orders

    def _chunk(self, channels: list[str], placed: list[float],
               customers: list[CustomerInfo]) -> dict[str, int]:
        count = len(channels)
        ids = self._take(self._id_sequence("orders_order"), count)
        numbers = self._take("orders_order_number_seq", count)
        baskets = [self._lines() for _ in range(count)]
        # Line ids too, from their sequence: a reservation's reference and some events name the line.
        line_ids = iter(self._take(self._id_sequence("orders_orderline"), sum(map(len, baskets))))
        for basket in baskets:
            for line in basket:
                line.id = next(line_ids)
        orders = [self._plan(ids[index], number_format_order(numbers[index]), channels[index], placed[index],
                             customers[index], baskets[index]) for index in range(count)]
        allocated = self._allocate([order for order in orders if order.status in STOCK_HOLDING])
        counts = self._write(orders)
        counts["allocated"] = allocated
        return counts

    def _plan(self, order_id: int, number: str, channel: str, placed: float, customer: CustomerInfo,
              lines: list[Line]) -> PlannedOrder:
        rng = self.rng
        order = PlannedOrder(id=order_id, number=number, channel=channel, customer=customer, placed=placed,
                             lines=lines)
        self._delivery(order)
        self._marketing(order)
        self._amounts(order)
        self._life(order)
        # External ids in each channel's own format, unique because they encode the order's id.
        if channel == "marketplace:amazon":
            order.external_id = (f"{111 + order_id % 4}-{order_id % 10**7:07d}-"
                                 f"{rng.randint(0, 999):03d}{order_id // 10**7 % 10**4:04d}")
        elif channel.startswith("marketplace:"):
            order.external_id = (f"{10 + order_id % 18:02d}-{order_id // 10**5 % 10**5:05d}-"
                                 f"{order_id % 10**5:05d}")
        elif channel == "web":
            order.external_id = f"W{order_id:09d}"
        elif channel == "pos":
            store = order.pickup_warehouse.code if order.pickup_warehouse else "POS"
            order.external_id = f"{store}-{order_id:08d}"
        return order

    def _lines(self) -> list[Line]:
        rng = self.rng
        wanted = rng.choices((1, 2, 3, 4, 5), weights=(45, 25, 15, 9, 6))[0]
        chosen, seen = [], set()
        for _attempt in range(wanted * 2):
            position = bisect.bisect_right(self.sku_cum_weights, rng.random() * self.sku_cum_weights[-1])
            sku = self.skus[min(position, len(self.skus) - 1)]
            if sku[0] not in seen:
                seen.add(sku[0])
                chosen.append(sku)
            if len(chosen) == wanted:
                break
        lines = []
        for sku_id, code, description, price_cents, template_fields, addon_cents, tax_class in chosen:
            quantity = rng.choices((1, 2, 3, 4, 6), weights=(76, 14, 5, 3, 2))[0]
            personalization, personalization_cents = "{}", 0
            if template_fields and rng.random() < 0.4:
                values = self._personalization(template_fields)
                personalization = copy_text(json.dumps(values, ensure_ascii=False))
                personalization_cents = addon_cents
            lines.append(Line(id=0, sku_id=sku_id, sku_code=code, description=description,
                              quantity=quantity, unit_cents=price_cents, personalization=personalization,
                              personalization_cents=personalization_cents, tax_class=tax_class))
        return lines

    def _personalization(self, template_fields) -> dict[str, str]:
        rng = self.rng
        values = {}
        for key, kind, max_length, choices in template_fields:
            if kind == "choice" and choices:
                values[key] = rng.choice(choices)
            elif key == "monogram":
                values[key] = "".join(rng.choice("ABCDEFGHIJKLMNOPRSTW") for _ in range(min(3, max_length)))
            else:
                values[key] = rng.choice(("Emma", "Olivia", "Liam", "Noah", "Ava", "Mia", "Lucas", "Grace",
                                          "Henry", "Nora", "Charlie", "Daisy", "Max", "Bella"))[:max_length]
        return values

    def _delivery(self, order: PlannedOrder) -> None:
        """Shipping method, fulfillment, ship-to and the region whose tax applies."""
        rng = self.rng
        methods = self.methods
        ship_json, country, region, is_po_box = (order.customer.ship[1] if len(order.customer.ship) > 1
                                                 and rng.random() < 0.15 else order.customer.ship[0])
        channel = order.channel
        store = rng.choice(self.stores) if self.stores else None
        draw = rng.random()
        if channel == "pos" and store:
            order.fulfillment_type, order.method, order.pickup_warehouse = "pickup", methods["pickup"], store
        elif store and country == "US" and channel in ("web", "phone", "store") and draw < (
                0.45 if channel == "store" else 0.08):
            order.fulfillment_type, order.pickup_warehouse = "pickup", store
            order.method = methods["pickup"]
        elif (store and country == "US" and channel in ("web", "store")
              and draw < (0.7 if channel == "store" else 0.12)):
            order.fulfillment_type, order.pickup_warehouse = "ship_to_store", store
            order.method = methods["ship_to_store"]
        elif country != "US":
            order.method = methods["intl"]
        elif is_po_box:
            order.method = methods["priority"]
        else:
            order.method = methods[rng.choices(("ground", "priority", "2day", "overnight"),
                                               weights=(58, 14, 20, 8))[0]]
        if order.pickup_warehouse is not None:
            address = dict(self.store_addresses[order.pickup_warehouse.pk], name=order.customer.name)
            order.ship_to = copy_text(json.dumps(address, ensure_ascii=False))
            order.region = (address["country"], address["region"])
        else:
            order.ship_to = ship_json
            order.region = (country, region)

    def _marketing(self, order: PlannedOrder) -> None:
        rng = self.rng
        share = {"phone": 0.85, "web": 0.45, "store": 0.2, "pos": 0.05}.get(order.channel, 0.0)
        if self.source_codes and rng.random() < share:
            order.source_code = rng.choice(self._codes_on(date.fromtimestamp(order.placed)))
        if order.channel in ("web", "phone") and rng.random() < 0.07:
            order.coupon = rng.choice(COUPON_CODES)
        if rng.random() < 0.04:
            order.notes = rng.choice(ORDER_NOTES)

    def _codes_on(self, day: date) -> list[str]:
        """The source codes in effect on ``day`` (all of them when none is)."""
        codes = self._codes_by_day.get(day)
        if codes is None:
            codes = [code for code, start, end in self.source_codes
                     if (start is None or start <= day) and (end is None or day <= end)]
            codes = self._codes_by_day[day] = codes or [code for code, _start, _end in self.source_codes]
        return codes

    def _amounts(self, order: PlannedOrder) -> None:
        """Discounts, tax per line (rounded per line), shipping; the order's totals follow from them."""
        percent = int(order.coupon[-2:]) if order.coupon else 0
        rates, shipping_rate = ({}, 0) if order.customer.is_tax_exempt else self._tax_rule(*order.region)
        for line in order.lines:
            line.discount_cents = (line.subtotal_cents * percent + 50) // 100
            line.tax_cents = tax_on(line.subtotal_cents - line.discount_cents, rates.get(line.tax_class, 0))
        method = order.method
        units = sum(line.quantity for line in order.lines)
        shipping = cents(method.base_charge + method.per_item_charge * units) if method else 0
        order.shipping_cents = shipping
        order.shipping_tax_cents = tax_on(shipping, shipping_rate)

    def _tax_rule(self, country: str, region: str) -> tuple[dict[str, int], int]:
        """({tax class: rate}, shipping rate) at an address, as ``orders.services.tax.tax_rule`` has it:
        the country's level plus the region's, each level's reduced row or else its standard row;
        zero-rated and exempt SKUs pay nothing."""
        cached = self._tax_rules.get((country, region))
        if cached is not None:
            return cached
        levels = [(country, "")] if region == "" else [(country, ""), (country, region.upper())]
        rates, shipping_rate = {"standard": 0, "reduced": 0}, 0
        for level_country, level_region in levels:
            standard = self.taxes.get((level_country, level_region, "standard"))
            reduced = self.taxes.get((level_country, level_region, "reduced"), standard)
            rates["standard"] += standard[0] if standard else 0
            rates["reduced"] += reduced[0] if reduced else 0
            shipping_rate += standard[0] if standard and standard[1] else 0
        self._tax_rules[(country, region)] = rates, shipping_rate
        return rates, shipping_rate

    def _life(self, order: PlannedOrder) -> None:
        """Simulate the order from placement and stop at now: its events, holds and status.

        Placement settles the order at once (placed → released → allocated when the stock is
        there, or on hold); then the warehouse's backlog, the carrier, and the 30-day return window.
        """
        rng = self.rng
        agent = self.agent if order.channel in ("phone", "store") else None
        steps = order.steps
        t = order.placed
        steps.append(("placed", t, "status", f"Placed on the {order.channel} channel.", agent,
                      json.dumps({"external_id": order.external_id}) if order.external_id else "{}"))
        if order.channel == "pos":
            # A sale at the till: paid, taken from the shelf and handed over in a minute or two.
            steps.append(("released", t + 1, "status", "Paid at the till", agent, "{}"))
            order.allocation_time = t + 2
            steps.append(("allocated", t + 2, "status", "Taken from the store's shelf", agent, "{}"))
            steps.append(("picking", t + 3, "status", "Picking", agent, "{}"))
            steps.append(("packed", t + 20, "status", "Bagged", agent, "{}"))
            steps.append(("shipped", t + 30, "status", "Handed over at the till", agent, "{}"))
            steps.append(("closed", t + 31, "status", "Sale complete", agent, "{}"))
            self._settle(order)
            return
        if order.channel == "phone" and self.now - t < 4 * HOUR and rng.random() < 0.05:
            steps.clear()  # an agent is still entering it
            order.status = "draft"
            return
        cancel = rng.random() < 0.06
        if rng.random() < 0.06:
            # Pre-processing found a problem: a hold, mostly released within hours, a few after days.
            reason, _weight, note = rng.choices(HOLD_REASONS, weights=[h[1] for h in HOLD_REASONS])[0]
            held_at = t + 1
            steps.append(("", held_at, "hold", f"On {reason} hold: {note}", None,
                          json.dumps({"reason": reason})))
            steps.append(("on_hold", held_at, "status", "Pre-processing done.", None, "{}"))
            held_for = rng.expovariate(1 / (8 * HOUR)) if rng.random() < 0.75 else rng.uniform(2, 10) * DAY
            t = held_at + held_for
            order.hold = (reason, note, held_at, t)
            if cancel and rng.random() < 0.5:
                self._cancel(order, t, agent)
                self._settle(order)
                return
            message = f"{reason.capitalize()} hold released. Checked with the customer."
            steps.append(("", t, "release", message, self.manager, json.dumps({"reason": reason})))
            steps.append(("released", t, "status", "The last hold was released.", self.manager, "{}"))
        else:
            t += 1
            steps.append(("released", t, "status", "Pre-processing done.", None, "{}"))
        released_at = t
        # Stock: most orders are allocated as they are placed, some wait for a purchase order.
        if rng.random() < 0.12:
            line = order.lines[0]
            t += rng.uniform(2, 25) * DAY
            line.expected_on = date.fromtimestamp(t)
            message = (f"Line 1: {line.quantity} × {line.sku_code} backordered; "
                       f"expected on {line.expected_on}.")
            steps.append(("", released_at, "backorder", message, None, json.dumps({
                "line_id": line.id, "quantity": line.quantity, "expected_on": line.expected_on.isoformat()})))
        t += 1
        order.allocation_time = t
        steps.append(("allocated", t, "status", "Every unit is reserved: ready to pick.", None, "{}"))
        # The warehouse works through a backlog of a day or two.
        t += rng.uniform(2, 40) * HOUR
        steps.append(("picking", t, "status", "Picking", self.warehouse_user, "{}"))
        t += rng.uniform(0.5, 8) * HOUR
        steps.append(("packed", t, "status", "Packed", self.warehouse_user, "{}"))
        t += rng.uniform(1, 12) * HOUR
        shipped_at = t
        method = order.method
        carrier = method.carrier if method else ""
        pickup = order.fulfillment_type == "pickup"
        if not pickup and len(order.lines) > 1 and rng.random() < 0.06:
            # The last line waits for stock; the rest ships first.
            message = f"Shipped {len(order.lines) - 1} of {len(order.lines)} lines"
            steps.append(("partially_shipped", t, "status", message, self.warehouse_user,
                          self._tracking(carrier)))
            t += rng.uniform(3, 20) * DAY
        message = "Ready for pickup" if pickup else f"Shipped via {method.name if method else 'carrier'}"
        steps.append(("shipped", t, "status", message, self.warehouse_user,
                      "{}" if pickup else self._tracking(carrier)))
        transit = (method.transit_days if method else 5) if not pickup else 0
        t += (transit + rng.uniform(0, 2)) * DAY if not pickup else rng.uniform(2, 72) * HOUR
        steps.append(("delivered", t, "status", "Collected by the customer" if pickup else "Delivered", None,
                      "{}"))
        if rng.random() < 0.045:
            t += rng.uniform(3, 25) * DAY
            why = rng.choice(RETURN_REASONS)
            steps.append(("return_requested", t, "status", f"Return requested: {why}", agent, "{}"))
            t += rng.uniform(4, 12) * DAY
            steps.append(("returned", t, "status", "Return received and inspected", self.warehouse_user,
                          "{}"))
        else:
            t += 30 * DAY
            steps.append(("closed", t, "status", "Closed: return window over", None, "{}"))
        if cancel:
            # Cancelled some time before it would have shipped (an order that ships first is not).
            cancel_at = released_at + rng.uniform(600, 36 * HOUR)
            if cancel_at < shipped_at:
                order.steps = [step for step in steps if step[1] < cancel_at]
                self._cancel(order, cancel_at, agent)
        self._settle(order)

    def _cancel(self, order: PlannedOrder, moment: float, agent) -> None:
        reason = self.rng.choice(CANCEL_REASONS)
        units = sum(line.quantity for line in order.lines)
        actor = agent or self.manager
        order.steps.append(("", moment, "cancellation", f"Cancelled ({units} units): {reason}", actor,
                            json.dumps({"units": units})))
        order.steps.append(("cancelled", moment, "status", reason, actor, "{}"))

    def _tracking(self, carrier: str) -> str:
        rng = self.rng
        if carrier == "UPS":
            number = f"1Z{rng.randint(0, 16**6):06X}{rng.randint(10**9, 10**10 - 1)}"
        elif carrier == "USPS":
            number = f"9400{rng.randint(10**17, 10**18 - 1)}"
        else:
            number = str(rng.randint(10**11, 10**12 - 1))
        return json.dumps({"carrier": carrier, "tracking": number})

    def _settle(self, order: PlannedOrder) -> None:
        """Cut the simulated life at now; the status and the line quantities are where it stopped."""
        steps = [step for step in order.steps if step[1] <= self.now]
        order.steps = steps
        statuses = [step[0] for step in steps if step[0]]
        order.status = statuses[-1] if statuses else "placed"
        if order.hold and (order.status == "on_hold" or order.hold[3] > self.now):
            order.hold = order.hold[:3] + (None,)
        self._quantities(order)

    def _quantities(self, order: PlannedOrder) -> None:
        status = order.status
        for position, line in enumerate(order.lines):
            if status == "cancelled":
                line.cancelled = line.quantity
            elif status in SHIPPED_STATUSES or status in STOCK_HOLDING:
                line.allocated = line.quantity
                line.shipped = line.quantity if status in SHIPPED_STATUSES else 0
                line.returned = line.quantity if status == "returned" else 0
            elif status == "partially_shipped" and position < len(order.lines) - 1:
                line.allocated = line.shipped = line.quantity
            if line.allocated or line.cancelled:
                line.expected_on = None
            elif status == "partially_shipped" and line.expected_on is None:
                line.expected_on = self._expected_on()

    def _expected_on(self) -> date:
        return date.fromtimestamp(self.now + self.rng.uniform(5, 21) * DAY)

    # Stock for the few open orders that hold it

    def _allocate(self, orders: list[PlannedOrder]) -> int:
        """Reserve stock for the orders that stopped at allocated, picking or packed.

        Each is served whole by the first shipping warehouse (by priority) that has every unit, or
        by its pickup store; one that finds no such place waits, released and backordered.
        Returns how many orders hold stock.
        """
        if not orders:
            return 0
        from catalog.models import Sku
        from inventory.errors import InsufficientStock
        from inventory.models import Warehouse
        from inventory.selectors import sku_needs, stock_available
        from inventory.services import stock_reserve

        skus = Sku.objects.in_bulk({line.sku_id for order in orders for line in order.lines})
        needs = sku_needs(skus.values())  # a kit would take its components
        warehouses = Warehouse.objects.in_bulk({w for w, _c in self.shipping_warehouses}
                                               | {store.pk for store in self.stores})
        available = stock_available(sku_ids={part for parts in needs.values() for part in parts},
                                    warehouse_ids=warehouses)

        def takes(order: PlannedOrder) -> dict[int, int]:
            wanted: dict[int, int] = defaultdict(int)
            for line in order.lines:
                for part, units in needs[line.sku_id].items():
                    wanted[part] += units * line.quantity
            return wanted

        holding = 0
        for order in orders:
            if order.pickup_warehouse is not None and order.fulfillment_type == "pickup":
                candidates = [order.pickup_warehouse.pk]
            else:
                candidates = [warehouse_id for warehouse_id, _code in self.shipping_warehouses]
            wanted = takes(order)
            sellable = all(needs[line.sku_id] for line in order.lines)  # a kit without parts cannot be
            chosen = next((warehouse_id for warehouse_id in candidates
                           if all(available.get((part, warehouse_id), 0) >= units
                                  for part, units in wanted.items())), None) if sellable else None
            reserved: list[tuple[Line, int, uuid.UUID]] = []
            if chosen is not None:
                try:
                    with transaction.atomic():
                        for line in order.lines:
                            rows = stock_reserve(sku=skus[line.sku_id], warehouse=warehouses[chosen],
                                                 quantity=line.quantity,
                                                 reference=reservation_reference(order.id, line.id))
                            reserved.append((line, chosen, rows[0].group))
                except InsufficientStock:  # taken meanwhile: the savepoint undid this order's reservations
                    reserved = []
            if not reserved:
                self._backorder(order)
                continue
            for part, units in wanted.items():
                available[(part, chosen)] -= units
            order.allocations = reserved
            self._allocation_events(order, warehouses[chosen].code)
            holding += 1
        return holding

    def _allocation_events(self, order: PlannedOrder, warehouse_code: str) -> None:
        """The allocation events order entry writes, just before the order becomes allocated."""
        position = next(index for index, step in enumerate(order.steps) if step[0] == "allocated")
        moment = order.steps[position][1]
        order.steps[position:position] = [
            ("", moment, "allocation",
             f"Line {number}: {line.quantity} × {line.sku_code} reserved at {warehouse_code}. "
             f"{warehouse_code} ships the whole order.", None,
             json.dumps({"line_id": line.id, "warehouse": warehouse_code, "quantity": line.quantity,
                         "reservation_group": str(group)}))
            for number, (line, _warehouse_id, group) in enumerate(order.allocations, start=1)
        ]

    def _backorder(self, order: PlannedOrder) -> None:
        """No stock for an order the simulation had allocated: it waits, released and backordered."""
        kept = [step for step in order.steps if step[1] < order.allocation_time and step[2] != "backorder"]
        last_move = [step for step in kept if step[0]][-1]
        order.status, released_at = last_move[0], last_move[1]  # released (after placing or a hold)
        for number, line in enumerate(order.lines, start=1):
            line.allocated = line.shipped = line.returned = 0
            line.expected_on = self._expected_on()
            kept.append(("", released_at, "backorder",
                         f"Line {number}: {line.quantity} × {line.sku_code} backordered; expected on "
                         f"{line.expected_on}.", None,
                         json.dumps({"line_id": line.id, "quantity": line.quantity,
                                     "expected_on": line.expected_on.isoformat()})))
        order.steps = kept

    # Writing

    def _write(self, orders: list[PlannedOrder]) -> dict[str, int]:
        order_rows, line_rows, event_rows, hold_rows = [], [], [], []
        currency = settings.DEFAULT_CURRENCY
        for order in orders:
            lines = order.lines
            subtotal = sum(line.subtotal_cents for line in lines)
            discount = sum(line.discount_cents for line in lines)
            tax = sum(line.tax_cents for line in lines) + order.shipping_tax_cents
            total = subtotal - discount + order.shipping_cents + tax
            is_draft = order.status == "draft"
            created = timestamp(order.placed)
            updated = timestamp(order.steps[-1][1]) if order.steps else created
            method = order.method
            order_rows.append("\t".join((
                str(order.id), order.number, order.channel, order.external_id or NULL, order.status, currency,
                order.source_code, "{" + order.coupon + "}", order.ship_to, order.customer.bill,
                order.fulfillment_type, money(subtotal), money(discount), money(order.shipping_cents),
                money(tax), money(total), "{}", order.notes, created, NULL if is_draft else created, updated,
                str(self.agent) if order.channel in ("phone", "store") and self.agent else NULL,
                str(order.customer.id), str(order.pickup_warehouse.pk) if order.pickup_warehouse else NULL,
                str(method.pk) if method else NULL,
            )))
            for number, line in enumerate(lines, start=1):
                line_rows.append("\t".join((
                    str(line.id), str(order.id), str(number), str(line.sku_id), line.sku_code,
                    line.description, str(line.quantity), str(line.allocated), str(line.shipped),
                    str(line.cancelled), str(line.returned), money(line.unit_cents), line.personalization,
                    money(line.personalization_cents), money(line.discount_cents), money(line.tax_cents),
                    money(line.total_cents), line.expected_on.isoformat() if line.expected_on else NULL,
                    created,
                )))
            previous = ""
            for status, moment, kind, message, actor, data in order.steps:
                event_rows.append("\t".join((
                    str(order.id), kind, previous if status else "", status, copy_text(message), data,
                    timestamp(moment), str(actor) if actor else NULL,
                )))
                if status:
                    previous = status
            if order.hold:
                reason, note, held_at, released_at = order.hold
                cancelled = order.status == "cancelled" and order.steps[-1][1] == released_at
                release_note = "Order cancelled." if cancelled else "Checked with the customer."
                hold_rows.append("\t".join((
                    str(order.id), reason, note, timestamp(held_at),
                    timestamp(released_at) if released_at else NULL, release_note if released_at else "",
                    NULL,
                    str(self.manager) if released_at and self.manager else NULL,
                )))
        with connection.cursor() as cursor, _without_row_triggers(cursor):
            _copy(cursor, "orders_order", (
                "id", "number", "channel", "external_id", "status", "currency", "source_code", "coupons",
                "ship_to", "bill_to", "fulfillment_type", "subtotal", "discount_total", "shipping_total",
                "tax_total", "total", "pricing", "notes", "created_at", "placed_at", "updated_at",
                "created_by_id", "customer_id", "pickup_warehouse_id", "shipping_method_id",
            ), order_rows)
            _copy(cursor, "orders_orderline", (
                "id", "order_id", "line_number", "sku_id", "sku_code", "description", "quantity",
                "quantity_allocated", "quantity_shipped", "quantity_cancelled", "quantity_returned",
                "unit_price", "personalization", "personalization_amount", "discount_amount", "tax_amount",
                "line_total", "expected_on", "created_at",
            ), line_rows)
            _copy(cursor, "orders_orderevent", (
                "order_id", "kind", "from_status", "to_status", "message", "data", "created_at", "actor_id"),
                event_rows)
            _copy(cursor, "orders_hold", (
                "order_id", "reason", "note", "created_at", "released_at", "release_note", "created_by_id",
                "released_by_id"), hold_rows)
        self._write_allocations([order for order in orders if order.allocations])
        return {"orders": len(order_rows), "lines": len(line_rows), "events": len(event_rows),
                "holds": len(hold_rows)}

    def _write_allocations(self, orders: list[PlannedOrder]) -> None:
        from orders.models import LineAllocation

        codes = dict(self.shipping_warehouses) | {store.pk: store.code for store in self.stores}
        LineAllocation.objects.bulk_create([
            LineAllocation(line_id=line.id, warehouse_id=warehouse_id, quantity=line.quantity,
                           reservation_group=group,
                           reason=f"{codes.get(warehouse_id, warehouse_id)} ships the whole order.")
            for order in orders for line, warehouse_id, group in order.allocations
        ])


@contextmanager
def _without_row_triggers(cursor):
    """Skip the per-row foreign-key checks of the COPYs inside, when the database user may.

    Every id the generated rows reference was read or written in this transaction, so the
    checks cannot fail; queued for the commit, they would take a third of the load's time.
    ``session_replication_role = replica`` is how ``pg_restore --disable-triggers`` loads data;
    it needs a superuser (the embedded server's, Compose's), elsewhere the checks simply run.
    """
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        yield
        return
    try:
        yield
    finally:
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def _copy(cursor, table: str, columns: tuple[str, ...], rows: list[str]) -> None:
    """COPY ``rows`` (tab-separated, already escaped) into ``table``, a megabyte at a time."""
    if not rows:
        return
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(statement) as copy:
        for start in range(0, len(rows), 5000):
            copy.write("\n".join(rows[start:start + 5000]) + "\n")


def _accumulate(weights):
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def number_format_order(value: int) -> str:
    """An order number as order entry writes it, from ``orders_order_number_seq``."""
    return str(value)


def number_format_customer(value: int) -> str:
    """A customer number as ``orders.services.customers`` writes it: ``C``, then the sequence's value."""
    return f"C{value}"


def reservation_reference(order_id: int, line_id: int) -> str:
    """A line's stock reservation reference, as ``orders.services.allocation.line_reference`` writes it."""
    return f"order:{order_id}:line:{line_id}"
