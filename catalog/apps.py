from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from catalog import nav
        from catalog.imports.kinds import register_kinds
        from oms import imports
        from oms.demo import register_demo_step

        nav.register_nav()
        imports.register_nav()  # the shared import screen shows in the catalog's section
        register_kinds()
        register_demo_step(name="catalog", order=10, step="catalog.demo.seed_catalog")
