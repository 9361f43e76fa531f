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

        from payments.payables import admin as payables_admin  # noqa: F401  (registers the tolerances)
        from payments.payables import nav as payables_nav

        payables_nav.register_nav()
        sources.register_source_url("payments.vendorbill", payables_nav.bill_url)
