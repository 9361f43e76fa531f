"""Integrations' reads: the orders and customers the REST API returns, each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from orders.models import Customer, Hold, Order, OrderEvent, OrderLine


def _lines() -> Prefetch:
    return Prefetch("lines", queryset=OrderLine.objects.order_by("line_number"))


def api_orders(*, status: str | None = None, channel: str | None = None,
               updated_since: dt.datetime | None = None) -> QuerySet[Order]:
    """Orders with their customer, delivery and lines (two queries a page), filtered.

    Drafts, which staff are still entering, are not orders yet.
    """
    orders = (Order.objects.exclude(status="draft")
              .select_related("customer", "shipping_method", "pickup_warehouse").prefetch_related(_lines()))
    if status:
        orders = orders.filter(status=status)
    if channel:
        orders = orders.filter(channel=channel)
    if updated_since:
        orders = orders.filter(updated_at__gte=updated_since)
    return orders


def api_order_details() -> QuerySet[Order]:
    """Orders with lines, holds and the timeline: four queries for one order."""
    return (
        Order.objects.exclude(status="draft")
        .select_related("customer", "shipping_method", "pickup_warehouse")
        .prefetch_related(
            _lines(),
            Prefetch("holds", queryset=Hold.objects.order_by("created_at", "pk")),
            Prefetch("events",
                     queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "pk")),
        )
    )


def api_customers() -> QuerySet[Customer]:
    return Customer.objects.prefetch_related("addresses")
