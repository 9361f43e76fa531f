"""The Manager's home panel: the live dashboard (its tiles load and refresh themselves)."""

from __future__ import annotations

DASHBOARD_PERMISSION = "reporting.view_dashboard"


def dashboard_panel(*, user) -> dict | None:
    if not user.has_perm(DASHBOARD_PERMISSION):
        return None
    from reporting.dashboard.tiles import TILES

    if not TILES:
        return None
    return {"template": "reporting/dashboard/_panel.html", "tiles": TILES}
