"""django-import-export resources: the column sets of the import files, and their exports.

The exports (CSV and XLSX) go through these resources, so an exported file has exactly the
columns an import expects and imports back unchanged. The app imports files through the
set-based path of ``oms.imports.services``; these resources can also import row by row
(``resource.import_data``) with the same meaning of every column — a blank cell keeps the
stored value — which is what the benchmark compares the app's path against.

Numbers are written plainly ("4.500"), never in the user's locale, so that a file exported by
a French user imports anywhere.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from catalog.models import Sku, Style, Vendor, VendorItem

SKU_COLUMNS = ("style_code", "style_name", "category", "sku_code", "sku_name", "barcode", "option_values",
               "weight_kg", "cost", "list_price", "currency", "status", "tax_class", "gift_card")
PRICE_COLUMNS = ("sku_code", "list_price", "cost", "currency")
VENDOR_ITEM_COLUMNS = ("vendor_code", "sku_code", "vendor_sku", "cost", "lead_time_days",
                       "minimum_order_quantity", "pack_size")


class PlainDecimalWidget(widgets.DecimalWidget):
    """A decimal as "1234.500" both ways, whatever the locale; a native number in XLSX."""

    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(_("“%(value)s” is not a number (write it like 1234.50).")
                             % {"value": value}) from None
        if number < 0:
            raise ValueError(_("“%(value)s” is negative; it must be zero or more.") % {"value": value})
        return number

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else format(value, "f")


class PlainIntegerWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        if self.is_empty(value):
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(_("“%(value)s” is not a number (write it like 1234.50).")
                             % {"value": value}) from None
        if number != number.to_integral_value():
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": value})
        if number < 0:
            raise ValueError(_("“%(value)s” is negative; it must be zero or more.") % {"value": value})
        return int(number)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else str(value)


class BlankKeepsWidget(widgets.CharWidget):
    """Text where a blank cell means "no value given" (None), not an empty string."""

    def __init__(self, *, transform=str.strip):
        super().__init__(allow_blank=False)
        self.transform = transform

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs)
        text = self.transform(text) if text is not None else None
        return text or None


class OptionValuesWidget(widgets.Widget):
    """``{"size": "M", "colour": "Red"}`` as ``size=M;colour=Red``."""

    def clean(self, value, row=None, **kwargs):
        text = (value or "").strip() if not isinstance(value, dict) else value
        if isinstance(text, dict) or not text:
            return text or None
        options: dict[str, str] = {}
        for pair in filter(None, (part.strip() for part in text.split(";"))):
            name, equals, option = pair.partition("=")
            if not equals or not name.strip() or not option.strip() or name.strip() in options:
                raise ValueError(_("“%(value)s” must be option=value pairs separated by semicolons, "
                                   "like size=M;colour=Red.") % {"value": value})
            options[name.strip()] = option.strip()
        return options

    def render(self, value, obj=None, **kwargs):
        return ";".join(f"{name}={option}" for name, option in (value or {}).items())


def _field(attribute: str, column: str, widget=None, **options) -> fields.Field:
    # saves_null_values=False: a blank cell (cleaned to None) leaves the attribute as it is.
    return fields.Field(attribute=attribute, column_name=column, widget=widget or BlankKeepsWidget(),
                        saves_null_values=False, **options)


def option_values_text(sku: Sku) -> str:
    """The option values in the order of the style's axes, then any others by name."""
    values = sku.option_values or {}
    axes = [axis for axis in (sku.style.option_axes or []) if axis in values]
    ordered = axes + sorted(name for name in values if name not in axes)
    return ";".join(f"{name}={values[name]}" for name in ordered)


