class InventoryError(Exception):
    """A stock rule was broken; the message is for the user and nothing was written."""


class InsufficientStock(InventoryError):
    def __init__(self, message: str, *, sku_id: int, warehouse_id: int, requested: int, available: int):
        super().__init__(message)
        self.sku_id = sku_id
        self.warehouse_id = warehouse_id
        self.requested = requested
        self.available = available
