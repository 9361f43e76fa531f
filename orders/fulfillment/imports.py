"""Bin locations as an import file (oms.imports): ``warehouse_code, sku_code, bin``.

Checked and written set-based over the staged rows; a row upserts the SKU's bin at the
warehouse (unique per SKU and warehouse). ``register_kinds`` is called from OrdersConfig.ready.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from catalog.models import Sku
from inventory.models import Warehouse
from oms.imports.engine import ROWS, TEXT, TYPED, Column, ImportRun
from oms.imports.kinds import Counts, ImportKind, register_kind
from orders.fulfillment.models import BinLocation

BIN_LOCATIONS = "bin_locations"
BIN_COLUMNS = ("warehouse_code", "sku_code", "bin")


class BinLocationKind(ImportKind):
    """Where each SKU is kept in each warehouse; the pick lists sort by it."""

    key = BIN_LOCATIONS
    label = gettext_lazy("Bin locations")
    description = gettext_lazy("The bin of each SKU per warehouse (e.g. A-01-03); pick lists are sorted by bin.")
    import_permission = "orders.change_binlocation"
    export_permission = "orders.view_binlocation"
    columns = (
        Column("warehouse_code", TEXT, max_length=20, required=True),
        Column("sku_code", TEXT, max_length=40, required=True),
        Column("bin", TEXT, max_length=40, required=True),
    )
    key_columns = ("warehouse_code", "sku_code")
    noun = gettext_lazy("bin location")
    messages = {
        "unknown_sku": gettext_lazy("There is no SKU “%(value)s”."),
        "unknown_warehouse": gettext_lazy("There is no warehouse “%(value)s”."),
        "kit_bin": gettext_lazy("SKU “%(value)s” is a kit: its components have the bins."),
    }

    def resource(self):
        return BinLocationResource()

    def check(self, run: ImportRun) -> None:
        run.add_duplicate_errors(("warehouse_code", "sku_code"), "sku_code")
        self.unknown(run, "warehouse_code", "inventory_warehouse", "unknown_warehouse")
        self.unknown(run, "sku_code", "catalog_sku", "unknown_sku")
        run.add_errors(f"SELECT r.row_number, 'sku_code', 'kit_bin', r.sku_code, NULL FROM {ROWS} r "
                       f"JOIN catalog_sku k ON k.code = r.sku_code WHERE k.is_kit")

    def typed_select(self, run: ImportRun) -> str:
        return (f"SELECT r.row_number, k.id AS sku_id, w.id AS warehouse_id, upper(btrim(r.bin)) AS code "
                f"FROM {ROWS} r JOIN catalog_sku k ON k.code = r.sku_code "
                f"JOIN inventory_warehouse w ON w.code = r.warehouse_code")

    def preview(self, run: ImportRun) -> Counts:
        new, updated, total = run.fetchone(
            f"SELECT count(*) FILTER (WHERE b.id IS NULL), count(*) FILTER (WHERE b.code <> t.code), count(*) "
            f"FROM {TYPED} t LEFT JOIN orders_binlocation b ON b.sku_id = t.sku_id AND b.warehouse_id = t.warehouse_id")
        return new, updated, total - new - updated, {}

    def write(self, run: ImportRun) -> Counts:
        counts = self.preview(run)
        run.execute(f"INSERT INTO orders_binlocation (sku_id, warehouse_id, code) "
                    f"SELECT t.sku_id, t.warehouse_id, t.code FROM {TYPED} t ORDER BY t.sku_id, t.warehouse_id "
                    f"ON CONFLICT (sku_id, warehouse_id) DO UPDATE SET code = EXCLUDED.code "
                    f"WHERE orders_binlocation.code IS DISTINCT FROM EXCLUDED.code")
        return counts


class BinLocationResource(resources.ModelResource):
    warehouse_code = fields.Field(attribute="warehouse", column_name="warehouse_code",
                                  widget=widgets.ForeignKeyWidget(Warehouse, field="code"))
    sku_code = fields.Field(attribute="sku", column_name="sku_code", widget=widgets.ForeignKeyWidget(Sku, field="code"))
    bin = fields.Field(attribute="code", column_name="bin")

    class Meta:
        model = BinLocation
        fields = BIN_COLUMNS
        export_order = BIN_COLUMNS
        import_id_fields = ("warehouse_code", "sku_code")

    def get_queryset(self):
        return BinLocation.objects.select_related("warehouse", "sku").order_by("warehouse__code", "code", "sku__code")


def register_kinds() -> None:
    register_kind(BinLocationKind())
