"""The tiles as of the last fold: computed and rendered once per fold, served to every viewer.

A tile's numbers change only when the rollups fold, so the fold task, right after it folds,
computes every tile and renders its body in each of the shop's languages (:func:`tiles_refresh`),
and keeps them in the cache (Redis) with the fold's time. A tile's request then costs one cache
read, whatever the number of orders or of managers watching; only its frame ("Updated …") is
rendered per request. A request computes or renders a tile itself only when its snapshot is
missing or older than the rollups (a fold run by hand or by a test, a flushed cache, a language
the shop does not list) and leaves the result for the next viewers. Without Redis, every request
computes its tile from the rollups, as before there were snapshots.

The low-stock tile, which reads inventory's stock levels rather than a rollup, is as of the last
fold too, as every tile says ("data as of").
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from redis.exceptions import RedisError

from reporting.dashboard import tiles
from reporting.dashboard.selectors import data_as_of
from reporting.db import reporting_alias, reporting_reads
from reporting.rollups.definitions import shop_zone

logger = logging.getLogger(__name__)

# Long enough to outlive any pause of the beat; a fold replaces the snapshots long before.
SNAPSHOT_SECONDS = 3600
# Part of the key: a release that changes what a snapshot holds does not read the old ones.
SNAPSHOT_VERSION = 1


def snapshot_key(tile: tiles.Tile) -> str:
    # The database's name too: several test databases (or shops) may share one Redis.
    database = connections[reporting_alias()].settings_dict["NAME"]
    return f"dashboard:tile:{SNAPSHOT_VERSION}:{database}:{tile.key}"


def _computed(tile: tiles.Tile, as_of: datetime | None) -> dict:
    with reporting_reads():  # from REPORTING_DATABASE_URL's server when there is one (reporting.db)
        data = tile.data()
    return {"as_of": as_of, "data": data, "bodies": {}}


def _render(tile: tiles.Tile, data: dict) -> SafeString:
    return render_to_string(tile.template, {"tile": tile, "data": data})


def _stored(tile: tiles.Tile) -> dict | None:
    try:
        return cache.get(snapshot_key(tile))
    except RedisError:  # Redis away: the tile is computed from the rollups, as without snapshots
        logger.warning("The dashboard's snapshot of %s could not be read from Redis", tile.key, exc_info=True)
        return None


def _store(tile: tiles.Tile, snapshot: dict) -> None:
    if snapshot["as_of"] is None:  # never folded: nothing to be as of, computed each time
        return
    try:
        cache.set(snapshot_key(tile), snapshot, SNAPSHOT_SECONDS)
    except RedisError:
        logger.warning("The dashboard's snapshot of %s could not be kept in Redis", tile.key, exc_info=True)


def tile_body(tile: tiles.Tile, as_of: datetime | None) -> SafeString:
    """The tile's body in the active language, as of the rollups' last fold ``as_of`` (:func:`data_as_of`)."""
    snapshot = _stored(tile)
    if snapshot is None or as_of is None or snapshot["as_of"] != as_of:
        snapshot = _computed(tile, as_of)
    language = translation.get_language()
    body = snapshot["bodies"].get(language)
    if body is None:
        body = snapshot["bodies"][language] = _render(tile, snapshot["data"])
        _store(tile, snapshot)
    return SafeString(body)


def tiles_refresh() -> datetime | None:
    """Compute every tile from the rollups as they are now and render it in each of the shop's
    languages, in the shop's time zone (the fold task calls it after folding)."""
    as_of = data_as_of()
    with timezone.override(shop_zone()):
        for tile in tiles.TILES:
            snapshot = _computed(tile, as_of)
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    snapshot["bodies"][language] = _render(tile, snapshot["data"])
            _store(tile, snapshot)
    return as_of
