"""Reads for the GL export: a batch's entries, as the format writers take them, page by page.

The entries of a batch are fixed once it is made (its ExportedEntry rows) and journal entries
never change, so the batch is read in keyset pages of entries, each its own short query: no
long transaction, no server-side cursor, and memory bounded by one page whatever the size.
"""

from __future__ import annotations

import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from functools import cache

import psycopg
from babel.numbers import get_currency_precision
from django.apps import apps
from django.db import connection
from django.utils.translation import gettext as _

from payments.ledger.exports import FORMATS, ExportEntry, ExportLine
from payments.ledger.exports.base import ZERO

PAGE_ENTRIES = 5_000


@cache
def currency_places(currency: str) -> int:
    return get_currency_precision(currency)


@cache
def _source_label(source_type: str) -> str:
    if not source_type:
        return ""
    try:
        return str(apps.get_model(source_type)._meta.verbose_name).capitalize()
    except (LookupError, ValueError):
        return source_type


def source_text(source_type: str, source_id: str) -> str:
    """The source document, readable: "Purchase order 12"; "" for a manual entry."""
    if not source_type:
        return ""
    return f"{_source_label(source_type)} {source_id}"


def _no_source(source_type: str, source_id: str) -> str:
    return ""


def account_codes(*, format_key: str) -> dict[int, tuple[str, str]]:
    """Each account's (code in the format's target, name); the target's code falls back to ours."""
    from payments.ledger.models import Account

    field = FORMATS[format_key].account_field
    codes = {}
    for pk, code, name, target_code in Account.objects.values_list("pk", "code", "name", field or "code"):
        codes[pk] = (target_code or code, name)
    return codes


Page = tuple[list[tuple], list[tuple]]  # (entries, lines) of PAGE_ENTRIES entries


def _fetch_page(cursor, batch_id: int, after: int) -> Page | None:
    """The batch's next entries after entry ``after``, with their lines.

    The batch's next entry numbers come from its (batch, entry) index; the entries and their
    lines are then read as one range of ids each, on their primary key and (entry) indexes (a
    range costs the server far less than a list of ids). Entries of the range that are not in
    the batch, if any, are left out here.
    """
    cursor.execute("SELECT entry_id FROM payments_exportedentry WHERE batch_id = %s AND entry_id > %s "
                   "ORDER BY batch_id, entry_id LIMIT %s", [batch_id, after, PAGE_ENTRIES])
    ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return None
    first, last = ids[0], ids[-1]
    cursor.execute("SELECT id, entry_date, memo, source_type, source_id, currency FROM payments_journalentry "
                   "WHERE id BETWEEN %s AND %s ORDER BY id", [first, last])
    entries = cursor.fetchall()
    cursor.execute("SELECT entry_id, account_id, debit - credit, memo FROM payments_journalline "
                   "WHERE entry_id BETWEEN %s AND %s ORDER BY entry_id, id", [first, last])
    lines = cursor.fetchall()
    if len(ids) != last - first + 1:  # the range holds entries of other batches, or none
        wanted = set(ids)
        entries = [entry for entry in entries if entry[0] in wanted]
        lines = [line for line in lines if line[0] in wanted]
    return entries, lines


def _pages_here(batch_id: int) -> Iterator[Page]:
    after = 0
    while True:
        with connection.cursor() as cursor:
            page = _fetch_page(cursor, batch_id, after)
        if page is None:
            return
        after = page[0][-1][0]
        yield page


def _pages_read_ahead(batch_id: int) -> Iterator[Page]:
    """The pages, read by a second connection in a thread while the caller writes the previous
    ones: the database's time and Python's overlap. One page waits at most, so memory stays flat."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    reader_connection = psycopg.connect(**params, autocommit=True)
    pages: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(item) -> bool:
        while not stop.is_set():
            try:
                pages.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            after = 0
            with reader_connection.cursor() as cursor:
                while True:
                    page = _fetch_page(cursor, batch_id, after)
                    if not hand_over(page) or page is None:
                        return
                    after = page[0][-1][0]
        except BaseException as error:  # handed to the caller, who raises it
            hand_over(error)

    reader = threading.Thread(target=read, name=f"export-batch-{batch_id}-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = pages.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()
        reader_connection.close()


def batch_entries(*, batch_id: int, format_key: str,
                  progress: Callable[[int], None] | None = None) -> Iterator[ExportEntry]:
    """The batch's entries with their lines, in entry-number order; ``progress`` gets the lines done.

    Outside a transaction (a Celery task, the command, a request) the pages are read ahead by
    a second connection; inside one (a test's) they are read here, where its rows are visible.
    """
    codes = {pk: code for pk, (code, _name) in account_codes(format_key=format_key).items()}
    describe_source = source_text if FORMATS[format_key].writes_source else _no_source
    pages = _pages_here(batch_id) if connection.in_atomic_block else _pages_read_ahead(batch_id)
    done = 0
    new_line = tuple.__new__  # ExportLine without the keyword handling of its constructor
    for entries, lines in pages:
        position, count = 0, len(lines)
        for number, day, memo, source_type, source_id, currency in entries:
            entry_lines = []
            while position < count and lines[position][0] == number:
                _entry_id, account_id, amount, line_memo = lines[position]
                if amount > 0:
                    entry_lines.append(new_line(ExportLine, (codes[account_id], amount, ZERO, line_memo)))
                else:
                    entry_lines.append(new_line(ExportLine, (codes[account_id], ZERO, -amount, line_memo)))
                position += 1
            yield ExportEntry(number, day, memo, describe_source(source_type, source_id), currency,
                              entry_lines, currency_places(currency))
        done += count
        if progress is not None:
            progress(done)


def batch_summary(*, batch_id: int, format_key: str) -> Iterator[ExportEntry]:
    """The batch summarised: one entry per day (and currency), one line per account with its net amount.

    A summary entry is numbered after the first of the entries it sums, so its number is as
    unique in the accounting package as theirs. Accounts that net to zero are left out.
    """
    codes = account_codes(format_key=format_key)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT e.entry_date, e.currency, count(*), min(e.id) FROM payments_exportedentry x "
            "JOIN payments_journalentry e ON e.id = x.entry_id WHERE x.batch_id = %s "
            "GROUP BY e.entry_date, e.currency ORDER BY e.entry_date, e.currency", [batch_id])
        days = cursor.fetchall()
        cursor.execute(
            "SELECT e.entry_date, e.currency, l.account_id, sum(l.debit) - sum(l.credit) "
            "FROM payments_exportedentry x JOIN payments_journalentry e ON e.id = x.entry_id "
            "JOIN payments_journalline l ON l.entry_id = e.id WHERE x.batch_id = %s "
            "GROUP BY e.entry_date, e.currency, l.account_id", [batch_id])
        nets: dict[tuple[date, str], list[tuple[int, object]]] = defaultdict(list)
        for day, currency, account_id, net in cursor.fetchall():
            if net:
                nets[(day, currency)].append((account_id, net))
    for day, currency, count, first in days:
        accounts = sorted(nets.get((day, currency), []), key=lambda item: codes[item[0]][0])
        if not accounts:
            continue  # the day's entries cancel out: nothing to post
        lines = [ExportLine(codes[account_id][0], net if net > 0 else ZERO, -net if net < 0 else ZERO,
                            codes[account_id][1]) for account_id, net in accounts]
        memo = _("Summary of %(count)d journal entries of %(day)s") % {"count": count, "day": day.isoformat()}
        yield ExportEntry(first, day, memo, "", currency, lines, currency_places(currency))
