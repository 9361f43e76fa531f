from django.urls import path

from reporting.dashboard import tiles, views

app_name = "dashboard"

urlpatterns = [path("", views.dashboard, name="page")] + [
    path(f"tiles/{tile.key}/", views.tile, {"key": tile.key}, name=f"tile_{tile.key}") for tile in tiles.TILES
]
