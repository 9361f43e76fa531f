from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register


def register_nav() -> None:
    register(NavItem(_("Receive returns"), "returns:receive_station", "orders.receive_return",
                     _("Scan a returned parcel, inspect each unit, restock, scrap or send it to the vendor."),
                     _("Fulfillment")))
