from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from inventory.hooks import on_stock_arrived
        from oms.demo import register_demo_step
        from orders import nav, tasks
        from orders.fulfillment import imports as fulfillment_imports
        from orders.fulfillment import panels as fulfillment_panels
        from orders.fulfillment import tpl as fulfillment_tpl
        from orders.fulfillment.carriers import registry as carrier_registry

        nav.register_nav()
        fulfillment_imports.register_kinds()  # bin locations
        fulfillment_tpl.register_kinds()  # a 3PL's shipment confirmations
        fulfillment_panels.register_panels()  # the SKU page's bins
        carrier_registry.register_builtin_carriers()
        # Stock arriving (or reservations released) allocates waiting backorders, in a task after commit.
        on_stock_arrived(tasks.stock_arrived)
        register_demo_step(name="orders", order=40, step="orders.demo.seed_orders")
        register_demo_step(name="carriers", order=45, step="orders.fulfillment.carriers.demo.seed_carriers")
        # After payments (47) and payables (50): the shipped orders' shipments, movements and ship events.
        register_demo_step(name="fulfillment", order=55, step="orders.fulfillment.demo.seed_fulfillment")
        self._ready_staff_tasks()
        self._ready_returns()

    @staticmethod
    def _ready_staff_tasks() -> None:
        """Staff tasks: events through orders' hooks, the inbox in the navigation, the late flag and panel."""
        from oms.demo import register_demo_step
        from orders.stafftasks import nav, panels, wiring

        wiring.register()
        nav.register_nav()
        panels.register_panels()
        # After payments (47) and payables (50): the demo's rules and a few open tasks.
        register_demo_step(name="staff tasks", order=70, step="orders.stafftasks.demo.seed_staff_tasks")

    @staticmethod
    def _ready_returns() -> None:
        from orders import hooks
        from orders.returns import nav as returns_nav
        from orders.returns import panels as returns_panels

        hooks.register_order_panel(returns_panels.order_returns_panel)  # the order page's RMAs
        returns_nav.register_nav()
        # After the orders (40), carriers (45), payments (47) and payables (50): a few returned orders.
        from oms.demo import register_demo_step

        register_demo_step(name="returns", order=60, step="orders.returns.demo.seed_returns")
