from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from payments.payables import admin as payables_admin  # noqa: F401  (registers the tolerances)
        from payments.payables import nav as payables_nav

        payables_nav.register_nav()
