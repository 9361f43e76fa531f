from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from inventory.hooks import on_stock_arrived
        from orders import hooks, nav

        nav.register_nav()
        # Stock arriving (or reservations released) allocates waiting backorders, in a task after commit.
        on_stock_arrived(hooks.stock_arrived)
