"""Returns: RMAs, the units received back, vendor credits and warranty claims.

Imported by ``orders/models.py``: they are the orders app's models, migrated with it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from catalog.models import MONEY, Sku, Vendor
from inventory.models import Warehouse

DEFAULT_RETURN_WINDOW_DAYS = 30


class ReturnPolicy(models.Model):
    """How long after delivery (or shipment) a channel's orders may come back; admin-editable.

    ``channel`` is an order's channel (``phone``, ``web``, ``store``, ``marketplace:amazon``);
    a ``marketplace:<name>`` without a row of its own falls back to ``marketplace``, and a
    channel without any row gets :data:`DEFAULT_RETURN_WINDOW_DAYS`.
    """

    channel = models.CharField(_("channel"), max_length=50, unique=True)
    window_days = models.PositiveSmallIntegerField(_("return window (days)"), default=DEFAULT_RETURN_WINDOW_DAYS)

    class Meta:
        ordering = ["channel"]
        verbose_name = _("return policy")
        verbose_name_plural = _("return policies")

    def __str__(self) -> str:
        return f"{self.channel}: {self.window_days}"


class ReturnReason(models.TextChoices):
    DAMAGED = "damaged", _("Arrived damaged")
    DEFECTIVE = "defective", _("Defective")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    SIZE_FIT = "size_fit", _("Size or fit")
    NOT_NEEDED = "not_needed", _("No longer needed")
    OTHER = "other", _("Other")


class Rma(models.Model):
    """A return merchandise authorization: lines of one order coming back to one warehouse."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PARTIALLY_RECEIVED = "partially_received", _("Partially received")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        REFUND = "refund", _("Refund")
        EXCHANGE = "exchange", _("Exchange")

    class Source(models.TextChoices):
        AGENT = "agent", _("Customer service")
        STORE = "store", _("Store counter")
        SELF_SERVICE = "self_service", _("Customer (self-service)")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="rmas")
    number = models.CharField(_("number"), max_length=30, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.REFUND)
    source = models.CharField(_("from"), max_length=20, choices=Source.choices, default=Source.AGENT)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="rmas",
                                  verbose_name=_("returns to"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    override_reason = models.CharField(_("override reason"), max_length=300, blank=True)
    override_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    label = models.ForeignKey("orders.CarrierLabel", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    label_message = models.CharField(_("label"), max_length=300, blank=True)
    # What the received units are worth to the customer (their share of line totals, tax included).
    credit_amount = models.DecimalField(_("credit"), **MONEY, default=Decimal("0"))
    refund_requested_at = models.DateTimeField(_("refund requested at"), null=True, blank=True)
    refund_amount = models.DecimalField(_("refund"), **MONEY, null=True, blank=True)
    exchange_order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="exchanged_from")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("RMA")
        permissions = [
            ("override_return", _("Can authorize the return of non-returnable items")),
            ("receive_return", _("Can receive returns at the warehouse")),
        ]
        indexes = [models.Index(fields=["warehouse", "status"], name="rma_open",
                                condition=Q(status__in=["requested", "partially_received"]))]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("returns:rma_detail", args=[self.pk])


class RmaLine(models.Model):
    rma = models.ForeignKey(Rma, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="rma_lines")
    quantity = models.PositiveIntegerField(_("quantity"))
    quantity_received = models.PositiveIntegerField(_("received"), default=0)
    reason = models.CharField(_("reason"), max_length=20, choices=ReturnReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    is_override = models.BooleanField(_("non-returnable, authorized"), default=False)
    replacement_sku = models.ForeignKey(Sku, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                        verbose_name=_("exchange for"))

    class Meta:
        ordering = ["rma", "pk"]
        constraints = [models.CheckConstraint(
            condition=Q(quantity__gt=0) & Q(quantity_received__lte=F("quantity")), name="rma_line_quantities")]

    def __str__(self) -> str:
        return f"{self.rma_id}: {self.quantity} × {self.order_line_id}"


class Disposition(models.TextChoices):
    RESTOCK = "restock", _("Restock")
    SCRAP = "scrap", _("Scrap")
    VENDOR = "vendor", _("Return to vendor")


class ReturnReceipt(models.Model):
    """One unit received back and inspected, with what became of it; posts once (source: this row).

    ``token`` comes with the receiving form, so the same submission twice receives once.
    """

    rma_line = models.ForeignKey(RmaLine, on_delete=models.PROTECT, related_name="receipts")
    token = models.UUIDField(unique=True)
    disposition = models.CharField(_("disposition"), max_length=20, choices=Disposition.choices)
    condition = models.CharField(_("inspection"), max_length=300, blank=True)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    cost = models.DecimalField(_("cost"), **MONEY, default=Decimal("0"))
    credit = models.DecimalField(_("credit"), **MONEY, default=Decimal("0"))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "pk"]
        indexes = [models.Index(fields=["received_by", "received_at"], name="return_receipt_who_when")]

    def __str__(self) -> str:
        return f"{self.rma_line_id} {self.disposition}"


class VendorCredit(models.Model):
    """What a vendor owes us back: a unit returned to it, or a warranty chargeback."""

    class Kind(models.TextChoices):
        RETURN = "return", _("Return to vendor")
        CHARGEBACK = "chargeback", _("Warranty chargeback")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SETTLED = "settled", _("Settled")

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    amount = models.DecimalField(_("amount"), **MONEY)
    receipt = models.OneToOneField(ReturnReceipt, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="vendor_credit")
    claim = models.OneToOneField("orders.WarrantyClaim", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="chargeback")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class WarrantyClaim(models.Model):
    """A delivered unit that failed after its return window: the customer's claim, the vendor's chargeback."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="warranty_claims")
    quantity = models.PositiveIntegerField(_("quantity"))
    description = models.CharField(_("what is wrong"), max_length=500)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="warranty_claim_quantity")]

    def __str__(self) -> str:
        return f"{self.order_line_id}: {self.quantity}"
