from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from oms.demo import register_demo_step
        from oms.navigation import NavItem
        from oms.navigation import register as register_nav
        from oms.panels import register_home_panel
        from reporting.dashboard import panels
        from reporting.reports import REPORT_MODULES, nav
        from reporting.rollups.definitions import register_built_in

        register_built_in()
        register_nav(NavItem(_("Live dashboard"), "dashboard:page", panels.DASHBOARD_PERMISSION,
                             _("Today's orders and revenue, open, held and late orders, stock, returns."),
                             _("Reports")))
        # Last: after every app's demo orders, shipments and returns.
        register_demo_step(name="reporting", order=90, step="reporting.demo.seed_reporting")
        # The Manager's home is the live dashboard (reporting.dashboard).
        register_home_panel(panels.dashboard_panel)
        for module in REPORT_MODULES:
            import_module(module)
        import_module("reporting.reports.tasks")
        nav.register_nav()
