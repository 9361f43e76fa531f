"""The set-based import: COPY the file into a staging table, check it with SQL, write it at once.

One :class:`ImportRun` owns three temporary tables on the current database connection:

``import_stage``
    the file as text (each cell trimmed), one row per file row, loaded with ``COPY`` in
    chunks (the progress callback runs between chunks);
``import_error``
    one row per problem found: (row number, column, code, offending value, detail);
``import_typed``
    the rows converted to their types and joined to the ids they refer to, built once the
    file is known to be clean.

Checks are one statement each over the whole file, never a query per row, so a dry run that
lists row-level errors is a handful of statements whatever the size of the file. The writes
are ``INSERT … SELECT`` (with ``ON CONFLICT`` where a row someone else created meanwhile is to
be merged) and ``UPDATE … FROM`` statements in the caller's transaction.

A blank cell leaves the stored value as it is; for a new record it takes the default (or is
refused when the column is needed to create one). A column the file leaves out is staged
blank, so it too keeps the stored values; a file that leaves out any column but its kind's
optional ones is an update file, and a row of it that names no existing record is refused.

What the kinds mean lives with their apps (:mod:`oms.imports.kinds`): the engine knows only
the columns, the cell checks, and the kind's own statements it runs. A cell that holds a NUL or
another control character (PostgreSQL refuses NUL in text) is staged with U+FFFD in its place
and reported by row and column. A cell of a free-text column (``Column.free_text``: names,
descriptions) that looks like a card number is refused (``oms.text``): PostgreSQL finds the few
candidate cells with one regular expression, Python runs the Luhn check on them, and the message
shows the number masked.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from babel.numbers import list_currencies
from django.db import DatabaseError, connection, models
from django.utils.translation import gettext as _
from psycopg import sql

from oms.exports import spreadsheet_unquote
from oms.text import CARD_NUMBER_CANDIDATE_SQL, holds_card_number, mask_card_numbers
from oms.imports.reader import (
    CONTROL_CHARACTERS, UTF_8, WINDOWS_1252, FileError, normalize_header, read_table,
)

if TYPE_CHECKING:
    from oms.imports.kinds import ImportKind

STAGE = "import_stage"
ROWS = STAGE  # the checks read the staged cells, trimmed while loading
ERRORS = "import_error"
TYPED = "import_typed"
COPY_CHUNK_ROWS = 20_000
WORK_MEM = "64MB"
ERROR_LIMIT = 200

TEXT = "text"
DECIMAL = "decimal"
INTEGER = "integer"
CHOICE = "choice"
CURRENCY = "currency"
OPTIONS = "options"
DATE = "date"  # YYYY-MM-DD (a spreadsheet date cell reads so)

_NUMBER = r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$"
_WHOLE = r"^[+]?[0-9]+([.]0*)?$"
INT_MAX = 2_147_483_647


class ImportConflict(Exception):
    """The data changed between the checks and the writes; nothing was written."""


def violated_constraint(error: Exception) -> str:
    """The name of the constraint that the database refused ``error`` for, or ``""``."""
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) or ""


@dataclass(frozen=True)
class Column:
    """One column of an import file and the checks every cell of it gets."""

    name: str
    type: str = TEXT
    max_length: int | None = None
    required: bool = False
    max_digits: int = 14
    decimal_places: int = 3
    minimum: int = 0
    choices: tuple[str, ...] = ()
    # A file may leave out an optional column even to create records (they take the default);
    # leaving out any other column that is not a key makes it an update file.
    optional: bool = False
    # Free text (a name, a description), scanned for card numbers; codes and barcodes are not.
    free_text: bool = False


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str
    value: str = ""


@dataclass
class ImportResult:
    """What an import found (dry run) or did (commit). ``ok`` means nothing is wrong with the file."""

    kind: str
    dry_run: bool
    total_rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    details: dict[str, int] = field(default_factory=dict)
    file_errors: list[str] = field(default_factory=list)
    row_errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    encoding: str = UTF_8  # the CSV file's text encoding, when it was not UTF-8 (see reader.read_table)
    missing_columns: list[str] = field(default_factory=list)  # the columns an update file left out

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.error_count

    @property
    def errors_shown(self) -> int:
        return len(self.row_errors)

    @property
    def read_as_windows_1252(self) -> bool:
        return self.encoding == WINDOWS_1252

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["row_errors"] = [asdict(error) for error in self.row_errors]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportResult:
        data = dict(data)
        data["row_errors"] = [RowError(**error) for error in data.get("row_errors", [])]
        return cls(**data)


def _error_message(kind: ImportKind, code: str, column: Column | None, value: str, detail: str) -> str:
    """The message for one error row of ``import_error``, in the active language.

    The kind's own codes (``ImportKind.messages``) come first; ``detail`` of a ``required_new``
    error names the record, one of the kind's ``nouns``.
    """
    shown = value if len(value) <= 60 else value[:57] + "…"
    params = {"value": shown, "detail": detail}
    if column is not None:
        params.update(max_length=column.max_length, places=column.decimal_places, minimum=column.minimum,
                      choices=", ".join(column.choices))
    templates = {
        "cell_count": _("This row has %(value)s cells; the header has %(detail)s."),
        "required": _("A value is required."),
        "required_new": _("A value is required to create a new %(noun)s."),
        "too_long": _("“%(value)s” is longer than %(max_length)s characters."),
        "not_number": _("“%(value)s” is not a number (write it like 1234.50)."),
        "negative": _("“%(value)s” is negative; it must be zero or more."),
        "decimals": _("“%(value)s” has more than %(places)s decimal places."),
        "too_large": _("“%(value)s” is too large."),
        "not_whole": _("“%(value)s” is not a whole number."),
        "too_small": _("“%(value)s” must be at least %(minimum)s."),
        "bad_choice": _("“%(value)s” is not one of: %(choices)s."),
        "bad_currency": _("“%(value)s” is not an ISO currency code such as USD or EUR."),
        "bad_options": _("“%(value)s” must be option=value pairs separated by semicolons, "
                         "like size=M;colour=Red."),
        "duplicate_option": _("“%(value)s” names the same option twice."),
        "bad_date": _("“%(value)s” is not a date (write it like 2026-03-31)."),
        "duplicate": _("“%(value)s” is also on row %(detail)s."),
        "card_number": _("“%(value)s” looks like a card number; card numbers are taken only through the card "
                         "field. Remove it from the file."),
        "control_character": _("“%(value)s” holds a control character (shown as �), such as a NUL byte, "
                               "which no cell may hold. Remove it from the file."),
        "new_in_update_file": _("“%(value)s” is not a %(noun)s yet, and this file leaves out %(detail)s, so it "
                                "can only change what exists. Import new records from a file with every column."),
    }
    templates.update({code: str(message) for code, message in kind.messages.items()})
    nouns = {key: str(noun) for key, noun in kind.nouns.items()}
    params["noun"] = nouns.get(detail, str(kind.noun) if code == "new_in_update_file" else detail)
    return templates.get(code, code) % params


def _without_control_characters(cells: list[str], names: list[str]) -> tuple[list[str], str]:
    """The cells with each control character shown as U+FFFD, and the names of the columns that had one."""
    bad = [position for position, cell in enumerate(cells) if CONTROL_CHARACTERS.search(cell)]
    cleaned = [CONTROL_CHARACTERS.sub("\N{REPLACEMENT CHARACTER}", cell) for cell in cells]
    return cleaned, ",".join(names[position] for position in bad)


@functools.lru_cache(maxsize=8192)  # option cells repeat a lot: "size=M;colour=Red" on thousands of rows
def parse_options(text: str) -> tuple[str | None, str | None, str | None]:
    """``size=M; colour=Red`` as (JSON text, the option names in the file's order, None), or
    (None, None, an error code).

    Parsed while the file is read rather than in SQL: splitting a small text is cheap in
    Python and costly as a correlated subquery per row.
    """
    options: dict[str, str] = {}
    for part in text.split(";"):
        name, equals, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not (name or equals or value):
            continue  # an empty part: "size=M;" or ";;"
        if not (equals and name and value) or "=" in value:
            return None, None, "bad_options"
        if name in options:
            return None, None, "duplicate_option"
        options[name] = value
    if not options:
        return None, None, None
    return json.dumps(options), ";".join(options), None


def parsed(column: str, part: str) -> str:
    """The hidden staging column that holds the parsed form of an OPTIONS column."""
    return f"{column}__{part}"


def _cell_check(column: Column, cell: str, currencies: sql.Composable) -> sql.Composable | None:
    """A SQL expression giving the error code for one cell, or NULL when the cell is fine.

    After the blank test, the numbers, choices and currencies first try a cheap test that only
    a good cell passes (plain digits of a size that fits; the choice as written): most cells
    of a file are such, and skip the regular expressions, casts and case foldings that find
    what is wrong with the others. Any cell that fails it gets every check, in the same order.
    """
    c = sql.SQL(cell)
    whens: list[sql.Composable] = [sql.SQL("WHEN {c} = '' THEN {code}").format(
        c=c, code=sql.Literal("required") if column.required else sql.SQL("NULL"))]
    if column.type == TEXT:
        if column.max_length:
            whens.append(sql.SQL("WHEN length({c}) > {limit} THEN 'too_long'").format(
                c=c, limit=sql.Literal(column.max_length)))
        elif not column.required:
            return None
    elif column.type == DECIMAL:
        whole_digits = column.max_digits - column.decimal_places
        whens += [
            # Only ASCII digits and at most one point, with 1 to whole_digits digits before it and
            # at most decimal_places after it: a number that passes all of the checks below.
            sql.SQL("WHEN CASE translate({c}, '0123456789', '') WHEN '' THEN length({c}) <= {whole} "
                    "WHEN '.' THEN strpos({c}, '.') BETWEEN 2 AND {whole} + 1 "
                    "AND length({c}) - strpos({c}, '.') <= {places} ELSE false END THEN NULL").format(
                c=c, whole=sql.Literal(whole_digits), places=sql.Literal(column.decimal_places)),
            sql.SQL("WHEN {c} !~ {number} THEN 'not_number'").format(c=c, number=sql.Literal(_NUMBER)),
            sql.SQL("WHEN {c} ~ '^-' AND {c} ~ '[1-9]' THEN 'negative'").format(c=c),
            sql.SQL("WHEN scale(trim_scale({c}::numeric)) > {places} THEN 'decimals'").format(
                c=c, places=sql.Literal(column.decimal_places)),
            sql.SQL("WHEN abs({c}::numeric) >= {limit} THEN 'too_large'").format(
                c=c, limit=sql.Literal(10 ** whole_digits)),
        ]
    elif column.type == INTEGER:
        # At most nine ASCII digits (no sign, no point): a whole number below INT_MAX.
        plain = sql.SQL("translate({c}, '0123456789', '') = '' AND length({c}) <= 9").format(c=c)
        if column.minimum > 0:  # CASE, so that only such a cell is cast
            plain = sql.SQL("CASE WHEN {plain} THEN {c}::integer >= {minimum} ELSE false END").format(
                plain=plain, c=c, minimum=sql.Literal(column.minimum))
        whens += [
            sql.SQL("WHEN {plain} THEN NULL").format(plain=plain),
            sql.SQL("WHEN {c} ~ '^-' AND {c} ~ {number} AND {c} ~ '[1-9]' THEN 'negative'").format(
                c=c, number=sql.Literal(_NUMBER)),
            sql.SQL("WHEN {c} !~ {whole} THEN CASE WHEN {c} ~ {number} THEN 'not_whole' ELSE 'not_number' END")
            .format(c=c, whole=sql.Literal(_WHOLE), number=sql.Literal(_NUMBER)),
            sql.SQL("WHEN length({c}) > 14 OR {c}::numeric > {limit} THEN 'too_large'").format(
                c=c, limit=sql.Literal(INT_MAX)),
            sql.SQL("WHEN {c}::numeric < {minimum} THEN 'too_small'").format(
                c=c, minimum=sql.Literal(column.minimum)),
        ]
    elif column.type == CHOICE:
        # As written, only the choices that lower() leaves as they are pass without lower().
        as_written = sql.Literal([choice for choice in column.choices if choice == choice.lower()])
        whens += [sql.SQL("WHEN {c} = ANY({choices}) THEN NULL").format(c=c, choices=as_written),
                  sql.SQL("WHEN lower({c}) <> ALL({choices}) THEN 'bad_choice'").format(
                      c=c, choices=sql.Literal(list(column.choices)))]
    elif column.type == CURRENCY:  # ISO codes, upper case: one written so passes without upper()
        whens += [sql.SQL("WHEN {c} = ANY({currencies}) THEN NULL").format(c=c, currencies=currencies),
                  sql.SQL("WHEN upper({c}) <> ALL({currencies}) THEN 'bad_currency'").format(
                      c=c, currencies=currencies)]
    elif column.type == DATE:
        year, month, day = (sql.SQL("substr({c}, {start}, {length})::integer").format(
            c=c, start=sql.Literal(start), length=sql.Literal(length)) for start, length in ((1, 4), (6, 2), (9, 2)))
        whens += [
            sql.SQL("WHEN {c} !~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}( 00:00:00)?$' THEN 'bad_date'").format(c=c),
            sql.SQL("WHEN {year} < 1 OR {month} NOT BETWEEN 1 AND 12 THEN 'bad_date'").format(year=year, month=month),
            sql.SQL("WHEN {day} NOT BETWEEN 1 AND extract(day FROM make_date({year}, {month}, 1) "
                    "+ interval '1 month' - interval '1 day') THEN 'bad_date'").format(day=day, year=year, month=month),
        ]
    elif column.type == OPTIONS:
        whens.append(sql.SQL("WHEN {problem} IS NOT NULL THEN {problem}").format(
            problem=sql.Identifier(parsed(column.name, "problem"))))
    return sql.SQL("CASE {whens} END").format(whens=sql.SQL(" ").join(whens))


def insert_columns(model: type[models.Model],
                   given: dict[str, str | tuple[str, list[Any]]]) -> tuple[str, str, list[Any]]:
    """Column list, SELECT expressions and parameters for an ``INSERT … SELECT`` into ``model``.

    ``given`` maps column names to SQL expressions, or to (expression, parameters); every
    other concrete column gets the model field's default (``now()`` for auto_now fields), so
    a field added to the model later with a default needs no change here.
    """
    columns, expressions, params = [], [], []
    for model_field in model._meta.concrete_fields:
        column = model_field.column
        if model_field.primary_key:
            continue
        columns.append(sql.Identifier(column).as_string(connection.connection))
        if column in given:
            expression = given[column]
            if isinstance(expression, tuple):
                expression, expression_params = expression
                params.extend(expression_params)
            expressions.append(expression)
        elif getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            expressions.append("now()")
        else:
            expressions.append("%s")
            default = model_field.get_default()
            params.append(model_field.get_db_prep_save(default, connection) if default is not None else None)
    return ", ".join(columns), ", ".join(expressions), params


class ImportRun:
    """The temporary tables of one import on the current connection; use it as a context manager."""

    def __init__(self, kind: ImportKind, *, user=None, reference: str = "",
                 progress: Callable[[int], None] | None = None, options: dict[str, Any] | None = None):
        self.kind = kind
        self.user = user
        self.user_id = getattr(user, "pk", None)
        self.reference = reference
        self.progress = progress
        self.options = dict(options or {})
        self.columns = {column.name: column for column in kind.columns}
        self.timings: dict[str, float] = {}
        self.option_positions: list[int] = []
        self.encoding = UTF_8
        self.rows_with_control_characters = 0
        self.absent: list[str] = []  # the kind's columns the file leaves out
        self.missing: list[str] = []  # those of them that make it an update file (not optional)

    # --- the tables ------------------------------------------------------------------------

    def __enter__(self) -> ImportRun:
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            self.execute(f"DROP TABLE IF EXISTS {STAGE}, {ERRORS}, {TYPED}")
            self.execute("RESET work_mem")
        except DatabaseError:
            pass  # the connection is broken or inside a failed transaction: the tables go with it

    def execute(self, query: str | sql.Composable, params: Iterable[Any] | None = None) -> int:
        """Run one statement; returns the number of rows it touched."""
        if isinstance(query, sql.Composable):
            query = query.as_string(connection.connection)
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.rowcount

    def fetchall(self, query: str | sql.Composable, params: Iterable[Any] | None = None) -> list[tuple]:
        if isinstance(query, sql.Composable):
            query = query.as_string(connection.connection)
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    def fetchone(self, query: str | sql.Composable, params: Iterable[Any] | None = None) -> tuple:
        return self.fetchall(query, params)[0]

    def _timed(self, name: str, started: float) -> None:
        self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - started, 4)

    # --- loading -----------------------------------------------------------------------------

    def load(self, data: bytes) -> int:
        """Stage the file; returns its number of data rows. Raises FileError for an unreadable file."""
        started = time.perf_counter()
        connection.ensure_connection()
        # The checks group and sort whole files: let them do it in memory rather than on disk.
        self.execute(f"SET work_mem = '{WORK_MEM}'")
        table = read_table(data)
        self.encoding = table.encoding
        self.pads_short_rows = table.file_format != "csv"
        self.search_control_characters = table.may_hold_control_characters
        self.unquote_formulas = table.may_hold_quoted_formulas
        try:
            names = self._header(table.header)
            self._create_tables(names)
            total = self._copy(table.rows, len(names))
        finally:
            table.close()
        if not total:
            raise FileError(_("The file has a header but no rows."))
        self.kind.prepare(self)
        self._timed("load", started)
        return total

    def _header(self, header: list[str]) -> list[str]:
        # A control character in a column name would end up in the messages (and PostgreSQL refuses NUL).
        names = [normalize_header(CONTROL_CHARACTERS.sub("\N{REPLACEMENT CHARACTER}", name)) for name in header]
        while names and not names[-1]:
            names.pop()  # trailing empty header cells, as spreadsheets often write
        expected = [column.name for column in self.kind.columns]
        problems = []
        unnamed = [str(position) for position, name in enumerate(names, start=1) if not name]
        if unnamed:
            problems.append(_("Column %(positions)s of the header has no name.")
                            % {"positions": ", ".join(unnamed)})
        twice = sorted({name for name in names if name and names.count(name) > 1})
        if twice:
            problems.append(_("These columns appear more than once: %(columns)s.") % {"columns": ", ".join(twice)})
        unknown = [name for name in names if name and name not in expected]
        if unknown:
            problems.append(_("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)})
        # An update file may leave out any column but the keys and those the rows cannot do without;
        # the kind supplies some columns itself (e.g. the price list a file imports into).
        supplied = self.kind.supplied_columns(self)
        needed = [column.name for column in self.kind.columns
                  if (column.name in self.kind.key_columns or column.required)
                  and column.name not in self.kind.fillable_columns and column.name not in supplied]
        if not self.kind.key_columns:
            needed = [name for name in expected if name not in supplied]
        missing = [name for name in needed if name not in names]
        if missing:
            problems.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
        if problems:
            if self.kind.key_columns:
                problems.append(_("A %(kind)s file has these columns: %(columns)s. A file that only changes "
                                  "existing records may leave out any but %(needed)s.")
                                % {"kind": self.kind.label, "columns": ", ".join(expected),
                                   "needed": ", ".join(needed)})
            else:
                problems.append(_("A %(kind)s file has exactly these columns: %(columns)s.")
                                % {"kind": self.kind.label, "columns": ", ".join(expected)})
            raise FileError(*problems)
        self.absent = [name for name in expected if name not in names and name not in supplied]
        self.missing = [name for name in self.absent if not self.columns[name].optional]
        return names

    def _create_tables(self, names: list[str]) -> None:
        self.execute(f"DROP TABLE IF EXISTS {STAGE}, {ERRORS}, {TYPED}")
        # Every column of the kind is staged; one the file leaves out is blank, which keeps the stored
        # value. Each option-values column has hidden companions: its JSON, its option names, its
        # problem if any. The file's cells that held control characters are named in control_columns.
        self.option_positions = [names.index(column.name) for column in self.kind.columns
                                 if column.type == OPTIONS and column.name in names]
        all_names = [column.name for column in self.kind.columns]
        hidden = [parsed(column.name, part) for column in self.kind.columns if column.type == OPTIONS
                  for part in ("json", "names", "problem")]
        copied_hidden = [parsed(names[position], part) for position in self.option_positions
                         for part in ("json", "names", "problem")]
        cells = sql.SQL(", ").join(
            [sql.SQL("{} text NOT NULL DEFAULT ''").format(sql.Identifier(name)) for name in all_names]
            + [sql.SQL("{} text").format(sql.Identifier(name)) for name in hidden])
        self.execute(sql.SQL("CREATE TEMP TABLE {stage} (row_number integer NOT NULL, "
                             "cell_count integer NOT NULL, control_columns text, {cells})").format(
            stage=sql.Identifier(STAGE), cells=cells))
        self.execute(f"CREATE TEMP TABLE {ERRORS} (row_number integer, position integer, column_name text, "
                     f"code text NOT NULL, value text, detail text)")
        self.file_width = len(names)
        self.file_names = names
        self.copy_sql = sql.SQL("COPY {stage} (row_number, cell_count, control_columns, {names}) FROM STDIN").format(
            stage=sql.Identifier(STAGE), names=sql.SQL(", ").join(map(sql.Identifier, names + copied_hidden)),
        ).as_string(connection.connection)

    def _copy(self, rows, width: int) -> int:
        """COPY the rows in chunks, calling ``progress`` after each; returns the rows staged."""
        total = 0
        rows = iter(rows)
        option_positions = self.option_positions
        names = self.file_names
        pads_short_rows = self.pads_short_rows
        unquote_formulas = self.unquote_formulas
        control_search = CONTROL_CHARACTERS.search if self.search_control_characters else None
        with connection.cursor() as cursor:
            while True:
                staged = 0
                with cursor.copy(self.copy_sql) as copy:
                    write_row = copy.write_row
                    for number, cells in rows:
                        count = len(cells)
                        if count != width:
                            if count > width:
                                if not any(cells[width:]):
                                    count = width  # empty cells past the last column, as spreadsheets write
                                cells = cells[:width]
                            else:
                                cells = cells + [""] * (width - count)
                                if pads_short_rows:
                                    count = width  # a spreadsheet row ends at its last filled cell
                        cells = [cell.strip() for cell in cells]
                        if not any(cells):
                            continue  # a blank line
                        if unquote_formulas:  # an export read back: its quoted text has its value again
                            cells = [spreadsheet_unquote(cell) for cell in cells]
                        control_columns = None
                        if control_search and control_search("".join(cells)):  # rare: the file was searched first
                            cells, control_columns = _without_control_characters(cells, names)
                            self.rows_with_control_characters += 1
                        for position in option_positions:
                            cells.extend(parse_options(cells[position]))
                        write_row((number, count, control_columns, *cells))
                        staged += 1
                        if staged == COPY_CHUNK_ROWS:
                            break
                total += staged
                if self.progress is not None:
                    self.progress(total)
                if staged < COPY_CHUNK_ROWS:
                    return total

    # --- checking ------------------------------------------------------------------------------

    def check(self) -> int:
        """Record every problem of the staged rows in ``import_error``; returns how many there are."""
        started = time.perf_counter()
        self.execute(f"TRUNCATE {ERRORS}")
        self._check_new_in_update_file()
        self._check_control_characters()
        self._check_card_numbers()
        self._check_cells()
        self.kind.check(self)
        count = self.error_count()
        self._timed("check", started)
        return count

    def _check_new_in_update_file(self) -> None:
        """A file without every column only changes what exists: each row naming a new record is refused.

        Such rows are then left out of the other checks, whose complaints (a name is needed to
        create a SKU…) would only repeat the one that matters.
        """
        if not self.missing or self.kind.existing_sql is None:
            return
        key = self.kind.key_columns[-1]
        found = self.add_errors(
            f"SELECT r.row_number, %s, 'new_in_update_file', r.{key}, %s FROM {ROWS} r "
            f"WHERE r.{key} <> '' AND NOT ({self.kind.existing_sql})", [key, ", ".join(self.missing)])
        if found:
            self.execute(f"DELETE FROM {ROWS} r WHERE r.row_number IN "
                         f"(SELECT row_number FROM {ERRORS} WHERE code = 'new_in_update_file')")

    def _check_control_characters(self) -> None:
        """The cells that held a NUL or another control character (noted while the file was staged)."""
        if not self.rows_with_control_characters:
            return
        self.add_errors(f"SELECT r.row_number, bad.column_name, 'control_character', "
                        f"(to_jsonb(r) ->> bad.column_name), NULL FROM {ROWS} r "
                        f"CROSS JOIN LATERAL unnest(string_to_array(r.control_columns, ',')) AS bad(column_name) "
                        f"WHERE r.control_columns IS NOT NULL")

    def _check_card_numbers(self) -> None:
        """The free-text cells that look like a card number, the value masked in the error.

        One statement finds the candidates (a digit 3-6 followed by twelve more, spaces or dashes
        between them allowed), usually none; only those get the Luhn check, in Python.
        """
        names = [column.name for column in self.kind.columns
                 if column.type == TEXT and column.free_text and column.name in self.file_names]
        if not names:
            return
        columns = sql.SQL(", ").join(map(sql.Identifier, names))
        candidate = sql.SQL(" OR ").join(sql.SQL("{} ~ {}").format(sql.Identifier(name), sql.Literal(
            CARD_NUMBER_CANDIDATE_SQL)) for name in names)
        found = [(row[0], name, mask_card_numbers(value))
                 for row in self.fetchall(sql.SQL("SELECT row_number, {columns} FROM {rows} WHERE {candidate}").format(
                     columns=columns, rows=sql.Identifier(ROWS), candidate=candidate))
                 for name, value in zip(names, row[1:]) if holds_card_number(value)]
        if found:
            self.add_errors("SELECT e.row_number, e.column_name, 'card_number', e.value, NULL "
                            "FROM unnest(%s::integer[], %s::text[], %s::text[]) AS e(row_number, column_name, value)",
                            [[row for row, _name, _value in found], [name for _row, name, _value in found],
                             [value for _row, _name, value in found]])

    def _check_cells(self) -> None:
        """One pass over the staged rows: an error code per cell, unpivoted only for rows that have one."""
        currencies = sql.Literal(sorted(list_currencies()))
        width = self.file_width
        codes = [sql.SQL("CASE WHEN cell_count <> {width} THEN 'cell_count' END AS code_0").format(
            width=sql.Literal(width))]
        cells = [sql.SQL("(0, NULL, s.code_0, s.cell_count::text, {width})").format(width=sql.Literal(str(width)))]
        code_columns = [sql.SQL("s.code_0")]
        for position, column in enumerate(self.kind.columns, start=1):
            name = sql.Identifier(column.name).as_string(connection.connection)
            check = _cell_check(column, name, currencies)
            if check is None:
                continue
            code = sql.Identifier(f"code_{position}")
            codes.append(sql.SQL("{check} AS {code}").format(check=check, code=code))
            code_columns.append(sql.SQL("s.{code}").format(code=code))
            cells.append(sql.SQL("({position}, {column}, s.{code}, s.{name}, NULL)").format(
                position=sql.Literal(position), column=sql.Literal(column.name), code=code, name=sql.SQL(name)))
        code_names = sql.SQL(", ").join(code_columns)
        self.execute(sql.SQL(
            "INSERT INTO {errors} (row_number, position, column_name, code, value, detail) "
            "SELECT s.row_number, e.position, e.column_name, e.code, e.value, e.detail "
            "FROM (SELECT *, {codes} FROM {stage}) AS s "
            "CROSS JOIN LATERAL (VALUES {cells}) AS e(position, column_name, code, value, detail) "
            "WHERE num_nonnulls({code_names}) > 0 AND e.code IS NOT NULL"
        ).format(errors=sql.Identifier(ERRORS), codes=sql.SQL(", ").join(codes), stage=sql.Identifier(STAGE),
                 cells=sql.SQL(", ").join(cells), code_names=code_names))

    def add_errors(self, select: str, params: Iterable[Any] | None = None) -> int:
        """Record the rows of ``select`` — (row_number, column_name, code, value, detail) — as errors."""
        names = [column.name for column in self.kind.columns]
        return self.execute(
            f"INSERT INTO {ERRORS} (row_number, position, column_name, code, value, detail) "
            f"SELECT e.row_number, array_position(%s::text[], e.column_name), e.column_name, e.code, "
            f"e.value, e.detail FROM ({select}) AS e(row_number, column_name, code, value, detail)",
            [names, *(params or [])],
        )

    def add_duplicate_errors(self, keys: tuple[str, ...], column: str) -> int:
        """Rows whose ``keys`` repeat an earlier row's; the error names the earlier row.

        A hash aggregate finds the repeated keys (usually none), then only their rows are read again.
        """
        key_list = ", ".join(keys)
        not_blank = " AND ".join(f"{key} <> ''" for key in keys)
        joined = " AND ".join(f"r.{key} = repeated.{key}" for key in keys)
        return self.add_errors(
            f"SELECT r.row_number, '{column}', 'duplicate', r.{column}, repeated.first_row::text "
            f"FROM (SELECT {key_list}, min(row_number) AS first_row FROM {ROWS} WHERE {not_blank} "
            f"      GROUP BY {key_list} HAVING count(*) > 1) AS repeated "
            f"JOIN {ROWS} r ON {joined} AND r.row_number > repeated.first_row"
        )

    def error_count(self) -> int:
        return self.fetchone(f"SELECT count(*) FROM {ERRORS}")[0]

    def first_errors(self, limit: int = ERROR_LIMIT) -> list[RowError]:
        rows = self.fetchall(f"SELECT row_number, column_name, code, value, detail FROM {ERRORS} "
                             f"ORDER BY row_number, position, code LIMIT %s", [limit])
        # A message never repeats a card number, whatever column it was typed in (the results are kept).
        rows = [(row_number, column_name, code, mask_card_numbers(value or ""), detail)
                for row_number, column_name, code, value, detail in rows]
        return [
            RowError(row=row_number, column=column_name or "",
                     message=_error_message(self.kind, code, self.columns.get(column_name), value or "",
                                            detail or ""),
                     value=value or "")
            for row_number, column_name, code, value, detail in rows
        ]

    # --- writing -------------------------------------------------------------------------------

    def build_typed(self) -> None:
        """``import_typed``: the clean rows with their types and the ids they refer to."""
        started = time.perf_counter()
        self.execute(f"DROP TABLE IF EXISTS {TYPED}")
        self.execute(f"CREATE TEMP TABLE {TYPED} AS {self.kind.typed_select(self)}")
        self._timed("convert", started)

    def lock(self) -> None:
        started = time.perf_counter()
        self.kind.lock(self)
        self._timed("lock", started)

    def preview(self) -> tuple[int, int, int, dict[str, int]]:
        started = time.perf_counter()
        counts = self.kind.preview(self)
        self._timed("preview", started)
        return counts

    def write(self) -> tuple[int, int, int, dict[str, int]]:
        started = time.perf_counter()
        counts = self.kind.write(self)
        self._timed("write", started)
        return counts
