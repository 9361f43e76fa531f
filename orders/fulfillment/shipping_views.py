"""Shipping screens: the pack station, the 3PL download, store pickups.

Each view checks its permission, binds a form, calls one service or selector and renders.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from inventory.models import Warehouse
from orders.fulfillment import tpl


@require_GET
@login_required
@permission_required("orders.view_shipment", raise_exception=True)
def tpl_shipments_csv(request: HttpRequest, code: str) -> HttpResponse:
    """The open shipments of a 3PL warehouse as CSV (one row per line)."""
    warehouse = get_object_or_404(Warehouse, code=code, kind=Warehouse.Kind.THIRD_PARTY)
    response = HttpResponse(tpl.tpl_shipments_csv(warehouse=warehouse), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="shipments-{warehouse.code}.csv"'
    return response
