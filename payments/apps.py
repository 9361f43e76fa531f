from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from oms.hooks import on_ledger_post
        from payments.ledger import services, sources

        # Every app posts its journal entries through the hook in oms, so the arrows keep pointing down.
        on_ledger_post(services.ledger_post)
        sources.register_defaults()

        from payments.ledger import nav

        # Celery's autodiscovery imports <app>.tasks only; the export's task lives in the ledger package.
        from payments.ledger import export_tasks  # noqa: F401

        nav.register_nav()
