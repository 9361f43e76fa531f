"""The catalog's kinds of import file: styles and SKUs, prices, vendor items.

Each kind works on the temporary tables of :class:`oms.imports.engine.ImportRun`:
``import_stage`` (the file's cells, trimmed) for the checks, ``import_typed`` for the writes.
Writes lock the rows they change in id order before changing them, so two imports, or an
import and an edit, cannot deadlock. ``register_kinds`` (called from CatalogConfig.ready)
makes them importable.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Sku, Style, VendorItem
from oms.imports.engine import (
    CHOICE, CURRENCY, DECIMAL, INTEGER, OPTIONS, ROWS, TEXT, TYPED, Column, ImportConflict, ImportRun,
    insert_columns, parsed, violated_constraint,
)
from oms.imports.kinds import Counts, ImportKind, register_kind
from oms.imports.kinds import distinct as _distinct

SKU_CODE_UNIQUE = "sku_code_unique"  # the unique constraint on catalog_sku (code), see Sku.Meta
SKUS, PRICES, VENDOR_ITEMS = "skus", "prices", "vendor_items"

_MESSAGES = {
    "unknown_sku": gettext_lazy("There is no SKU “%(value)s”."),
    "unknown_vendor": gettext_lazy("There is no vendor “%(value)s”."),
    "barcode_taken": gettext_lazy("Barcode “%(value)s” already belongs to SKU %(detail)s."),
    "style_conflict": gettext_lazy("“%(value)s” differs from row %(detail)s for the same style."),
    "kit_vendor": gettext_lazy("SKU “%(value)s” is a kit: vendors supply its components, not the kit."),
}
_NOUNS = {"sku": gettext_lazy("SKU"), "style": gettext_lazy("style"), "vendor_item": gettext_lazy("vendor item")}


# --- styles and SKUs -----------------------------------------------------------------------------

_SKU_VALUES = {  # column: its value after the import (k: the SKU as stored, t: the file's row)
    "name": "COALESCE(t.name, k.name)",
    "barcode": "COALESCE(t.barcode, k.barcode)",
    "option_values": "COALESCE(t.option_values, k.option_values)",
    "weight_kg": "COALESCE(t.weight_kg, k.weight_kg)",
    "cost": "COALESCE(t.cost, k.cost)",
    "list_price": "COALESCE(t.list_price, k.list_price)",
    "currency": "COALESCE(t.currency, k.currency)",
    "status": "COALESCE(t.status, k.status)",
    "tax_class": "COALESCE(t.tax_class, k.tax_class)",
    "gift_card": "COALESCE(t.gift_card, k.gift_card)",
}

# One row per style of the file, from one pass over the staged rows: its name and category (the
# checks made them agree) and its option axes in the order the file first names them. Each
# distinct list of option names is kept once, in the order of its first row; a style with one
# such list (the usual case) takes it as it is, one with several merges them.
_FILE_STYLES = f"""
file_styles AS (
    SELECT style_code AS code, max(name) AS name, max(category) AS category,
           CASE WHEN count(names) = 1 THEN to_jsonb(string_to_array(max(names), ';'))
                WHEN count(names) > 1 THEN (
                    SELECT jsonb_agg(merged.axis ORDER BY merged.first_seen) FROM (
                        SELECT axis.name AS axis, min(list.number * 1000 + axis.position) AS first_seen
                        FROM unnest(array_agg(names ORDER BY first_row) FILTER (WHERE names IS NOT NULL))
                            WITH ORDINALITY AS list(names, number)
                        CROSS JOIN LATERAL unnest(string_to_array(list.names, ';'))
                            WITH ORDINALITY AS axis(name, position)
                        GROUP BY axis.name) AS merged)
           END AS axes
    FROM (SELECT style_code, {parsed('option_values', 'names')} AS names, min(row_number) AS first_row,
                 max(NULLIF(style_name, '')) AS name, max(NULLIF(category, '')) AS category
          FROM {ROWS} GROUP BY 1, 2) AS named
    GROUP BY style_code
)"""


def _merged_axes(stored: str, incoming: str) -> str:
    """The stored option axes followed by the incoming ones not among them yet."""
    return (f"({stored} || COALESCE((SELECT jsonb_agg(axis ORDER BY position) FROM "
            f"jsonb_array_elements({incoming}) WITH ORDINALITY AS e(axis, position) "
            f"WHERE NOT {stored} @> jsonb_build_array(axis)), '[]'::jsonb))")


def _style_changes(stored: str, name: str, category: str, axes: str) -> str:
    """True when a stored style (alias ``stored``) would change: blank name or category keep theirs."""
    return _distinct([f"{stored}.name", f"{stored}.category", f"{stored}.option_axes"],
                     [f"COALESCE(NULLIF({name}, ''), {stored}.name)",
                      f"COALESCE(NULLIF({category}, ''), {stored}.category)",
                      _merged_axes(f"{stored}.option_axes", axes)])


class SkuKind(ImportKind):
    key = SKUS
    label = gettext_lazy("Styles and SKUs")
    description = gettext_lazy("One row per SKU, with its style. New codes create styles and SKUs; "
                               "known codes update them.")
    import_permission = "catalog.import_catalog"
    export_permission = "catalog.view_sku"
    columns = (
        Column("style_code", TEXT, max_length=40, required=True),
        Column("style_name", TEXT, max_length=200, free_text=True),
        Column("category", TEXT, max_length=100, free_text=True),
        Column("sku_code", TEXT, max_length=40, required=True),
        Column("sku_name", TEXT, max_length=200, free_text=True),
        Column("barcode", TEXT, max_length=40),
        Column("option_values", OPTIONS),
        Column("weight_kg", DECIMAL, max_digits=9, decimal_places=3),
        Column("cost", DECIMAL),
        Column("list_price", DECIMAL),
        Column("currency", CURRENCY),
        Column("status", CHOICE, choices=tuple(Sku.Status.values)),
        Column("tax_class", CHOICE, choices=tuple(Sku.TaxClass.values)),
        # "physical" or "electronic"; "none" makes a gift card SKU an ordinary one again.
        Column("gift_card", CHOICE, choices=("none", *(value for value in Sku.GiftCard.values if value))),
    )
    key_columns = ("sku_code",)
    fillable_columns = ("style_code",)  # an update file may leave a SKU's style as it is
    existing_sql = "EXISTS (SELECT 1 FROM catalog_sku x WHERE x.code = r.sku_code)"
    noun = gettext_lazy("SKU")
    nouns = _NOUNS
    messages = _MESSAGES

    def prepare(self, run: ImportRun) -> None:
        if "style_code" in run.missing:
            run.execute(f"UPDATE {ROWS} r SET style_code = st.code FROM catalog_sku k "
                        f"JOIN catalog_style st ON st.id = k.style_id WHERE k.code = r.sku_code")

    def resource(self):
        from catalog.imports.resources import SkuResource

        return SkuResource()

    def check(self, run: ImportRun) -> None:
        run.add_duplicate_errors(("sku_code",), "sku_code")
        run.add_duplicate_errors(("barcode",), "barcode")
        run.add_errors(f"SELECT r.row_number, 'barcode', 'barcode_taken', r.barcode, k.code FROM {ROWS} r "
                       f"JOIN catalog_sku k ON k.barcode = r.barcode "
                       f"WHERE r.barcode <> '' AND k.code <> r.sku_code")
        # Only rows with a blank needed cell are looked up (usually none).
        run.add_errors(f"SELECT r.row_number, needed.column_name, 'required_new', '', 'sku' FROM {ROWS} r "
                       f"CROSS JOIN LATERAL (VALUES ('sku_name', r.sku_name), ('cost', r.cost), "
                       f"('list_price', r.list_price)) AS needed(column_name, value) "
                       f"WHERE needed.value = '' AND r.sku_code <> '' "
                       f"AND (r.sku_name = '' OR r.cost = '' OR r.list_price = '') "
                       f"AND NOT EXISTS (SELECT 1 FROM catalog_sku k WHERE k.code = r.sku_code)")
        # The styles of the file in one pass: a new one needs a name (the error goes on its first
        # row); the rows of one style must not disagree on its name or category. Only the rows of
        # the disagreeing styles (usually none) are read again, each compared with the first row
        # of its style that fills the cell.
        run.add_errors(
            f"WITH styles AS MATERIALIZED ("
            f"  SELECT style_code, min(row_number) AS first_row, max(style_name) AS any_name, "
            f"         min(NULLIF(style_name, '')) <> max(NULLIF(style_name, '')) AS names_differ, "
            f"         min(NULLIF(category, '')) <> max(NULLIF(category, '')) AS categories_differ "
            f"  FROM {ROWS} GROUP BY style_code), "
            f"cells AS (SELECT r.row_number, r.style_code, cell.column_name, cell.value FROM {ROWS} r "
            f"  JOIN styles USING (style_code) "
            f"  CROSS JOIN LATERAL (VALUES ('style_name', r.style_name, styles.names_differ), "
            f"                             ('category', r.category, styles.categories_differ)) "
            f"    AS cell(column_name, value, differs) "
            f"  WHERE (styles.names_differ OR styles.categories_differ) AND cell.differs AND cell.value <> ''), "
            f"first AS (SELECT DISTINCT ON (style_code, column_name) style_code, column_name, row_number, value "
            f"          FROM cells ORDER BY style_code, column_name, row_number) "
            f"SELECT first_row, 'style_name', 'required_new', '', 'style' FROM styles s "
            f"WHERE s.style_code <> '' AND s.any_name = '' "
            f"AND NOT EXISTS (SELECT 1 FROM catalog_style x WHERE x.code = s.style_code) "
            f"UNION ALL "
            f"SELECT cells.row_number, cells.column_name, 'style_conflict', cells.value, first.row_number::text "
            f"FROM cells JOIN first USING (style_code, column_name) WHERE cells.value <> first.value")

    def typed_select(self, run: ImportRun) -> str:
        return (
            f"SELECT r.row_number, r.style_code, NULLIF(r.style_name, '') AS style_name, "
            f"NULLIF(r.category, '') AS category, r.sku_code AS code, NULLIF(r.sku_name, '') AS name, "
            f"NULLIF(r.barcode, '') AS barcode, r.{parsed('option_values', 'json')}::jsonb AS option_values, "
            f"NULLIF(r.weight_kg, '')::numeric AS weight_kg, NULLIF(r.cost, '')::numeric AS cost, "
            f"NULLIF(r.list_price, '')::numeric AS list_price, upper(NULLIF(r.currency, '')) AS currency, "
            f"lower(NULLIF(r.status, '')) AS status, lower(NULLIF(r.tax_class, '')) AS tax_class, "
            f"CASE lower(NULLIF(r.gift_card, '')) WHEN 'none' THEN '' ELSE lower(NULLIF(r.gift_card, '')) END "
            f"AS gift_card, k.id AS sku_id "
            f"FROM {ROWS} r LEFT JOIN catalog_sku k ON k.code = r.sku_code"
        )

    def preview(self, run: ImportRun) -> Counts:
        changed = _distinct(["ks.code", *(f"k.{column}" for column in _SKU_VALUES)],
                            ["t.style_code", *_SKU_VALUES.values()])
        new, updated, total = run.fetchone(
            f"SELECT count(*) FILTER (WHERE t.sku_id IS NULL), "
            f"count(*) FILTER (WHERE t.sku_id IS NOT NULL AND {changed}), "
            f"count(*) FROM {TYPED} t LEFT JOIN catalog_sku k ON k.id = t.sku_id "
            f"LEFT JOIN catalog_style ks ON ks.id = k.style_id")
        style_changes = _style_changes("st", "fs.name", "fs.category", "COALESCE(fs.axes, jsonb_build_array())")
        styles_new, styles_updated = run.fetchone(
            f"WITH {_FILE_STYLES} SELECT count(*) FILTER (WHERE st.id IS NULL), "
            f"count(*) FILTER (WHERE st.id IS NOT NULL AND {style_changes}) "
            f"FROM file_styles fs "
            f"LEFT JOIN catalog_style st ON st.code = fs.code")
        return new, updated, total - new - updated, {"styles_new": styles_new, "styles_updated": styles_updated}

    def write(self, run: ImportRun) -> Counts:
        styles_new, styles_updated = self._write_styles(run)
        expected_new, total = run.fetchone(
            f"SELECT count(*) FILTER (WHERE sku_id IS NULL), count(*) FROM {TYPED}")
        columns, expressions, params = insert_columns(Sku, {
            "style_id": "st.id", "code": "t.code", "name": "t.name", "barcode": "t.barcode",
            "option_values": "COALESCE(t.option_values, '{}'::jsonb)",
            "weight_kg": "COALESCE(t.weight_kg, 0)", "cost": "t.cost", "list_price": "t.list_price",
            "currency": ("COALESCE(t.currency, %s)", [settings.DEFAULT_CURRENCY]),
            "status": ("COALESCE(t.status, %s)", [Sku.Status.ACTIVE.value]),
            # A new gift card SKU is exempt unless the file says otherwise (as Sku.save makes it).
            "tax_class": ("COALESCE(t.tax_class, CASE WHEN COALESCE(t.gift_card, '') <> '' THEN %s "
                          "ELSE %s END)", [Sku.TaxClass.EXEMPT.value, Sku.TaxClass.STANDARD.value]),
            "gift_card": "COALESCE(t.gift_card, '')",
        })
        created_meanwhile = ImportConflict(_("Some of these SKU codes were created by someone else while the "
                                             "file was being imported."))
        # A plain INSERT rather than ON CONFLICT (code) DO NOTHING, which costs a fifth more for the
        # speculative insertion of every row: a code created since the checks breaks the unique
        # constraint, which is the same conflict. In code order, so that two imports of the same
        # new codes wait for each other instead of deadlocking.
        try:
            new = run.execute(
                f"INSERT INTO catalog_sku ({columns}) SELECT {expressions} FROM {TYPED} t "
                f"JOIN catalog_style st ON st.code = t.style_code WHERE t.sku_id IS NULL ORDER BY t.code", params)
        except IntegrityError as error:
            if violated_constraint(error) == SKU_CODE_UNIQUE:
                raise created_meanwhile from error
            raise
        if new != expected_new:
            raise created_meanwhile
        if new == total:
            # Every row is a new SKU: nothing to lock or update.
            return new, 0, 0, {"styles_new": styles_new, "styles_updated": styles_updated}
        assignments = ", ".join([f"{column} = {value}" for column, value in _SKU_VALUES.items()])
        joins = f"JOIN {TYPED} t ON k.id = t.sku_id JOIN catalog_style st ON st.code = t.style_code"
        changed = _distinct(["k.style_id", *(f"k.{column}" for column in _SKU_VALUES)],
                            ["st.id", *_SKU_VALUES.values()])
        self.lock_changing(run, "catalog_sku", "k", joins, changed)
        updated = run.execute(
            f"UPDATE catalog_sku k SET style_id = st.id, {assignments}, updated_at = now() "
            f"FROM {TYPED} t JOIN catalog_style st ON st.code = t.style_code "
            f"WHERE k.id = t.sku_id AND {changed}")
        return new, updated, total - new - updated, {"styles_new": styles_new, "styles_updated": styles_updated}

    def _write_styles(self, run: ImportRun) -> tuple[int, int]:
        columns, expressions, params = insert_columns(Style, {
            "code": "fs.code", "name": "COALESCE(fs.name, '')", "category": "COALESCE(fs.category, '')",
            "option_axes": "COALESCE(fs.axes, jsonb_build_array())",
        })
        stored = "catalog_style"
        assignments = (f"name = COALESCE(NULLIF(EXCLUDED.name, ''), {stored}.name), "
                       f"category = COALESCE(NULLIF(EXCLUDED.category, ''), {stored}.category), "
                       f"option_axes = {_merged_axes(f'{stored}.option_axes', 'EXCLUDED.option_axes')}")
        # Styles that are new or would change only: ON CONFLICT locks every row it meets, even unchanged.
        incoming_axes = "COALESCE(fs.axes, jsonb_build_array())"
        return run.fetchone(
            f"WITH {_FILE_STYLES}, upserted AS ("
            f"  INSERT INTO catalog_style ({columns}) SELECT {expressions} FROM file_styles fs "
            f"  LEFT JOIN catalog_style cur ON cur.code = fs.code "
            f"  WHERE cur.id IS NULL OR {_style_changes('cur', 'fs.name', 'fs.category', incoming_axes)} "
            f"  ORDER BY fs.code "
            f"  ON CONFLICT (code) DO UPDATE SET {assignments}, updated_at = now() "
            f"  WHERE {_style_changes(stored, 'EXCLUDED.name', 'EXCLUDED.category', 'EXCLUDED.option_axes')} "
            f"  RETURNING (xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted",
            params)


# --- prices ----------------------------------------------------------------------------------------

_PRICE_VALUES = {
    "list_price": "COALESCE(t.list_price, k.list_price)",
    "cost": "COALESCE(t.cost, k.cost)",
    "currency": "COALESCE(t.currency, k.currency)",
}


class PriceKind(ImportKind):
    key = PRICES
    label = gettext_lazy("Prices")
    description = gettext_lazy("List price, cost and currency of existing SKUs.")
    import_permission = "catalog.import_catalog"
    export_permission = "catalog.view_sku"
    columns = (
        Column("sku_code", TEXT, max_length=40, required=True),
        Column("list_price", DECIMAL),
        Column("cost", DECIMAL),
        Column("currency", CURRENCY),
    )
    key_columns = ("sku_code",)
    noun = gettext_lazy("SKU")
    nouns = _NOUNS
    messages = _MESSAGES

    def resource(self):
        from catalog.imports.resources import PriceResource

        return PriceResource()

    def check(self, run: ImportRun) -> None:
        run.add_duplicate_errors(("sku_code",), "sku_code")
        self.unknown(run, "sku_code", "catalog_sku", "unknown_sku")

    def typed_select(self, run: ImportRun) -> str:
        return (f"SELECT r.row_number, k.id AS sku_id, NULLIF(r.list_price, '')::numeric AS list_price, "
                f"NULLIF(r.cost, '')::numeric AS cost, upper(NULLIF(r.currency, '')) AS currency "
                f"FROM {ROWS} r JOIN catalog_sku k ON k.code = r.sku_code")

    def _changed(self) -> str:
        return _distinct([f"k.{column}" for column in _PRICE_VALUES], list(_PRICE_VALUES.values()))

    def preview(self, run: ImportRun) -> Counts:
        updated, total = run.fetchone(f"SELECT count(*) FILTER (WHERE {self._changed()}), count(*) "
                                      f"FROM {TYPED} t JOIN catalog_sku k ON k.id = t.sku_id")
        return 0, updated, total - updated, {}

    def write(self, run: ImportRun) -> Counts:
        total = run.fetchone(f"SELECT count(*) FROM {TYPED}")[0]
        assignments = ", ".join(f"{column} = {value}" for column, value in _PRICE_VALUES.items())
        self.lock_changing(run, "catalog_sku", "k", f"JOIN {TYPED} t ON k.id = t.sku_id", self._changed())
        updated = run.execute(f"UPDATE catalog_sku k SET {assignments}, updated_at = now() FROM {TYPED} t "
                              f"WHERE k.id = t.sku_id AND {self._changed()}")
        return 0, updated, total - updated, {}


# --- vendor items ----------------------------------------------------------------------------------

_VENDOR_ITEM_VALUES = {
    "vendor_sku": "COALESCE(t.vendor_sku, i.vendor_sku)",
    "cost": "COALESCE(t.cost, i.cost)",
    "lead_time_days": "COALESCE(t.lead_time_days, i.lead_time_days)",
    "minimum_order_quantity": "COALESCE(t.minimum_order_quantity, i.minimum_order_quantity)",
    "pack_size": "COALESCE(t.pack_size, i.pack_size)",
}


class VendorItemKind(ImportKind):
    key = VENDOR_ITEMS
    label = gettext_lazy("Vendor items")
    description = gettext_lazy("What each vendor supplies: their code for the SKU, cost, lead time, "
                               "minimum order and pack size.")
    import_permission = "catalog.import_catalog"
    export_permission = "catalog.view_sku"
    columns = (
        Column("vendor_code", TEXT, max_length=20, required=True),
        Column("sku_code", TEXT, max_length=40, required=True),
        Column("vendor_sku", TEXT, max_length=60),
        Column("cost", DECIMAL),
        Column("lead_time_days", INTEGER),
        Column("minimum_order_quantity", INTEGER, minimum=1),
        Column("pack_size", INTEGER, minimum=1),
    )
    key_columns = ("vendor_code", "sku_code")
    existing_sql = ("EXISTS (SELECT 1 FROM catalog_vendoritem i JOIN catalog_vendor v ON v.id = i.vendor_id "
                    "JOIN catalog_sku k ON k.id = i.sku_id WHERE v.code = r.vendor_code AND k.code = r.sku_code)")
    noun = gettext_lazy("vendor item")
    nouns = _NOUNS
    messages = _MESSAGES

    def resource(self):
        from catalog.imports.resources import VendorItemResource

        return VendorItemResource()

    def check(self, run: ImportRun) -> None:
        run.add_duplicate_errors(("vendor_code", "sku_code"), "sku_code")
        self.unknown(run, "vendor_code", "catalog_vendor", "unknown_vendor")
        self.unknown(run, "sku_code", "catalog_sku", "unknown_sku")
        run.add_errors(f"SELECT r.row_number, 'sku_code', 'kit_vendor', r.sku_code, NULL FROM {ROWS} r "
                       f"JOIN catalog_sku k ON k.code = r.sku_code WHERE k.is_kit")
        run.add_errors(f"SELECT r.row_number, 'cost', 'required_new', '', 'vendor_item' FROM {ROWS} r "
                       f"JOIN catalog_vendor v ON v.code = r.vendor_code "
                       f"JOIN catalog_sku k ON k.code = r.sku_code "
                       f"WHERE r.cost = '' AND NOT EXISTS (SELECT 1 FROM catalog_vendoritem i "
                       f"WHERE i.vendor_id = v.id AND i.sku_id = k.id)")

    def typed_select(self, run: ImportRun) -> str:
        return (f"SELECT r.row_number, v.id AS vendor_id, k.id AS sku_id, i.id AS item_id, "
                f"NULLIF(r.vendor_sku, '') AS vendor_sku, NULLIF(r.cost, '')::numeric AS cost, "
                f"NULLIF(r.lead_time_days, '')::numeric::integer AS lead_time_days, "
                f"NULLIF(r.minimum_order_quantity, '')::numeric::integer AS minimum_order_quantity, "
                f"NULLIF(r.pack_size, '')::numeric::integer AS pack_size "
                f"FROM {ROWS} r JOIN catalog_vendor v ON v.code = r.vendor_code "
                f"JOIN catalog_sku k ON k.code = r.sku_code "
                f"LEFT JOIN catalog_vendoritem i ON i.vendor_id = v.id AND i.sku_id = k.id")

    def _changed(self) -> str:
        return _distinct([f"i.{column}" for column in _VENDOR_ITEM_VALUES], list(_VENDOR_ITEM_VALUES.values()))

    def preview(self, run: ImportRun) -> Counts:
        new, updated, total = run.fetchone(
            f"SELECT count(*) FILTER (WHERE t.item_id IS NULL), "
            f"count(*) FILTER (WHERE t.item_id IS NOT NULL AND {self._changed()}), count(*) "
            f"FROM {TYPED} t LEFT JOIN catalog_vendoritem i ON i.id = t.item_id")
        return new, updated, total - new - updated, {}

    def write(self, run: ImportRun) -> Counts:
        expected_new, total = run.fetchone(
            f"SELECT count(*) FILTER (WHERE item_id IS NULL), count(*) FROM {TYPED}")
        columns, expressions, params = insert_columns(VendorItem, {
            "vendor_id": "t.vendor_id", "sku_id": "t.sku_id", "vendor_sku": "COALESCE(t.vendor_sku, '')",
            "cost": "t.cost", "lead_time_days": "t.lead_time_days",
            "minimum_order_quantity": "COALESCE(t.minimum_order_quantity, 1)",
            "pack_size": "COALESCE(t.pack_size, 1)",
        })
        new = run.execute(f"INSERT INTO catalog_vendoritem ({columns}) SELECT {expressions} FROM {TYPED} t "
                          f"WHERE t.item_id IS NULL ORDER BY t.vendor_id, t.sku_id "
                          f"ON CONFLICT (vendor_id, sku_id) DO NOTHING", params)
        if new != expected_new:
            raise ImportConflict(_("Some of these vendor items were created by someone else while the file was "
                                   "being imported."))
        assignments = ", ".join(f"{column} = {value}" for column, value in _VENDOR_ITEM_VALUES.items())
        self.lock_changing(run, "catalog_vendoritem", "i", f"JOIN {TYPED} t ON i.id = t.item_id", self._changed())
        updated = run.execute(f"UPDATE catalog_vendoritem i SET {assignments} FROM {TYPED} t "
                              f"WHERE i.id = t.item_id AND {self._changed()}")
        return new, updated, total - new - updated, {}


def register_kinds() -> None:
    """Make the catalog's files importable (called from CatalogConfig.ready)."""
    for kind in (SkuKind(), PriceKind(), VendorItemKind()):
        register_kind(kind)
