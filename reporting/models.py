"""Reporting's tables: the rollups (``reporting.rollups.models``)."""

from reporting.rollups.models import (  # noqa: F401
    BackorderFact,
    DailyReturns,
    DailySkuSales,
    DailySourceCodeSales,
    DailyWarehouseShipments,
    HourlyChannelSales,
    OpenHoldFact,
    OpenOrderFact,
    RollupCheck,
    RollupState,
)
