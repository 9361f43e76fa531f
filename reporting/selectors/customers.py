"""Customer reports: top customers, new against returning, and the RFM extraction (a mailing file).

Reads over the ``customer_sales`` rollup (reporting.rollups.customers: per customer, current to
the last fold, a few seconds behind the orders), the orders and the customers, each a keyset page
(reporting.selectors.keyset). Money
is summed over one currency at a time (the shop's by default): totals of several currencies
mean nothing. Orders count when placed and not cancelled (``COUNTED_ORDER``); spend is the
order total, as the customer segments count it.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.conf import settings
from django.db import connections

from orders.models import ADDRESS_FIELDS, Address, Customer, Order
from reporting.db import reporting_alias
from reporting.rollups.models import CustomerSales
from reporting.selectors.common import COUNTED_ORDER, PERIODS, day_start, shop_zone, where, window
from reporting.selectors.keyset import keyset_rows

ORDERS = Order._meta.db_table
CUSTOMERS = Customer._meta.db_table
ADDRESSES = Address._meta.db_table
CUSTOMER_SALES = CustomerSales._meta.db_table
RFM_BANDS = 5  # scores 1 (lowest fifth) to 5 (highest fifth)


def _order_filters(*, date_from=None, date_to=None, channel: str = "", source_code: str = "",
                   currency: str = "") -> tuple[list[str], list]:
    conditions, params = window("o.placed_at", date_from, date_to)
    conditions.insert(0, COUNTED_ORDER)
    conditions.append("o.currency = %s")
    params.append(currency or settings.DEFAULT_CURRENCY)
    if channel:
        conditions.append("o.channel = %s")
        params.append(channel)
    if source_code:
        conditions.append("o.source_code = %s")
        params.append(source_code.strip().upper())
    return conditions, params


def _customer_stats(end: dt.datetime | None, currency: str) -> tuple[str, list]:
    """Per customer: orders, spend, first and last order, over the counted orders placed before
    ``end`` (all of them when None), in ``currency``, from the ``customer_sales`` rollup.

    A customer whose last order is before ``end`` is the rollup's row as it stands; the few with an
    order at or after ``end`` are recomputed from their own orders (index order_customer_recent).
    """
    currency = currency or settings.DEFAULT_CURRENCY
    columns = ("s.customer_id, s.orders, s.spend, s.first_order_at AS first_order, "
               "s.last_order_at AS last_order, s.currency")
    if end is None:
        return f"SELECT {columns} FROM {CUSTOMER_SALES} s WHERE s.currency = %s", [currency]
    sql = f"""
        SELECT {columns} FROM {CUSTOMER_SALES} s WHERE s.currency = %s AND s.last_order_at < %s
        UNION ALL
        SELECT o.customer_id, COUNT(*), SUM(o.total), MIN(o.placed_at), MAX(o.placed_at), MIN(o.currency)
        FROM {ORDERS} o
        WHERE o.customer_id IN (SELECT customer_id FROM {CUSTOMER_SALES} WHERE currency = %s AND last_order_at >= %s)
          AND {COUNTED_ORDER} AND o.placed_at < %s AND o.currency = %s
        GROUP BY o.customer_id"""
    return sql, [currency, end, currency, end, end, currency]


# --- top customers ------------------------------------------------------------------------------

TOP_CUSTOMER_SORTS = {"spend": "spend", "orders": "orders", "last_order": "last_order", "number": "number"}


def top_customers(*, date_from: dt.date | None = None, date_to: dt.date | None = None, channel: str = "",
                  source_code: str = "", customer_type: str = "", currency: str = "", sort: str = "spend",
                  after: str | None = None, limit: int = 50) -> list[dict]:
    """Customers by what they bought in the window: orders, spend, average order, first and last order.

    Sorted by ``sort`` (spend, orders or last order, largest first; number, ascending), then customer id.
    """
    if date_from is None and not channel and not source_code:
        # Every order up to date_to: the per-customer rollup (see _customer_stats).
        end = day_start(date_to + dt.timedelta(days=1)) if date_to else None
        stats_sql, params = _customer_stats(end, currency)
    else:
        conditions, params = _order_filters(date_from=date_from, date_to=date_to, channel=channel,
                                            source_code=source_code, currency=currency)
        stats_sql = f"""
            SELECT o.customer_id, COUNT(*) AS orders, SUM(o.total) AS spend, MIN(o.placed_at) AS first_order,
                   MAX(o.placed_at) AS last_order, MIN(o.currency) AS currency
            FROM {ORDERS} o WHERE {where(conditions)} GROUP BY o.customer_id"""
    customer_condition = "TRUE"
    if customer_type:
        customer_condition = "c.customer_type = %s"
    sql = f"""
        SELECT c.id AS customer_id, c.number, c.first_name, c.last_name, c.company,
               COALESCE(c.emails[1], '') AS email, c.customer_type, a.orders, a.spend,
               ROUND(a.spend / a.orders, 2) AS average_order, a.first_order, a.last_order, a.currency
        FROM ({stats_sql}) a
        JOIN {CUSTOMERS} c ON c.id = a.customer_id
        WHERE {customer_condition}"""
    if customer_type:
        params.append(customer_type)
    column = TOP_CUSTOMER_SORTS.get(sort, "spend")
    order = [(column, column != "number"), ("customer_id", column != "number")]
    rows = keyset_rows(sql, params, order=order, after=after, limit=limit)
    zone = shop_zone()
    for row in rows:
        row["first_order_on"] = row["first_order"].astimezone(zone).date()
        row["last_order_on"] = row["last_order"].astimezone(zone).date()
    return rows


# --- new against returning ----------------------------------------------------------------------


def new_and_returning(*, date_from: dt.date | None = None, date_to: dt.date | None = None,
                      period: str = "day", channel: str = "", currency: str = "",
                      after: str | None = None, limit: int = 50) -> list[dict]:
    """Per day, week or month (newest first): the customers whose first order ever fell in it (new),
    those who had ordered before (returning), and the orders and spend of each.

    An order is a new customer's when the customer has no earlier counted order, on any channel.
    """
    period = period if period in PERIODS else "day"
    conditions, params = _order_filters(date_from=date_from, date_to=date_to, channel=channel, currency=currency)
    first_conditions, first_params = window("s.first_order_at", date_from, date_to)
    sql = f"""
        SELECT date_trunc(%s, o.placed_at AT TIME ZONE %s)::date AS period_start,
               COUNT(DISTINCT o.customer_id) FILTER (WHERE x.is_first) AS new_customers,
               COUNT(*) FILTER (WHERE x.is_first) AS new_orders,
               COALESCE(SUM(o.total) FILTER (WHERE x.is_first), 0) AS new_spend,
               COUNT(DISTINCT o.customer_id) FILTER (WHERE NOT x.is_first) AS returning_customers,
               COUNT(*) FILTER (WHERE NOT x.is_first) AS returning_orders,
               COALESCE(SUM(o.total) FILTER (WHERE NOT x.is_first), 0) AS returning_spend,
               MIN(o.currency) AS currency
        FROM (SELECT o.id, o.customer_id, o.placed_at, o.total, o.currency FROM {ORDERS} o
              WHERE {where(conditions)}) o
        -- The customers' first orders in the window, from the customer_sales rollup: a customer's
        -- first is the earliest of its rows' (one row per currency it ordered in).
        LEFT JOIN (SELECT s.first_order_id FROM {CUSTOMER_SALES} s WHERE {where(first_conditions)}
                     AND NOT EXISTS (SELECT 1 FROM {CUSTOMER_SALES} t WHERE t.customer_id = s.customer_id
                                       AND (t.first_order_at, t.first_order_id) < (s.first_order_at, s.first_order_id))
                  ) f ON f.first_order_id = o.id
        CROSS JOIN LATERAL (SELECT f.first_order_id IS NOT NULL AS is_first) x
        GROUP BY 1"""
    params = [*params, *first_params]
    rows = keyset_rows(sql, [period, settings.SHOP_TIME_ZONE, *params], order=[("period_start", True)],
                       after=after, limit=limit)
    for row in rows:
        orders = row["new_orders"] + row["returning_orders"]
        row["orders"] = orders
        row["new_share"] = (Decimal(100) * row["new_orders"] / orders).quantize(Decimal("0.01")) if orders else None
    return rows


def _mailable(customer_ids: list[int]) -> dict[int, dict]:
    """Of these customers, those who agreed to marketing: number, name, company, email and the mailing
    address (the default shipping address, else the default billing one, else the ship-to of the last
    order, through order_customer_recent; None when there is none)."""
    if not customer_ids:
        return {}
    with connections[reporting_alias()].cursor() as cursor:
        cursor.execute(f"""
            SELECT c.id, c.number, c.first_name, c.last_name, c.company, COALESCE(c.emails[1], ''),
                   COALESCE(to_jsonb(sa), to_jsonb(ba), (
                SELECT lo.ship_to FROM {ORDERS} lo WHERE lo.customer_id = c.id
                  AND lo.placed_at IS NOT NULL ORDER BY lo.placed_at DESC NULLS LAST LIMIT 1))
            FROM {CUSTOMERS} c
            LEFT JOIN {ADDRESSES} sa ON sa.id = c.default_ship_address_id
            LEFT JOIN {ADDRESSES} ba ON ba.id = c.default_bill_address_id
            WHERE c.id = ANY(%s) AND c.marketing_opt_in""", [customer_ids])
        found = {}
        for customer_id, number, first_name, last_name, company, email, address in cursor.fetchall():
            if isinstance(address, str):  # Django reads jsonb as text on a raw cursor
                address = json.loads(address)
            found[customer_id] = {"number": number, "first_name": first_name, "last_name": last_name,
                                  "customer_company": company, "email": email, "address": address}
    return found


# --- RFM extraction -----------------------------------------------------------------------------

RFM_SORTS = {"score": "rfm_total", "monetary": "monetary", "frequency": "frequency",
             "recency": "last_order", "number": "number"}


def rfm_extraction(*, as_of: dt.date | None = None, min_spend: Decimal | None = None,
                   max_spend: Decimal | None = None, min_orders: int | None = None, max_orders: int | None = None,
                   last_order_from: dt.date | None = None, last_order_to: dt.date | None = None,
                   source_code: str = "", channel: str = "", min_recency_score: int | None = None,
                   min_frequency_score: int | None = None, min_monetary_score: int | None = None,
                   currency: str = "", sort: str = "score", after: str | None = None,
                   limit: int = 50) -> list[dict]:
    """Opted-in customers with a mailing address, with their recency, frequency and monetary value.

    The measures are over the customer's counted orders placed before the end of ``as_of``
    (today by default): recency is the days from the last order to ``as_of``, frequency the
    number of orders, monetary the total spend. Each score is the fifth of all customers with an
    order (opted in or not) that the customer falls in, 1 to 5, 5 the best (most recent, most
    orders, most spend): ``ceil(5 × k / n)`` where ``n`` customers have orders and ``k`` of them
    have a value no better than this customer's (ties share a score). The filters then choose who
    is extracted; ``source_code`` and ``channel`` keep customers who ever ordered with that code
    or on that channel. The address is the customer's default shipping address, else the default
    billing one, else the ship-to of the last order; customers with none are left out.
    """
    as_of = as_of or dt.datetime.now(shop_zone()).date()
    end = day_start(as_of + dt.timedelta(days=1))
    stats_sql, stats_params = _customer_stats(end, currency)
    outer, outer_params = [], []
    for condition, value in (("s.monetary >= %s", min_spend), ("s.monetary <= %s", max_spend),
                             ("s.frequency >= %s", min_orders), ("s.frequency <= %s", max_orders),
                             ("s.recency_score >= %s", min_recency_score),
                             ("s.frequency_score >= %s", min_frequency_score),
                             ("s.monetary_score >= %s", min_monetary_score)):
        if value is not None:
            outer.append(condition)
            outer_params.append(value)
    last_conditions, last_params = window("s.last_order", last_order_from, last_order_to)
    outer += last_conditions
    outer_params += last_params
    for column, value in (("source_code", source_code.strip().upper()), ("channel", channel)):
        if value:
            outer.append(f"s.customer_id IN (SELECT o.customer_id FROM {ORDERS} o WHERE o.{column} = %s "
                         f"AND {COUNTED_ORDER} AND o.placed_at < %s)")
            outer_params += [value, end]
    bands = RFM_BANDS
    column = RFM_SORTS.get(sort, "rfm_total")
    descending = column != "number"
    by_number = column == "number"  # else the customers are read for the page's candidates only
    sql = f"""
        WITH stats AS (
            SELECT customer_id, orders AS frequency, spend AS monetary, last_order, first_order
            FROM ({stats_sql}) x
        ), frequencies AS (
            -- A few dozen order counts: ranked per count, not per customer (a sort the fewer).
            SELECT frequency, (SUM(COUNT(*)) OVER (ORDER BY frequency))::bigint AS frequency_rank
            FROM stats GROUP BY frequency
        ), ranked AS (
            SELECT stats.*, f.frequency_rank, COUNT(*) OVER () AS population,
                   COUNT(*) OVER (ORDER BY last_order) AS recency_rank,
                   COUNT(*) OVER (ORDER BY monetary) AS monetary_rank
            FROM stats JOIN frequencies f USING (frequency)
        ), scored AS (
            SELECT ranked.*,
                   ({bands} * recency_rank + population - 1) / population AS recency_score,
                   ({bands} * frequency_rank + population - 1) / population AS frequency_score,
                   ({bands} * monetary_rank + population - 1) / population AS monetary_score
            FROM ranked
        )
        , chosen AS (
            SELECT s.customer_id, {"c.number," if by_number else ""} s.frequency, s.monetary, s.first_order,
                   s.last_order, (%s::date - (s.last_order AT TIME ZONE %s)::date) AS recency_days,
                   s.recency_score::int AS recency_score, s.frequency_score::int AS frequency_score,
                   s.monetary_score::int AS monetary_score,
                   (s.recency_score + s.frequency_score + s.monetary_score)::bigint AS rfm_total
            FROM scored s {f"JOIN {CUSTOMERS} c ON c.id = s.customer_id AND c.marketing_opt_in" if by_number else ""}
            WHERE {where(outer)}
        )
        SELECT * FROM chosen"""
    params = [*stats_params, as_of, settings.SHOP_TIME_ZONE, *outer_params]
    order = [(column, descending), ("customer_id", descending)]
    # Who opted in and has a mailing address is read for a page's candidates only (not for every
    # customer), after the page is cut: read on until the page is full.
    rows, cursor, batch = [], after, limit * 4 + 10
    while True:
        candidates = keyset_rows(sql, params, order=order, after=cursor, limit=batch)
        mailable = _mailable([row["customer_id"] for row in candidates])
        for row in candidates:
            customer = mailable.get(row["customer_id"])
            if customer and str((customer["address"] or {}).get("line1") or ""):
                rows.append({**row, **customer})
                if len(rows) == limit:
                    break
        if len(rows) == limit or len(candidates) < batch:
            break
        cursor, batch = candidates[-1]["_cursor"], batch * 2
    for row in rows:
        address = row.pop("address") or {}
        for field in ADDRESS_FIELDS:
            row[field] = str(address.get(field) or "")
        row["name"] = row["name"] or f"{row['first_name']} {row['last_name']}".strip()
        customer_company = row.pop("customer_company")
        row["company"] = row["company"] or customer_company
        row["last_order_on"] = row["last_order"].astimezone(shop_zone()).date()
        row["rfm_cell"] = f"{row['recency_score']}{row['frequency_score']}{row['monetary_score']}"
        row["currency"] = currency or settings.DEFAULT_CURRENCY
    return rows
