from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register


def register_nav() -> None:
    """The refund approval queue, for those who approve (called from PaymentsConfig.ready)."""
    register(NavItem(_("Refund approvals"), "payments:refund_queue", "payments.approve_refund",
                     _("Refunds above the approval threshold, waiting for a Manager or an Accountant."),
                     _("Orders")))
