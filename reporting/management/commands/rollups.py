"""``manage.py rollups rebuild [--from D --to D]`` / ``rollups verify [--days D ...]`` / ``rollups fold``."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reporting.rollups.engine import rollups_fold, rollups_rebuild, rollups_verify


class Command(BaseCommand):
    help = "Fold, rebuild or verify the reporting rollups (reporting.rollups)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["fold", "rebuild", "verify"])
        parser.add_argument("--from", dest="day_from", type=date.fromisoformat, help="First day (rebuild).")
        parser.add_argument("--to", dest="day_to", type=date.fromisoformat, help="Last day (rebuild).")
        parser.add_argument("--days", nargs="*", type=date.fromisoformat, default=None,
                            help="Days to verify (default: today, yesterday and a random sample).")

    def handle(self, *args, action: str, day_from, day_to, days, **options):
        if action == "fold":
            written = rollups_fold()
            if written is None:
                raise CommandError("another fold is running")
        elif action == "rebuild":
            if (day_from is None) != (day_to is None):
                raise CommandError("give both --from and --to, or neither")
            written = rollups_rebuild(day_from=day_from, day_to=day_to)
        else:
            check = rollups_verify(days=days)
            for detail in check.details:
                self.stdout.write(detail)
            self.stdout.write(f"{check.differences} difference(s) on {', '.join(check.days)}")
            if not check.ok:
                raise CommandError("the rollups differ from the raw totals (repaired)")
            return
        for name, rows in written.items():
            self.stdout.write(f"{name}: {rows} rows")
