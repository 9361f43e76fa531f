from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OmsConfig(AppConfig):
    name = "oms"
    verbose_name = _("Back office")

    def ready(self) -> None:
        # Celery's autodiscovery imports <app>.tasks only; the import jobs' tasks live one level down.
        from oms.imports import tasks  # noqa: F401
        from oms.roles import sync_roles_after_migrate

        # Permissions are created on post_migrate, so the roles are brought up to date then:
        # each later migration that adds models gets its permissions onto the right groups.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="oms.sync_roles")
        # The Django admin's forms refuse card numbers in free text too (oms.forms): the default form of
        # every ModelAdmin and inline that does not name its own.
        from django.contrib.admin.options import BaseModelAdmin

        from oms.forms import FreeTextModelForm

        BaseModelAdmin.form = FreeTextModelForm
