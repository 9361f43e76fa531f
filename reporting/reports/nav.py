from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register

REPORT_PERMISSIONS = (
    "reporting.view_sales_reports", "reporting.view_inventory_reports", "reporting.view_inventory_valuation",
    "reporting.view_accounting_reports", "reporting.view_customer_reports", "reporting.view_campaign_reports",
    "reporting.view_warehouse_reports",
)


def register_nav() -> None:
    """The reports index in the navigation, for anyone who may see a report (ReportingConfig.ready)."""
    section = _("Reports")
    register(
        NavItem(_("Reports"), "reporting:report_index", REPORT_PERMISSIONS,
                _("Sales, inventory, accounting and more: filter, sort, export, print."), section),
        NavItem(_("Scheduled reports"), "reporting:schedule_list", "reporting.schedule_reports",
                _("Reports emailed daily, weekly or monthly."), section),
    )
