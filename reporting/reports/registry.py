"""The reports there are: each report module registers its classes when ReportingConfig is ready."""

from __future__ import annotations

from django.http import Http404

from reporting.reports.base import GROUPS, Report

_REPORTS: dict[str, Report] = {}


def register(report_class: type[Report]) -> type[Report]:
    """Register a report (usable as a class decorator). A second class with the same key is an error."""
    if report_class.group not in GROUPS:
        raise ValueError(f"report {report_class.key}: unknown group {report_class.group!r}")
    existing = _REPORTS.get(report_class.key)
    if existing is not None and type(existing) is not report_class:
        raise ValueError(f"two reports have the key {report_class.key!r}")
    _REPORTS[report_class.key] = report_class()
    return report_class


def get(key: str) -> Report:
    """The report of this key; Http404 when there is none."""
    try:
        return _REPORTS[key]
    except KeyError:
        raise Http404(f"no report {key!r}") from None


def all_reports() -> list[Report]:
    return list(_REPORTS.values())


def all_for(user) -> list[Report]:
    """The reports this user may see, in group order, then by title."""
    reports = [report for report in _REPORTS.values() if report.allows(user)]
    return sorted(reports, key=lambda report: (GROUPS.index(report.group), str(report.title)))
