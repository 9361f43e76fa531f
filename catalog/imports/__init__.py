"""Bulk import and export of catalog, price, vendor-item and stock-count files."""


def register_nav() -> None:
    """Adds the import screens to the navigation (called from CatalogConfig.ready)."""
