"""Fulfillment models (FULFILLMENT_CONTRACT.md; field names are the contract).

Imported by ``orders/models.py``: they are the orders app's models, migrated with it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import MONEY, Sku
from inventory.models import Warehouse


class BinLocation(models.Model):
    """Where a SKU is kept in a warehouse (e.g. "A-01-03"); pick lists sort by it."""

    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="bin_locations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="bin_locations")
    code = models.CharField(_("bin"), max_length=40)

    class Meta:
        ordering = ["warehouse", "code", "sku"]
        constraints = [models.UniqueConstraint(fields=["sku", "warehouse"], name="bin_location_sku_warehouse_unique")]

    def __str__(self) -> str:
        return f"{self.code}"


class PickWave(models.Model):
    """A batch of shipments of one warehouse picked together from one pick list."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PICKING = "picking", _("Picking")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="pick_waves")
    number = models.CharField(_("number"), max_length=20, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("manage_wave", _("Can create pick waves and print pick lists")),
            ("pick_wave", _("Can scan picks")),
            ("answer_short_pick", _("Can answer a customer's short-pick choice")),
        ]
        indexes = [models.Index(fields=["warehouse", "status"], name="pick_wave_open",
                                condition=Q(status__in=["open", "picking"]))]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("fulfillment:wave_detail", args=[self.pk])


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PICKING = "picking", _("Picking")
    PICKED = "picked", _("Picked")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


# A shipment in one of these still holds its order's units at its warehouse: the order is not
# taken into another wave there (shipment_one_open_per_order_warehouse).
OPEN_SHIPMENT_STATUSES = (ShipmentStatus.PENDING, ShipmentStatus.PICKING, ShipmentStatus.PICKED,
                          ShipmentStatus.PACKED)


class Shipment(models.Model):
    """What leaves one warehouse for one order: its lines, its box, its carrier and its tracking."""

    Status = ShipmentStatus

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="shipments")
    wave = models.ForeignKey(PickWave, on_delete=models.SET_NULL, null=True, blank=True, related_name="shipments")
    number = models.CharField(_("number"), max_length=30, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=ShipmentStatus.choices,
                              default=ShipmentStatus.PENDING)
    carrier = models.CharField(_("carrier"), max_length=40, blank=True)
    service = models.CharField(_("service"), max_length=80, blank=True)
    rate_amount = models.DecimalField(_("rate"), **MONEY, null=True, blank=True)
    rate_currency = models.CharField(_("rate currency"), max_length=3, blank=True)
    rate_reason = models.CharField(_("why this rate"), max_length=300, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=80, blank=True)
    box = models.CharField(_("box"), max_length=40, blank=True)
    weight_grams = models.PositiveIntegerField(_("weight (g)"), null=True, blank=True)
    packed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    shipped_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    external_reference = models.CharField(_("3PL reference"), max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "external_reference"],
                                    condition=Q(external_reference__isnull=False),
                                    name="shipment_external_reference_unique"),
            # One open wave shipment per order and warehouse: two waves never take the same order twice
            # (shipments made outside a wave, e.g. for a 3PL, are not held to it).
            models.UniqueConstraint(fields=["order", "warehouse"],
                                    condition=Q(wave__isnull=False)
                                    & Q(status__in=["pending", "picking", "picked", "packed"]),
                                    name="shipment_one_open_per_order_warehouse"),
        ]
        # Reports read shipments by the day they shipped through reporting's reporting_shipment_shipped_at.
        indexes = [models.Index(fields=["status", "warehouse"], name="shipment_status")]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(models.Model):
    """Units of one order line in a shipment; a kit line ships its components (its reservation group)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="shipment_lines")
    allocation = models.ForeignKey("orders.LineAllocation", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="shipment_lines")
    reservation_group = models.UUIDField(_("reservation group"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    picked_quantity = models.PositiveIntegerField(_("picked"), default=0)
    packed_quantity = models.PositiveIntegerField(_("packed"), default=0)
    picked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    picked_at = models.DateTimeField(_("picked at"), null=True, blank=True)

    class Meta:
        ordering = ["shipment", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_positive"),
            models.CheckConstraint(condition=Q(picked_quantity__lte=models.F("quantity"))
                                   & Q(packed_quantity__lte=models.F("picked_quantity")),
                                   name="shipment_line_quantities_consistent"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.quantity} × {self.order_line_id}"


class ShipmentEvent(models.Model):
    """The shipment's timeline and the productivity data: who picked, packed, shipped, received what."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status")
        PICK = "pick", _("Pick")
        SHORT_PICK = "short_pick", _("Short pick")
        REFUSED_SCAN = "refused_scan", _("Refused scan")
        PACK = "pack", _("Pack")
        LABEL = "label", _("Label")
        SHIP = "ship", _("Ship")
        TRACKING = "tracking", _("Tracking")
        DELIVERED = "delivered", _("Delivered")
        RECEIVE = "receive", _("Receive")
        NOTE = "note", _("Note")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    message = models.CharField(_("message"), max_length=500)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["shipment", "created_at"], name="shipment_event_timeline"),
                   models.Index(fields=["actor", "kind", "created_at"], name="shipment_event_actor"),
                   # Productivity reads every person's events of some days; rows arrive in time order.
                   BrinIndex(fields=["created_at"], name="shipment_event_created_brin")]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.kind}: {self.message}"
