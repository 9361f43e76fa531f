"""Vendor bills against purchase orders, and the tolerances of their three-way match."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog.models import MONEY
from oms.money import round_money
from payments.payables.matching import Tolerance

PERCENT = {"max_digits": 6, "decimal_places": 3, "default": Decimal("0"),
           "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]}


class MatchTolerance(models.Model):
    """The one row of match tolerances, edited in the admin. Within either limit of a kind passes."""

    SINGLETON_ID = 1

    quantity_units = models.PositiveIntegerField(
        _("quantity tolerance (units)"), default=0,
        help_text=_("Units a line may be billed beyond what was received."))
    quantity_percent = models.DecimalField(
        _("quantity tolerance (%)"), **PERCENT,
        help_text=_("Percent of the received quantity a line may be billed beyond it."))
    price_percent = models.DecimalField(
        _("price tolerance (%)"), **PERCENT,
        help_text=_("Percent of the purchase order's unit cost the bill's may differ by, either way."))
    price_amount = models.DecimalField(
        _("price tolerance (amount per unit)"), **MONEY, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Amount per unit the bill's unit cost may differ from the purchase order's, either way."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("match tolerance")
        verbose_name_plural = _("match tolerances")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="match_tolerance_single_row"),
            models.CheckConstraint(
                condition=Q(quantity_percent__gte=0, price_percent__gte=0, price_amount__gte=0),
                name="match_tolerance_not_negative"),
        ]

    def __str__(self) -> str:
        return str(_("Match tolerances"))

    def save(self, *args, **kwargs) -> None:
        self.pk = self.SINGLETON_ID
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> MatchTolerance:
        """The saved tolerances, or the defaults (nothing allowed) when none were saved; never writes."""
        return cls.objects.filter(pk=cls.SINGLETON_ID).first() or cls(pk=cls.SINGLETON_ID)

    def as_tolerance(self) -> Tolerance:
        return Tolerance(quantity_units=self.quantity_units, quantity_percent=self.quantity_percent,
                         price_percent=self.price_percent, price_amount=self.price_amount)


class VendorBillQuerySet(models.QuerySet):
    def posted(self) -> VendorBillQuerySet:
        return self.filter(status=VendorBill.Status.POSTED)


class VendorBill(models.Model):
    """A vendor's invoice for goods on one purchase order, entered by an accountant and posted once."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        POSTED = "posted", _("Posted")
        VOID = "void", _("Void")

    TRANSITIONS = {
        Status.DRAFT: {Status.POSTED, Status.VOID},
        Status.POSTED: set(),
        Status.VOID: set(),
    }

    vendor = models.ForeignKey("catalog.Vendor", on_delete=models.PROTECT, related_name="bills")
    purchase_order = models.ForeignKey("inventory.PurchaseOrder", on_delete=models.PROTECT,
                                       related_name="bills")
    bill_number = models.CharField(_("bill number"), max_length=50,
                                   help_text=_("The vendor's invoice number, unique per vendor."))
    bill_date = models.DateField(_("bill date"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    freight = models.DecimalField(_("freight"), **MONEY, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT,
                              db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    match_override_reason = models.TextField(
        _("match override reason"), blank=True,
        help_text=_("Why the bill was posted although the match flagged differences."))
    void_reason = models.TextField(_("void reason"), blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_entry = models.OneToOneField("payments.JournalEntry", on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="vendor_bill")
    voided_at = models.DateTimeField(null=True, blank=True)

    objects = VendorBillQuerySet.as_manager()

    class Meta:
        ordering = ["-bill_date", "-pk"]
        verbose_name = _("vendor bill")
        verbose_name_plural = _("vendor bills")
        permissions = [
            ("post_vendorbill", _("Can post vendor bills")),
            ("view_po_reconciliation", _("Can view the purchase order reconciliation")),
        ]
        constraints = [
            # A vendor's invoice number is entered once (in any case), so it cannot be paid twice;
            # a voided bill frees its number.
            models.UniqueConstraint(Lower("bill_number"), "vendor", condition=~Q(status="void"),
                                    name="vendor_bill_number_unique"),
            models.CheckConstraint(condition=Q(freight__gte=0), name="vendor_bill_freight_not_negative"),
            models.CheckConstraint(condition=~Q(status="posted") | Q(posted_at__isnull=False),
                                   name="vendor_bill_posted_has_time"),
        ]
        indexes = [models.Index(fields=["vendor", "-bill_date"], name="vendor_bill_vendor_date")]

    def __str__(self) -> str:
        return self.bill_number

    def get_absolute_url(self) -> str:
        return reverse("payables:bill_detail", args=[self.pk])

    @property
    def total(self) -> Decimal:
        """What the vendor is owed: each line rounded to the currency, plus freight (as posted)."""
        return sum((line.amount for line in self.lines.all()), Decimal("0")) + round_money(self.freight,
                                                                                           self.currency)


class VendorBillLine(models.Model):
    """A billed quantity of one purchase order line at the vendor's unit cost.

    ``cleared_amount`` and ``variance_amount`` are written when the bill posts: what left goods
    received not invoiced and what went to purchase price variance, as posted.
    """

    bill = models.ForeignKey(VendorBill, on_delete=models.CASCADE, related_name="lines")
    purchase_order_line = models.ForeignKey("inventory.PurchaseOrderLine", on_delete=models.PROTECT,
                                            related_name="bill_lines")
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_cost = models.DecimalField(_("unit cost"), **MONEY)
    cleared_amount = models.DecimalField(_("cleared from goods received not invoiced"), **MONEY, null=True,
                                         blank=True)
    variance_amount = models.DecimalField(_("purchase price variance"), **MONEY, null=True, blank=True)

    class Meta:
        ordering = ["bill", "pk"]
        verbose_name = _("vendor bill line")
        verbose_name_plural = _("vendor bill lines")
        constraints = [
            models.UniqueConstraint(fields=["bill", "purchase_order_line"], name="vendor_bill_line_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="vendor_bill_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="vendor_bill_line_cost_not_negative"),
        ]
        indexes = [models.Index(fields=["purchase_order_line", "bill"], name="vendor_bill_line_po_line")]

    def __str__(self) -> str:
        return f"{self.bill_id}: {self.quantity} × {self.purchase_order_line_id}"

    @property
    def amount(self) -> Decimal:
        return round_money(self.unit_cost * self.quantity, self.bill.currency)
