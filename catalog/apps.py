from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from catalog import imports, nav
        from oms.demo import register_demo_step

        nav.register_nav()
        imports.register_nav()
        register_demo_step(name="catalog", order=10, step="catalog.demo.seed_catalog")
