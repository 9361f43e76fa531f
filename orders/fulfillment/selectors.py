"""Fulfillment reads: wave candidates, pick lists in bin order, the scan screen's next line."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import (
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from orders.fulfillment.models import OPEN_SHIPMENT_STATUSES, BinLocation, PickWave, Shipment, ShipmentLine
from orders.models import LineAllocation, Order, OrderEvent, OrderStatus

if TYPE_CHECKING:
    from inventory.models import Warehouse
    from orders.fulfillment.services import WaveFilters

NO_BIN = "~"  # sorts after every bin code: lines without a bin come last


def wave_candidates(*, warehouse: Warehouse, filters: WaveFilters):
    """Orders (allocated or picking) with open allocations at ``warehouse`` that no open wave holds there.

    Annotated with ``promised_on`` (placed day + the method's transit days) and ``line_count``;
    ordered by promise, single-line first when asked, then the oldest.
    """
    unshipped = LineAllocation.objects.filter(line__order=OuterRef("pk"), warehouse=warehouse, is_open=True).exclude(
        Exists(ShipmentLine.objects.filter(allocation=OuterRef("pk")).exclude(shipment__status="cancelled")))
    in_wave = Shipment.objects.filter(order=OuterRef("pk"), warehouse=warehouse, wave__isnull=False,
                                      status__in=OPEN_SHIPMENT_STATUSES)
    orders = (Order.objects.filter(status__in=(OrderStatus.ALLOCATED, OrderStatus.PICKING))
              .filter(Exists(unshipped)).exclude(Exists(in_wave))
              .annotate(line_count=Count("lines", filter=Q(lines__quantity__gt=F("lines__quantity_cancelled"))),
                        promised_on=ExpressionWrapper(
                            Cast(F("placed_at"), DateField())
                            + Coalesce(F("shipping_method__transit_days"), Value(5)) * dt.timedelta(days=1),
                            output_field=DateField())))
    if filters.carrier:
        orders = orders.filter(shipping_method__carrier__iexact=filters.carrier)
    if filters.shipping_method_id:
        orders = orders.filter(shipping_method_id=filters.shipping_method_id)
    if filters.promised_by:
        orders = orders.filter(promised_on__lte=filters.promised_by)
    ordering = ["promised_on"] + (["line_count"] if filters.single_line_first else []) + ["placed_at", "pk"]
    return orders.order_by(*ordering)


def pick_lines(wave: PickWave):
    """The wave's lines to pick, in bin order (no bin last), with their SKU, bin and order."""
    bins = BinLocation.objects.filter(sku=OuterRef("order_line__sku"), warehouse=wave.warehouse_id)
    return (ShipmentLine.objects.filter(shipment__wave=wave)
            .exclude(shipment__status="cancelled")
            .select_related("order_line__sku", "shipment__order", "picked_by")
            .annotate(bin_code=Coalesce(Subquery(bins.values("code")[:1]), Value(NO_BIN)))
            .order_by("bin_code", "order_line__sku_code", "shipment__number", "pk"))


def next_pick(wave: PickWave) -> ShipmentLine | None:
    """The first line in bin order that still has units to pick (of a shipment still being picked)."""
    return (pick_lines(wave).filter(picked_quantity__lt=F("quantity"),
                                    shipment__status__in=("pending", "picking")).first())


def open_waves(*, warehouse: Warehouse | None = None):
    waves = PickWave.objects.select_related("warehouse", "created_by").annotate(
        shipment_count=Count("shipments", filter=~Q(shipments__status="cancelled")))
    if warehouse is not None:
        waves = waves.filter(warehouse=warehouse)
    return waves.order_by("-created_at", "-pk")


def short_picks_open(order: Order) -> list[OrderEvent]:
    """The order's short picks the customer has not answered yet (newest first)."""
    # The order page has the events prefetched (orders.selectors.order_for_page): no query of its own there.
    events = sorted((row for row in order.events.all() if row.kind == OrderEvent.Kind.SHORT_PICK),
                    key=lambda row: (row.created_at, row.pk), reverse=True)
    return [row for row in events if "line_id" in row.data and "answered" in row.data and not row.data["answered"]]


def bins_of(sku) -> list[BinLocation]:
    return list(BinLocation.objects.filter(sku=sku).select_related("warehouse").order_by("warehouse__code"))
