from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register


def register_nav() -> None:
    """The task inbox (with its count) and the rules (called from OrdersConfig.ready)."""
    section = _("Tasks")
    register(
        NavItem(_("My tasks"), "stafftasks:inbox", "orders.work_task",
                _("Tasks the rules opened for you and your role: take, do and close them."), section,
                badge_url_name="stafftasks:inbox_count"),
        NavItem(_("Task rules"), "stafftasks:rule_list", "orders.view_taskrule",
                _("The rules that open tasks: late orders, long holds, paid orders, low stock."), section),
    )
