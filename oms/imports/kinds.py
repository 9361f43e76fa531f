"""What a kind of import file is, and the registry of the kinds each app brings.

The engine (:mod:`oms.imports.engine`) knows how to stage, check and write a file, but not
what any file means. Each app describes its own files as an :class:`ImportKind` and registers
an instance in its ``AppConfig.ready`` with :func:`register_kind`; the import screens, the
jobs and the exports only iterate what is registered (:func:`kinds`), so ``oms`` never
imports a higher app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

from oms.imports.engine import ROWS, Column

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from oms.imports.engine import ImportRun
    from oms.imports.models import ImportJob

Counts = tuple[int, int, int, dict[str, int]]  # new, updated, unchanged, kind-specific details


def distinct(old: list[str], new: list[str]) -> str:
    """SQL that is true when the row of ``old`` expressions differs from the row of ``new`` ones."""
    return f"({', '.join(old)}) IS DISTINCT FROM ({', '.join(new)})"


class ImportKind:
    """One kind of import file: its columns, the checks that need other tables, and its writes.

    ``key_columns`` identify a record; a file may leave out any other column that is not
    ``required`` (an update file of the key and the columns it changes), and then every row
    must name a record that exists (``existing_sql``). ``fillable_columns`` are required
    columns that :meth:`prepare` takes from the stored record when the file leaves them out.
    """

    key: str
    label: str | Promise
    description: str | Promise
    import_permission: str | tuple[str, ...]  # a tuple means all of them
    export_permission: str | tuple[str, ...]
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...] = ()
    fillable_columns: tuple[str, ...] = ()
    # A SQL condition on a staged row ``r``: the record it names exists. None: the kind never creates.
    existing_sql: str | None = None
    noun: str | Promise = ""  # what one row is ("SKU"), for the messages
    nouns: dict[str, str | Promise] = {}  # the records a ``required_new`` error may name
    messages: dict[str, str | Promise] = {}  # the messages of the kind's own error codes

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def can_import(self, user) -> bool:
        wanted = (self.import_permission,) if isinstance(self.import_permission, str) else self.import_permission
        return user.has_perms(wanted)

    def can_export(self, user) -> bool:
        wanted = (self.export_permission,) if isinstance(self.export_permission, str) else self.export_permission
        return user.has_perms(wanted)

    def resource(self, **options: Any):
        """The django-import-export resource of this kind (used for exports)."""
        raise NotImplementedError

    def export_queryset(self, resource, **options: Any) -> QuerySet:
        """The records an export writes; ``options`` narrow it (e.g. one price list)."""
        return resource.get_queryset()

    return_label: str | Promise = ""  # the name of the place ``return_url`` leads to

    def return_url(self, job: ImportJob) -> str | None:
        """Where the job page links back to besides the import screen (e.g. the price list)."""
        return None

    def supplied_columns(self, run: ImportRun) -> tuple[str, ...]:
        """Columns this run's options supply, which a file need not have (e.g. its price list)."""
        return ()

    def prepare(self, run: ImportRun) -> None:
        """After the file is staged, before the checks: fill the staged cells the kind supplies, and
        those of the ``fillable_columns`` the file left out (``run.missing``) from the stored records."""

    def check(self, run: ImportRun) -> None:
        """Record the errors that need other rows or tables (the cell checks are done already)."""

    def typed_select(self, run: ImportRun) -> str:
        raise NotImplementedError

    def lock(self, run: ImportRun) -> None:
        """Lock, before the checks, the rows whose current values the checks must rely on."""

    def preview(self, run: ImportRun) -> Counts:
        raise NotImplementedError

    def write(self, run: ImportRun) -> Counts:
        raise NotImplementedError

    @staticmethod
    def lock_changing(run: ImportRun, table: str, alias: str, joins: str, changed: str) -> None:
        """Lock the rows an UPDATE is about to change, in id order (the UPDATE alone would take its
        locks in whatever order its join produces). Unchanged rows are neither locked nor written:
        importing the same file again touches nothing."""
        run.execute(f"SELECT count(*) FROM (SELECT {alias}.id FROM {table} {alias} {joins} WHERE {changed} "
                    f"ORDER BY {alias}.id FOR NO KEY UPDATE OF {alias}) AS locked")

    @staticmethod
    def unknown(run: ImportRun, column: str, table: str, code: str) -> None:
        """Rows whose ``column`` names no row of ``table`` (by its ``code``)."""
        run.add_errors(f"SELECT r.row_number, '{column}', '{code}', r.{column}, NULL FROM {ROWS} r "
                       f"WHERE r.{column} <> '' "
                       f"AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.code = r.{column})")


_KINDS: dict[str, ImportKind] = {}


def register_kind(kind: ImportKind) -> ImportKind:
    """Make ``kind`` importable and exportable (call from the owning app's ``AppConfig.ready``)."""
    registered = _KINDS.get(kind.key)
    if registered is not None and type(registered) is not type(kind):
        raise ValueError(f"import kind {kind.key!r} is registered twice")
    _KINDS[kind.key] = kind
    return kind


def get_kind(key: str) -> ImportKind:
    try:
        return _KINDS[key]
    except KeyError:
        raise ValueError(f"unknown import kind {key!r}") from None


def kinds() -> list[ImportKind]:
    """Every registered kind, in the order the apps registered them."""
    return list(_KINDS.values())
