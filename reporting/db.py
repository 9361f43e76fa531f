"""Where reports, exports and dashboard tiles read from (DESIGN.md "Past one database server").

When ``REPORTING_DATABASE_URL`` is set, settings define a second database alias, ``reporting``
(a streaming replica in production), opened read-only. Code that reads for a report either
wraps its reads in :func:`reporting_reads` (the ORM's reads then go there through
:class:`ReportingRouter`) or names the alias itself: ``Model.objects.using(reporting_alias())``
and ``connections[reporting_alias()].cursor()`` for raw SQL. Writes never go there: the router
sends every write to ``default`` and the server refuses them besides (read-only session).
Without the setting every read stays on ``default``.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django.conf import settings
from django.db import connections

REPORTING = "reporting"
_reading_for_reports: contextvars.ContextVar[bool] = contextvars.ContextVar("reading_for_reports", default=False)


def reporting_alias() -> str:
    """The alias reports read from: ``reporting`` when that database is configured, else ``default``."""
    return REPORTING if REPORTING in settings.DATABASES else "default"


def reporting_cursor():
    """A cursor on the reporting database (for raw SQL of reports and tiles)."""
    return connections[reporting_alias()].cursor()


@contextlib.contextmanager
def reporting_reads() -> Iterator[str]:
    """Within the block, the ORM reads from the reporting database (when there is one); yields its alias."""
    token = _reading_for_reports.set(True)
    try:
        yield reporting_alias()
    finally:
        _reading_for_reports.reset(token)


class ReportingRouter:
    """Reads inside :func:`reporting_reads` go to the ``reporting`` alias; nothing is ever written there."""

    def db_for_read(self, model, **hints):
        if _reading_for_reports.get() and REPORTING in settings.DATABASES:
            return REPORTING
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # A row read from the replica is the same row as on the primary.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPORTING
