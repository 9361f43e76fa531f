"""Refunds: money given back to the tenders that paid, newest first (app label ``payments``).

A :class:`Refund` of an order is split into :class:`RefundAllocation` rows, one per tender (and,
for a card, per PaymentIntent that captured), never more than the tender captured less what it
refunded and what other open refunds hold. Above :class:`RefundPolicy`'s approval threshold a
refund waits for a Manager or an Accountant. A card allocation goes to the gateway after commit
through a :class:`~payments.tenders.models.PaymentAttempt` committed first (exactly once); the
others are recorded at once. Each allocation that is done posts its ledger entry in the same
transaction (see ``payments.refunds.services``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 3}
ZERO = Decimal("0")


class RefundPolicy(models.Model):
    """The refund settings (one row, edited in the admin)."""

    approval_threshold = models.DecimalField(
        _("approval threshold"), **MONEY, default=Decimal("100.00"),
        help_text=_("A refund of more than this needs a Manager's or an Accountant's approval."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("refund policy")
        verbose_name_plural = _("refund policy")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="refundpolicy_single_row"),
            models.CheckConstraint(condition=Q(approval_threshold__gte=0), name="refundpolicy_threshold_not_negative"),
        ]

    def __str__(self) -> str:
        return str(_("Refunds above %(amount)s need approval") % {"amount": self.approval_threshold})

    @classmethod
    def current(cls) -> RefundPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class RefundQuerySet(models.QuerySet):
    def awaiting_approval(self):
        return self.filter(status=Refund.Status.PENDING_APPROVAL)

    def open(self):
        return self.filter(status__in=Refund.OPEN_STATUSES)


class Refund(models.Model):
    """A refund of (part of) what an order's tenders captured."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        PROCESSING = "processing", _("Processing")
        DONE = "done", _("Refunded")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    # Refunds that still hold their allocations' amounts on the tenders.
    OPEN_STATUSES = (Status.REQUESTED, Status.PENDING_APPROVAL, Status.APPROVED, Status.PROCESSING)
    TRANSITIONS = {
        Status.REQUESTED: (Status.PENDING_APPROVAL, Status.APPROVED),
        Status.PENDING_APPROVAL: (Status.APPROVED, Status.REJECTED),
        Status.APPROVED: (Status.PROCESSING,),
        Status.PROCESSING: (Status.DONE, Status.FAILED),
        Status.DONE: (),
        Status.REJECTED: (),
        Status.FAILED: (),
    }

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    failure_message = models.CharField(_("failure message"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RefundQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(status="pending_approval"), name="refund_awaiting_approval"),
        ]
        permissions = [
            ("request_refund", "Can request a refund"),
            ("approve_refund", "Can approve or reject a refund"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class RefundAllocation(models.Model):
    """The part of a refund that goes back to one tender (for a card: to one PaymentIntent)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSING = "processing", _("At the gateway")
        DONE = "done", _("Refunded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    # Allocations that hold their amount on the tender (refunded, or about to be).
    HOLDING_STATUSES = (Status.PENDING, Status.PROCESSING, Status.DONE)

    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="allocations")
    tender = models.ForeignKey("payments.Tender", on_delete=models.PROTECT, related_name="refund_allocations")
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempt = models.OneToOneField("payments.PaymentAttempt", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="refund_allocation")
    payment_intent_id = models.CharField(_("Stripe payment intent"), max_length=255, blank=True)
    failure_message = models.CharField(_("failure message"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["refund", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refundallocation_amount_positive"),
        ]
        indexes = [models.Index(fields=["tender"], condition=Q(status__in=["pending", "processing", "done"]),
                                name="refundallocation_holding")]

    def __str__(self) -> str:
        return f"{self.amount} → {self.tender}"
