"""Customer and order reads: lookups, duplicates, the order list, a customer's history.

Every read here is shaped for an index and a bounded amount of work, because the order list
and the customer lookup run against millions of rows:

* customers by number (unique index), email and phone (GIN on the arrays: ``&&`` and ``@>``)
  and name (trigram GIN on ``UPPER(...)``, which Django's ``icontains`` produces);
* orders newest first by keyset pagination on ``(placed_at desc, id desc)`` (the
  ``order_recent`` index and its per-status/channel/customer variants): no OFFSET and no
  COUNT, so the ten-thousandth page costs what the first does.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import JSONObject
from django.utils.dateparse import parse_datetime

from catalog.models import Sku
from oms.pagination import keyset_page as oms_keyset_page
from orders import hooks
from orders.models import Customer, CustomerNote, Hold, LineAllocation, Order, OrderEvent, OrderLine
from orders.services.customers import normalize_emails, normalize_phone, normalize_phones

CUSTOMER_NUMBER = re.compile(r"^[cC]\d+$")
PHONE_LIKE = re.compile(r"^[\d\s()+.\-/]+$")
MIN_PHONE_DIGITS = 4
# A text search looks up orders of at most this many customers (one query for their ids).
SEARCH_CUSTOMER_LIMIT = 500
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 50
ANY_HOLD = "any"


def shop_time_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.SHOP_TIME_ZONE)


# --- customers --------------------------------------------------------------------------------


def phone_variants(digits: str) -> list[str]:
    """The stored forms a typed number may have: with and without the North American "1"."""
    variants = [digits]
    if len(digits) == 10:
        variants.append(f"1{digits}")
    elif len(digits) == 11 and digits.startswith("1"):
        variants.append(digits[1:])
    return variants


def _customer_condition(query: str) -> Q | None:
    """What a typed lookup matches: a number, an email, a phone, or every word of a name."""
    query = " ".join(query.split())
    if not query:
        return None
    if CUSTOMER_NUMBER.match(query):
        return Q(number=query.upper())
    if "@" in query:
        return Q(emails__contains=[query.lower()])
    if PHONE_LIKE.match(query):
        digits = normalize_phone(query)
        if len(digits) >= MIN_PHONE_DIGITS:
            return Q(phones__overlap=phone_variants(digits))
        return None
    condition = Q()
    for word in query.split():
        # icontains is UPPER(col) LIKE UPPER('%word%'): the trigram indexes on UPPER(col) serve it.
        condition &= Q(last_name__icontains=word) | Q(first_name__icontains=word) | Q(company__icontains=word)
    return condition


def customer_search(*, query: str, limit: int = 20) -> QuerySet[Customer]:
    """Customers matching ``query``: a customer number (C10042), an email, a phone number in any
    format, or name words (each word must appear in the first name, last name or company).
    """
    condition = _customer_condition(query)
    if condition is None:
        return Customer.objects.none()
    return (Customer.objects.filter(condition).select_related("default_ship_address")
            .order_by("last_name", "first_name", "pk")[:limit])


def customer_duplicates(*, emails: Iterable[str] = (), phones: Iterable[str] = (),
                        exclude_pk: int | None = None, limit: int = 10) -> QuerySet[Customer]:
    """Customers who share an email address or a phone number with the ones given."""
    emails = normalize_emails(emails)
    phones = [variant for phone in normalize_phones(phones) if len(phone) >= MIN_PHONE_DIGITS
              for variant in phone_variants(phone)]
    condition = Q()
    if emails:
        condition |= Q(emails__overlap=emails)
    if phones:
        condition |= Q(phones__overlap=phones)
    if not condition:
        return Customer.objects.none()
    customers = Customer.objects.filter(condition)
    if exclude_pk is not None:
        customers = customers.exclude(pk=exclude_pk)
    return customers.order_by("pk")[:limit]


# --- keyset pages -----------------------------------------------------------------------------


@dataclass
class OrderPage:
    orders: list[Order]
    next_cursor: str | None = None
    previous_cursor: str | None = None
    size: int = DEFAULT_PAGE_SIZE
    search_truncated: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next_cursor or self.previous_cursor)


# Exactly the order of the order_recent index (placed_at DESC NULLS LAST, id DESC) and its reverse:
# PostgreSQL's plain DESC means NULLS FIRST, which the index cannot serve (a sort of every row).
NEWEST_FIRST = (F("placed_at").desc(nulls_last=True), F("id").desc())
OLDEST_FIRST = (F("placed_at").asc(nulls_first=True), F("id").asc())


def keyset_page(orders: QuerySet[Order], *, after: str | None, before: str | None, size: int) -> OrderPage:
    """One page of ``orders`` newest first by (placed_at, id) (``oms.pagination.keyset_page``);
    ``after`` goes to older orders, ``before`` back to newer ones.

    Orders not yet placed (``placed_at`` null) are not in the list.
    """
    page = oms_keyset_page(orders.filter(placed_at__isnull=False), key="placed_at", after=after, before=before,
                           size=size, newest_first=NEWEST_FIRST, oldest_first=OLDEST_FIRST)
    return OrderPage(orders=page.rows, size=size, next_cursor=page.next_cursor, previous_cursor=page.previous_cursor)


# --- orders -----------------------------------------------------------------------------------


def _open_hold_reasons() -> ArraySubquery:
    return ArraySubquery(
        Hold.objects.filter(order_id=OuterRef("pk"), released_at__isnull=True).order_by("pk").values("reason")
    )


LIST_ROW_FIELDS = (
    "number", "channel", "status", "currency", "source_code", "total", "placed_at", "customer_id",
    "customer__number", "customer__first_name", "customer__last_name", "customer__company",
)


def order_list_rows() -> QuerySet[Order]:
    """Orders with what a list row shows, and no more (no address or pricing JSON): the
    customer's number and name (joined) and the open hold reasons (a subquery per row, on the
    hold's order index), and the flags higher apps register (``orders.hooks.order_list_flags``:
    one boolean column each, ``flag_<key>``). Templates must not read other fields, or each row
    costs a query.
    """
    flags = {f"flag_{flag.key}": flag.annotation() for flag in hooks.order_list_flags()}
    return (Order.objects.select_related("customer").only(*LIST_ROW_FIELDS)
            .annotate(open_holds=_open_hold_reasons(), **flags))


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=shop_time_zone())


def order_search(
    *,
    query: str = "",
    status: str = "",
    channel: str = "",
    placed_from: dt.date | None = None,
    placed_to: dt.date | None = None,
    customer: Customer | str | None = None,
    sku: str = "",
    source_code: str = "",
    hold: str = "",
    after: str | None = None,
    before: str | None = None,
    size: int = DEFAULT_PAGE_SIZE,
) -> OrderPage:
    """A page of placed orders, newest first, filtered; at most two queries whatever the size.

    ``query`` is an order number, or a customer's name, email or phone (their ids are looked
    up first, in one query, then their orders through ``order_customer_recent``). Dates are
    days in the shop's time zone, both ends included. ``customer`` is a Customer or a customer
    number; ``sku`` a SKU code or barcode; ``hold`` a hold reason, or ``"any"`` for any open hold.
    """
    size = size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE
    orders = order_list_rows()
    truncated = False
    if status:
        orders = orders.filter(status=status)
    if channel:
        orders = orders.filter(channel=channel)
    if placed_from:
        orders = orders.filter(placed_at__gte=_day_start(placed_from))
    if placed_to:
        orders = orders.filter(placed_at__lt=_day_start(placed_to + dt.timedelta(days=1)))
    if isinstance(customer, Customer):
        orders = orders.filter(customer=customer)
    elif customer:
        orders = orders.filter(customer__number=customer.strip().upper())
    if sku:
        skus = Sku.objects.filter(Q(code=sku.strip()) | Q(barcode=sku.strip())).values("pk")
        orders = orders.filter(pk__in=OrderLine.objects.filter(sku__in=skus).values("order_id"))
    if source_code:
        orders = orders.filter(source_code=source_code.strip().upper())
    if hold == ANY_HOLD:
        orders = orders.filter(pk__in=Hold.objects.filter(released_at__isnull=True).values("order_id"))
    elif hold:
        orders = orders.filter(pk__in=Hold.objects.filter(released_at__isnull=True, reason=hold).values("order_id"))
    query = " ".join(query.split())
    if query:
        condition = Q(number__in={query, query.upper()})
        customer_condition = _customer_condition(query)
        if customer_condition is not None:
            customer_ids = list(Customer.objects.filter(customer_condition).order_by()
                                .values_list("pk", flat=True)[: SEARCH_CUSTOMER_LIMIT + 1])
            truncated = len(customer_ids) > SEARCH_CUSTOMER_LIMIT
            if customer_ids:
                condition |= Q(customer_id__in=customer_ids[:SEARCH_CUSTOMER_LIMIT])
        orders = orders.filter(condition)
    page = keyset_page(orders, after=after, before=before, size=size)
    page.search_truncated = truncated
    return page


def _name(row: dict, who: str) -> str | None:
    """The full name of a user read into a JSON row (``<who>_first`` ...), or their username."""
    if not row.get(f"{who}_username"):
        return None
    full = f"{row.get(f'{who}_first') or ''} {row.get(f'{who}_last') or ''}".strip()
    return full or row[f"{who}_username"]


@dataclass
class HoldRow:
    """A hold as the order page shows it (read with the order, as JSON, in the same query)."""

    pk: int
    reason: str
    note: str
    created_at: dt.datetime
    created_by: str | None
    released_at: dt.datetime | None
    released_by: str | None
    release_note: str

    @property
    def is_open(self) -> bool:
        return self.released_at is None

    def get_reason_display(self) -> str:
        return str(Hold.Reason(self.reason).label) if self.reason in Hold.Reason.values else self.reason


def order_for_page(*, pk: int) -> Order:
    """An order with everything its page shows, in three queries whatever its size.

    1. the order with its customer, shipping method, pickup warehouse and creator, and its
       holds (as JSON rows: ``order.hold_rows``, newest first, with who placed and released them);
    2. its lines with their substituted SKUs and their warehouse allocations (as JSON rows:
       ``line.allocation_rows``);
    3. its events with their actors.
    """
    allocations = ArraySubquery(
        LineAllocation.objects.filter(line_id=OuterRef("pk")).order_by("pk").values(json=JSONObject(
            warehouse=F("warehouse__code"), quantity=F("quantity"), reason=F("reason"), is_open=F("is_open"))))
    holds = ArraySubquery(
        Hold.objects.filter(order_id=OuterRef("pk")).order_by("-created_at", "-pk").values(json=JSONObject(
            pk=F("pk"), reason=F("reason"), note=F("note"), created_at=F("created_at"), released_at=F("released_at"),
            release_note=F("release_note"), created_by_first=F("created_by__first_name"),
            created_by_last=F("created_by__last_name"), created_by_username=F("created_by__username"),
            released_by_first=F("released_by__first_name"), released_by_last=F("released_by__last_name"),
            released_by_username=F("released_by__username"))))
    order = (
        Order.objects.select_related("customer", "shipping_method", "pickup_warehouse", "created_by")
        .annotate(hold_json=holds)
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("substituted_from", "sku")
                     .annotate(allocation_rows=allocations).order_by("line_number")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "pk")),
        )
        .get(pk=pk)
    )
    order.hold_rows = [
        HoldRow(pk=row["pk"], reason=row["reason"], note=row["note"], created_at=parse_datetime(row["created_at"]),
                created_by=_name(row, "created_by"), released_at=parse_datetime(row["released_at"] or ""),
                released_by=_name(row, "released_by"), release_note=row["release_note"])
        for row in order.hold_json or []
    ]
    return order


# --- a customer's history ---------------------------------------------------------------------


@dataclass
class ChannelSummary:
    channel: str
    orders: int
    total: object


@dataclass
class CustomerHistory:
    orders: OrderPage
    channels: list[ChannelSummary]
    returned_lines: list[OrderLine]
    notes: list[CustomerNote]


def customer_history(*, customer: Customer, after: str | None = None, before: str | None = None,
                     size: int = 20, returns_limit: int = 20, notes_limit: int = 50) -> CustomerHistory:
    """Everything the customer page shows about what the customer did, across all channels.

    Four queries: a page of orders (any channel, newest first); orders and spend per channel;
    the lines returned, newest first; the latest notes. Each is bounded by the customer's
    index and a limit.
    """
    orders = keyset_page(order_list_rows().filter(customer=customer), after=after, before=before, size=size)
    channels = [
        ChannelSummary(channel=row["channel"], orders=row["orders"], total=row["total"])
        for row in Order.objects.filter(customer=customer, placed_at__isnull=False).order_by()
        .values("channel").annotate(orders=Count("pk"), total=Sum("total")).order_by("-orders", "channel")
    ]
    returned_lines = list(
        OrderLine.objects.filter(order__customer=customer, quantity_returned__gt=0)
        .select_related("order").order_by("-order__placed_at", "-order_id", "line_number")[:returns_limit]
    )
    notes = list(CustomerNote.objects.filter(customer=customer).select_related("author")
                 .order_by("-created_at", "-pk")[:notes_limit])
    return CustomerHistory(orders=orders, channels=channels, returned_lines=returned_lines, notes=notes)
