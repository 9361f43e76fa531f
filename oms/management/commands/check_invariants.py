from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError


def all_violations() -> list[tuple[str, str, object, object, str]]:
    """Runs ``violations()`` of every app that has an ``invariants`` module."""
    found = []
    for app_config in apps.get_app_configs():
        try:
            module = import_module(f"{app_config.name}.invariants")
        except ModuleNotFoundError as error:
            if error.name != f"{app_config.name}.invariants":
                raise
            continue
        found.extend((app_config.label, *row) for row in module.violations())
    return found


class Command(BaseCommand):
    help = "Checks every invariant of DESIGN.md on this database; lists violations and exits 1 if any."

    def handle(self, *args, **options):
        found = all_violations()
        for app_label, check, first, second, detail in found:
            self.stdout.write(f"VIOLATION [{app_label}] {check}: sku={first} warehouse={second} {detail}")
        if found:
            raise CommandError(f"{len(found)} invariant violation(s).")
        self.stdout.write(self.style.SUCCESS("All invariants hold."))
