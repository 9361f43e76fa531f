"""The carriers' data: table-rate zones and bands (kept in the admin), printers, the labels bought
through any carrier, and the daily manifests. Imported by ``orders/models.py``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import MONEY
from inventory.models import Warehouse


class CarrierZone(models.Model):
    """A destination zone of the table-rate carrier: a country, optionally narrowed to a region
    (state, province) and a postal-code prefix. The most specific zone matching an address wins."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2, e.g. US."))
    region = models.CharField(_("region"), max_length=50, blank=True, help_text=_("State or province code; blank for any."))
    postal_prefix = models.CharField(_("postal code prefix"), max_length=10, blank=True,
                                     help_text=_("Blank for any postal code."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country", "region", "postal_prefix", "code"]
        verbose_name = _("carrier zone")
        verbose_name_plural = _("carrier zones")
        constraints = [
            models.UniqueConstraint(fields=["country", "region", "postal_prefix"], name="carrier_zone_unique_area"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CarrierRate(models.Model):
    """One weight band of one service in one zone: parcels up to ``max_weight_grams`` cost ``amount``
    and take ``transit_days`` calendar days."""

    zone = models.ForeignKey(CarrierZone, on_delete=models.CASCADE, related_name="rates", verbose_name=_("zone"))
    service = models.CharField(_("service"), max_length=50, help_text=_("e.g. Ground, Express."))
    max_weight_grams = models.PositiveIntegerField(_("up to weight (g)"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    transit_days = models.PositiveSmallIntegerField(_("transit days"))

    class Meta:
        ordering = ["zone", "service", "max_weight_grams"]
        verbose_name = _("carrier rate")
        verbose_name_plural = _("carrier rates")
        constraints = [
            models.UniqueConstraint(fields=["zone", "service", "max_weight_grams"], name="carrier_rate_unique_band"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="carrier_rate_amount_not_negative"),
            models.CheckConstraint(condition=Q(max_weight_grams__gt=0), name="carrier_rate_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.zone.code} {self.service} ≤{self.max_weight_grams} g"


class LabelFormat(models.TextChoices):
    PDF = "pdf", _("PDF (4×6 in)")
    ZPL = "zpl", _("ZPL (thermal printer)")


class LabelPrinter(models.Model):
    """A label printer at a pack station: the format its labels are made in."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="label_printers", verbose_name=_("warehouse"))
    label_format = models.CharField(_("label format"), max_length=3, choices=LabelFormat.choices,
                                    default=LabelFormat.PDF)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("label printer")
        verbose_name_plural = _("label printers")

    def __str__(self) -> str:
        return self.name


class CarrierManifest(models.Model):
    """A carrier's end-of-day manifest for one warehouse and one shop day; closing twice is one manifest."""

    carrier = models.CharField(_("carrier"), max_length=30)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="carrier_manifests",
                                  verbose_name=_("warehouse"))
    day = models.DateField(_("day"))
    closed_at = models.DateTimeField(_("closed at"))
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("closed by"))
    label_count = models.PositiveIntegerField(_("labels"), default=0)
    pdf = models.BinaryField(_("PDF"), editable=False)

    class Meta:
        ordering = ["-day", "carrier"]
        verbose_name = _("carrier manifest")
        verbose_name_plural = _("carrier manifests")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "warehouse", "day"], name="carrier_manifest_one_per_day"),
        ]
        permissions = [("close_carrier_day", "Can close a carrier's day (manifest)")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.warehouse.code} {self.day}"


class CarrierLabel(models.Model):
    """A label bought through a carrier (any carrier): what was paid, where it is on its way to, and
    which manifest took it. The table-rate carrier's tracking is read from these rows."""

    carrier = models.CharField(_("carrier"), max_length=30)
    service = models.CharField(_("service"), max_length=100)
    tracking_number = models.CharField(_("tracking number"), max_length=64)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="carrier_labels",
                                  verbose_name=_("warehouse"))
    shipment = models.ForeignKey("orders.Shipment", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="carrier_labels", verbose_name=_("shipment"))
    shipment_reference = models.CharField(_("shipment number"), max_length=40, blank=True,
                                          help_text=_("Our shipment's number, for the manifest."))
    label_format = models.CharField(_("label format"), max_length=3, choices=LabelFormat.choices)
    content = models.BinaryField(_("label"), editable=False)
    cost = models.DecimalField(_("cost"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    weight_grams = models.PositiveIntegerField(_("weight (g)"))
    transit_days = models.PositiveSmallIntegerField(_("transit days"), null=True, blank=True)
    destination = models.CharField(_("destination"), max_length=200, blank=True)
    carrier_reference = models.CharField(_("carrier's reference"), max_length=100, blank=True,
                                         help_text=_("The carrier's id of the shipment (EasyPost shp_…), used to void."))
    bought_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    bought_at = models.DateTimeField(_("bought at"))
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    tracking_status = models.CharField(_("tracking status"), max_length=40, blank=True)
    tracked_at = models.DateTimeField(_("tracked at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    manifest = models.ForeignKey(CarrierManifest, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="labels", verbose_name=_("manifest"))

    class Meta:
        ordering = ["-bought_at", "-pk"]
        verbose_name = _("carrier label")
        verbose_name_plural = _("carrier labels")
        constraints = [
            models.UniqueConstraint(fields=["carrier", "tracking_number"], name="carrier_label_unique_tracking"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="carrier_label_cost_not_negative"),
        ]
        indexes = [
            models.Index(fields=["carrier", "warehouse", "bought_at"], name="carrier_label_day"),
            models.Index(fields=["carrier"], condition=Q(delivered_at__isnull=True, voided_at__isnull=True),
                         name="carrier_label_in_transit"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"
