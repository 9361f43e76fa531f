from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from oms.demo import DEFAULT_SEED, DEFAULT_STYLES, demo_steps
from oms.roles import ADMIN, ROLES, sync_roles

DEMO_PASSWORD = "demo"


class Command(BaseCommand):
    help = "Creates the roles, one demo user per role (password 'demo') and the demo data. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--skip-data", action="store_true", help="Only the roles and the demo users.")
        parser.add_argument("--styles", type=int, default=DEFAULT_STYLES, metavar="N",
                            help="Size of the demo catalog in styles; the other demo data scales with it "
                                 "(default: %(default)s, about 15,000 SKUs).")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help="Seed of the random generator; the same seed builds the same data.")
        parser.add_argument("--orders", type=int, default=None, metavar="N",
                            help="Add demo customers and orders until there are N orders (default: ten per "
                                 "style, 20,000; 0: none). A million take a few minutes.")

    def handle(self, *args, **options):
        with transaction.atomic():
            sync_roles()
            self._demo_users()
        if not options["skip_data"]:
            for step in self.data_steps():
                step(stdout=self.stdout, options=options)

    def data_steps(self):
        """Demo data, lowest app first; each step is idempotent (the apps register them, see oms.demo)."""
        return demo_steps()

    def _demo_users(self) -> None:
        from django.contrib.auth.models import Group

        User = get_user_model()
        for role in ROLES:
            username = role.lower()
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": role, "last_name": "Demo", "email": f"{username}@example.com"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
            user.is_staff = role == ADMIN
            user.is_superuser = role == ADMIN
            user.save()
            user.groups.set([Group.objects.get(name=role)])
        self.stdout.write("Demo users: " + ", ".join(role.lower() for role in ROLES) + f" (password '{DEMO_PASSWORD}')")
