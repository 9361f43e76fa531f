from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register


def register_nav() -> None:
    """Adds the vendor bill screens to the navigation (called from PaymentsConfig.ready)."""
    section = _("Payables")
    register(
        NavItem(_("Vendor bills"), "payables:bill_list", "payments.view_vendorbill",
                _("Enter vendor bills against purchase orders, match and post them."), section),
        NavItem(_("PO reconciliation"), "payables:reconciliation", "payments.view_po_reconciliation",
                _("Received and not billed, billed and not received, and price variances."), section),
    )


def bill_url(source_id: str) -> str:
    """A journal entry's link to the vendor bill it posts (ledger sources)."""
    return reverse("payables:bill_detail", args=[int(source_id)])
