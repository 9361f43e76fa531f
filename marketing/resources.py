"""django-import-export resources: price list entries in and out (CSV, XLSX)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from catalog.models import Sku
from marketing.models import PriceList, PriceListEntry

COLUMNS = ("price_list", "sku_code", "price", "effective_from", "effective_to")


class _CodeWidget(widgets.ForeignKeyWidget):
    """A foreign key by code, looked up in a dictionary the resource fills once per file."""

    def __init__(self, model, field: str, cache_name: str):
        super().__init__(model, field)
        self.cache_name = cache_name

    def clean(self, value, row=None, **kwargs):
        resource = kwargs.get("resource")
        if value in (None, ""):
            return None
        found = getattr(resource, self.cache_name, {}).get(str(value).strip()) if resource else None
        if found is None:
            raise ValueError(_("There is no %(what)s %(code)s.")
                             % {"what": self.model._meta.verbose_name, "code": value})
        return found


class PriceListEntryResource(resources.ModelResource):
    """One row per entry: ``price_list`` (code), ``sku_code``, ``price``, ``effective_from``, ``effective_to``.

    Rows are matched to existing entries by price list and SKU: an existing entry is updated, a
    new one created, an unchanged one skipped. With ``price_list`` given, the file may leave the
    price list column out or blank, and a row naming another list is refused.
    """

    price_list = fields.Field(attribute="price_list", column_name="price_list",
                              widget=_CodeWidget(PriceList, "code", "price_lists_by_code"))
    sku = fields.Field(attribute="sku", column_name="sku_code", widget=_CodeWidget(Sku, "code", "skus_by_code"))
    price = fields.Field(attribute="price", column_name="price", widget=widgets.DecimalWidget(coerce_to_string=False))
    effective_from = fields.Field(attribute="effective_from", column_name="effective_from",
                                  widget=widgets.DateWidget("%Y-%m-%d"))
    effective_to = fields.Field(attribute="effective_to", column_name="effective_to",
                                widget=widgets.DateWidget("%Y-%m-%d"))

    class Meta:
        model = PriceListEntry
        fields = ("price_list", "sku", "price", "effective_from", "effective_to")
        import_id_fields = ("price_list", "sku")
        export_order = ("price_list", "sku", "price", "effective_from", "effective_to")
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True
        skip_html_diff = True

    def __init__(self, *, price_list: PriceList | None = None):
        super().__init__()
        self.fixed_price_list = price_list
        self.price_lists_by_code: dict[str, PriceList] = {}
        self.skus_by_code: dict[str, Sku] = {}
        self.entries_by_key: dict[tuple[int, int], PriceListEntry] = {}

    def column_of(self, attribute: str) -> str:
        field = self.fields.get(attribute)
        return field.column_name if field is not None else attribute

    # --- import ------------------------------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        """Fill the blank price list column and load every list, SKU and entry the file names, once."""
        if self.fixed_price_list is not None:
            if "price_list" not in dataset.headers:
                dataset.append_col([self.fixed_price_list.code] * len(dataset), header="price_list")
            else:
                column = dataset.headers.index("price_list")
                for index, row in enumerate(list(dataset)):
                    if row[column] in (None, ""):
                        values = list(row)
                        values[column] = self.fixed_price_list.code
                        dataset[index] = values
        list_codes = {str(code).strip() for code in dataset["price_list"] if code} \
            if "price_list" in dataset.headers else set()
        sku_codes = {str(code).strip() for code in dataset["sku_code"] if code} \
            if "sku_code" in dataset.headers else set()
        self.price_lists_by_code = {price_list.code: price_list
                                    for price_list in PriceList.objects.filter(code__in=list_codes)}
        self.skus_by_code = {sku.code: sku for sku in Sku.objects.filter(code__in=sku_codes)}
        self.entries_by_key = {
            (entry.price_list_id, entry.sku_id): entry
            for entry in PriceListEntry.objects.filter(
                price_list__in=list(self.price_lists_by_code.values()), sku__in=list(self.skus_by_code.values()))
        }

    def before_import_row(self, row, **kwargs):
        errors = {}
        list_code = str(row.get("price_list") or "").strip()
        if self.fixed_price_list is not None and list_code and list_code != self.fixed_price_list.code:
            errors["price_list"] = _("This file imports into %(expected)s, not %(given)s.") % {
                "expected": self.fixed_price_list.code, "given": list_code}
        elif not list_code:
            errors["price_list"] = _("Give the price list code.")
        elif list_code not in self.price_lists_by_code:
            errors["price_list"] = _("There is no price list %(code)s.") % {"code": list_code}
        sku_code = str(row.get("sku_code") or "").strip()
        if not sku_code:
            errors["sku"] = _("Give the SKU code.")
        elif sku_code not in self.skus_by_code:
            errors["sku"] = _("There is no SKU %(code)s.") % {"code": sku_code}
        if row.get("price") in (None, ""):
            errors["price"] = _("Give the price.")
        if errors:
            raise ValidationError(errors)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        return super().import_field(field, instance, row, is_m2m=is_m2m, resource=self, **kwargs)

    def get_instance(self, instance_loader, row):
        price_list = self.price_lists_by_code[str(row["price_list"]).strip()]
        sku = self.skus_by_code[str(row["sku_code"]).strip()]
        return self.entries_by_key.get((price_list.pk, sku.pk))

    def after_save_instance(self, instance, row, **kwargs):
        self.entries_by_key[(instance.price_list_id, instance.sku_id)] = instance

    # --- export ------------------------------------------------------------------------------

    def dehydrate_price_list(self, entry: PriceListEntry) -> str:
        return entry.price_list.code

    def dehydrate_sku(self, entry: PriceListEntry) -> str:
        return entry.sku.code
