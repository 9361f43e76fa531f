"""Bulk import and export of catalog, price, vendor-item and stock-count files."""


def register_nav() -> None:
    """Adds the import screens to the navigation (called from CatalogConfig.ready)."""
    from django.utils.translation import gettext_lazy as _

    from oms.navigation import NavItem, register

    # Celery's autodiscovery imports <app>.tasks only; the import tasks live one level down.
    from catalog.imports import tasks  # noqa: F401

    register(NavItem(
        _("Import and export"), "catalog:import_list", ("catalog.import_catalog", "inventory.import_stock"),
        _("Bulk files: styles and SKUs, prices, vendor items and stock counts, with a dry run first."),
        _("Catalog"),
    ))
