"""The carriers this project ships with, registered from ``OrdersConfig.ready``."""

from __future__ import annotations

from orders.fulfillment.carriers import base, easypost_carrier, table_rate


def register_builtin_carriers() -> None:
    base.register_carrier(table_rate.CODE, table_rate.TableRateCarrier)
    base.register_carrier(easypost_carrier.CODE, easypost_carrier.configured)
