"""The two shapes of rollup and the built-in ones (registered by ``ReportingConfig.ready``).

Every statement names its tables in SQL: a rollup is a handful of set-based statements
(``DELETE`` the bucket, ``INSERT … SELECT`` it again), not a loop over orders. The shop's day is
``(t AT TIME ZONE %(zone)s)::date``; hours are UTC hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models

from orders.models import CLOSED_STATUSES, OrderStatus
from orders.services import status as status_groups
from reporting.rollups import models as rollup_models
from reporting.rollups.registry import Rollup

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# The orders saved, and the orders of the shipments shipped, in [since, until): what a fold looks at.
CHANGED_ORDERS = """
    SELECT id FROM orders_order WHERE updated_at >= %(since)s {until_orders}
    UNION
    SELECT order_id FROM orders_shipment WHERE shipped_at >= %(since)s {until_shipments}
"""


def changed_orders_sql(until: datetime | None) -> str:
    """The set of orders changed at or after ``%(since)s`` (and before ``%(until)s`` when given)."""
    return CHANGED_ORDERS.format(
        until_orders="AND updated_at < %(until)s" if until else "",
        until_shipments="AND shipped_at < %(until)s" if until else "")


def shop_zone() -> ZoneInfo:
    return ZoneInfo(settings.SHOP_TIME_ZONE)


def day_start(day: date) -> datetime:
    """Midnight of the shop's ``day``, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=shop_zone())


def shop_today() -> date:
    from django.utils import timezone

    return timezone.now().astimezone(shop_zone()).date()


def _ranges(values: list, step) -> list[tuple]:
    """Sorted bucket values merged into half-open runs ``[first, last + step)``."""
    runs: list[list] = []
    for value in sorted(set(values)):
        if runs and runs[-1][1] == value:
            runs[-1][1] = value + step
        else:
            runs.append([value, value + step])
    return [tuple(run) for run in runs]


