"""The staged import of bulk files, shared by every app: each app registers its own kinds.

``register_kind``, ``get_kind`` and ``kinds`` (in :mod:`oms.imports.kinds`) are the registry;
the engine stages, checks and writes a file of any registered kind, the services keep it as a
job (checked and written by Celery when it is large), and the screens list what is registered.
"""


def register_nav() -> None:
    """Adds the import screen to the navigation (called from the ``ready`` of the app whose section shows it)."""
    from django.utils.translation import gettext_lazy as _

    from oms.imports.views import ImportsNavItem
    from oms.navigation import register

    register(ImportsNavItem(
        _("Import and export"), "imports:import_list", None,
        _("Bulk files in and out, each checked in a dry run before anything is written."),
        _("Catalog"),
    ))
