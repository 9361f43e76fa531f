from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from catalog.models import MONEY, Sku, Vendor


class Warehouse(models.Model):
    """A place that holds stock: a warehouse, a store, or a third-party logistics site."""

    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", _("Warehouse")
        STORE = "store", _("Store")
        THIRD_PARTY = "3pl", _("3PL")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.WAREHOUSE)
    ships = models.BooleanField(_("ships orders"), default=True)
    allows_pickup = models.BooleanField(_("allows pickup"), default=False)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100, help_text=_("Lower goes first."))
    is_active = models.BooleanField(_("active"), default=True)
    country = models.CharField(_("country"), max_length=2, default="US")
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StockLevel(models.Model):
    """On hand and reserved units of one SKU in one warehouse; available = on_hand - reserved."""

    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="stock_levels")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    # Inventory value at moving average cost: always the sum of this row's movement values.
    value = models.DecimalField(_("value"), **MONEY, default=Decimal("0"), db_default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku", "warehouse"]
        permissions = [
            ("adjust_stock", _("Can adjust stock")),
            ("transfer_stock", _("Can transfer stock between warehouses")),
            ("count_stock", _("Can post stock counts")),
            ("import_stock", _("Can import stock counts")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["sku", "warehouse"], name="stock_level_unique"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"),
        ]
        indexes = [models.Index(fields=["warehouse", "sku"], name="stock_level_warehouse_sku")]

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.warehouse_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def average_cost(self) -> Decimal | None:
        """Value ÷ on hand (None with nothing on hand)."""
        return self.value / self.on_hand if self.on_hand else None


class StockMovement(models.Model):
    """One change of on_hand. Never edited or deleted (a database trigger refuses both)."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        SHIPMENT = "shipment", _("Shipment")
        ADJUSTMENT = "adjustment", _("Adjustment")
        COUNT = "count", _("Count")
        RETURN = "return", _("Return")
        TRANSFER = "transfer", _("Transfer")

    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="movements")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    quantity = models.IntegerField(_("quantity"), help_text=_("Positive adds to on hand, negative takes away."))
    unit_cost = models.DecimalField(_("unit cost"), **MONEY, null=True, blank=True)
    # What the movement added to (or, negative, took from) the stock's value; signed like quantity.
    value = models.DecimalField(_("value"), **MONEY, default=Decimal("0"), db_default=Decimal("0"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    purchase_order_line = models.ForeignKey("PurchaseOrderLine", on_delete=models.PROTECT, null=True, blank=True,
                                            related_name="movements")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="stock_movement_not_zero")]
        indexes = [models.Index(fields=["sku", "-created_at", "-id"], name="movement_sku_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} {self.sku_id}@{self.warehouse_id}"


class Reservation(models.Model):
    """Units of a stocked SKU held for a reference (an order line). A kit reserves its components,
    each as its own row sharing the ``group`` of the kit line."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RELEASED = "released", _("Released")
        CONSUMED = "consumed", _("Consumed")

    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="reservations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations",
                                  db_index=False)  # read by (sku, warehouse): reservation_open
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    reference = models.CharField(_("reference"), max_length=100)  # indexed in Meta, exact matches only
    group = models.UUIDField(_("group"), db_index=True)
    requested_sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+",
                                      help_text=_("The SKU asked for: the kit, or the SKU itself."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_positive")]
        indexes = [
            models.Index(fields=["sku", "warehouse"], condition=Q(status="open"), name="reservation_open"),
            models.Index(fields=["reference"], name="reservation_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_id}@{self.warehouse_id} for {self.reference}"


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        PARTIALLY_RECEIVED = "partially_received", _("Partially received")
        RECEIVED = "received", _("Received")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    RECEIVABLE_STATUSES = (Status.SENT, Status.PARTIALLY_RECEIVED)
    TRANSITIONS = {
        Status.DRAFT: {Status.SENT, Status.CANCELLED},
        Status.SENT: {Status.PARTIALLY_RECEIVED, Status.RECEIVED, Status.CLOSED, Status.CANCELLED},
        Status.PARTIALLY_RECEIVED: {Status.PARTIALLY_RECEIVED, Status.RECEIVED, Status.CLOSED},
        Status.RECEIVED: {Status.CLOSED},
        Status.CLOSED: set(),
        Status.CANCELLED: set(),
    }

    number = models.CharField(_("number"), max_length=20, unique=True)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="purchase_orders")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="purchase_orders")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("receive_purchaseorder", _("Can receive purchase orders")),
            ("over_receive", _("Can receive more than was ordered")),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("inventory:po_detail", args=[self.pk])


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="purchase_order_lines")
    quantity_ordered = models.PositiveIntegerField(_("ordered"))
    quantity_received = models.PositiveIntegerField(_("received"), default=0)
    unit_cost = models.DecimalField(_("unit cost"), **MONEY)

    class Meta:
        ordering = ["purchase_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "sku"], name="po_line_sku_unique"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="po_line_ordered_positive"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="po_line_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_order.number}: {self.quantity_ordered} × {self.sku_id}"

    @property
    def quantity_open(self) -> int:
        return max(self.quantity_ordered - self.quantity_received, 0)
