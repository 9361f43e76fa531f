"""Links from a journal entry to its source document's page.

Each source type (``app_label.model``) may register how to find its page; apps above the
ledger that post (orders, fulfillment, returns) add theirs in ``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import NoReverseMatch, reverse

SourceUrl = Callable[[str], str]  # source id -> url ("" when none)
_source_urls: dict[str, SourceUrl] = {}


def register_source_url(source_type: str, resolve: SourceUrl) -> None:
    _source_urls[source_type] = resolve


def source_url(source_type: str, source_id: str) -> str:
    resolve = _source_urls.get(source_type)
    if not resolve or not source_id:
        return ""
    try:
        return resolve(source_id) or ""
    except NoReverseMatch:
        return ""


def _stock_movement_url(source_id: str) -> str:
    from inventory.models import StockMovement

    movement = (StockMovement.objects.filter(pk=source_id)
                .values_list("purchase_order_line__purchase_order_id", flat=True).first())
    # A receipt opens its purchase order; other movements have no page of their own yet.
    return reverse("inventory:po_detail", args=[movement]) if movement else ""


def _purchase_order_url(source_id: str) -> str:
    return reverse("inventory:po_detail", args=[int(source_id)])


def register_defaults() -> None:
    register_source_url("inventory.stockmovement", _stock_movement_url)
    register_source_url("inventory.purchaseorder", _purchase_order_url)
