"""Make a GL export batch and write its file, or write an earlier batch's file again (byte-identical).

    manage.py export_gl --format sage50 --from 2026-11-01 --to 2026-11-30 --out november.csv
    manage.py export_gl --format gp-xml --unexported [--summary] --out gl.xml
    manage.py export_gl --batch 12 --out again.xml

The last line printed is ``batch N``.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payments.ledger.export_services import ExportError, export_batch_create, export_batch_file
from payments.ledger.exports import FORMATS
from payments.ledger.models_export import ExportBatch


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from None


class Command(BaseCommand):
    help = "Export journal entries not yet exported to an accounting package, as a batch; or write a batch again."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=sorted(FORMATS), help="the file format (and so the target package)")
        parser.add_argument("--from", dest="date_from", help="first entry date, YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", help="last entry date, YYYY-MM-DD")
        parser.add_argument("--unexported", action="store_true", help="every entry not yet exported to the target")
        parser.add_argument("--summary", action="store_true", help="one entry per day, one line per account")
        parser.add_argument("--batch", type=int, help="write this batch's file again instead of making a batch")
        parser.add_argument("--out", required=True, help="where to write the file")

    def handle(self, *args, **options) -> None:
        if options["batch"] is not None:
            if options["format"] or options["date_from"] or options["date_to"] or options["unexported"]:
                raise CommandError("--batch writes an existing batch: give only --out with it")
            batch = ExportBatch.objects.filter(pk=options["batch"]).first()
            if batch is None:
                raise CommandError(f"there is no batch {options['batch']}")
        else:
            batch = self._make(options)
        try:
            source = export_batch_file(batch=batch)
        except ExportError as error:
            raise CommandError(str(error)) from None
        with Path(options["out"]).open("wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        self.stdout.write(f"{batch.file_name}: {batch.entry_count} entries, {batch.line_count} lines, "
                          f"{batch.file_size} bytes, sha256 {batch.file_sha256}")
        self.stdout.write(f"batch {batch.pk}")

    def _make(self, options) -> ExportBatch:
        if not options["format"]:
            raise CommandError("give --format (or --batch N to write a batch again)")
        unexported = options["unexported"]
        if unexported == bool(options["date_from"] or options["date_to"]):
            raise CommandError("give either --from and --to, or --unexported")
        if not unexported and not (options["date_from"] and options["date_to"]):
            raise CommandError("give both --from and --to")
        try:
            batch = export_batch_create(
                format=options["format"], user=None, unexported=unexported,
                date_from=_day(options["date_from"]) if options["date_from"] else None,
                date_to=_day(options["date_to"]) if options["date_to"] else None,
                summary=options["summary"], in_background=False)
        except ExportError as error:
            raise CommandError(str(error)) from None
        if batch.status != ExportBatch.Status.MADE:
            raise CommandError(f"batch {batch.pk} failed: {batch.error}")
        return batch
