from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from reporting.dashboard import tiles
from reporting.dashboard.panels import DASHBOARD_PERMISSION
from reporting.dashboard.selectors import data_as_of


def tile_context(tile: tiles.Tile) -> dict:
    return {"tile": tile, "data": tile.data(), "rendered_at": timezone.now(), "poll_seconds": tiles.POLL_SECONDS}


@require_GET
@login_required
@permission_required(DASHBOARD_PERMISSION, raise_exception=True)
def dashboard(request):
    """The dashboard on a page of its own (the Manager's home shows the same tiles)."""
    return render(request, "reporting/dashboard/page.html", {
        "panel": {"tiles": [tile_context(tile) for tile in tiles.TILES], "as_of": data_as_of()}})


@require_GET
@login_required
@permission_required(DASHBOARD_PERMISSION, raise_exception=True)
def tile(request, key: str):
    """One tile, as its partial (what the polling asks for every few seconds)."""
    context = tile_context(tiles.get(key))
    context["as_of"] = data_as_of()
    return render(request, "reporting/dashboard/_tile.html", context)
