"""Receivables: invoices on account, payments received and how they are applied, checks and
the deposit batches they go to the bank in.

An invoice's open amount is ``amount - amount_paid``; a payment's unapplied amount (a credit
on the customer's account) is ``amount - amount_applied``. Both running totals move only in
:func:`payments.receivables.services.payment_apply`, under row locks, and always equal the sum
of the applications (``check_invariants``); CHECK constraints keep them between 0 and the amount.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from catalog.models import MONEY


def _sequence_number(sequence: str):
    return Cast(Func(Value(sequence), function="nextval", output_field=models.BigIntegerField()),
                models.CharField(max_length=20))


class DepositBatch(models.Model):
    """Checks taken to the bank together; posts (bank against undeposited checks) when deposited."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DEPOSITED = "deposited", _("Deposited")

    number = models.CharField(_("number"), max_length=20, unique=True,
                              db_default=_sequence_number("payments_depositbatch_number_seq"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    deposited_on = models.DateField(_("deposited on"), null=True, blank=True)
    deposited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = _("deposit batches")
        permissions = [("deposit_checks", _("Can make and deposit check batches"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", deposited_on__isnull=True)
                | Q(status="deposited", deposited_on__isnull=False),
                name="deposit_batch_deposited_has_date"),
        ]

    def __str__(self) -> str:
        return self.number


class Invoice(models.Model):
    """A bill on account (terms), issued at shipment; ages from its due date."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        VOID = "void", _("Void")

    number = models.CharField(_("number"), max_length=20, unique=True,
                              db_default=_sequence_number("payments_invoice_number_seq"))
    customer = models.ForeignKey("orders.Customer", on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="invoices")
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    terms = models.CharField(_("terms"), max_length=20)
    shipment_reference = models.CharField(_("shipment"), max_length=100, blank=True, help_text=_(
        "The shipment invoiced (an order's shipment is invoiced once)."))
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    amount_paid = models.DecimalField(_("paid"), **MONEY, default=Decimal("0"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_on", "-pk"]
        permissions = [
            ("view_receivables", _("Can see receivables, statements and the aging report")),
            ("void_invoice", _("Can void invoices")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(condition=Q(amount_paid__gte=0) & Q(amount_paid__lte=F("amount")),
                                   name="invoice_paid_within_amount"),
            models.CheckConstraint(condition=Q(due_on__gte=F("issued_on")), name="invoice_due_after_issue"),
            models.CheckConstraint(condition=~Q(status="void") | Q(amount_paid=0), name="invoice_void_unpaid"),
            models.CheckConstraint(condition=~Q(status="paid") | Q(amount_paid=F("amount")),
                                   name="invoice_paid_in_full"),
            models.UniqueConstraint(fields=["order", "shipment_reference"], condition=~Q(shipment_reference=""),
                                    name="invoice_one_per_shipment"),
        ]
        indexes = [
            models.Index(fields=["customer", "issued_on"], name="invoice_customer_issued"),
            models.Index(fields=["due_on", "id"], condition=Q(status="open"), name="invoice_open_due"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def open_amount(self) -> Decimal:
        return Decimal("0") if self.status == self.Status.VOID else self.amount - self.amount_paid


class CustomerPayment(models.Model):
    """Money received from a customer on their account, applied to invoices; the rest is a credit."""

    class Method(models.TextChoices):
        CHECK = "check", _("Check")
        WIRE = "wire", _("Wire transfer")
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        # Not money: a credit we give (a refund of an order on account), applied to its invoices.
        CREDIT_NOTE = "credit_note", _("Credit note")

    customer = models.ForeignKey("orders.Customer", on_delete=models.PROTECT, related_name="customer_payments")
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    amount = models.DecimalField(_("amount"), **MONEY)
    amount_applied = models.DecimalField(_("applied"), **MONEY, default=Decimal("0"))
    received_on = models.DateField(_("received on"))
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True,
                                 help_text=_("Check number, wire reference or card authorization."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        permissions = [("receive_payment", _("Can record payments received and apply them"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="customer_payment_amount_positive"),
            models.CheckConstraint(condition=Q(amount_applied__gte=0) & Q(amount_applied__lte=F("amount")),
                                   name="customer_payment_applied_within_amount"),
        ]
        indexes = [models.Index(fields=["customer", "received_on"], name="customer_payment_received")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.reference} {self.amount} {self.currency}".strip()

    @property
    def unapplied_amount(self) -> Decimal:
        return self.amount - self.amount_applied


class PaymentApplication(models.Model):
    """Part of a payment applied to an invoice."""

    payment = models.ForeignKey(CustomerPayment, on_delete=models.PROTECT, related_name="applications")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="applications")
    amount = models.DecimalField(_("amount"), **MONEY)
    applied_on = models.DateField(_("applied on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["applied_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_application_positive")]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"


class ReceivedCheck(models.Model):
    """A paper check: for an order (its check tender) or on the customer's account (a payment).

    It posts when received (undeposited checks against the customer's deposit or unapplied
    credit) and again when its batch is deposited (bank against undeposited checks).
    """

    number = models.CharField(_("check number"), max_length=30)
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    check_date = models.DateField(_("check date"))
    customer = models.ForeignKey("orders.Customer", on_delete=models.PROTECT, related_name="received_checks")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="received_checks")
    tender = models.OneToOneField("payments.Tender", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="received_check", help_text=_("The order's check tender."))
    payment = models.OneToOneField(CustomerPayment, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="received_check")
    batch = models.ForeignKey(DepositBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="checks")
    received_on = models.DateField(_("received on"))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="received_check_amount_positive"),
            models.CheckConstraint(condition=Q(order__isnull=True) | Q(payment__isnull=True),
                                   name="received_check_order_or_payment"),
            models.UniqueConstraint(fields=["customer", "number", "check_date"], name="received_check_unique"),
        ]
        indexes = [models.Index(fields=["received_on"], condition=Q(batch__isnull=True), name="received_check_undeposited")]

    def __str__(self) -> str:
        return f"#{self.number} {self.amount} {self.currency}"
