"""Warehouse reports (issue 14): picks, packs and shipments per person per hour, time from placed
to shipped, and 3PL performance. Queries: reporting.selectors.productivity."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from inventory.models import Warehouse
from reporting.reports.base import Column, DateRangeForm, Report, SortOption
from reporting.reports.registry import register
from reporting.selectors import productivity as selectors

GROUPING_CHOICES = [("person_day", _("Person and day")), ("person_hour", _("Person and hour")),
                    ("person", _("Person (whole period)"))]
PERMISSION = "reporting.view_warehouse_reports"


class ProductivityFilterForm(DateRangeForm):
    grouping = forms.ChoiceField(label=_("Per"), choices=GROUPING_CHOICES, initial="person_day", required=False)
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), required=False, queryset=Warehouse.objects.exclude(
        kind=Warehouse.Kind.THIRD_PARTY).order_by("code"))


@register
class StaffProductivityReport(Report):
    key = "warehouse-productivity"
    title = _("Picks, packs and shipments per person")
    group = "Warehouse"
    permission = PERMISSION
    description = _("Units picked and packed and shipments shipped by each person, and each per hour worked "
                    "(the clock hours in which the person scanned or shipped anything).")
    source = _("The shipments' events (pick, pack, ship and receive scans); 3PL warehouses left out.")
    filter_form = ProductivityFilterForm
    columns = [
        Column("period", _("Period")), Column("person", _("Person")),
        Column("units_picked", _("Units picked"), "int"), Column("pick_scans", _("Pick scans"), "int"),
        Column("units_packed", _("Units packed"), "int"), Column("shipments", _("Shipments shipped"), "int"),
        Column("received", _("Returns received"), "int"), Column("hours", _("Hours"), "int"),
        Column("picks_per_hour", _("Units picked per hour"), "decimal"),
        Column("packs_per_hour", _("Units packed per hour"), "decimal"),
        Column("shipments_per_hour", _("Shipments per hour"), "decimal"),
    ]
    sort_options = [
        SortOption("period", _("Newest first"), ("period_start", "person_id"), descending=True),
        SortOption("units_picked", _("Most units picked"), ("units_picked", "person_id"), descending=True),
        SortOption("units_packed", _("Most units packed"), ("units_packed", "person_id"), descending=True),
        SortOption("shipments", _("Most shipments"), ("shipments", "person_id"), descending=True),
        SortOption("picks_per_hour", _("Fastest picker"), ("picks_per_hour", "person_id"), descending=True),
    ]

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        grouping = filters.get("grouping") or "person_day"
        warehouse = filters.get("warehouse")
        rows = selectors.staff_productivity(
            date_from=filters.get("date_from"), date_to=filters.get("date_to"),
            warehouse_id=warehouse.pk if warehouse else None, grouping=grouping,
            sort=self.sort_option(sort).key, after=after, limit=limit)
        shape = {"person_day": "%Y-%m-%d", "person_hour": "%Y-%m-%d %H:00"}.get(grouping)
        for row in rows:
            row["period"] = row["period_start"].strftime(shape) if shape and row["period_start"] else ""
        return rows


class TimeToShipFilterForm(DateRangeForm):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), required=False,
                                       queryset=Warehouse.objects.order_by("code"))
    channel = forms.CharField(label=_("Channel"), required=False, max_length=50)
    target_hours = forms.IntegerField(label=_("Target (hours)"), required=False, min_value=1, max_value=24 * 90,
                                      help_text=_("Shipped within this many hours of placement counts as on time."))
    whole_period = forms.BooleanField(label=_("One row per warehouse"), required=False)
    third_party_only = forms.BooleanField(label=_("3PL warehouses only"), required=False)


@register
class TimeToShipReport(Report):
    key = "warehouse-time-to-ship"
    title = _("Time from placed to shipped")
    group = "Warehouse"
    permission = PERMISSION
    description = _("Per warehouse and shipping day: how long orders waited from placement to shipping.")
    source = _("Shipments shipped in the period and their orders (index reporting_shipment_shipped_at).")
    filter_form = TimeToShipFilterForm
    columns = [
        Column("ship_day", _("Shipped on"), "date"), Column("warehouse", _("Warehouse")),
        Column("shipments", _("Shipments"), "int"), Column("average_hours", _("Average hours"), "decimal"),
        Column("median_hours", _("Median hours"), "decimal"),
        Column("p90_hours", _("90th percentile hours"), "decimal"), Column("within_target", _("Within target"), "int"),
        Column("within_target_rate", _("On time (%)"), "decimal"),
        Column("release_to_ship_hours", _("Hours from release to shipping"), "decimal"),
    ]
    sort_options = [SortOption("newest", _("Newest first"), ("ship_day", "warehouse"), descending=True)]

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        warehouse = filters.get("warehouse")
        return selectors.time_to_ship(
            date_from=filters.get("date_from"), date_to=filters.get("date_to"),
            warehouse_id=warehouse.pk if warehouse else None, channel=filters.get("channel") or "",
            target_hours=filters.get("target_hours") or 48, by_day=not filters.get("whole_period"),
            third_party_only=bool(filters.get("third_party_only")), after=after, limit=limit)


class TplFilterForm(DateRangeForm):
    target_hours = forms.IntegerField(label=_("Target (hours)"), required=False, min_value=1, max_value=24 * 90,
                                      help_text=_("Shipped within this many hours of release counts as on time."))


@register
class TplPerformanceReport(Report):
    key = "warehouse-3pl"
    title = _("3PL performance")
    group = "Warehouse"
    permission = PERMISSION
    description = _("Per 3PL warehouse: shipments released to it in the period, how many it shipped and how fast, "
                    "and what it still holds.")
    source = _("Shipments of the 3PL warehouses, from release (the file or API hand-off) to confirmation.")
    filter_form = TplFilterForm
    columns = [
        Column("warehouse", _("Warehouse")), Column("warehouse_name", _("Name")),
        Column("released", _("Released"), "int"), Column("shipped", _("Shipped"), "int"),
        Column("average_hours", _("Average hours to ship"), "decimal"),
        Column("p90_hours", _("90th percentile hours"), "decimal"),
        Column("within_target", _("Within target"), "int"), Column("within_target_rate", _("On time (%)"), "decimal"),
        Column("open_now", _("Open now"), "int"), Column("oldest_open_hours", _("Oldest open (hours)"), "decimal"),
    ]
    sort_options = [SortOption("warehouse", _("By warehouse"), ("warehouse",))]

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        return selectors.tpl_performance(date_from=filters.get("date_from"), date_to=filters.get("date_to"),
                                         target_hours=filters.get("target_hours") or 24, after=after, limit=limit)
