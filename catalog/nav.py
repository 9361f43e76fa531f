from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register


def register_nav() -> None:
    """Adds the catalog screens to the navigation (called from CatalogConfig.ready)."""
    register(
        NavItem(_("Catalog"), "catalog:sku_search", "catalog.view_sku",
                _("Find SKUs by code, name or barcode; styles, kits and stock."), _("Catalog")),
    )
