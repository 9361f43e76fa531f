"""Campaign and source-code results: orders, revenue, response, cost per order, margin and ROI.

Rows are per source code, per drop (a campaign's codes mailed on one day) or per campaign.
Orders are attributed by the source code they carry and counted when placed (and not
cancelled) within the window; revenue is what they were placed for, less tax ("demand").
Gross margin comes from the ledger: for the shipments of those orders, the income their
shipment entries credited (revenue and shipping, net of discounts) less the cost of goods
they debited to the COGS accounts (those the posting map gives the ``cogs`` role), at the
average cost the stock left at. ROI is ``(gross margin − cost) ÷ cost``.

Circulation and cost: a source code's own; a drop's, the sum of its codes'; a campaign's,
its own figures when given, else the sum of its codes'.

The orders' side is read from the ``daily_campaign`` rollup (day of placement × source code ×
channel, reporting.rollups.customers), current to the last fold: a few seconds behind the orders.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from marketing.models import Campaign, SourceCode
from reporting.rollups.models import DailyCampaignSales
from reporting.selectors.common import where
from reporting.selectors.keyset import keyset_rows

LEVELS = ("source_code", "drop", "campaign")
SORTS = {"revenue": "revenue", "orders": "orders", "roi": "roi_sort", "response": "response_sort",
         "margin": "gross_margin", "code": "label"}
NO_VALUE = -10**12  # where a ratio has no base (nothing circulated, no cost), for sorting only

_GROUP = {
    # level: (key, label, drop date, circulation, cost)
    "source_code": ("sc.id", "sc.code", "sc.mailed_on", "SUM(sc.quantity_circulated)", "SUM(sc.cost)"),
    "drop": ("MIN(sc.id)", "ca.code || ' ' || COALESCE(sc.mailed_on::text, '-')", "sc.mailed_on",
             "SUM(sc.quantity_circulated)", "SUM(sc.cost)"),
    "campaign": ("ca.id", "ca.code", "MIN(sc.mailed_on)",
                 "CASE WHEN ca.quantity_circulated > 0 THEN ca.quantity_circulated "
                 "ELSE COALESCE(SUM(sc.quantity_circulated), 0) END",
                 "CASE WHEN ca.cost > 0 THEN ca.cost ELSE COALESCE(SUM(sc.cost), 0) END"),
}
_GROUP_BY = {"source_code": "sc.id, ca.id", "drop": "ca.id, sc.mailed_on", "campaign": "ca.id"}


def campaign_results(*, level: str = "source_code", date_from: dt.date | None = None,
                     date_to: dt.date | None = None, campaign_id: int | None = None, medium: str = "",
                     channel: str = "", currency: str = "", sort: str = "revenue", after: str | None = None,
                     limit: int = 50) -> list[dict]:
    """One keyset page of results per ``level`` (source_code, drop or campaign).

    Each row: campaign, label (code, drop or campaign code), codes, mailed_on, circulated, cost,
    orders, revenue, average_order, response_rate (% of circulation), cost_per_order,
    shipped_revenue, cogs, gross_margin, margin_rate (% of shipped revenue) and roi (%).
    """
    level = level if level in LEVELS else "source_code"
    key, label, mailed_on, circulated, cost = _GROUP[level]
    # The daily × source code × channel rollup (reporting.rollups.customers), by shop day.
    order_conditions, order_params = ["r.currency = %s"], [currency or settings.DEFAULT_CURRENCY]
    for condition, value in (("r.day >= %s", date_from), ("r.day <= %s", date_to), ("r.channel = %s", channel)):
        if value:
            order_conditions.append(condition)
            order_params.append(value)
    code_conditions, code_params = [], []
    if campaign_id:
        code_conditions.append("ca.id = %s")
        code_params.append(campaign_id)
    if medium:
        code_conditions.append("ca.medium = %s")
        code_params.append(medium)
    codes_table, campaigns_table = SourceCode._meta.db_table, Campaign._meta.db_table
    sql = f"""
        WITH sales AS (
            SELECT r.source_code, SUM(r.orders) AS orders, SUM(r.revenue) AS revenue,
                   SUM(r.shipped_revenue) AS shipped_revenue, SUM(r.cogs) AS cogs
            FROM {DailyCampaignSales._meta.db_table} r
            WHERE r.source_code IN (SELECT code FROM {codes_table}) AND {where(order_conditions)}
            GROUP BY r.source_code
        ), grouped AS (
            SELECT {key} AS row_id, ca.id AS campaign_id, ca.code AS campaign, ca.name AS campaign_name,
                   {label} AS label, COALESCE(string_agg(sc.code, ' ' ORDER BY sc.code), '') AS codes,
                   {mailed_on} AS mailed_on, ({circulated})::bigint AS circulated, ({cost})::numeric AS cost,
                   COALESCE(SUM(x.orders), 0)::bigint AS orders, COALESCE(SUM(x.revenue), 0) AS revenue,
                   COALESCE(SUM(x.shipped_revenue), 0) AS shipped_revenue, COALESCE(SUM(x.cogs), 0) AS cogs
            FROM {campaigns_table} ca
            {"LEFT " if level == "campaign" else ""}JOIN {codes_table} sc ON sc.campaign_id = ca.id
            LEFT JOIN sales x ON x.source_code = sc.code
            WHERE {where(code_conditions)}
            GROUP BY {_GROUP_BY[level]}
        ), measured AS (
            SELECT g.*, g.shipped_revenue - g.cogs AS gross_margin,
                   ROUND(g.revenue / NULLIF(g.orders, 0), 2) AS average_order,
                   ROUND(100.0 * g.orders / NULLIF(g.circulated, 0), 2) AS response_rate,
                   ROUND(g.cost / NULLIF(g.orders, 0), 2) AS cost_per_order,
                   ROUND(100 * (g.shipped_revenue - g.cogs) / NULLIF(g.shipped_revenue, 0), 2) AS margin_rate,
                   ROUND(100 * (g.shipped_revenue - g.cogs - g.cost) / NULLIF(g.cost, 0), 2) AS roi
            FROM grouped g
        )
        SELECT m.*, COALESCE(m.roi, {NO_VALUE}) AS roi_sort, COALESCE(m.response_rate, {NO_VALUE}) AS response_sort,
               %s AS currency
        FROM measured m"""
    params = [*order_params, *code_params, currency or settings.DEFAULT_CURRENCY]
    column = SORTS.get(sort, "revenue")
    descending = column != "label"
    return keyset_rows(sql, params, order=[(column, descending), ("row_id", descending)], after=after, limit=limit)
