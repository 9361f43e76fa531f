from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register


def register_nav() -> None:
    """Adds the customer and order screens to the navigation (called from OrdersConfig.ready)."""
    section = _("Orders")
    register(
        NavItem(_("Order entry"), "orders:order_entry", "orders.place_order",
                _("Take a phone order: customer, source code, lines, shipping, total."), section),
        NavItem(_("Orders"), "orders:order_list", "orders.view_order",
                _("Find orders by number, customer, status, channel, SKU or hold."), section),
        NavItem(_("Customers"), "orders:customer_list", "orders.view_customer",
                _("Look up customers by phone, email, name or number; their history."), section),
        NavItem(_("Pick waves"), "fulfillment:wave_list", "orders.pick_wave",
                _("Create a warehouse's pick waves, print pick lists, scan picks."), _("Fulfillment")),
    )
    register(
        NavItem(_("End of day"), "carriers:day_close", "orders.close_carrier_day",
                _("The day's labels per carrier; close the day and print each carrier's manifest."), _("Fulfillment")),
    )
