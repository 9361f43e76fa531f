from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 3}


class Style(models.Model):
    """A product as customers know it; its SKUs are the variants along ``option_axes``."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        DISCONTINUED = "discontinued", _("Discontinued")

    code = models.CharField(_("code"), max_length=40)  # unique: see Meta
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)  # indexed: see Meta
    option_axes = models.JSONField(_("option axes"), default=list, blank=True,
                                   help_text=_('Names of the variant options, e.g. ["size", "colour"].'))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("style")
        verbose_name_plural = _("styles")
        # Natural keys as UniqueConstraints rather than unique=True, and indexes declared here rather
        # than db_index=True: for those Django also builds a varchar_pattern_ops copy of each index
        # (for LIKE 'prefix%'), which no query uses and every import pays for. See Sku.Meta.
        # The import's ON CONFLICT (code) needs style_code_unique to be exactly (code).
        constraints = [models.UniqueConstraint(fields=["code"], name="style_code_unique")]
        indexes = [
            models.Index(fields=["category"], name="style_category"),
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="style_name_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PersonalizationTemplate(models.Model):
    """The fields a customer may personalize on a SKU (monogram, name, colour of thread...)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    price_addon = models.DecimalField(_("price add-on"), **MONEY, default=Decimal("0"),
                                      validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)

    class Meta:
        ordering = ["name"]
        verbose_name = _("personalization template")
        constraints = [models.CheckConstraint(condition=Q(price_addon__gte=0), name="personalization_addon_not_negative")]

    def __str__(self) -> str:
        return self.name


