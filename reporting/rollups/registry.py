"""The rollups the fold job keeps current (``reporting.rollups``): register one to add a table.

A rollup is its model and two functions, each run by the engine inside its transaction (one
REPEATABLE READ snapshot, holding the rollups' advisory lock), each returning the rows it wrote:

* ``fold(since, until)``: make the rollup's rows right for every change made at or after ``since``
  (and before ``until``; ``None``: no upper bound). A change is an order saved
  (``Order.updated_at``) or a shipment shipped (``Shipment.shipped_at``);
  :func:`reporting.rollups.engine.changed_orders_sql` is the set of such orders. Folding the same
  change twice must be harmless (the engine folds an overlap on purpose).
* ``rebuild(day_from, day_to)``: recompute the rows of those shop days (inclusive) from the raw
  tables. A full rebuild passes the first and the last day that have orders.
* ``compare(day_from, day_to)`` (optional): the rows that differ between the table and the raw
  tables for those days, as text; the nightly check runs it over a sample of days.

Most rollups are built with the two helpers of ``reporting.rollups.definitions``,
:class:`~reporting.rollups.definitions.BucketRollup` (sums per hour or day) and
:class:`~reporting.rollups.definitions.FactRollup` (one row per open thing), and registered
from ``ReportingConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import models


@dataclass(frozen=True)
class Rollup:
    name: str
    model: type[models.Model]
    fold: Callable[[datetime, datetime | None], int]
    rebuild: Callable[[date, date], int]
    compare: Callable[[date, date], list[str]] | None = None


_rollups: dict[str, Rollup] = {}


def register(rollup: Rollup) -> Rollup:
    """Add ``rollup`` (registering the same name again replaces it)."""
    _rollups[rollup.name] = rollup
    return rollup


def get(name: str) -> Rollup:
    return _rollups[name]


def all_rollups() -> list[Rollup]:
    """Every registered rollup, in registration order."""
    return list(_rollups.values())
