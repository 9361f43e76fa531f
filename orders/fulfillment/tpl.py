"""3PL hand-off: a 3PL warehouse's shipments go out as a CSV (or the REST API) and its
confirmations, with tracking numbers, come back by import (kind ``shipment_confirmations``)
or the API. Both ways end in ``shipment_confirm``, so the same confirmation twice (a replayed
file, a retried call) ships once.

:func:`tpl_shipments_release` makes a shipment (outside any wave) of every order's open
allocations at a 3PL warehouse that no shipment holds yet; ``orders.tasks.tpl_release_task`` runs it
for every active 3PL warehouse on the beat (every 5 minutes), and the download and the API read what it made.
"""

from __future__ import annotations

import csv
import io

from django.db.models import Exists, OuterRef, Prefetch
from django.utils.translation import gettext_lazy

from inventory.models import Warehouse
from oms.imports.engine import ROWS, TEXT, TYPED, Column, ImportRun
from oms.imports.kinds import Counts, ImportKind, register_kind
from orders.fulfillment.models import Shipment, ShipmentLine, ShipmentStatus
from orders.fulfillment.shipping import ShipmentError, shipment_confirm_in_transaction, shipment_open
from orders.models import LineAllocation, Order

SHIPMENT_CONFIRMATIONS = "shipment_confirmations"
CSV_COLUMNS = ("shipment_number", "order_number", "ship_to_name", "ship_to_company", "ship_to_line1",
               "ship_to_line2", "ship_to_city", "ship_to_region", "ship_to_postal_code", "ship_to_country",
               "ship_to_phone", "shipping_method", "line_number", "sku_code", "description", "quantity")


def tpl_shipments_release(*, warehouse: Warehouse, user=None) -> list[Shipment]:
    """A shipment per order with open allocations at ``warehouse`` not in any shipment yet (not cancelled)."""
    held = ShipmentLine.objects.filter(allocation=OuterRef("pk")).exclude(shipment__status=ShipmentStatus.CANCELLED)
    order_ids = sorted(set(LineAllocation.objects.filter(warehouse=warehouse, is_open=True)
                           .exclude(Exists(held)).values_list("line__order_id", flat=True)))
    made = []
    for order in Order.objects.filter(pk__in=order_ids).order_by("pk"):
        try:
            made.append(shipment_open(order=order, warehouse=warehouse, user=user))
        except ShipmentError:  # another release took it meanwhile
            continue
    return made


def tpl_open_shipments(*, warehouse: Warehouse):
    """The warehouse's shipments waiting to go out, oldest first, with their lines and orders."""
    return (Shipment.objects.filter(warehouse=warehouse, status__in=[ShipmentStatus.PENDING, ShipmentStatus.PICKING,
                                                                      ShipmentStatus.PICKED, ShipmentStatus.PACKED])
            .select_related("order", "order__shipping_method")
            .prefetch_related(Prefetch("lines", ShipmentLine.objects.select_related("order_line").order_by("pk")))
            .order_by("pk"))


def tpl_shipments_csv(*, warehouse: Warehouse) -> str:
    """The open shipments of ``warehouse`` as CSV, one row per shipment line (header: CSV_COLUMNS)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for shipment in tpl_open_shipments(warehouse=warehouse):
        ship_to = shipment.order.ship_to or {}
        method = shipment.order.shipping_method.code if shipment.order.shipping_method else ""
        for line in shipment.lines.all():
            writer.writerow([shipment.number, shipment.order.number] + [
                ship_to.get(key, "") for key in ("name", "company", "line1", "line2", "city", "region",
                                                 "postal_code", "country", "phone")]
                + [method, line.order_line.line_number, line.order_line.sku_code, line.order_line.description,
                   line.quantity])
    return out.getvalue()


class ShipmentConfirmationKind(ImportKind):
    """A 3PL's confirmations: the shipment, its tracking number and carrier. A shipment already
    shipped is unchanged (the same file twice ships once)."""

    key = SHIPMENT_CONFIRMATIONS
    label = gettext_lazy("Shipment confirmations")
    description = gettext_lazy("A 3PL's shipped parcels: warehouse, shipment number, tracking number and carrier. "
                               "Each shipment ships once: rows of shipments already shipped change nothing.")
    import_permission = "orders.change_shipment"
    export_permission = "orders.view_shipment"
    columns = (
        Column("warehouse_code", TEXT, max_length=20, required=True),
        Column("shipment_number", TEXT, max_length=30, required=True),
        Column("tracking_number", TEXT, max_length=80, required=True),
        Column("carrier", TEXT, max_length=40),
        Column("external_reference", TEXT, max_length=100),
    )
    key_columns = ("warehouse_code", "shipment_number")
    noun = gettext_lazy("shipment")
    messages = {
        "unknown_warehouse": gettext_lazy("There is no warehouse “%(value)s”."),
        "unknown_shipment": gettext_lazy("Warehouse %(detail)s has no shipment “%(value)s”."),
        "cancelled": gettext_lazy("Shipment “%(value)s” was cancelled and cannot ship."),
    }

    def can_export(self, user) -> bool:
        return False  # confirmations come in; what goes out is the shipments' CSV (tpl_shipments_csv)

    def check(self, run: ImportRun) -> None:
        run.add_duplicate_errors(("warehouse_code", "shipment_number"), "shipment_number")
        self.unknown(run, "warehouse_code", "inventory_warehouse", "unknown_warehouse")
        run.add_errors(
            f"SELECT r.row_number, 'shipment_number', 'unknown_shipment', r.shipment_number, r.warehouse_code "
            f"FROM {ROWS} r JOIN inventory_warehouse w ON w.code = r.warehouse_code "
            f"WHERE NOT EXISTS (SELECT 1 FROM orders_shipment s WHERE s.number = r.shipment_number "
            f"AND s.warehouse_id = w.id)")
        run.add_errors(
            f"SELECT r.row_number, 'shipment_number', 'cancelled', r.shipment_number, NULL FROM {ROWS} r "
            f"JOIN orders_shipment s ON s.number = r.shipment_number WHERE s.status = 'cancelled'")

    def typed_select(self, run: ImportRun) -> str:
        return (f"SELECT r.row_number, s.id AS shipment_id, s.order_id, s.status, r.tracking_number, "
                f"NULLIF(r.carrier, '') AS carrier, NULLIF(r.external_reference, '') AS external_reference "
                f"FROM {ROWS} r JOIN inventory_warehouse w ON w.code = r.warehouse_code "
                f"JOIN orders_shipment s ON s.number = r.shipment_number AND s.warehouse_id = w.id")

    def preview(self, run: ImportRun) -> Counts:
        new, total = run.fetchone(f"SELECT count(*) FILTER (WHERE status NOT IN ('shipped', 'delivered')), count(*) "
                                  f"FROM {TYPED}")
        return new, 0, total - new, {}

    def write(self, run: ImportRun) -> Counts:
        shipped = unchanged = 0
        rows = run.fetchall(f"SELECT shipment_id, tracking_number, carrier, external_reference FROM {TYPED} "
                            f"ORDER BY order_id, shipment_id")
        for shipment_id, tracking_number, carrier, external_reference in rows:
            result = shipment_confirm_in_transaction(shipment=shipment_id, user=run.user,
                                                     tracking_number=tracking_number, carrier=carrier,
                                                     external_reference=external_reference)
            if result.shipped_now:
                shipped += 1
            else:
                unchanged += 1
        return shipped, 0, unchanged, {}


def register_kinds() -> None:
    register_kind(ShipmentConfirmationKind())
