from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register


def register_nav() -> None:
    """Adds the marketing screens to the navigation (called from MarketingConfig.ready)."""
    section = _("Marketing")
    register(
        NavItem(_("Campaigns"), "marketing:campaign_list", "marketing.view_campaign",
                _("Catalog mailings, emails and ads, with their source codes."), section),
        NavItem(_("Promotions"), "marketing:promotion_list", "marketing.view_promotion",
                _("Discounts, free shipping, buy X get Y, tiers, gifts and coupons."), section),
        NavItem(_("Price lists"), "marketing:pricelist_list", "marketing.view_pricelist",
                _("Prices per SKU for source codes and customer types."), section),
        NavItem(_("Pricing simulator"), "marketing:simulator", "marketing.use_simulator",
                _("Price a basket with codes and see why each price is what it is."), section),
    )
