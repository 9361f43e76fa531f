def register_nav() -> None:
    """Adds the customer and order screens to the navigation (called from OrdersConfig.ready)."""
