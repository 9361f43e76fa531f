"""The rollups of the customer and campaign reports: per customer, and per day × source code × channel.

``customer_sales`` is keyed by the customer, not by a time bucket: a fold recomputes, whole, every
customer with an order among the changed ones (``DELETE`` + ``INSERT … SELECT`` over that
customer's orders, through the index ``order_customer_recent``); a rebuild of some days recomputes
every customer who placed an order on them. ``daily_campaign`` is a day bucket like the others.

Both count an order as the reports do (``reporting.selectors.common.COUNTED_ORDER``: placed and
not cancelled). The campaign margin is the ledger's: the income the shipment entries credited and
what they debited to the accounts the posting map gives the ``cogs`` role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import models

from orders.fulfillment.models import Shipment
from orders.models import Order
from payments.ledger.models import Account, JournalEntry, JournalLine, PostingRule
from reporting.rollups import models as rollup_models
from reporting.rollups.definitions import (
    DAILY_SKU,
    DAY,
    SHOP_DAY,
    BucketRollup,
    rollup_differences,
    rollup_execute,
    changed_orders_sql,
    day_start,
)
from reporting.rollups.registry import Rollup
from reporting.selectors.common import COUNTED_ORDER

ORDERS = Order._meta.db_table
SHIPMENT_SOURCE, SHIPMENT_KIND = "orders.shipment", "order.shipment"


@dataclass
class CustomerRollup:
    """One row per customer and currency, recomputed whole from the customer's orders."""

    name: str
    model: type[models.Model]
    columns = ("customer_id", "currency", "orders", "spend", "first_order_at", "first_order_id",
               "last_order_at", "last_source_code", "last_channel")
    # {customers}: a set of customer ids; the customer's orders come through order_customer_recent.
    compute_sql = f"""
        SELECT o.customer_id, o.currency, count(*), sum(o.total), min(o.placed_at),
               (array_agg(o.id ORDER BY o.placed_at, o.id))[1], max(o.placed_at),
               (array_agg(o.source_code ORDER BY o.placed_at DESC, o.id DESC))[1],
               (array_agg(o.channel ORDER BY o.placed_at DESC, o.id DESC))[1]
        FROM {ORDERS} o WHERE o.customer_id IN ({{customers}}) AND {COUNTED_ORDER}
        GROUP BY o.customer_id, o.currency
    """
    # Every customer who placed an order in [start, end).
    DAY_CUSTOMERS = f"SELECT DISTINCT customer_id FROM {ORDERS} WHERE placed_at >= %(start)s AND placed_at < %(end)s"

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def _refresh(self, customers: str, params: dict, prefix: str = "") -> int:
        rollup_execute(f"{prefix} DELETE FROM {self.table} WHERE customer_id IN ({customers})", params)
        return rollup_execute(f"{prefix} INSERT INTO {self.table} ({', '.join(self.columns)}) "
                        f"{self.compute_sql.format(customers=customers)}", params)

    def fold(self, since: datetime, until: datetime | None) -> int:
        prefix = (f"WITH changed AS MATERIALIZED ({changed_orders_sql(until)}), "
                  f"customers AS MATERIALIZED (SELECT DISTINCT customer_id FROM {ORDERS} "
                  "WHERE id IN (SELECT id FROM changed))")
        return self._refresh("SELECT customer_id FROM customers", {"since": since, "until": until}, prefix)

    def rebuild(self, day_from: date, day_to: date) -> int:
        params = {"start": day_start(day_from), "end": day_start(day_to + DAY)}
        prefix = f"WITH customers AS MATERIALIZED ({self.DAY_CUSTOMERS})"
        return self._refresh("SELECT customer_id FROM customers", params, prefix)

    def compare(self, day_from: date, day_to: date) -> list[str]:
        params = {"start": day_start(day_from), "end": day_start(day_to + DAY)}
        customers = self.DAY_CUSTOMERS
        stored = f"SELECT {', '.join(self.columns)} FROM {self.table} WHERE customer_id IN ({customers})"
        return rollup_differences(self.name, self.compute_sql.format(customers=customers), stored, params)

    def as_rollup(self) -> Rollup:
        return Rollup(self.name, self.model, self.fold, self.rebuild, self.compare)


CUSTOMER_SALES = CustomerRollup(name="customer_sales", model=rollup_models.CustomerSales)

DAILY_CAMPAIGN = BucketRollup(
    name="daily_campaign",
    model=rollup_models.DailyCampaignSales,
    unit="day",
    columns=("day", "source_code", "channel", "currency", "orders", "revenue", "shipped_revenue", "cogs"),
    compute_sql=f"""
        WITH o AS MATERIALIZED (
            SELECT o.id, {SHOP_DAY.format(column="o.placed_at")} AS day, o.source_code, o.channel, o.currency,
                   o.total - o.tax_total AS revenue
            FROM {ORDERS} o
            WHERE o.placed_at >= %(start)s AND o.placed_at < %(end)s AND o.source_code <> '' AND {COUNTED_ORDER}
        ), cogs_accounts AS (
            SELECT DISTINCT account_id FROM {PostingRule._meta.db_table} WHERE role = 'cogs'
        ), ledger AS (
            SELECT s.order_id,
                   sum(l.credit - l.debit) FILTER (WHERE a.type = 'income') AS income,
                   sum(l.debit - l.credit) FILTER (WHERE l.account_id IN (SELECT account_id FROM cogs_accounts))
                       AS cogs
            FROM {Shipment._meta.db_table} s
            JOIN {JournalEntry._meta.db_table} e ON e.source_type = '{SHIPMENT_SOURCE}'
                 AND e.kind = '{SHIPMENT_KIND}' AND e.source_id = s.id::text
            JOIN {JournalLine._meta.db_table} l ON l.entry_id = e.id
            JOIN {Account._meta.db_table} a ON a.id = l.account_id
            WHERE s.order_id IN (SELECT id FROM o)
            GROUP BY s.order_id
        )
        SELECT o.day, o.source_code, o.channel, o.currency, count(*), sum(o.revenue),
               coalesce(sum(ledger.income), 0), coalesce(sum(ledger.cogs), 0)
        FROM o LEFT JOIN ledger ON ledger.order_id = o.id
        GROUP BY 1, 2, 3, 4
    """,
    dirty_sql=DAILY_SKU.dirty_sql,
)

REPORT_ROLLUPS = (CUSTOMER_SALES, DAILY_CAMPAIGN)