class PersonalizationField(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        CHOICE = "choice", _("Choice")

    template = models.ForeignKey(PersonalizationTemplate, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    is_required = models.BooleanField(_("required"), default=True)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    allowed_characters = models.CharField(
        _("allowed characters"), max_length=200, blank=True,
        help_text=_("Every character a customer may type; blank allows any printable character."),
    )
    choices = models.JSONField(_("choices"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["template", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["template", "key"], name="personalization_field_key_unique")]

    def __str__(self) -> str:
        return f"{self.template}: {self.label}"


class SkuQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Sku.Status.ACTIVE)

    def kits(self):
        return self.filter(is_kit=True)

    def stocked(self):
        """SKUs that hold stock of their own (kits and gift cards never do)."""
        return self.filter(is_kit=False, gift_card="")


class Sku(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        DISCONTINUED = "discontinued", _("Discontinued")

    class TaxClass(models.TextChoices):
        STANDARD = "standard", _("Standard")
        REDUCED = "reduced", _("Reduced")
        ZERO = "zero", _("Zero-rated")
        EXEMPT = "exempt", _("Exempt")

    class GiftCard(models.TextChoices):
        # A gift card SKU sells a card for the line's amount (payments): it needs no stock and is
        # never backordered; a physical card ships with the order and is activated by the shipment,
        # an electronic one is activated (and its line fulfilled) once the order is released.
        NONE = "", _("Not a gift card")
        PHYSICAL = "physical", _("Physical gift card")
        ELECTRONIC = "electronic", _("Electronic gift card")

    # Indexed by sku_style_code (style, code), which also answers the style's SKUs in code order.
    style = models.ForeignKey(Style, on_delete=models.PROTECT, related_name="skus", db_index=False)
    code = models.CharField(_("SKU code"), max_length=40)  # unique: see Meta
    name = models.CharField(_("name"), max_length=200)
    barcode = models.CharField(_("barcode"), max_length=40, null=True, blank=True)  # unique: see Meta
    option_values = models.JSONField(_("option values"), default=dict, blank=True)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=9, decimal_places=3, default=Decimal("0"))
    length_cm = models.DecimalField(_("length (cm)"), max_digits=8, decimal_places=2, default=Decimal("0"))
    width_cm = models.DecimalField(_("width (cm)"), max_digits=8, decimal_places=2, default=Decimal("0"))
    height_cm = models.DecimalField(_("height (cm)"), max_digits=8, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    cost = models.DecimalField(_("standard cost"), **MONEY, default=Decimal("0"))
    average_cost = models.DecimalField(_("average cost"), **MONEY, default=Decimal("0"))
    list_price = models.DecimalField(_("list price"), **MONEY, default=Decimal("0"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    tax_class = models.CharField(_("tax class"), max_length=20, choices=TaxClass.choices, default=TaxClass.STANDARD)
    is_kit = models.BooleanField(_("kit"), default=False)
    personalization_template = models.ForeignKey(
        PersonalizationTemplate, on_delete=models.PROTECT, null=True, blank=True, related_name="skus",
        db_index=False,  # a partial index, see Meta
    )
    is_returnable = models.BooleanField(_("returnable"), default=True)
    gift_card = models.CharField(_("gift card"), max_length=20, choices=GiftCard.choices, default="", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SkuQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")
        permissions = [("import_catalog", _("Can import catalog files"))]
        # Every index here is paid for by every SKU written (they are most of what writing 100,000
        # SKUs in an import costs), so each one must serve a query. Code and barcode are unique through
        # UniqueConstraints rather than unique=True, which would add a varchar_pattern_ops index for
        # LIKE 'prefix%' that no query uses; equality and ORDER BY code use the unique indexes.
        # The import knows sku_code_unique by name (catalog.imports.kinds.SKU_CODE_UNIQUE).
        constraints = [
            models.UniqueConstraint(fields=["code"], name="sku_code_unique"),
            models.UniqueConstraint(fields=["barcode"], name="sku_barcode_unique"),
            models.CheckConstraint(condition=Q(cost__gte=0) & Q(average_cost__gte=0) & Q(list_price__gte=0),
                                   name="sku_money_not_negative"),
            models.CheckConstraint(condition=Q(weight_kg__gte=0), name="sku_weight_not_negative"),
        ]
        indexes = [
            # Django's icontains is UPPER(col) LIKE UPPER(%s): these indexes serve it. They keep
            # GIN's default fast update (a 4 MB pending list): a larger list makes a big import's
            # write cheaper only by leaving the merge to VACUUM, and slows searches until then.
            GinIndex(OpClass(Upper("code"), name="gin_trgm_ops"), name="sku_code_trgm"),
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="sku_name_trgm"),
            models.Index(fields=["style", "code"], name="sku_style_code"),
            # Few SKUs are personalized: the index holds only those (for the PROTECT check and a
            # template's SKUs), so writing a SKU without a template costs nothing here.
            models.Index(fields=["personalization_template"], name="sku_personalization_template",
                         condition=Q(personalization_template__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("catalog:sku_detail", args=[self.pk])

    def save(self, *args, **kwargs):
        # Selling a gift card is not a taxable sale (what it buys is taxed when it is redeemed): a new
        # gift card SKU left at the default class is created exempt (it can be changed afterwards).
        if self._state.adding and self.gift_card and self.tax_class == self.TaxClass.STANDARD:
            self.tax_class = self.TaxClass.EXEMPT
        super().save(*args, **kwargs)

    @property
    def is_stocked(self) -> bool:
        """False for a gift card SKU: nothing is reserved or taken from stock for it."""
        return not self.gift_card


class KitComponent(models.Model):
    """``quantity`` of ``component`` go into one ``kit``. Components may themselves be kits."""

    kit = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="used_in")
    quantity = models.PositiveIntegerField(_("quantity"), default=1)

    class Meta:
        ordering = ["kit", "component__code"]
        constraints = [
            models.UniqueConstraint(fields=["kit", "component"], name="kit_component_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="kit_component_quantity_positive"),
            models.CheckConstraint(condition=~Q(kit=models.F("component")), name="kit_component_not_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.kit.code} ← {self.quantity} × {self.component.code}"


class Vendor(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), default=14)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VendorItem(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="items")
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="vendor_items")
    vendor_sku = models.CharField(_("vendor SKU"), max_length=60, blank=True)
    cost = models.DecimalField(_("cost"), **MONEY)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"), null=True, blank=True)
    minimum_order_quantity = models.PositiveIntegerField(_("minimum order quantity"), default=1)
    pack_size = models.PositiveIntegerField(_("pack size"), default=1)
    is_preferred = models.BooleanField(_("preferred"), default=False)

    class Meta:
        ordering = ["vendor", "sku"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "sku"], name="vendor_item_unique"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="vendor_item_cost_not_negative"),
            models.CheckConstraint(condition=Q(pack_size__gt=0) & Q(minimum_order_quantity__gt=0),
                                   name="vendor_item_quantities_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor.code}/{self.vendor_sku or self.sku.code}"

    @property
    def effective_lead_time_days(self) -> int:
        return self.lead_time_days if self.lead_time_days is not None else self.vendor.lead_time_days


