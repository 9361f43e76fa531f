from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        from marketing import nav
        from oms.demo import register_demo_step

        nav.register_nav()
        register_demo_step(name="marketing", order=30, step="marketing.demo.seed_marketing")
