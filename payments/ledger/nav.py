from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register


def register_nav() -> None:
    """Adds the accountant's screens to the navigation (called from PaymentsConfig.ready)."""
    section = _("Ledger")
    register(
        NavItem(_("Trial balance"), "payments:trial_balance", "payments.view_ledger",
                _("Every account's debits and credits for a period or a date; the totals agree."), section),
        NavItem(_("Journal"), "payments:journal", "payments.view_ledger",
                _("Journal entries with their lines and sources; reverse one, or post one by hand."), section),
        NavItem(_("Fiscal periods"), "payments:period_list", "payments.view_ledger",
                _("Close a month, or reopen it with a reason."), section),
        NavItem(_("Chart of accounts"), "payments:account_list", "payments.change_account",
                _("Accounts and their codes in Dynamics GP, Sage 50 and QuickBooks."), section),
        NavItem(_("Posting map"), "payments:posting_rule_list", "payments.change_postingrule",
                _("Which account each kind of event posts to, per warehouse where it differs."), section),
        NavItem(_("GL export"), "payments:export_list", "payments.export_gl",
                _("Files for Dynamics GP, Sage 50, QuickBooks or a spreadsheet, in batches."), section),
    )
