"""Inventory reports: valuation (the ledger's values: StockLevel.value, kept by inventory.valuation
with every movement), stock history of a SKU and warehouse, dead stock, the movement journal."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inventory.models import StockMovement, Warehouse
from inventory.valuation import books_currency
from reporting.db import reporting_alias
from reporting.reports.base import Column, DateRangeForm, Query, ReportFilterForm, SortOption, SqlReport
from reporting.reports.registry import register


def _warehouses():
    return Warehouse.objects.using(reporting_alias()).order_by("code")


class StockFilterForm(ReportFilterForm):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none(), required=False)
    sku = forms.CharField(label=_("SKU"), required=False, max_length=40, help_text=_("A SKU code, or its start."))
    category = forms.CharField(label=_("Category"), required=False, max_length=100)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouses()


def _stock_conditions(filters: dict, params: dict) -> str:
    conditions = []
    if filters.get("warehouse"):
        conditions.append("sl.warehouse_id = %(warehouse)s")
        params["warehouse"] = filters["warehouse"].pk
    if filters.get("sku"):
        conditions.append("s.code LIKE %(sku)s")
        params["sku"] = filters["sku"].upper().replace("%", r"\%").replace("_", r"\_") + "%"
    if filters.get("category"):
        conditions.append("st.category = %(category)s")
        params["category"] = filters["category"]
    return "".join(f" AND {condition}" for condition in conditions)


_STOCK_FROM = """FROM inventory_stocklevel sl JOIN catalog_sku s ON s.id = sl.sku_id
    JOIN catalog_style st ON st.id = s.style_id JOIN inventory_warehouse w ON w.id = sl.warehouse_id"""


@register
class InventoryValuationReport(SqlReport):
    key = "inventory-valuation"
    title = _("Inventory valuation")
    group = "Inventory"
    permission = "reporting.view_inventory_valuation"
    description = _("Units on hand and their value per SKU and warehouse, as the ledger carries them.")
    source = _("Stock levels' values (moving average cost, kept with every movement and posted to the ledger).")
    filter_form = StockFilterForm
    columns = [Column("sku_code", _("SKU"), "text"), Column("sku_name", _("Name"), "text"),
               Column("category", _("Category"), "text"), Column("warehouse", _("Warehouse"), "text"),
               Column("on_hand", _("On hand"), "int"), Column("unit_cost", _("Unit cost"), "money"),
               Column("value", _("Value"), "money")]
    sort_options = [
        SortOption("sku", _("SKU"), ("sku_code", "warehouse")),
        SortOption("value", _("Highest value"), ("value", "sku_code", "warehouse"), descending=True),
    ]

    def query(self, filters: dict) -> Query:
        params = {"currency": books_currency()}
        sql = f"""SELECT s.code AS sku_code, s.name AS sku_name, st.category, w.code AS warehouse, sl.on_hand,
            CASE WHEN sl.on_hand > 0 THEN ROUND(sl.value / sl.on_hand, 2) END AS unit_cost, sl.value,
            %(currency)s AS currency {_STOCK_FROM}
            WHERE (sl.on_hand <> 0 OR sl.value <> 0){_stock_conditions(filters, params)}"""
        return Query(sql, params)

    def totals(self, filters: dict) -> dict | None:
        from django.db import connections

        query = self.query(filters)
        with connections[reporting_alias()].cursor() as cursor:
            cursor.execute(f"SELECT SUM(on_hand), SUM(value) FROM ({query.sql}) AS rows", query.params)
            on_hand, value = cursor.fetchone()
        return {"on_hand": on_hand or 0, "value": value or 0, "currency": books_currency()}


class HistoryFilterForm(DateRangeForm):
    sku = forms.CharField(label=_("SKU"), max_length=40, required=False, help_text=_("The SKU's code (exact)."))
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none(), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouses()


_KINDS = dict(StockMovement.Kind.choices)


@register
class StockHistoryReport(SqlReport):
    key = "stock-history"
    title = _("Stock history")
    group = "Inventory"
    permission = "reporting.view_inventory_reports"
    description = _("Every movement of a SKU, with what was on hand after it, per warehouse.")
    source = _("Stock movements (index movement_sku_recent); on hand after is their running sum.")
    filter_form = HistoryFilterForm
    columns = [Column("moment", _("When"), "date"), Column("warehouse", _("Warehouse"), "text"),
               Column("kind", _("Kind"), "text"), Column("reference", _("Reference"), "text"),
               Column("quantity", _("Quantity"), "int"), Column("on_hand_after", _("On hand after"), "int"),
               Column("value_after", _("Value after"), "money")]
    sort_options = [
        SortOption("newest", _("Newest first"), ("moment", "id"), descending=True),
        SortOption("oldest", _("Oldest first"), ("moment", "id")),
    ]

    def query(self, filters: dict) -> Query:
        params = {"sku": (filters.get("sku") or "").upper(), "currency": books_currency()}
        where = ""
        if filters.get("warehouse"):
            where, params["warehouse"] = " AND m.warehouse_id = %(warehouse)s", filters["warehouse"].pk
        outer = []
        if filters.get("date_from"):
            outer.append("moment >= %(start)s")
            params["start"] = _day_start(filters["date_from"])
        if filters.get("date_to"):
            outer.append("moment < %(end)s")
            params["end"] = _day_start(filters["date_to"] + timedelta(days=1))
        sql = f"""SELECT * FROM (
            SELECT m.id, m.created_at AS moment, w.code AS warehouse, m.kind, m.reference, m.quantity,
                SUM(m.quantity) OVER running AS on_hand_after, SUM(m.value) OVER running AS value_after,
                %(currency)s AS currency
            FROM inventory_stockmovement m JOIN catalog_sku s ON s.id = m.sku_id
            JOIN inventory_warehouse w ON w.id = m.warehouse_id
            WHERE s.code = %(sku)s{where}
            WINDOW running AS (PARTITION BY m.warehouse_id ORDER BY m.created_at, m.id)) AS history
            {"WHERE " + " AND ".join(outer) if outer else ""}"""
        return Query(sql, params)

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        rows = super().rows(filters, sort=sort, after=after, limit=limit)
        for row in rows:
            row["kind"] = str(_KINDS.get(row["kind"], row["kind"]))
        return rows


def _day_start(day):
    from reporting.rollups.definitions import day_start

    return day_start(day)


class DeadStockForm(StockFilterForm):
    days = forms.IntegerField(label=_("Not sold for (days)"), min_value=1, max_value=3650, required=False,
                              initial=90, help_text=_("90 when left empty."))


@register
class DeadStockReport(SqlReport):
    key = "dead-stock"
    title = _("Dead stock")
    group = "Inventory"
    permission = "reporting.view_inventory_reports"
    description = _("Stock on hand that has not shipped for a number of days (90 unless told).")
    source = _("Stock levels and their last shipment movement (index movement_sku_recent).")
    filter_form = DeadStockForm
    columns = [Column("sku_code", _("SKU"), "text"), Column("sku_name", _("Name"), "text"),
               Column("warehouse", _("Warehouse"), "text"), Column("on_hand", _("On hand"), "int"),
               Column("value", _("Value"), "money"), Column("last_shipped", _("Last shipped"), "date")]
    sort_options = [
        SortOption("value", _("Highest value"), ("value", "sku_code", "warehouse"), descending=True),
        SortOption("sku", _("SKU"), ("sku_code", "warehouse")),
    ]

    def query(self, filters: dict) -> Query:
        days = filters.get("days") or 90
        params = {"since": timezone.now() - timedelta(days=days), "currency": books_currency()}
        sql = f"""SELECT s.code AS sku_code, s.name AS sku_name, w.code AS warehouse, sl.on_hand, sl.value,
            last.moment AS last_shipped, %(currency)s AS currency {_STOCK_FROM}
            LEFT JOIN LATERAL (SELECT m.created_at AS moment FROM inventory_stockmovement m
                WHERE m.sku_id = sl.sku_id AND m.warehouse_id = sl.warehouse_id AND m.kind = 'shipment'
                ORDER BY m.created_at DESC LIMIT 1) AS last ON TRUE
            WHERE sl.on_hand > 0 AND (last.moment IS NULL OR last.moment < %(since)s)
            {_stock_conditions(filters, params)}"""
        return Query(sql, params)


class JournalForm(DateRangeForm):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none(), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Any"))] + list(StockMovement.Kind.choices),
                             required=False)
    sku = forms.CharField(label=_("SKU"), max_length=40, required=False, help_text=_("The SKU's code (exact)."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouses()


@register
class MovementJournalReport(SqlReport):
    key = "movement-journal"
    title = _("Movement journal")
    group = "Inventory"
    permission = "reporting.view_inventory_reports"
    description = _("Every stock movement: receipts, shipments, adjustments, counts, returns, transfers.")
    source = _("Stock movements, by time (index reporting_movement_recent).")
    filter_form = JournalForm
    columns = [Column("moment", _("When"), "date"), Column("sku_code", _("SKU"), "text"),
               Column("warehouse", _("Warehouse"), "text"), Column("kind", _("Kind"), "text"),
               Column("quantity", _("Quantity"), "int"), Column("value", _("Value"), "money"),
               Column("reference", _("Reference"), "text"), Column("reason", _("Reason"), "text")]
    sort_options = [
        SortOption("newest", _("Newest first"), ("moment", "id"), descending=True),
        SortOption("oldest", _("Oldest first"), ("moment", "id")),
    ]

    def query(self, filters: dict) -> Query:
        params, conditions = {"currency": books_currency()}, []
        if filters.get("date_from"):
            conditions.append("m.created_at >= %(start)s")
            params["start"] = _day_start(filters["date_from"])
        if filters.get("date_to"):
            conditions.append("m.created_at < %(end)s")
            params["end"] = _day_start(filters["date_to"] + timedelta(days=1))
        if filters.get("warehouse"):
            conditions.append("m.warehouse_id = %(warehouse)s")
            params["warehouse"] = filters["warehouse"].pk
        if filters.get("kind"):
            conditions.append("m.kind = %(kind)s")
            params["kind"] = filters["kind"]
        if filters.get("sku"):
            conditions.append("m.sku_id = (SELECT id FROM catalog_sku WHERE code = %(sku)s)")
            params["sku"] = filters["sku"].upper()
        # The sort columns are the table's own, so the page is a scan of its (created_at, id) index.
        sql = f"""SELECT m.id, m.created_at AS moment, s.code AS sku_code, w.code AS warehouse, m.kind,
            m.quantity, m.value, m.reference, m.reason, %(currency)s AS currency
            FROM inventory_stockmovement m JOIN catalog_sku s ON s.id = m.sku_id
            JOIN inventory_warehouse w ON w.id = m.warehouse_id
            {"WHERE " + " AND ".join(conditions) if conditions else ""}"""
        return Query(sql, params)

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        rows = super().rows(filters, sort=sort, after=after, limit=limit)
        for row in rows:
            row["kind"] = str(_KINDS.get(row["kind"], row["kind"]))
        return rows


