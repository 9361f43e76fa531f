"""Sales by day, week or month × channel, SKU, style, category, source code, warehouse, customer type,
shipping method and payment type (issue 14).

Each is one :class:`SalesReport` with its :class:`Dimension`: the SQL that yields, per sold thing, the
moment it counts on, the dimension's value, the order, units and revenue; the report groups that by
period. Days, weeks and months are the shop's (settings.SHOP_TIME_ZONE). Orders count once placed
(drafts and cancelled orders do not).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from reporting.reports.base import Column, DateRangeForm, Query, SortOption, SqlReport
from reporting.reports.registry import register

PERIODS = {"day": _("Day"), "week": _("Week"), "month": _("Month")}
COUNTED = "o.status NOT IN ('draft', 'cancelled') AND o.placed_at IS NOT NULL"


class SalesFilterForm(DateRangeForm):
    period = forms.ChoiceField(label=_("By"), choices=list(PERIODS.items()), initial="day", required=False)
    value = forms.CharField(label=_("Only"), required=False, max_length=100,
                            help_text=_("Only this value of the dimension (exact)."))


@dataclass(frozen=True)
class Dimension:
    """``sql`` selects ``moment, value, order_id, units, revenue, currency`` rows (placed orders)."""

    key: str
    title: object
    label: object
    sql: str
    source: object
    has_units: bool = True


_ORDERS = f"""SELECT o.placed_at AS moment, {{value}} AS value, o.id AS order_id,
  (SELECT COALESCE(SUM(l.quantity - l.quantity_cancelled), 0) FROM orders_orderline l WHERE l.order_id = o.id)
  AS units, o.total AS revenue, o.currency FROM orders_order o {{join}} WHERE {COUNTED}"""
_LINES = f"""SELECT o.placed_at AS moment, {{value}} AS value, o.id AS order_id,
  (l.quantity - l.quantity_cancelled) AS units, l.line_total AS revenue, o.currency
  FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
  JOIN catalog_sku s ON s.id = l.sku_id JOIN catalog_style st ON st.id = s.style_id WHERE {COUNTED}"""

DIMENSIONS = [
    Dimension("channel", _("Sales by channel"), _("Channel"), _ORDERS.format(value="o.channel", join=""),
              _("Orders (index order_channel_recent).")),
    Dimension("source-code", _("Sales by source code"), _("Source code"),
              _ORDERS.format(value="o.source_code", join=""),
              _("Orders (index order_source_recent).")),
    Dimension("customer-type", _("Sales by customer type"), _("Customer type"),
              _ORDERS.format(value="c.customer_type", join="JOIN orders_customer c ON c.id = o.customer_id"),
              _("Orders and their customers.")),
    Dimension("shipping-method", _("Sales by shipping method"), _("Shipping method"),
              _ORDERS.format(value="COALESCE(m.name, o.fulfillment_type)",
                             join="LEFT JOIN orders_shippingmethod m ON m.id = o.shipping_method_id"),
              _("Orders and their shipping methods.")),
    Dimension("sku", _("Sales by SKU"), _("SKU"), _LINES.format(value="s.code"),
              _("Order lines (index order_line_sku).")),
    Dimension("style", _("Sales by style"), _("Style"), _LINES.format(value="st.code"),
              _("Order lines and their styles.")),
    Dimension("category", _("Sales by category"), _("Category"), _LINES.format(value="st.category"),
              _("Order lines and their styles.")),
    Dimension("warehouse", _("Sales by warehouse"), _("Warehouse"),
              """SELECT sh.shipped_at AS moment, w.code AS value, o.id AS order_id, sl.quantity AS units,
                 ROUND(sl.quantity * l.line_total / NULLIF(l.quantity, 0), 2) AS revenue, o.currency
                 FROM orders_shipmentline sl JOIN orders_shipment sh ON sh.id = sl.shipment_id
                 JOIN inventory_warehouse w ON w.id = sh.warehouse_id
                 JOIN orders_orderline l ON l.id = sl.line_id JOIN orders_order o ON o.id = sh.order_id
                 WHERE sh.shipped_at IS NOT NULL""",
              _("Shipments, on the day they shipped; revenue is each line's share by units.")),
    Dimension("payment-type", _("Sales by payment type"), _("Payment type"),
              f"""SELECT o.placed_at AS moment, t.kind AS value, o.id AS order_id, 0 AS units,
                 t.amount AS revenue, o.currency FROM payments_tender t JOIN orders_order o ON o.id = t.order_id
                 WHERE {COUNTED} AND t.status NOT IN ('failed', 'voided')""",
              _("Tenders of placed orders (what each was to cover)."), has_units=False),
]


class SalesReport(SqlReport):
    group = "Sales"
    permission = "reporting.view_sales_reports"
    filter_form = SalesFilterForm
    dimension: Dimension

    sort_options = [
        SortOption("newest", _("Newest first"), ("period", "value", "currency"), descending=True),
        SortOption("oldest", _("Oldest first"), ("period", "value", "currency")),
        SortOption("revenue", _("Highest revenue"), ("revenue", "period", "value", "currency"), descending=True),
        SortOption("value", _("By name"), ("value", "period", "currency")),
    ]

    @property
    def columns(self) -> list[Column]:
        columns = [Column("period", _("Period"), "date"), Column("value", self.dimension.label, "text"),
                   Column("orders", _("Orders"), "int")]
        if self.dimension.has_units:
            columns.append(Column("units", _("Units"), "int"))
        return columns + [Column("revenue", _("Revenue"), "money")]

    @property
    def source(self):
        return self.dimension.source

    def query(self, filters: dict) -> Query:
        period = filters.get("period") or "day"
        if period not in PERIODS:
            period = "day"
        where, params = [], [period, settings.SHOP_TIME_ZONE]
        if filters.get("date_from"):
            where.append("moment >= (%s::date::timestamp AT TIME ZONE %s)")
            params += [filters["date_from"], settings.SHOP_TIME_ZONE]
        if filters.get("date_to"):
            where.append("moment < ((%s::date + 1)::timestamp AT TIME ZONE %s)")
            params += [filters["date_to"], settings.SHOP_TIME_ZONE]
        if filters.get("value"):
            where.append("value = %s")
            params.append(filters["value"])
        sql = f"""SELECT date_trunc(%s, moment AT TIME ZONE %s)::date AS period, COALESCE(value, '') AS value,
            COUNT(DISTINCT order_id) AS orders, SUM(units) AS units, SUM(revenue) AS revenue, currency
            FROM ({self.dimension.sql}) AS sold {"WHERE " + " AND ".join(where) if where else ""}
            GROUP BY 1, 2, currency"""
        return Query(sql, params)


def _sales_report(dimension: Dimension) -> type[SalesReport]:
    name = "SalesBy" + "".join(part.title() for part in dimension.key.split("-")) + "Report"
    return type(name, (SalesReport,), {
        "key": f"sales-by-{dimension.key}",
        "title": dimension.title,
        "description": _("Orders, units and revenue per day, week or month."),
        "dimension": dimension,
        "__module__": __name__,
    })


for _dimension in DIMENSIONS:
    register(_sales_report(_dimension))
