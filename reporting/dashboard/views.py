from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from reporting.dashboard import tiles
from reporting.dashboard.panels import DASHBOARD_PERMISSION
from reporting.dashboard.selectors import data_as_of
from reporting.dashboard.snapshots import tile_body


def tile_context(tile: tiles.Tile, as_of) -> dict:
    """What a tile's partial shows: its body as of the rollups' last fold (``reporting.dashboard.snapshots``)
    in a frame that says when it was updated."""
    return {"tile": tile, "body": tile_body(tile, as_of), "rendered_at": timezone.now(),
            "poll_seconds": tiles.POLL_SECONDS}


@require_GET
@login_required
@permission_required(DASHBOARD_PERMISSION, raise_exception=True)
def dashboard(request):
    """The dashboard on a page of its own (the Manager's home shows the same tiles)."""
    as_of = data_as_of()
    return render(request, "reporting/dashboard/page.html", {
        "panel": {"tiles": [tile_context(tile, as_of) for tile in tiles.TILES], "as_of": as_of}})


@require_GET
@login_required
@permission_required(DASHBOARD_PERMISSION, raise_exception=True)
def tile(request, key: str):
    """One tile, as its partial (what the polling asks for every few seconds)."""
    as_of = data_as_of()
    context = tile_context(tiles.get(key), as_of)
    context["as_of"] = as_of
    return render(request, "reporting/dashboard/_tile.html", context)
