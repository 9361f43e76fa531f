"""The order page's returns panel (``orders.hooks.register_order_panel``, registered in OrdersConfig.ready)."""

from __future__ import annotations


def order_returns_panel(*, order, user) -> dict | None:
    from orders.returns import selectors, services
    from orders.returns.views import shows_money

    # Only an order that shipped can have returns: the others cost the page no query.
    if not user.has_perm("orders.view_rma") or order.status not in services.RETURNABLE_STATUSES:
        return None
    rmas = selectors.order_rmas(order)
    can_create = (user.has_perm("orders.add_rma") and any(item.returnable for item in services.returnable_lines(order)))
    can_claim = user.has_perm("orders.add_warrantyclaim")
    if not rmas and not can_create and not can_claim:
        return None
    from orders.returns.self_service import self_service_url

    return {"template": "returns/_order_panel.html", "rmas": rmas, "can_create": can_create, "can_claim": can_claim,
            "self_service_url": self_service_url(order) if can_create else "",
            "shows_money": shows_money(user), "window_ends": services.return_window_ends(order) if can_create else None}
