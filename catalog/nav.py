def register_nav() -> None:
    """Adds the catalog screens to the navigation (called from CatalogConfig.ready)."""
