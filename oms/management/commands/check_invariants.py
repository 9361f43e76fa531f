from django.core.management.base import BaseCommand, CommandError

from oms.invariants import all_violations, describe_violation


class Command(BaseCommand):
    help = "Checks every invariant of DESIGN.md on this database; lists violations and exits 1 if any."

    def handle(self, *args, **options):
        found = all_violations()
        for violation in found:
            self.stdout.write(f"VIOLATION {describe_violation(violation)}")
        if found:
            raise CommandError(f"{len(found)} invariant violation(s).")
        self.stdout.write(self.style.SUCCESS("All invariants hold."))
