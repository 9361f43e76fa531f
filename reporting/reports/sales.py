"""Sales by day, week or month × channel, SKU, style, category, source code, warehouse, customer type,
shipping method and payment type (issue 14).

Each is one :class:`SalesReport` with its :class:`Dimension`: SQL that gives, per shop day (the
shop's day, settings.SHOP_TIME_ZONE) and value of the dimension, the day's orders, units and
revenue; the report sums that by day, week or month. Where the dashboard's rollups cover a
dimension the report reads them (channel: hourly × channel; SKU, style and category: daily × SKU;
source code: daily × source code; warehouse: daily × warehouse); customer type, shipping method
and payment type read the orders (a range scan of the index on ``placed_at``, ``order_recent``).
Like the rollups, an order counts on the day it was placed, whatever became of it since.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from reporting.reports.base import Column, DateRangeForm, Query, SortOption, SqlReport
from reporting.reports.registry import register
from reporting.rollups.definitions import day_start

PERIODS = {"day": _("Day"), "week": _("Week"), "month": _("Month")}
SHOP_DAY = "({column} AT TIME ZONE %(zone)s)::date"


class SalesFilterForm(DateRangeForm):
    period = forms.ChoiceField(label=_("By"), choices=list(PERIODS.items()), initial="day", required=False)
    value = forms.CharField(label=_("Only"), required=False, max_length=100,
                            help_text=_("Only this value (exact)."))


@dataclass(frozen=True)
class Dimension:
    """``sql`` selects ``day, value, orders, units, shipments, revenue, currency`` rows; it holds
    ``{days}`` (a condition on shop days: ``%(day_from)s``/``%(day_to)s``) or ``{moments}`` (on
    timestamps: ``%(start)s``/``%(end)s``), with the column it bounds in its place."""

    key: str
    title: object
    label: object
    sql: str
    source: object
    metrics: tuple[str, ...] = ("orders", "units")


def _raw_orders(value: str, join: str = "") -> str:
    return f"""SELECT {SHOP_DAY.format(column="o.placed_at")} AS day, {value} AS value, 1 AS orders,
        (SELECT COALESCE(SUM(l.quantity), 0) FROM orders_orderline l WHERE l.order_id = o.id) AS units,
        0 AS shipments, o.total AS revenue, o.currency
        FROM orders_order o {join} WHERE {{moments:o.placed_at}}"""


def _daily_sku(value: str) -> str:
    return f"""SELECT r.day, {value} AS value, 0 AS orders, r.units, 0 AS shipments, r.revenue, r.currency
        FROM reporting_dailyskusales r JOIN catalog_sku s ON s.id = r.sku_id
        JOIN catalog_style st ON st.id = s.style_id WHERE {{days:r.day}}"""


DIMENSIONS = [
    Dimension("channel", _("Sales by channel"), _("Channel"),
              f"""SELECT {SHOP_DAY.format(column="r.hour")} AS day, r.channel AS value, r.orders_placed AS orders,
                  0 AS units, 0 AS shipments, r.revenue_placed AS revenue, r.currency
                  FROM reporting_hourlychannelsales r WHERE {{moments:r.hour}}""",
              _("The hourly × channel rollup (orders placed and their totals)."), metrics=("orders",)),
    Dimension("sku", _("Sales by SKU"), _("SKU"), _daily_sku("s.code"),
              _("The daily × SKU rollup (units ordered, line totals less tax)."), metrics=("units",)),
    Dimension("style", _("Sales by style"), _("Style"), _daily_sku("st.code"),
              _("The daily × SKU rollup, by the SKUs' styles."), metrics=("units",)),
    Dimension("category", _("Sales by category"), _("Category"), _daily_sku("st.category"),
              _("The daily × SKU rollup, by the SKUs' styles' categories."), metrics=("units",)),
    Dimension("source-code", _("Sales by source code"), _("Source code"),
              """SELECT r.day, r.source_code AS value, r.orders, 0 AS units, 0 AS shipments, r.revenue, r.currency
                 FROM reporting_dailysourcecodesales r WHERE {days:r.day}""",
              _("The daily × source code rollup (orders placed and their totals)."), metrics=("orders",)),
    Dimension("warehouse", _("Sales by warehouse"), _("Warehouse"),
              """SELECT r.day, w.code AS value, 0 AS orders, r.units, r.shipments, r.revenue, r.currency
                 FROM reporting_dailywarehouseshipments r JOIN inventory_warehouse w ON w.id = r.warehouse_id
                 WHERE {days:r.day}""",
              _("The daily × warehouse rollup (on the day of shipping; the shipped lines' share, less tax)."),
              metrics=("shipments", "units")),
    Dimension("customer-type", _("Sales by customer type"), _("Customer type"),
              _raw_orders("c.customer_type", "JOIN orders_customer c ON c.id = o.customer_id"),
              _("Orders placed (index order_recent), with their customers.")),
    Dimension("shipping-method", _("Sales by shipping method"), _("Shipping method"),
              _raw_orders("COALESCE(m.name, o.fulfillment_type)",
                          "LEFT JOIN orders_shippingmethod m ON m.id = o.shipping_method_id"),
              _("Orders placed (index order_recent), with their shipping methods.")),
    Dimension("payment-type", _("Sales by payment type"), _("Payment type"),
              f"""SELECT {SHOP_DAY.format(column="o.placed_at")} AS day, t.kind AS value, 1 AS orders, 0 AS units,
                  0 AS shipments, SUM(t.amount) AS revenue, o.currency
                  FROM orders_order o JOIN payments_tender t ON t.order_id = o.id
                  WHERE {{moments:o.placed_at}} AND t.status NOT IN ('failed', 'voided')
                  GROUP BY o.id, t.kind""",
              _("Orders placed (index order_recent) and what each kind of tender was to cover."),
              metrics=("orders",)),
]
METRIC_COLUMNS = {"orders": Column("orders", _("Orders"), "int"), "units": Column("units", _("Units"), "int"),
                  "shipments": Column("shipments", _("Shipments"), "int")}


def _bounds(sql: str, filters: dict) -> tuple[str, dict]:
    """Fill in the dimension's ``{days:column}`` or ``{moments:column}`` with the date filters."""
    params: dict = {"zone": settings.SHOP_TIME_ZONE}
    start, end = filters.get("date_from"), filters.get("date_to")
    for kind in ("days", "moments"):
        marker = "{" + kind + ":"
        while marker in sql:
            at = sql.index(marker)
            close = sql.index("}", at)
            column = sql[at + len(marker):close]
            conditions = [f"{column} IS NOT NULL"]
            if start:
                conditions.append(f"{column} >= %(day_from)s" if kind == "days" else f"{column} >= %(start)s")
            if end:
                conditions.append(f"{column} <= %(day_to)s" if kind == "days" else f"{column} < %(end)s")
            sql = sql[:at] + " AND ".join(conditions) + sql[close + 1:]
    if start:
        params.update(day_from=start, start=day_start(start))
    if end:
        from datetime import timedelta

        params.update(day_to=end, end=day_start(end + timedelta(days=1)))
    return sql, params


