"""Reporting's tables: the rollups (``reporting.rollups.models``) and the report framework's
(``reporting.reports.models``)."""

from reporting.reports.models import (  # noqa: F401
    ReportAccess,
    ReportExport,
    ReportExportChunk,
    ReportRun,
    ReportSchedule,
)
from reporting.rollups.models import (  # noqa: F401
    BackorderFact,
    CustomerSales,
    DailyCampaignSales,
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
