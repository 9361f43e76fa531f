"""Price list entries as an import file, staged and checked as every other kind (oms.imports).

A file holds one row per entry: ``price_list`` (its code), ``sku_code``, ``price``,
``effective_from`` and ``effective_to``. Imported from a price list's page, the job's options
name that list: the file may leave the ``price_list`` column out or blank, and a row naming
another list is refused. ``register_kinds`` is called from MarketingConfig.ready.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketing.models import PriceList, PriceListEntry
from oms.imports.engine import DATE, DECIMAL, ROWS, TEXT, TYPED, Column, ImportConflict, ImportRun, insert_columns
from oms.imports.kinds import Counts, ImportKind, distinct, register_kind

PRICE_LIST_ENTRIES = "price_list_entries"
FIXED_PRICE_LIST = "price_list"  # the job option: the code of the list every row imports into

_VALUES = {  # column: its value after the import (e: the entry as stored, t: the file's row)
    "price": "COALESCE(t.price, e.price)",
    "effective_from": "COALESCE(t.effective_from, e.effective_from)",
    "effective_to": "COALESCE(t.effective_to, e.effective_to)",
}


class PriceListEntryKind(ImportKind):
    key = PRICE_LIST_ENTRIES
    label = gettext_lazy("Price list entries")
    description = gettext_lazy("The price of each SKU on a price list, optionally for part of its span "
                               "(dates like 2026-03-31). New pairs add entries; known ones change them.")
    import_permission = ("marketing.add_pricelistentry", "marketing.change_pricelistentry")
    export_permission = ("marketing.view_pricelist", "marketing.view_pricelistentry")
    columns = (
        Column("price_list", TEXT, max_length=40, required=True),
        Column("sku_code", TEXT, max_length=40, required=True),
        Column("price", DECIMAL),
        Column("effective_from", DATE, optional=True),
        Column("effective_to", DATE, optional=True),
    )
    key_columns = ("price_list", "sku_code")
    existing_sql = ("EXISTS (SELECT 1 FROM marketing_pricelistentry x JOIN marketing_pricelist p "
                    "ON p.id = x.price_list_id JOIN catalog_sku k ON k.id = x.sku_id "
                    "WHERE p.code = r.price_list AND k.code = r.sku_code)")
    noun = gettext_lazy("price list entry")
    nouns = {"entry": gettext_lazy("price list entry")}
    messages = {
        "unknown_sku": gettext_lazy("There is no SKU “%(value)s”."),
        "unknown_price_list": gettext_lazy("There is no price list “%(value)s”."),
        "other_price_list": gettext_lazy("This file imports into %(detail)s, not %(value)s."),
        "window": gettext_lazy("“%(value)s” comes before the start of the entry’s span (%(detail)s)."),
    }
    return_label = gettext_lazy("Price list")

    # --- the price list a file imports into ---------------------------------------------------

    @staticmethod
    def fixed_price_list(run: ImportRun) -> str:
        return str(run.options.get(FIXED_PRICE_LIST) or "")

    def supplied_columns(self, run: ImportRun) -> tuple[str, ...]:
        return ("price_list",) if self.fixed_price_list(run) else ()

    def prepare(self, run: ImportRun) -> None:
        fixed = self.fixed_price_list(run)
        if fixed:
            run.execute(f"UPDATE {ROWS} SET price_list = %s WHERE price_list = ''", [fixed])

    def return_url(self, job) -> str | None:
        code = (job.options or {}).get(FIXED_PRICE_LIST)
        price_list = PriceList.objects.filter(code=code).only("pk").first() if code else None
        return reverse("marketing:pricelist_detail", args=[price_list.pk]) if price_list else None

    # --- exports ---------------------------------------------------------------------------------

    def resource(self, **options: Any):
        from marketing.resources import PriceListEntryResource

        return PriceListEntryResource()

    def export_queryset(self, resource, *, price_list: PriceList | None = None, **options: Any) -> QuerySet:
        queryset = (PriceListEntry.objects.select_related("price_list", "sku")
                    .order_by("price_list__code", "sku__code"))
        return queryset.filter(price_list=price_list) if price_list is not None else queryset

    # --- checks and writes -----------------------------------------------------------------------

    def check(self, run: ImportRun) -> None:
        run.add_duplicate_errors(("price_list", "sku_code"), "sku_code")
        fixed = self.fixed_price_list(run)
        if fixed:
            run.add_errors(f"SELECT r.row_number, 'price_list', 'other_price_list', r.price_list, %s FROM {ROWS} r "
                           f"WHERE r.price_list <> %s", [fixed, fixed])
        self.unknown(run, "price_list", "marketing_pricelist", "unknown_price_list")
        self.unknown(run, "sku_code", "catalog_sku", "unknown_sku")
        run.add_errors(f"SELECT r.row_number, 'price', 'required_new', '', 'entry' FROM {ROWS} r "
                       f"WHERE r.price = '' AND r.price_list <> '' AND r.sku_code <> '' AND NOT ({self.existing_sql})")
        if run.fetchone("SELECT count(*) FROM import_error WHERE code = 'bad_date'")[0]:
            return  # the span check casts the dates, which must all be good first
        run.add_errors(
            f"SELECT r.row_number, 'effective_to', 'window', "
            f"COALESCE(NULLIF(left(r.effective_to, 10), ''), e.effective_to::text), "
            f"COALESCE(NULLIF(left(r.effective_from, 10), ''), e.effective_from::text) FROM {ROWS} r "
            f"LEFT JOIN marketing_pricelist p ON p.code = r.price_list "
            f"LEFT JOIN catalog_sku k ON k.code = r.sku_code "
            f"LEFT JOIN marketing_pricelistentry e ON e.price_list_id = p.id AND e.sku_id = k.id "
            f"WHERE (r.effective_from <> '' OR r.effective_to <> '') "
            f"AND COALESCE(left(NULLIF(r.effective_to, ''), 10)::date, e.effective_to) "
            f"  < COALESCE(left(NULLIF(r.effective_from, ''), 10)::date, e.effective_from)")

    def typed_select(self, run: ImportRun) -> str:
        return (f"SELECT r.row_number, p.id AS price_list_id, k.id AS sku_id, e.id AS entry_id, "
                f"NULLIF(r.price, '')::numeric AS price, "
                f"left(NULLIF(r.effective_from, ''), 10)::date AS effective_from, "
                f"left(NULLIF(r.effective_to, ''), 10)::date AS effective_to "
                f"FROM {ROWS} r JOIN marketing_pricelist p ON p.code = r.price_list "
                f"JOIN catalog_sku k ON k.code = r.sku_code "
                f"LEFT JOIN marketing_pricelistentry e ON e.price_list_id = p.id AND e.sku_id = k.id")

    def _changed(self) -> str:
        return distinct([f"e.{column}" for column in _VALUES], list(_VALUES.values()))

    def preview(self, run: ImportRun) -> Counts:
        new, updated, total = run.fetchone(
            f"SELECT count(*) FILTER (WHERE t.entry_id IS NULL), "
            f"count(*) FILTER (WHERE t.entry_id IS NOT NULL AND {self._changed()}), count(*) "
            f"FROM {TYPED} t LEFT JOIN marketing_pricelistentry e ON e.id = t.entry_id")
        return new, updated, total - new - updated, {}

    def write(self, run: ImportRun) -> Counts:
        expected_new, total = run.fetchone(f"SELECT count(*) FILTER (WHERE entry_id IS NULL), count(*) FROM {TYPED}")
        columns, expressions, params = insert_columns(PriceListEntry, {
            "price_list_id": "t.price_list_id", "sku_id": "t.sku_id", "price": "t.price",
            "effective_from": "t.effective_from", "effective_to": "t.effective_to",
        })
        new = run.execute(f"INSERT INTO marketing_pricelistentry ({columns}) SELECT {expressions} FROM {TYPED} t "
                          f"WHERE t.entry_id IS NULL ORDER BY t.price_list_id, t.sku_id "
                          f"ON CONFLICT (price_list_id, sku_id) DO NOTHING", params)
        if new != expected_new:
            raise ImportConflict(_("Some of these price list entries were added by someone else while the file "
                                   "was being imported."))
        if new == total:
            return new, 0, 0, {}
        assignments = ", ".join(f"{column} = {value}" for column, value in _VALUES.items())
        self.lock_changing(run, "marketing_pricelistentry", "e", f"JOIN {TYPED} t ON e.id = t.entry_id",
                           self._changed())
        updated = run.execute(f"UPDATE marketing_pricelistentry e SET {assignments} FROM {TYPED} t "
                              f"WHERE e.id = t.entry_id AND {self._changed()}")
        return new, updated, total - new - updated, {}


def register_kinds() -> None:
    register_kind(PriceListEntryKind())