class SalesReport(SqlReport):
    group = "Sales"
    permission = "reporting.view_sales_reports"
    filter_form = SalesFilterForm
    description = _("Per day, week or month.")
    dimension: Dimension

    sort_options = [
        SortOption("newest", _("Newest first"), ("period", "value", "currency"), descending=True),
        SortOption("oldest", _("Oldest first"), ("period", "value", "currency")),
        SortOption("revenue", _("Highest revenue"), ("revenue", "period", "value", "currency"), descending=True),
        SortOption("value", _("By name"), ("value", "period", "currency")),
    ]

    @property
    def columns(self) -> list[Column]:
        return [Column("period", _("Period"), "date"), Column("value", self.dimension.label, "text"),
                *(METRIC_COLUMNS[metric] for metric in self.dimension.metrics),
                Column("revenue", _("Revenue"), "money")]

    @property
    def source(self):
        return self.dimension.source

    def query(self, filters: dict) -> Query:
        period = filters.get("period") if filters.get("period") in PERIODS else "day"
        inner, params = _bounds(self.dimension.sql, filters)
        params["period"] = period
        only = ""
        if filters.get("value"):
            only, params["value"] = "WHERE COALESCE(value, '') = %(value)s", filters["value"]
        sql = f"""SELECT date_trunc(%(period)s, day)::date AS period, COALESCE(value, '') AS value,
            SUM(orders) AS orders, SUM(units) AS units, SUM(shipments) AS shipments, SUM(revenue) AS revenue,
            currency FROM ({inner}) AS sold {only} GROUP BY 1, 2, currency"""
        return Query(sql, params)


def _sales_report(dimension: Dimension) -> type[SalesReport]:
    name = "SalesBy" + "".join(part.title() for part in dimension.key.split("-")) + "Report"
    return type(name, (SalesReport,), {
        "key": f"sales-by-{dimension.key}", "title": dimension.title, "dimension": dimension,
        "__module__": __name__,
    })


for _dimension in DIMENSIONS:
    register(_sales_report(_dimension))
