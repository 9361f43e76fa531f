"""Stock counts as an import file: the kind the shared import (oms.imports) checks, and its export.

The kind checks a file with set-based SQL over the staged rows and hands the clean counts to
``inventory.services.stock_count_many``, which alone locks and writes the stock rows and their
movements. ``register_kinds`` is called from InventoryConfig.ready.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets

from catalog.imports.resources import PlainIntegerWidget
from catalog.models import Sku
from inventory.models import StockLevel, Warehouse
from inventory.services import StockCountConflict, stock_count, stock_count_lock, stock_count_many
from oms.imports.engine import INTEGER, ROWS, TEXT, TYPED, Column, ImportConflict, ImportRun
from oms.imports.kinds import Counts, ImportKind, register_kind

STOCK_COUNTS = "stock_counts"
STOCK_COUNT_COLUMNS = ("warehouse_code", "sku_code", "counted")


class StockCountKind(ImportKind):
    """Counted quantities per SKU and warehouse: on hand becomes the count, the difference a movement.

    The same rules as ``inventory.services.stock_count``, for a whole file at once: no kits, no
    count below what is reserved, and every change of on hand is a ``count`` movement.
    """

    key = STOCK_COUNTS
    label = gettext_lazy("Stock counts")
    description = gettext_lazy("Counted units per warehouse and SKU. On hand becomes the count; "
                               "each difference is posted as a count movement.")
    import_permission = "inventory.import_stock"
    export_permission = "inventory.view_stocklevel"
    columns = (
        Column("warehouse_code", TEXT, max_length=20, required=True),
        Column("sku_code", TEXT, max_length=40, required=True),
        Column("counted", INTEGER, required=True),
    )
    key_columns = ("warehouse_code", "sku_code")
    noun = gettext_lazy("stock row")
    messages = {
        "unknown_sku": gettext_lazy("There is no SKU “%(value)s”."),
        "unknown_warehouse": gettext_lazy("There is no warehouse “%(value)s”."),
        "kit_stock": gettext_lazy("SKU “%(value)s” is a kit: kits hold no stock of their own, so count its "
                                  "components."),
        "below_reserved": gettext_lazy("Counted %(value)s, but %(detail)s are reserved for orders. Count again, "
                                       "or release the reservations first."),
    }

    def resource(self):
        return StockCountResource()

    def check(self, run: ImportRun) -> None:
        run.add_duplicate_errors(("warehouse_code", "sku_code"), "sku_code")
        self.unknown(run, "warehouse_code", "inventory_warehouse", "unknown_warehouse")
        self.unknown(run, "sku_code", "catalog_sku", "unknown_sku")
        run.add_errors(f"SELECT r.row_number, 'sku_code', 'kit_stock', r.sku_code, NULL FROM {ROWS} r "
                       f"JOIN catalog_sku k ON k.code = r.sku_code WHERE k.is_kit")
        run.add_errors(
            f"SELECT r.row_number, 'counted', 'below_reserved', r.counted, l.reserved::text FROM {ROWS} r "
            f"JOIN catalog_sku k ON k.code = r.sku_code JOIN inventory_warehouse w ON w.code = r.warehouse_code "
            f"JOIN inventory_stocklevel l ON l.sku_id = k.id AND l.warehouse_id = w.id "
            f"WHERE r.counted ~ '^[+]?[0-9]{{1,10}}([.]0*)?$' AND r.counted::numeric < l.reserved")

    def typed_select(self, run: ImportRun) -> str:
        return (f"SELECT r.row_number, k.id AS sku_id, w.id AS warehouse_id, "
                f"r.counted::numeric::integer AS counted FROM {ROWS} r JOIN catalog_sku k ON k.code = r.sku_code "
                f"JOIN inventory_warehouse w ON w.code = r.warehouse_code")

    def lock(self, run: ImportRun) -> None:
        # "Counted below reserved" is judged on values that cannot change before the write.
        stock_count_lock(pairs=f"(SELECT k.id AS sku_id, w.id AS warehouse_id FROM {ROWS} r "
                               f"JOIN catalog_sku k ON k.code = r.sku_code "
                               f"JOIN inventory_warehouse w ON w.code = r.warehouse_code)")

    def preview(self, run: ImportRun) -> Counts:
        new, updated, total, units_in, units_out = run.fetchone(
            f"SELECT count(*) FILTER (WHERE l.id IS NULL AND t.counted > 0), "
            f"count(*) FILTER (WHERE l.id IS NOT NULL AND l.on_hand <> t.counted), count(*), "
            f"COALESCE(sum(t.counted - COALESCE(l.on_hand, 0)) "
            f"         FILTER (WHERE t.counted > COALESCE(l.on_hand, 0)), 0), "
            f"COALESCE(sum(COALESCE(l.on_hand, 0) - t.counted) "
            f"         FILTER (WHERE t.counted < COALESCE(l.on_hand, 0)), 0) "
            f"FROM {TYPED} t LEFT JOIN inventory_stocklevel l "
            f"ON l.sku_id = t.sku_id AND l.warehouse_id = t.warehouse_id")
        return new, updated, total - new - updated, {"units_found": units_in, "units_missing": units_out}

    def write(self, run: ImportRun) -> Counts:
        counts = self.preview(run)
        try:
            job = run.reference.removeprefix("import:")
            source = ("oms.importjob", job) if job.isdigit() else None
            stock_count_many(counts=TYPED, user=run.user, reference=run.reference, source=source)
        except StockCountConflict as error:
            raise ImportConflict(_("Orders reserved some of these SKUs while the file was being imported.")) from error
        return counts


class StockCountResource(resources.ModelResource):
    """Counted units per warehouse and SKU. Imported row by row, each row is a ``stock_count``
    (a count movement for the difference), never a bare change of on hand."""

    warehouse_code = fields.Field(attribute="warehouse", column_name="warehouse_code",
                                  widget=widgets.ForeignKeyWidget(Warehouse, field="code"))
    sku_code = fields.Field(attribute="sku", column_name="sku_code",
                            widget=widgets.ForeignKeyWidget(Sku, field="code"))
    counted = fields.Field(attribute="on_hand", column_name="counted", widget=PlainIntegerWidget())

    class Meta:
        model = StockLevel
        fields = STOCK_COUNT_COLUMNS
        export_order = STOCK_COUNT_COLUMNS
        import_id_fields = ("warehouse_code", "sku_code")
        skip_unchanged = True
        use_transactions = True

    def get_queryset(self) -> QuerySet[StockLevel]:
        return (StockLevel.objects.select_related("sku", "warehouse").filter(sku__is_kit=False)
                .order_by("warehouse__code", "sku__code"))

    def save_instance(self, instance, is_create, row, **kwargs):
        if self._is_dry_run(kwargs):
            return
        stock_count(sku=instance.sku, warehouse=instance.warehouse, counted=instance.on_hand,
                    user=kwargs.get("user"))


def register_kinds() -> None:
    register_kind(StockCountKind())
