"""Warehouse productivity: work per person per hour, time from placed to shipped, 3PL performance.

Who did what comes from the shipments' events (orders.fulfillment ShipmentEvent): each accepted
pick scan (its units), each pack scan (one unit), each ship confirmation (one shipment) and
each returned parcel received, with the person and the moment. A person's hours are the clock
hours in which they recorded any of these, so "per hour" is per hour on the floor. 3PL
warehouses are left out of the per-person figures: their staff are not ours (the person on
their events is whoever imported the confirmations).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model

from inventory.models import Warehouse
from orders.fulfillment.models import Shipment, ShipmentEvent
from orders.models import Order
from reporting.selectors.common import where, window
from reporting.selectors.keyset import keyset_rows

EVENTS, SHIPMENTS, ORDERS = ShipmentEvent._meta.db_table, Shipment._meta.db_table, Order._meta.db_table
WAREHOUSES = Warehouse._meta.db_table
WORK_KINDS = ("pick", "pack", "ship", "receive")
GROUPINGS = ("person", "person_day", "person_hour")
PERSON_SORTS = {"period": "period_start", "units_picked": "units_picked", "units_packed": "units_packed",
                "shipments": "shipments", "picks_per_hour": "picks_per_hour"}
_UNITS = "CASE WHEN e.data->>'quantity' ~ '^[0-9]{1,9}$' THEN (e.data->>'quantity')::int ELSE 1 END"
_SHIPPED = "s.status IN ('shipped', 'delivered') AND s.shipped_at IS NOT NULL"


def staff_productivity(*, date_from: dt.date | None = None, date_to: dt.date | None = None,
                       warehouse_id: int | None = None, person_id: int | None = None, grouping: str = "person_day",
                       sort: str = "period", after: str | None = None, limit: int = 50) -> list[dict]:
    """Per person (and day or hour, by ``grouping``): units picked, units packed, shipments shipped,
    parcels received, hours worked and each per hour."""
    grouping = grouping if grouping in GROUPINGS else "person_day"
    conditions, params = window("e.created_at", date_from, date_to)
    conditions += ["e.actor_id IS NOT NULL", "e.kind = ANY(%s)", "w.kind <> '3pl'"]
    params.append(list(WORK_KINDS))
    if warehouse_id:
        conditions.append("s.warehouse_id = %s")
        params.append(warehouse_id)
    if person_id:
        conditions.append("e.actor_id = %s")
        params.append(person_id)
    local = "e.created_at AT TIME ZONE %s"
    period = {"person": "NULL::timestamp", "person_day": f"date_trunc('day', {local})",
              "person_hour": f"date_trunc('hour', {local})"}[grouping]
    period_params = [] if grouping == "person" else [settings.SHOP_TIME_ZONE]
    users = get_user_model()._meta.db_table
    sql = f"""
        SELECT a.*, u.username, TRIM(u.first_name || ' ' || u.last_name) AS full_name,
               ROUND(a.units_picked::numeric / a.hours, 2) AS picks_per_hour,
               ROUND(a.units_packed::numeric / a.hours, 2) AS packs_per_hour,
               ROUND(a.shipments::numeric / a.hours, 2) AS shipments_per_hour
        FROM (SELECT e.actor_id AS person_id, COALESCE({period}, 'epoch'::timestamp) AS period_start,
                     COALESCE(SUM({_UNITS}) FILTER (WHERE e.kind = 'pick'), 0)::bigint AS units_picked,
                     COUNT(*) FILTER (WHERE e.kind = 'pick') AS pick_scans,
                     COUNT(*) FILTER (WHERE e.kind = 'pack') AS units_packed,
                     COUNT(*) FILTER (WHERE e.kind = 'ship') AS shipments,
                     COUNT(*) FILTER (WHERE e.kind = 'receive') AS received,
                     COUNT(DISTINCT date_trunc('hour', e.created_at)) AS hours
              FROM {EVENTS} e JOIN {SHIPMENTS} s ON s.id = e.shipment_id
              JOIN {WAREHOUSES} w ON w.id = s.warehouse_id
              WHERE {where(conditions)}
              GROUP BY 1, 2) a
        JOIN {users} u ON u.id = a.person_id"""
    column = PERSON_SORTS.get(sort, "period_start")
    order = [(column, True), ("person_id", False)] if column != "period_start" else [
        ("period_start", True), ("person_id", False)]
    rows = keyset_rows(sql, [*period_params, *params], order=order, after=after, limit=limit)
    for row in rows:
        row["person"] = row["full_name"] or row["username"]
        if grouping == "person":
            row["period_start"] = None
    return rows


def _shipped_conditions(date_from, date_to, warehouse_id, channel, third_party_only):
    conditions, params = window("s.shipped_at", date_from, date_to)
    conditions.insert(0, _SHIPPED)
    if warehouse_id:
        conditions.append("s.warehouse_id = %s")
        params.append(warehouse_id)
    if channel:
        conditions.append("o.channel = %s")
        params.append(channel)
    if third_party_only:
        conditions.append("w.kind = '3pl'")
    return conditions, params


_HOURS = "ROUND(EXTRACT(EPOCH FROM {}) / 3600, 2)"


def time_to_ship(*, date_from: dt.date | None = None, date_to: dt.date | None = None,
                 warehouse_id: int | None = None, channel: str = "", target_hours: int = 48,
                 by_day: bool = True, third_party_only: bool = False, after: str | None = None,
                 limit: int = 50) -> list[dict]:
    """Per warehouse (and shipping day): shipments shipped, hours from the order's placement to
    shipping (average, median, 90th percentile), the share shipped within ``target_hours``, and
    hours from the shipment's release to the warehouse to shipping (average)."""
    conditions, params = _shipped_conditions(date_from, date_to, warehouse_id, channel, third_party_only)
    day = "(s.shipped_at AT TIME ZONE %s)::date" if by_day else "NULL::date"
    day_params = [settings.SHOP_TIME_ZONE] if by_day else []
    sql = f"""
        SELECT (w.id::text || '-' || COALESCE(t.ship_day::text, '')) AS row_key, t.*, w.code AS warehouse,
               w.name AS warehouse_name, w.kind AS warehouse_kind,
               ROUND(100.0 * t.within_target / t.shipments, 2) AS within_target_rate
        FROM (SELECT s.warehouse_id, COALESCE({day}, '1970-01-01'::date) AS ship_day, COUNT(*) AS shipments,
                     {_HOURS.format("AVG(s.shipped_at - o.placed_at)")} AS average_hours,
                     {_HOURS.format("percentile_disc(0.5) WITHIN GROUP (ORDER BY s.shipped_at - o.placed_at)")}
                         AS median_hours,
                     {_HOURS.format("percentile_disc(0.9) WITHIN GROUP (ORDER BY s.shipped_at - o.placed_at)")}
                         AS p90_hours,
                     COUNT(*) FILTER (WHERE s.shipped_at - o.placed_at <= make_interval(hours => %s))
                         AS within_target,
                     {_HOURS.format("AVG(s.shipped_at - s.created_at)")} AS release_to_ship_hours
              FROM {SHIPMENTS} s JOIN {ORDERS} o ON o.id = s.order_id JOIN {WAREHOUSES} w ON w.id = s.warehouse_id
              WHERE {where(conditions)}
              GROUP BY 1, 2) t
        JOIN {WAREHOUSES} w ON w.id = t.warehouse_id"""
    rows = keyset_rows(sql, [*day_params, target_hours, *params],
                       order=[("ship_day", True), ("warehouse", False)], after=after, limit=limit)
    for row in rows:
        if not by_day:
            row["ship_day"] = None
    return rows


