"""Tenders, the cards behind them, gateway attempts and received webhooks (app label ``payments``).

The field names are the payments contract (/work/wt/PAYMENTS_CONTRACT.md): the gift-card,
receivables, refunds and card-UI work build on them. Card data never reaches this server: a
:class:`PaymentCard` keeps only Stripe ids, brand, last four and expiry.

**Exactly-once.** Every gateway call first commits a :class:`PaymentAttempt` with an
idempotency key derived from our own record (``tender-<id>-<action>-<n>``), makes the call
after that commit carrying the key, and records the result (and its ledger posting) in a new
transaction. A retry that finds the attempt already holding a ``gateway_id`` reads or
confirms that object instead of creating another (see ``payments.tenders.services``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 3}
ZERO = Decimal("0")


class PaymentCard(models.Model):
    """A card as Stripe knows it: ids, brand, last four, expiry. Never a card number."""

    customer = models.ForeignKey("orders.Customer", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="payment_cards")
    stripe_customer_id = models.CharField(_("Stripe customer"), max_length=255, blank=True)
    stripe_payment_method_id = models.CharField(_("Stripe payment method"), max_length=255)
    brand = models.CharField(_("brand"), max_length=30, blank=True)
    last4 = models.CharField(_("last four digits"), max_length=4, blank=True)
    exp_month = models.PositiveSmallIntegerField(_("expiry month"), null=True, blank=True)
    exp_year = models.PositiveSmallIntegerField(_("expiry year"), null=True, blank=True)
    is_saved = models.BooleanField(_("saved for later"), default=False,
                                   help_text=_("Offered again at the customer's next order."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["customer"], condition=Q(is_saved=True), name="paymentcard_saved")]

    def __str__(self) -> str:
        return f"{self.brand or _('card')} •••• {self.last4}".strip()

    @property
    def expiry(self) -> str:
        if not self.exp_month or not self.exp_year:
            return ""
        return f"{self.exp_month:02d}/{self.exp_year % 100:02d}"


class Tender(models.Model):
    """One way an order is paid, with what it authorized, captured and refunded."""

    class Kind(models.TextChoices):
        CARD = "card", _("Card")
        GIFT_CARD = "gift_card", _("Gift card")
        CHECK = "check", _("Check")
        ON_ACCOUNT = "on_account", _("On account")
        CASH = "cash", _("Cash")
        MARKETPLACE = "marketplace", _("Marketplace-collected")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        REQUIRES_ACTION = "requires_action", _("Needs authentication")
        AUTHORIZED = "authorized", _("Authorized")
        CAPTURED = "captured", _("Captured")
        DECLINED = "declined", _("Declined")
        VOIDED = "voided", _("Voided")
        EXPIRED = "expired", _("Authorization expired")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="tenders")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount"), **MONEY, help_text=_("What this tender is to cover."))
    authorized_amount = models.DecimalField(_("authorized"), **MONEY, default=ZERO)
    captured_amount = models.DecimalField(_("captured"), **MONEY, default=ZERO)
    refunded_amount = models.DecimalField(_("refunded"), **MONEY, default=ZERO)
    reference = models.CharField(_("reference"), max_length=100, blank=True, help_text=_(
        "Check number, masked gift-card code, invoice number or marketplace payout id."))
    card = models.ForeignKey(PaymentCard, on_delete=models.PROTECT, null=True, blank=True, related_name="tenders")
    stripe_payment_intent_id = models.CharField(_("Stripe payment intent"), max_length=255, blank=True)
    authorized_at = models.DateTimeField(_("authorized at"), null=True, blank=True)
    authorization_expires_at = models.DateTimeField(_("authorization expires at"), null=True, blank=True)
    failure_message = models.CharField(_("failure message"), max_length=500, blank=True,
                                       help_text=_("Why the gateway said no, shown to the agent."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sequence = models.PositiveIntegerField(_("sequence"), help_text=_(
        "Order of payment within the order (refunds go newest first)."))

    class Meta:
        ordering = ["order", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sequence"], name="tender_order_sequence_unique"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="tender_amount_not_negative"),
            models.CheckConstraint(condition=Q(authorized_amount__gte=0), name="tender_authorized_not_negative"),
            models.CheckConstraint(condition=Q(refunded_amount__gte=0), name="tender_refunded_not_negative"),
            models.CheckConstraint(condition=Q(captured_amount__gte=F("refunded_amount")),
                                   name="tender_captured_covers_refunded"),
        ]
        indexes = [
            models.Index(fields=["stripe_payment_intent_id"], condition=~Q(stripe_payment_intent_id=""),
                         name="tender_payment_intent"),
            models.Index(fields=["authorization_expires_at"], condition=Q(status="authorized"),
                         name="tender_authorization_expiry"),
        ]
        permissions = [
            ("take_payment", "Can take card, gift card and check payments"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

    @property
    def uncaptured_amount(self) -> Decimal:
        """What is authorized and not captured yet (what a capture may still take)."""
        return max(self.authorized_amount - self.captured_amount, ZERO)

    @property
    def net_amount(self) -> Decimal:
        """What this tender has paid so far: captured less refunded."""
        return self.captured_amount - self.refunded_amount


class PaymentAttempt(models.Model):
    """One call to a gateway about a tender, committed before the call is made."""

    class Action(models.TextChoices):
        AUTHORIZE = "authorize", _("Authorize")
        CONFIRM = "confirm", _("Confirm")
        CAPTURE = "capture", _("Capture")
        VOID = "void", _("Void")
        REFUND = "refund", _("Refund")
        REAUTHORIZE = "reauthorize", _("Re-authorize")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        REQUIRES_ACTION = "requires_action", _("Needs authentication")

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="attempts")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    gateway_id = models.CharField(_("gateway id"), max_length=255, blank=True,
                                  help_text=_("The Stripe object the call made or acted on (pi_…, re_…)."))
    error_code = models.CharField(_("error code"), max_length=100, blank=True)
    error_message = models.CharField(_("error message"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="paymentattempt_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["tender", "action"], condition=Q(status="pending"),
                                name="paymentattempt_pending")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.amount} ({self.get_status_display()})"


class WebhookEvent(models.Model):
    """A gateway event received at the webhook endpoint; its id is processed once."""

    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(_("result"), max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
