"""The Manager's home panel: the live dashboard (its tiles refresh themselves)."""

from __future__ import annotations

DASHBOARD_PERMISSION = "reporting.view_dashboard"


def dashboard_panel(*, user) -> dict | None:
    """The dashboard for those whose role gives it (Managers); other homes stay as they were.

    By the role's permission, not ``has_perm`` (which grants a superuser everything): a superuser
    (the Admin role) keeps the admin's home, though the tiles answer them as any permission does.
    """
    app_label, codename = DASHBOARD_PERMISSION.split(".")
    if not user.groups.filter(permissions__codename=codename,
                              permissions__content_type__app_label=app_label).exists():
        return None
    from reporting.dashboard.selectors import data_as_of
    from reporting.dashboard.tiles import TILES
    from reporting.dashboard.views import tile_context

    as_of = data_as_of()
    return {"template": "reporting/dashboard/_panel.html", "tiles": [tile_context(tile, as_of) for tile in TILES],
            "as_of": as_of}