def rollup_execute(sql: str, params: dict) -> int:
    """Run one of a rollup's writes; the rows it touched."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def rollup_differences(name: str, computed_sql: str, stored_sql: str, params: dict, limit: int = 20) -> list[str]:
    """Up to ``limit`` rows where what ``computed_sql`` computes and ``stored_sql`` holds differ, described."""
    rows = _fetch(f"""
        WITH computed AS ({computed_sql}), stored AS ({stored_sql})
        (SELECT 'raw', * FROM (SELECT * FROM computed EXCEPT ALL SELECT * FROM stored) x)
        UNION ALL
        (SELECT 'rollup', * FROM (SELECT * FROM stored EXCEPT ALL SELECT * FROM computed) y)
        LIMIT {int(limit)}""", params)
    return [f"{name}: only in the {row[0]}: {', '.join(str(value) for value in row[1:])}" for row in rows]


@dataclass
class BucketRollup:
    """Sums per time bucket (``unit`` "hour": UTC hours in a ``DateTimeField``; "day": shop days).

    ``compute_sql`` selects the table's ``columns`` (in order) for the buckets in
    ``[%(start)s, %(end)s)`` (aware datetimes) from the raw tables; ``dirty_sql`` selects the
    buckets the orders of ``changed`` (a CTE of order ids) fall into, including where they were
    before a change if that can move them.
    """

    name: str
    model: type[models.Model]
    unit: str  # "hour" or "day"
    columns: tuple[str, ...]
    compute_sql: str
    dirty_sql: str

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def bucket(self) -> str:
        return self.columns[0]

    def _refresh(self, first, end) -> int:
        """Delete and recompute the buckets in ``[first, end)`` (datetimes for hours, dates for days)."""
        if self.unit == "hour":
            start, stop = first, end
        else:
            start, stop = day_start(first), day_start(end)
        params = {"first": first, "end_bucket": end, "start": start, "end": stop, "zone": settings.SHOP_TIME_ZONE}
        rollup_execute(f"DELETE FROM {self.table} WHERE {self.bucket} >= %(first)s AND {self.bucket} < %(end_bucket)s",
                 params)
        return rollup_execute(f"INSERT INTO {self.table} ({', '.join(self.columns)}) {self.compute_sql}", params)

    def fold(self, since: datetime, until: datetime | None) -> int:
        params = {"since": since, "until": until, "zone": settings.SHOP_TIME_ZONE}
        buckets = [row[0] for row in _fetch(
            f"WITH changed AS MATERIALIZED ({changed_orders_sql(until)}) {self.dirty_sql}", params)
            if row[0] is not None]
        step = HOUR if self.unit == "hour" else DAY
        return sum(self._refresh(first, end) for first, end in _ranges(buckets, step))

    def rebuild(self, day_from: date, day_to: date) -> int:
        if self.unit == "hour":
            return self._refresh(day_start(day_from), day_start(day_to + DAY))
        return self._refresh(day_from, day_to + DAY)

    def compare(self, day_from: date, day_to: date) -> list[str]:
        start, end = day_start(day_from), day_start(day_to + DAY)
        first, stop = (start, end) if self.unit == "hour" else (day_from, day_to + DAY)
        params = {"start": start, "end": end, "first": first, "stop": stop, "zone": settings.SHOP_TIME_ZONE}
        stored = (f"SELECT {', '.join(self.columns)} FROM {self.table} "
                  f"WHERE {self.bucket} >= %(first)s AND {self.bucket} < %(stop)s")
        return rollup_differences(self.name, self.compute_sql, stored, params)

    def as_rollup(self) -> Rollup:
        return Rollup(self.name, self.model, self.fold, self.rebuild, self.compare)


@dataclass
class FactRollup:
    """One row per open thing of an order (keyed by ``order_id`` and ``placed_at`` columns).

    ``select_sql`` selects the table's ``columns`` for the orders that ``{orders}`` (a condition
    on the alias ``o`` of orders_order) admits.
    """

    name: str
    model: type[models.Model]
    columns: tuple[str, ...]
    select_sql: str

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def _insert(self, condition: str, params: dict, prefix: str = "") -> int:
        return rollup_execute(f"{prefix} INSERT INTO {self.table} ({', '.join(self.columns)}) "
                        f"{self.select_sql.format(orders=condition)}", params)

    def fold(self, since: datetime, until: datetime | None) -> int:
        changed = f"WITH changed AS MATERIALIZED ({changed_orders_sql(until)})"
        params = {"since": since, "until": until}
        rollup_execute(f"{changed} DELETE FROM {self.table} WHERE order_id IN (SELECT id FROM changed)", params)
        return self._insert("o.id IN (SELECT id FROM changed)", params, prefix=changed)

    def rebuild(self, day_from: date, day_to: date) -> int:
        params = {"start": day_start(day_from), "end": day_start(day_to + DAY)}
        rollup_execute(f"DELETE FROM {self.table} WHERE placed_at >= %(start)s AND placed_at < %(end)s", params)
        return self._insert("o.placed_at >= %(start)s AND o.placed_at < %(end)s", params)

    def compare(self, day_from: date, day_to: date) -> list[str]:
        params = {"start": day_start(day_from), "end": day_start(day_to + DAY)}
        computed = self.select_sql.format(orders="o.placed_at >= %(start)s AND o.placed_at < %(end)s")
        stored = (f"SELECT {', '.join(self.columns)} FROM {self.table} "
                  "WHERE placed_at >= %(start)s AND placed_at < %(end)s")
        return rollup_differences(self.name, computed, stored, params)

    def as_rollup(self) -> Rollup:
        return Rollup(self.name, self.model, self.fold, self.rebuild, self.compare)


SHOP_DAY = "({column} AT TIME ZONE %(zone)s)::date"

def _sql_list(statuses) -> str:
    return "(" + ", ".join(f"'{status.value}'" for status in statuses) + ")"


# The orders' own status groups, so that a rollup and the order screens never disagree.
CLOSED = _sql_list((OrderStatus.DRAFT, *CLOSED_STATUSES))
SHIPPED_STATUSES = _sql_list((OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.RETURN_REQUESTED))
BACKORDER_STATUSES = _sql_list(status_groups.BACKORDER_STATUSES)

HOURLY_CHANNEL = BucketRollup(
    name="hourly_channel",
    model=rollup_models.HourlyChannelSales,
    unit="hour",
    columns=("hour", "channel", "currency", "orders_placed", "revenue_placed", "orders_shipped", "revenue_shipped"),
    compute_sql="""
        WITH placed AS (
            SELECT date_trunc('hour', o.placed_at, 'UTC') AS hour, o.channel, o.currency,
                   count(*) AS orders, sum(o.total) AS revenue
            FROM orders_order o WHERE o.placed_at >= %(start)s AND o.placed_at < %(end)s
            GROUP BY 1, 2, 3
        ), shipped AS (
            SELECT date_trunc('hour', e.created_at, 'UTC') AS hour, o.channel, o.currency,
                   count(*) AS orders, sum(o.total) AS revenue
            FROM orders_orderevent e JOIN orders_order o ON o.id = e.order_id
            WHERE e.to_status = 'shipped' AND e.created_at >= %(start)s AND e.created_at < %(end)s
            GROUP BY 1, 2, 3
        )
        SELECT coalesce(p.hour, s.hour), coalesce(p.channel, s.channel), coalesce(p.currency, s.currency),
               coalesce(p.orders, 0), coalesce(p.revenue, 0), coalesce(s.orders, 0), coalesce(s.revenue, 0)
        FROM placed p FULL JOIN shipped s ON s.hour = p.hour AND s.channel = p.channel AND s.currency = p.currency
    """,
    dirty_sql="""
        SELECT date_trunc('hour', o.placed_at, 'UTC') FROM orders_order o
        WHERE o.id IN (SELECT id FROM changed) AND o.placed_at IS NOT NULL
        UNION
        SELECT date_trunc('hour', e.created_at, 'UTC') FROM orders_orderevent e
        WHERE e.order_id IN (SELECT id FROM changed) AND e.to_status = 'shipped'
    """,
)

DAILY_SKU = BucketRollup(
    name="daily_sku",
    model=rollup_models.DailySkuSales,
    unit="day",
    columns=("day", "sku_id", "currency", "units", "revenue"),
    compute_sql=f"""
        SELECT {SHOP_DAY.format(column="o.placed_at")}, l.sku_id, o.currency, sum(l.quantity),
               sum(l.line_total - l.tax_amount)
        FROM orders_order o JOIN orders_orderline l ON l.order_id = o.id
        WHERE o.placed_at >= %(start)s AND o.placed_at < %(end)s
        GROUP BY 1, 2, 3
    """,
    dirty_sql=f"""
        SELECT DISTINCT {SHOP_DAY.format(column="o.placed_at")} FROM orders_order o
        WHERE o.id IN (SELECT id FROM changed) AND o.placed_at IS NOT NULL
    """,
)

DAILY_SOURCE_CODE = BucketRollup(
    name="daily_source_code",
    model=rollup_models.DailySourceCodeSales,
    unit="day",
    columns=("day", "source_code", "currency", "orders", "revenue", "merchandise", "cogs"),
    compute_sql=f"""
        WITH o AS MATERIALIZED (
            SELECT id, {SHOP_DAY.format(column="placed_at")} AS day, source_code, currency, total,
                   subtotal - discount_total AS merchandise
            FROM orders_order WHERE placed_at >= %(start)s AND placed_at < %(end)s
        ), cost AS (
            SELECT s.order_id, -sum(m.value) AS cogs
            FROM orders_shipment s JOIN inventory_stockmovement m ON m.reference = s.number AND m.kind = 'shipment'
            WHERE s.order_id IN (SELECT id FROM o)
            GROUP BY s.order_id
        )
        SELECT o.day, o.source_code, o.currency, count(*), sum(o.total), sum(o.merchandise),
               coalesce(sum(cost.cogs), 0)
        FROM o LEFT JOIN cost ON cost.order_id = o.id
        GROUP BY 1, 2, 3
    """,
    dirty_sql=DAILY_SKU.dirty_sql,
)

DAILY_WAREHOUSE = BucketRollup(
    name="daily_warehouse",
    model=rollup_models.DailyWarehouseShipments,
    unit="day",
    columns=("day", "warehouse_id", "currency", "shipments", "units", "revenue"),
    compute_sql=f"""
        WITH per_line AS (
            SELECT s.id AS shipment_id, s.warehouse_id, {SHOP_DAY.format(column="s.shipped_at")} AS day,
                   o.currency, sl.order_line_id, sum(sl.quantity) AS units
            FROM orders_shipment s JOIN orders_order o ON o.id = s.order_id
            JOIN orders_shipmentline sl ON sl.shipment_id = s.id
            WHERE s.shipped_at >= %(start)s AND s.shipped_at < %(end)s AND s.status IN ('shipped', 'delivered')
            GROUP BY 1, 2, 3, 4, 5
        )
        SELECT p.day, p.warehouse_id, p.currency, count(DISTINCT p.shipment_id), sum(p.units),
               coalesce(sum(round((l.line_total - l.tax_amount)
                                  * least(p.units, l.quantity - l.quantity_cancelled)
                                  / nullif(l.quantity - l.quantity_cancelled, 0), 3)), 0)
        FROM per_line p JOIN orders_orderline l ON l.id = p.order_line_id
        GROUP BY 1, 2, 3
    """,
    dirty_sql=f"""
        SELECT DISTINCT {SHOP_DAY.format(column="s.shipped_at")} FROM orders_shipment s
        WHERE s.order_id IN (SELECT id FROM changed) AND s.shipped_at IS NOT NULL
    """,
)

DAILY_RETURNS = BucketRollup(
    name="daily_returns",
    model=rollup_models.DailyReturns,
    unit="day",
    columns=("day", "channel", "currency", "requested", "returned", "units_returned", "value_returned"),
    compute_sql=f"""
        WITH e AS MATERIALIZED (
            SELECT e.order_id, e.to_status, {SHOP_DAY.format(column="e.created_at")} AS day
            FROM orders_orderevent e
            WHERE e.to_status IN ('return_requested', 'returned')
              AND e.created_at >= %(start)s AND e.created_at < %(end)s
        ), back AS (
            SELECT l.order_id, sum(l.quantity_returned) AS units,
                   sum(round((l.line_total - l.tax_amount) * l.quantity_returned / l.quantity, 3)) AS value
            FROM orders_orderline l WHERE l.order_id IN (SELECT order_id FROM e WHERE to_status = 'returned')
            GROUP BY l.order_id
        )
        SELECT e.day, o.channel, o.currency,
               count(*) FILTER (WHERE e.to_status = 'return_requested'),
               count(*) FILTER (WHERE e.to_status = 'returned'),
               coalesce(sum(back.units), 0), coalesce(sum(back.value), 0)
        FROM e JOIN orders_order o ON o.id = e.order_id
        LEFT JOIN back ON back.order_id = e.order_id AND e.to_status = 'returned'
        GROUP BY 1, 2, 3
    """,
    dirty_sql=f"""
        SELECT DISTINCT {SHOP_DAY.format(column="e.created_at")} FROM orders_orderevent e
        WHERE e.order_id IN (SELECT id FROM changed) AND e.to_status IN ('return_requested', 'returned')
    """,
)

OPEN_ORDERS = FactRollup(
    name="open_orders",
    model=rollup_models.OpenOrderFact,
    columns=("order_id", "number", "status", "channel", "currency", "total", "placed_at", "is_shipped"),
    select_sql=f"""
        SELECT o.id, o.number, o.status, o.channel, o.currency, o.total, o.placed_at,
               o.status IN {SHIPPED_STATUSES}
        FROM orders_order o
        WHERE o.placed_at IS NOT NULL AND o.status NOT IN {CLOSED} AND {{orders}}
    """,
)

OPEN_HOLDS = FactRollup(
    name="open_holds",
    model=rollup_models.OpenHoldFact,
    columns=("hold_id", "order_id", "reason", "held_since", "placed_at"),
    select_sql=f"""
        SELECT h.id, h.order_id, h.reason, h.created_at, o.placed_at
        FROM orders_hold h JOIN orders_order o ON o.id = h.order_id
        WHERE h.released_at IS NULL AND o.placed_at IS NOT NULL AND o.status NOT IN {CLOSED} AND {{orders}}
    """,
)

BACKORDERS = FactRollup(
    name="backorders",
    model=rollup_models.BackorderFact,
    columns=("line_id", "order_id", "sku_id", "sku_code", "quantity", "placed_at"),
    select_sql=f"""
        SELECT l.id, l.order_id, l.sku_id, l.sku_code, l.quantity - l.quantity_cancelled - l.quantity_allocated,
               o.placed_at
        FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
        WHERE l.quantity > l.quantity_allocated + l.quantity_cancelled AND o.placed_at IS NOT NULL
          AND o.status IN {BACKORDER_STATUSES} AND {{orders}}
    """,
)

BUILT_IN = (HOURLY_CHANNEL, DAILY_SKU, DAILY_SOURCE_CODE, DAILY_WAREHOUSE, DAILY_RETURNS,
            OPEN_ORDERS, OPEN_HOLDS, BACKORDERS)


def register_built_in() -> None:
    from reporting.rollups.customers import REPORT_ROLLUPS
    from reporting.rollups.registry import register

    for definition in (*BUILT_IN, *REPORT_ROLLUPS):
        register(definition.as_rollup())
