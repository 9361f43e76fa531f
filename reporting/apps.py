from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        from reporting.reports import REPORT_MODULES, nav

        for module in REPORT_MODULES:
            import_module(module)
        import_module("reporting.reports.tasks")
        nav.register_nav()
