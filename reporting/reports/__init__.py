"""Reports on the framework of :mod:`reporting.reports.base`.

``REPORT_MODULES`` lists the modules whose report classes register themselves on import;
ReportingConfig.ready imports them. Add yours to the list.
"""

REPORT_MODULES = [
    "reporting.reports.sales",
    "reporting.reports.inventory",
    "reporting.reports.accounting",
    "reporting.reports.customers",
    "reporting.reports.campaigns",
    "reporting.reports.warehouse",
]
