from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from oms.panels import register_home_panel
        from reporting.dashboard import panels
        from reporting.reports import REPORT_MODULES, nav
        from reporting.rollups.definitions import register_built_in

        register_built_in()
        # The Manager's home is the live dashboard (reporting.dashboard).
        register_home_panel(panels.dashboard_panel)
        for module in REPORT_MODULES:
            import_module(module)
        import_module("reporting.reports.tasks")
        nav.register_nav()
