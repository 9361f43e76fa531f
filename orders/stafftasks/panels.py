"""Staff tasks on orders' screens: the order page's tasks panel and the order list's "late" flag."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orders import hooks
from orders.stafftasks.selectors import late_task_exists

LATE_FLAG = hooks.OrderListFlag(
    key="late", annotation=late_task_exists, label=_("Late"), css_class="text-bg-danger", row_class="table-danger",
    title=_("Not shipped in time: an open task asks someone to look at it."))


def order_tasks_panel(*, order, user) -> dict | None:
    """The order page's tasks, loaded after the page (the page's own queries stay as they are)."""
    if not user.has_perm("orders.work_task"):
        return None
    return {"template": "stafftasks/_order_panel.html", "order_id": order.pk}


def register_panels() -> None:
    hooks.register_order_panel(order_tasks_panel)
    hooks.register_order_list_flag(LATE_FLAG)
