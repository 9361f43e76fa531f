from reporting.reports.models import (  # noqa: F401  (the report framework's tables)
    ReportAccess,
    ReportExport,
    ReportExportChunk,
    ReportRun,
    ReportSchedule,
)
