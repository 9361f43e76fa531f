def register_nav() -> None:
    """Adds the inventory screens to the navigation (called from InventoryConfig.ready)."""
