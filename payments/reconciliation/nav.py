from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register


def register_nav() -> None:
    """The payments reconciliation in the navigation (called from PaymentsConfig.ready)."""
    register(NavItem(_("Payment reconciliation"), "reconciliation:payments", "payments.view_ledger",
                     _("Orders shipped against payments captured and the gateway's records."), _("Accounting")))
