from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register


def register_nav() -> None:
    """Adds the gift card screens to the navigation (called from PaymentsConfig.ready)."""
    register(
        NavItem(_("Gift cards"), "giftcards:list", "payments.view_giftcard",
                _("Find gift cards by their last four, check a balance, issue goodwill."), _("Payments")),
    )
