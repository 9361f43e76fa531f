"""Steps that higher apps plug into, so the arrows keep pointing down (DESIGN.md).

**stock_reads.** The catalog's screens (SKU search, style and SKU pages) show stock: units
available, the stock table per warehouse, the open reservations and the movements of a SKU.
Stock belongs to inventory, which sits above the catalog, so the catalog names the reads it
needs (:class:`StockReads`) and inventory registers its selectors for them with
:func:`register_stock_reads` from ``InventoryConfig.ready``. The reads take and give:

- ``available_totals(skus)``: {sku id: units available over the active warehouses}, kits included;
- ``stock_table(skus)``: an object with ``warehouses``, ``totals`` ({sku id: units}) and
  ``rows(sku)`` (one dict per warehouse: ``warehouse``, ``on_hand``, ``reserved``, ``available``);
- ``open_reservations(sku=...)``: the open reservations holding the SKU, newest first;
- ``movement_page(sku=..., after=..., before=...)``: a page of its movements (``movements``,
  ``next_cursor``, ``previous_cursor``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class StockReads:
    available_totals: Callable[..., dict[int, int]]
    stock_table: Callable[..., Any]
    open_reservations: Callable[..., list]
    movement_page: Callable[..., Any]


_stock_reads: list[StockReads] = []


def register_stock_reads(reads: StockReads) -> None:
    """Give the catalog's screens their stock reads (inventory does, in its ``ready``); the last one counts."""
    _stock_reads[:] = [reads]


def stock_reads() -> StockReads:
    if not _stock_reads:
        raise ImproperlyConfigured("No app registered the catalog's stock reads (catalog.hooks.register_stock_reads); "
                                   "is inventory in INSTALLED_APPS?")
    return _stock_reads[0]


# --- panels on the SKU page -----------------------------------------------------------------------
#
# **sku_panels.** Higher apps add a card to the SKU page without catalog importing them: a
# :class:`SkuPanel` names its template and a function ``context(request, sku) -> dict | None``
# (``None``: nothing to show this user). Orders registers the bins panel (orders/fulfillment).


@dataclass(frozen=True)
class SkuPanel:
    key: str
    template: str
    context: Callable[..., dict | None]


_sku_panels: dict[str, SkuPanel] = {}


def register_sku_panel(panel: SkuPanel) -> None:
    """Add (or replace, by key) a panel of the SKU page."""
    _sku_panels[panel.key] = panel


def sku_panels(request, sku) -> list[tuple[str, dict]]:
    """(template, context) of every registered panel that has something for this user and SKU."""
    shown = []
    for panel in _sku_panels.values():
        context = panel.context(request, sku)
        if context is not None:
            shown.append((panel.template, context))
    return shown
