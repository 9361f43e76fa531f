from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    def ready(self) -> None:
        from catalog import nav
        from catalog.imports.kinds import register_kinds
        from oms import imports

        nav.register_nav()
        imports.register_nav()  # the shared import screen shows in the catalog's section
        register_kinds()
