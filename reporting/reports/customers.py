"""Customer reports (issue 14): top customers, new against returning, and the RFM extraction,
whose CSV or XLSX is the mailing file (opted-in customers only). Queries: reporting.selectors.customers."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from orders.models import Customer
from reporting.reports.base import Column, DateRangeForm, Report, ReportFilterForm, SortOption
from reporting.reports.registry import register
from reporting.selectors import customers as selectors

PERIOD_CHOICES = [("day", _("Day")), ("week", _("Week")), ("month", _("Month"))]
SCORE_CHOICES = [("", _("Any"))] + [(str(score), str(score)) for score in range(1, 6)]


def _customer_links(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["customer_url"] = reverse("orders:customer_detail", args=[row["customer_id"]])
        row["customer_name"] = (f"{row['first_name']} {row['last_name']}".strip()
                                or row.get("company") or row.get("customer_company", ""))
    return rows


def _score(value) -> int | None:
    return int(value) if value else None


class CustomerFilterForm(DateRangeForm):
    channel = forms.CharField(label=_("Channel"), required=False, max_length=50,
                              help_text=_("phone, web, pos, store or marketplace:<name>"))
    source_code = forms.CharField(label=_("Source code"), required=False, max_length=40)
    customer_type = forms.ChoiceField(label=_("Customer type"), required=False,
                                      choices=[("", _("Any"))] + list(Customer.Type.choices))


@register
class TopCustomersReport(Report):
    key = "customers-top"
    title = _("Top customers")
    group = "Customers"
    permission = "reporting.view_customer_reports"
    description = _("Who bought the most in the period: orders, spend, average order, first and last order.")
    source = _("Placed orders (not cancelled), grouped by customer.")
    filter_form = CustomerFilterForm
    columns = [
        Column("number", _("Customer"), "link"), Column("customer_name", _("Name")), Column("email", _("Email")),
        Column("orders", _("Orders"), "int"), Column("spend", _("Spend"), "money"),
        Column("average_order", _("Average order"), "money"), Column("first_order_on", _("First order"), "date"),
        Column("last_order_on", _("Last order"), "date"),
    ]
    sort_options = [
        SortOption("spend", _("Highest spend"), ("spend", "customer_id"), descending=True),
        SortOption("orders", _("Most orders"), ("orders", "customer_id"), descending=True),
        SortOption("last_order", _("Latest order"), ("last_order", "customer_id"), descending=True),
        SortOption("number", _("Customer number"), ("number", "customer_id")),
    ]

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        rows = selectors.top_customers(
            date_from=filters.get("date_from"), date_to=filters.get("date_to"), channel=filters.get("channel") or "",
            source_code=filters.get("source_code") or "", customer_type=filters.get("customer_type") or "",
            sort=self.sort_option(sort).key, after=after, limit=limit)
        for row in _customer_links(rows):
            row["number_url"] = row["customer_url"]
        return rows


class NewReturningFilterForm(DateRangeForm):
    period = forms.ChoiceField(label=_("By"), choices=PERIOD_CHOICES, initial="day", required=False)
    channel = forms.CharField(label=_("Channel"), required=False, max_length=50)


@register
class NewAndReturningReport(Report):
    key = "customers-new-returning"
    title = _("New and returning customers")
    group = "Customers"
    permission = "reporting.view_customer_reports"
    description = _("Per day, week or month: customers ordering for the first time and those who came back.")
    source = _("Placed orders; an order is a new customer's when the customer has no earlier one.")
    filter_form = NewReturningFilterForm
    columns = [
        Column("period_start", _("Period"), "date"),
        Column("new_customers", _("New customers"), "int"), Column("new_orders", _("Their orders"), "int"),
        Column("new_spend", _("Their spend"), "money"),
        Column("returning_customers", _("Returning customers"), "int"),
        Column("returning_orders", _("Their orders"), "int"), Column("returning_spend", _("Their spend"), "money"),
        Column("new_share", _("New customers' share of orders (%)"), "decimal"),
    ]
    sort_options = [SortOption("newest", _("Newest first"), ("period_start",), descending=True)]

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        return selectors.new_and_returning(
            date_from=filters.get("date_from"), date_to=filters.get("date_to"),
            period=filters.get("period") or "day", channel=filters.get("channel") or "", after=after, limit=limit)


class RfmFilterForm(ReportFilterForm):
    as_of = forms.DateField(label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("Orders up to this day count; today when empty."))
    min_spend = forms.DecimalField(label=_("Spend at least"), required=False, min_value=0, decimal_places=2)
    max_spend = forms.DecimalField(label=_("Spend at most"), required=False, min_value=0, decimal_places=2)
    min_orders = forms.IntegerField(label=_("Orders at least"), required=False, min_value=0)
    max_orders = forms.IntegerField(label=_("Orders at most"), required=False, min_value=0)
    last_order_from = forms.DateField(label=_("Last order from"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}))
    last_order_to = forms.DateField(label=_("Last order to"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}))
    source_code = forms.CharField(label=_("Ordered with source code"), required=False, max_length=40)
    channel = forms.CharField(label=_("Ordered on channel"), required=False, max_length=50)
    min_recency_score = forms.ChoiceField(label=_("Recency score at least"), required=False, choices=SCORE_CHOICES)
    min_frequency_score = forms.ChoiceField(label=_("Frequency score at least"), required=False,
                                            choices=SCORE_CHOICES)
    min_monetary_score = forms.ChoiceField(label=_("Monetary score at least"), required=False, choices=SCORE_CHOICES)

    def clean(self):
        cleaned = super().clean()
        for low, high in (("min_spend", "max_spend"), ("min_orders", "max_orders"),
                          ("last_order_from", "last_order_to")):
            if cleaned.get(low) is not None and cleaned.get(high) is not None and cleaned[low] > cleaned[high]:
                self.add_error(high, _("This is below the lower bound."))
        return cleaned


@register
class RfmExtractionReport(Report):
    key = "customers-rfm"
    title = _("RFM extraction (mailing file)")
    group = "Customers"
    permission = "reporting.view_customer_reports"
    description = _("Customers who agreed to marketing, with their mailing address and their recency, frequency "
                    "and monetary scores (1 to 5, in fifths of all customers). Export it as the mailing file.")
    source = _("Placed orders up to the day chosen, per customer; scores among every customer who ordered.")
    filter_form = RfmFilterForm
    columns = [
        Column("number", _("Customer"), "link"), Column("name", _("Name")), Column("company", _("Company")),
        Column("line1", _("Address line 1")), Column("line2", _("Address line 2")), Column("city", _("City")),
        Column("region", _("State / region")), Column("postal_code", _("Postal code")),
        Column("country", _("Country")), Column("email", _("Email")),
        Column("last_order_on", _("Last order"), "date"), Column("recency_days", _("Days since last order"), "int"),
        Column("frequency", _("Orders"), "int"), Column("monetary", _("Total spend"), "money"),
        Column("recency_score", _("R"), "int"), Column("frequency_score", _("F"), "int"),
        Column("monetary_score", _("M"), "int"), Column("rfm_cell", _("RFM")),
    ]
    sort_options = [
        SortOption("score", _("Best RFM score"), ("rfm_total", "customer_id"), descending=True),
        SortOption("monetary", _("Highest spend"), ("monetary", "customer_id"), descending=True),
        SortOption("frequency", _("Most orders"), ("frequency", "customer_id"), descending=True),
        SortOption("recency", _("Most recent"), ("last_order", "customer_id"), descending=True),
        SortOption("number", _("Customer number"), ("number", "customer_id")),
    ]

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        rows = selectors.rfm_extraction(
            as_of=filters.get("as_of"), min_spend=filters.get("min_spend"), max_spend=filters.get("max_spend"),
            min_orders=filters.get("min_orders"), max_orders=filters.get("max_orders"),
            last_order_from=filters.get("last_order_from"), last_order_to=filters.get("last_order_to"),
            source_code=filters.get("source_code") or "", channel=filters.get("channel") or "",
            min_recency_score=_score(filters.get("min_recency_score")),
            min_frequency_score=_score(filters.get("min_frequency_score")),
            min_monetary_score=_score(filters.get("min_monetary_score")),
            sort=self.sort_option(sort).key, after=after, limit=limit)
        for row in rows:
            row["number_url"] = reverse("orders:customer_detail", args=[row["customer_id"]])
        return rows
