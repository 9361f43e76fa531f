"""Steps that higher apps plug into, so the arrows keep pointing down (DESIGN.md).

Orders registers a callback for ``stock_arrived`` to allocate backorders; inventory calls
it after the transaction that added stock commits.
"""

from __future__ import annotations

from collections.abc import Callable

StockArrivedCallback = Callable[[set[int], int], None]  # (sku ids, warehouse id)
_stock_arrived: list[StockArrivedCallback] = []


def on_stock_arrived(callback: StockArrivedCallback) -> StockArrivedCallback:
    if callback not in _stock_arrived:
        _stock_arrived.append(callback)
    return callback


def stock_arrived(sku_ids: set[int], warehouse_id: int) -> None:
    for callback in list(_stock_arrived):
        callback(set(sku_ids), warehouse_id)