def tpl_performance(*, date_from: dt.date | None = None, date_to: dt.date | None = None,
                    target_hours: int = 24, after: str | None = None, limit: int = 50) -> list[dict]:
    """Per 3PL warehouse: shipments released to it in the window and how many of them it shipped,
    hours from release to shipping (average, 90th percentile), the share shipped within
    ``target_hours`` of release, and what it holds open now (count, oldest in hours)."""
    released, released_params = window("s.created_at", date_from, date_to)
    sql = f"""
        SELECT w.id AS warehouse_id, w.code AS warehouse, w.name AS warehouse_name,
               COALESCE(r.released, 0) AS released, COALESCE(r.shipped, 0) AS shipped,
               r.average_hours, r.p90_hours, COALESCE(r.within_target, 0) AS within_target,
               ROUND(100.0 * r.within_target / NULLIF(r.shipped, 0), 2) AS within_target_rate,
               COALESCE(n.open_now, 0) AS open_now, n.oldest_open_hours
        FROM {WAREHOUSES} w
        LEFT JOIN (SELECT s.warehouse_id, COUNT(*) AS released, COUNT(*) FILTER (WHERE {_SHIPPED}) AS shipped,
                          {_HOURS.format(f"AVG(s.shipped_at - s.created_at) FILTER (WHERE {_SHIPPED})")}
                              AS average_hours,
                          {_HOURS.format("percentile_disc(0.9) WITHIN GROUP (ORDER BY s.shipped_at - s.created_at)")}
                              AS p90_hours,
                          COUNT(*) FILTER (WHERE {_SHIPPED}
                                           AND s.shipped_at - s.created_at <= make_interval(hours => %s))
                              AS within_target
                   FROM {SHIPMENTS} s WHERE s.status <> 'cancelled' AND {where(released)}
                   GROUP BY s.warehouse_id) r ON r.warehouse_id = w.id
        LEFT JOIN (SELECT s.warehouse_id, COUNT(*) AS open_now,
                          {_HOURS.format("now() - MIN(s.created_at)")} AS oldest_open_hours
                   FROM {SHIPMENTS} s WHERE s.status IN ('pending', 'picking', 'picked', 'packed')
                   GROUP BY s.warehouse_id) n ON n.warehouse_id = w.id
        WHERE w.kind = '3pl'"""
    return keyset_rows(sql, [target_hours, *released_params], order=[("warehouse", False)], after=after,
                       limit=limit)
