"""What every report is: filters, columns, sort orders and keyset pages of rows.

A report is a class registered in :mod:`reporting.reports.registry`; the framework's views
(``/reports/<key>/``) render any of them, with its filter form, its sort orders, pages found by
keyset (never OFFSET, never COUNT), CSV and XLSX files and a PDF print.

``rows(filters, sort=..., after=..., limit=...)`` returns at most ``limit`` dicts in a stable
order; each has a ``_cursor``, a JSON-able value (a list, usually) which, passed back as
``after``, gives the rows that follow. ``filters`` is the filter form's ``cleaned_data``.
:func:`keyset_sql` does this for a report written as one SQL query.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.db import connections
from django.utils.translation import gettext_lazy as _

from catalog.forms import BootstrapFormMixin
from reporting.db import reporting_alias

KINDS = ("money", "int", "decimal", "text", "date", "link")
GROUPS = ("Sales", "Inventory", "Accounting", "Customers", "Campaigns", "Warehouse")
GROUP_LABELS = {
    "Sales": _("Sales"), "Inventory": _("Inventory"), "Accounting": _("Accounting"),
    "Customers": _("Customers"), "Campaigns": _("Campaigns"), "Warehouse": _("Warehouse"),
}


@dataclass(frozen=True)
class Column:
    """One column: ``key`` in the row dicts, its heading and its kind (how it is shown and exported).

    A ``link`` column shows the row's text under ``key`` linked to the URL under ``key + "_url"``.
    A ``money`` column's currency is the row's ``currency`` when it has one.
    """

    key: str
    label: Any
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: unknown kind {self.kind!r}")

    @property
    def is_number(self) -> bool:
        return self.kind in ("money", "int", "decimal")


@dataclass(frozen=True)
class SortOption:
    """A sort order: the SQL expressions (or row keys) it orders by, all one way, the last one unique."""

    key: str
    label: Any
    columns: tuple[str, ...]
    descending: bool = False


class ReportFilterForm(BootstrapFormMixin, forms.Form):
    """The base of report filter forms (FreeTextFormMixin's card-number scan, Bootstrap classes; every
    field optional: an empty form is a valid filter)."""


class DateRangeForm(ReportFilterForm):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("Inclusive."))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end is before the start."))
        return cleaned


class Report:
    """A report. Subclasses set the class attributes and write :meth:`rows` (and :meth:`totals`)."""

    key: ClassVar[str]
    title: ClassVar[Any]
    group: ClassVar[str]
    permission: ClassVar[str]
    description: ClassVar[Any] = ""
    filter_form: ClassVar[type[forms.Form]] = ReportFilterForm
    columns: ClassVar[list[Column]] = []
    sort_options: ClassVar[list[SortOption]] = []
    # Where the numbers come from, said on the page ("rollup of …", "orders table, index …").
    source: ClassVar[Any] = ""

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        raise NotImplementedError

    def totals(self, filters: dict) -> dict | None:
        return None

    def count_up_to(self, filters: dict, *, limit: int) -> int:
        """How many rows, counting no further than ``limit`` (is the export big enough for Celery?)."""
        count, after = 0, None
        while count < limit:
            size = min(5_000, limit - count)
            page = self.rows(filters, sort=self.sort_options[0].key, after=after, limit=size)
            count += len(page)
            if len(page) < size:
                break
            after = page[-1]["_cursor"]
        return count

    def estimate(self, filters: dict) -> int | None:
        """About how many rows (for a progress bar), when that is cheap to know."""
        return None

    # --- what the framework asks ---------------------------------------------------------

    def allows(self, user) -> bool:
        return user.is_authenticated and user.has_perm(self.permission)

    def sort_option(self, key: str | None) -> SortOption:
        for option in self.sort_options:
            if option.key == key:
                return option
        return self.sort_options[0]

    def form(self, data=None) -> forms.Form:
        return self.filter_form(data if data else None)


@dataclass
class Query:
    """One SQL query of a report, before its keyset page is cut from it."""

    sql: str
    params: Sequence[Any] = field(default_factory=list)


def keyset_sql(query: Query, *, sort: SortOption, after, limit: int, cursor_keys: Sequence[str] | None = None,
               using: str | None = None) -> list[dict]:
    """The page of ``query``'s rows after ``after`` in ``sort`` order, as dicts with their ``_cursor``.
    ``query.params`` is a list (``%s`` marks) or a dict (``%(name)s`` marks).

    ``query`` is any SELECT; its output columns named in ``sort.columns`` order it (the last one
    unique, none of them null). The page is ``SELECT * FROM (query) WHERE (sort columns) > (cursor) ORDER BY … LIMIT``:
    a row comparison, so no OFFSET. ``cursor_keys`` are the row keys holding the sort columns' values
    (default: the same names). It reads from the reporting database.
    """
    keys = list(cursor_keys or sort.columns)
    direction = "DESC" if sort.descending else "ASC"
    order = ", ".join(f"{column} {direction}" for column in sort.columns)
    named = isinstance(query.params, dict)
    params = dict(query.params) if named else list(query.params)

    def mark(name: str, value) -> str:
        if named:
            params[name] = value
            return f"%({name})s"
        params.append(value)
        return "%s"

    if after is not None and (not isinstance(after, (list, tuple)) or len(after) != len(sort.columns)):
        after = None  # a cursor of another sort order (or made up): the first page
    sql = f"SELECT * FROM ({query.sql}) AS report"
    if after:
        comparison = "<" if sort.descending else ">"
        marks = ", ".join(mark(f"_after_{index}", value) for index, value in enumerate(after))
        sql += f" WHERE ({', '.join(sort.columns)}) {comparison} ({marks})"
    sql += f" ORDER BY {order} LIMIT {mark('_limit', limit)}"
    with connections[using or reporting_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, values)) for values in cursor.fetchall()]
    for row in rows:
        row["_cursor"] = [cursor_value(row[key]) for key in keys]
    return rows


def cursor_value(value):
    """A row's sort value as JSON can carry it (the database reads the text back as the column's type)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class SqlReport(Report):
    """A report written as one SQL query (:meth:`query`); pages are cut by :func:`keyset_sql`."""

    def query(self, filters: dict) -> Query:
        raise NotImplementedError

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        return keyset_sql(self.query(filters), sort=self.sort_option(sort), after=after, limit=limit)

    def count_up_to(self, filters: dict, *, limit: int) -> int:
        query = self.query(filters)
        named = isinstance(query.params, dict)
        mark = "%(_limit)s" if named else "%s"
        params = {**query.params, "_limit": limit} if named else [*query.params, limit]
        with connections[reporting_alias()].cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM ({query.sql}) AS report LIMIT {mark}) AS bounded",
                           params)
            return cursor.fetchone()[0]

    def estimate(self, filters: dict) -> int | None:
        """The planner's estimate of the rows (no COUNT)."""
        query = self.query(filters)
        with connections[reporting_alias()].cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {query.sql}", query.params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])