class SkuResource(resources.ModelResource):
    """One row per SKU with its style's code, name and category."""

    style_code = fields.Field(attribute="style", column_name="style_code",
                              widget=widgets.ForeignKeyWidget(Style, field="code"))
    style_name = fields.Field(attribute="style__name", column_name="style_name", readonly=True)
    category = fields.Field(attribute="style__category", column_name="category", readonly=True)
    sku_code = _field("code", "sku_code")
    sku_name = _field("name", "sku_name")
    barcode = _field("barcode", "barcode")
    option_values = _field("option_values", "option_values", OptionValuesWidget())
    weight_kg = _field("weight_kg", "weight_kg", PlainDecimalWidget())
    cost = _field("cost", "cost", PlainDecimalWidget())
    list_price = _field("list_price", "list_price", PlainDecimalWidget())
    currency = _field("currency", "currency", BlankKeepsWidget(transform=lambda text: text.strip().upper()))
    status = _field("status", "status", BlankKeepsWidget(transform=lambda text: text.strip().lower()))
    tax_class = _field("tax_class", "tax_class", BlankKeepsWidget(transform=lambda text: text.strip().lower()))
    gift_card = _field("gift_card", "gift_card", widgets.CharWidget())

    class Meta:
        model = Sku
        fields = SKU_COLUMNS
        export_order = SKU_COLUMNS
        import_id_fields = ("sku_code",)
        skip_unchanged = True
        clean_model_instances = True
        use_transactions = True

    def get_queryset(self) -> QuerySet[Sku]:
        return Sku.objects.select_related("style").order_by("code")

    def dehydrate_option_values(self, sku: Sku) -> str:
        return option_values_text(sku)

    def before_import_row(self, row, **kwargs) -> None:
        """Create the row's style, or update its name, category and option axes."""
        code = str(row.get("style_code") or "").strip()
        if not code:
            return
        name = str(row.get("style_name") or "").strip()
        category = str(row.get("category") or "").strip()
        options = OptionValuesWidget().clean(row.get("option_values")) or {}
        style, created = Style.objects.get_or_create(
            code=code, defaults={"name": name or code, "category": category, "option_axes": list(options)})
        if created:
            return
        changed = {}
        if name and name != style.name:
            changed["name"] = name
        if category and category != style.category:
            changed["category"] = category
        new_axes = [axis for axis in options if axis not in (style.option_axes or [])]
        if new_axes:
            changed["option_axes"] = list(style.option_axes or []) + new_axes
        if changed:
            Style.objects.filter(pk=style.pk).update(**changed)


class _ExistingSkuLoader(resources.ModelResource):
    """A resource that updates SKUs and never creates one."""

    def get_or_init_instance(self, instance_loader, row):
        instance = self.get_instance(instance_loader, row)
        if instance is None:
            raise ValueError(_("There is no SKU “%(value)s”.") % {"value": row.get("sku_code")})
        return instance, False


class PriceResource(_ExistingSkuLoader):
    sku_code = fields.Field(attribute="code", column_name="sku_code")
    list_price = _field("list_price", "list_price", PlainDecimalWidget())
    cost = _field("cost", "cost", PlainDecimalWidget())
    currency = _field("currency", "currency", BlankKeepsWidget(transform=lambda text: text.strip().upper()))

    class Meta:
        model = Sku
        fields = PRICE_COLUMNS
        export_order = PRICE_COLUMNS
        import_id_fields = ("sku_code",)
        skip_unchanged = True
        clean_model_instances = True
        use_transactions = True

    def get_queryset(self) -> QuerySet[Sku]:
        return Sku.objects.order_by("code")


class VendorItemResource(resources.ModelResource):
    vendor_code = fields.Field(attribute="vendor", column_name="vendor_code",
                               widget=widgets.ForeignKeyWidget(Vendor, field="code"))
    sku_code = fields.Field(attribute="sku", column_name="sku_code",
                            widget=widgets.ForeignKeyWidget(Sku, field="code"))
    vendor_sku = _field("vendor_sku", "vendor_sku")
    cost = _field("cost", "cost", PlainDecimalWidget())
    lead_time_days = _field("lead_time_days", "lead_time_days", PlainIntegerWidget())
    minimum_order_quantity = _field("minimum_order_quantity", "minimum_order_quantity", PlainIntegerWidget())
    pack_size = _field("pack_size", "pack_size", PlainIntegerWidget())

    class Meta:
        model = VendorItem
        fields = VENDOR_ITEM_COLUMNS
        export_order = VENDOR_ITEM_COLUMNS
        import_id_fields = ("vendor_code", "sku_code")
        skip_unchanged = True
        clean_model_instances = True
        use_transactions = True

    def get_queryset(self) -> QuerySet[VendorItem]:
        return VendorItem.objects.select_related("vendor", "sku").order_by("vendor__code", "sku__code")
