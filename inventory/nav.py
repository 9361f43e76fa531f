from django.utils.translation import gettext_lazy as _

from oms.navigation import NavItem, register


def register_nav() -> None:
    """Adds the inventory screens to the navigation (called from InventoryConfig.ready)."""
    section = _("Inventory")
    register(
        NavItem(_("Warehouses"), "inventory:warehouse_list", "inventory.view_warehouse",
                _("Warehouses and stores, what they hold and how they ship."), section),
        NavItem(_("Purchase orders"), "inventory:po_list", "inventory.view_purchaseorder",
                _("Orders to vendors: create, send and receive."), section),
        NavItem(_("Stock adjustment"), "inventory:adjust", "inventory.adjust_stock",
                _("Add or remove units with a reason."), section),
        NavItem(_("Stock transfer"), "inventory:transfer", "inventory.transfer_stock",
                _("Move free units from one warehouse to another."), section),
        NavItem(_("Stock count"), "inventory:count", "inventory.count_stock",
                _("Post a counted quantity; the difference is booked."), section),
    )
