from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register


def register_nav() -> None:
    """The receivables screens in the navigation (called from PaymentsConfig.ready)."""
    section = _("Accounting")
    register(
        NavItem(_("Receivables aging"), "receivables:aging", "payments.view_receivables",
                _("What customers on account owe, by days past due; statements and invoices."), section),
        NavItem(_("Check deposits"), "receivables:deposits", "payments.deposit_checks",
                _("Checks on hand, deposit batches for the bank."), section),
    )
