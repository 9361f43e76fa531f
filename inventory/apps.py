from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from catalog.hooks import StockReads, register_stock_reads
        from inventory import nav, selectors
        from oms.demo import register_demo_step
        from oms.panels import register_home_panel

        nav.register_nav()
        # The catalog's screens show stock through these reads; the home page shows the receiving panel.
        register_stock_reads(StockReads(available_totals=selectors.available_totals,
                                        stock_table=selectors.stock_table,
                                        open_reservations=selectors.open_reservations,
                                        movement_page=selectors.movement_page))
        register_home_panel(selectors.home_panel)
        register_demo_step(name="inventory", order=20, step="inventory.demo.seed_inventory")
