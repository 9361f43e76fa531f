"""The dashboard's tiles: each a partial of its own, refreshed by htmx polling.

A tile names the selector that feeds it and its template (``templates/reporting/dashboard/``).
Add one by appending a :class:`Tile`; its URL (``dashboard:tile_<key>``) comes with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from reporting.dashboard import selectors

# Seconds between two refreshes of a tile (the rollups fold every ROLLUP_FOLD_SECONDS).
POLL_SECONDS = 5


@dataclass(frozen=True)
class Tile:
    key: str
    title: str | Promise
    data: Callable[[], dict]
    width: str = "col-12 col-xl-6"

    @property
    def template(self) -> str:
        return f"reporting/dashboard/tiles/{self.key}.html"

    @property
    def url_name(self) -> str:
        return f"dashboard:tile_{self.key}"

    def url(self) -> str:
        return reverse(self.url_name)


TILES: list[Tile] = [
    Tile("sales", _("Today's orders and revenue"), selectors.sales_today, width="col-12"),
    Tile("open_orders", _("Open orders by status"), selectors.open_orders_by_status),
    Tile("held", _("Held orders by reason and age"), selectors.held_orders),
    Tile("late", _("Late orders"), selectors.late_orders),
    Tile("backorders", _("Backorders by SKU"), selectors.backorders_by_sku),
    Tile("low_stock", _("Low stock"), selectors.low_stock),
    Tile("returns", _("Returns this week"), selectors.returns_this_week),
    Tile("top_skus", _("Top SKUs today"), selectors.top_skus_today),
]


def get(key: str) -> Tile:
    return next(tile for tile in TILES if tile.key == key)
