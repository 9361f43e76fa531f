"""Campaign and source-code results (issue 14): orders, revenue, average order, response rate, cost
per order, gross margin (cost of goods from the ledger) and ROI, per code, drop or campaign.
Query: reporting.selectors.campaigns."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.models import Campaign
from reporting.reports.base import Column, DateRangeForm, Report, SortOption
from reporting.reports.registry import register
from reporting.selectors.campaigns import campaign_results

LEVEL_CHOICES = [("source_code", _("Source code")), ("drop", _("Drop (codes mailed the same day)")),
                 ("campaign", _("Campaign"))]


class CampaignFilterForm(DateRangeForm):
    level = forms.ChoiceField(label=_("Per"), choices=LEVEL_CHOICES, initial="source_code", required=False)
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.order_by("code"),
                                      required=False)
    medium = forms.ChoiceField(label=_("Medium"), required=False,
                               choices=[("", _("Any"))] + list(Campaign.Medium.choices))
    channel = forms.CharField(label=_("Channel"), required=False, max_length=50)


@register
class CampaignResultsReport(Report):
    key = "campaign-results"
    title = _("Campaign and source code results")
    group = "Campaigns"
    permission = "reporting.view_campaign_reports"
    description = _("Orders placed with each code in the period, what they brought, what the mailing cost, and "
                    "the margin and return on investment of what has shipped.")
    source = _("Orders by source code; margin from the ledger's shipment entries (income less COGS). "
               "ROI = (gross margin − cost) ÷ cost.")
    filter_form = CampaignFilterForm
    columns = [
        Column("campaign", _("Campaign")), Column("label", _("Code, drop or campaign")),
        Column("mailed_on", _("Dropped on"), "date"), Column("circulated", _("Circulated"), "int"),
        Column("cost", _("Cost"), "money"), Column("orders", _("Orders"), "int"),
        Column("revenue", _("Revenue"), "money"), Column("average_order", _("Average order"), "money"),
        Column("response_rate", _("Response rate (%)"), "decimal"),
        Column("cost_per_order", _("Cost per order"), "money"),
        Column("shipped_revenue", _("Shipped revenue"), "money"), Column("cogs", _("Cost of goods"), "money"),
        Column("gross_margin", _("Gross margin"), "money"), Column("margin_rate", _("Margin (%)"), "decimal"),
        Column("roi", _("ROI (%)"), "decimal"),
    ]
    sort_options = [
        SortOption("revenue", _("Highest revenue"), ("revenue", "row_id"), descending=True),
        SortOption("orders", _("Most orders"), ("orders", "row_id"), descending=True),
        SortOption("roi", _("Best ROI"), ("roi", "row_id"), descending=True),
        SortOption("response", _("Best response"), ("response_rate", "row_id"), descending=True),
        SortOption("margin", _("Highest margin"), ("gross_margin", "row_id"), descending=True),
        SortOption("code", _("By code"), ("label", "row_id")),
    ]

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        campaign = filters.get("campaign")
        return campaign_results(
            level=filters.get("level") or "source_code", date_from=filters.get("date_from"),
            date_to=filters.get("date_to"), campaign_id=campaign.pk if campaign else None,
            medium=filters.get("medium") or "", channel=filters.get("channel") or "",
            sort=self.sort_option(sort).key, after=after, limit=limit)
