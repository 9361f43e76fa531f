from django.db import models
from django.utils.translation import gettext_lazy as _


class Access(models.Model):
    """Holds permissions that belong to no single model (no table behind it)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_system_status", _("Can view the system status page")),
        ]


from oms.imports.models import ImportJob  # noqa: E402, F401  (the bulk-data jobs live with their package)
