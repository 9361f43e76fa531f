"""The fulfillment panels other apps' pages show through their hooks (registered in OrdersConfig.ready)."""

from __future__ import annotations

from catalog.hooks import SkuPanel, register_sku_panel


def sku_bins_context(request, sku) -> dict | None:
    from orders.fulfillment.forms import BinForm
    from orders.fulfillment.selectors import bins_of

    user = request.user
    if sku.is_kit or not user.has_perm("orders.view_binlocation"):
        return None
    return {"sku": sku, "bins": bins_of(sku), "can_edit": user.has_perm("orders.change_binlocation"),
            "form": BinForm(prefix="bin")}


def register_panels() -> None:
    register_sku_panel(SkuPanel(key="fulfillment.bins", template="fulfillment/_sku_bins.html",
                                context=sku_bins_context))
