"""The dashboard bench's request floor: a view behind the very checks of a tile, that does nothing.

Django's signed-in request (the middleware, the session, the user, the permission) with the
tile's own work taken away: what no tile's partial can go below (``bench_reporting``).
"""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from reporting.dashboard.panels import DASHBOARD_PERMISSION

TILE_FLOOR_URL = "/bench/tile-floor/"


@require_GET
@login_required
@permission_required(DASHBOARD_PERMISSION, raise_exception=True)
def tile_floor(request):
    return HttpResponse('<div class="col-12" id="tile-floor"></div>')


urlpatterns = [path(TILE_FLOOR_URL.strip("/") + "/", tile_floor), path("", include("oms.urls"))]
