"""Gift card models (app label ``payments``; ``payments/models.py`` imports them).

A card's code is never stored: only its keyed hash (for lookup) and its last four characters
(for display, ``•••• 1234``). ``balance`` is a cache of the card's transactions
(``balance == sum(transactions.amount)``, checked by ``check_invariants``); a CHECK keeps it at
zero or above, and the services move it with one guarded UPDATE each, never a read-modify-write.
Transactions are never edited or deleted (a trigger refuses it).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 3}
MASK = "•••• "


class GiftCard(models.Model):
    class Status(models.TextChoices):
        INACTIVE = "inactive", _("Inactive (sold, not yet activated)")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        VOID = "void", _("Void")

    class Kind(models.TextChoices):
        SOLD = "sold", _("Sold")
        GOODWILL = "goodwill", _("Goodwill")
        E_GIFT = "e_gift", _("E-gift")

    code_hash = models.CharField(_("code hash"), max_length=64, unique=True, editable=False)
    last4 = models.CharField(_("last four"), max_length=4, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.INACTIVE)
    currency = models.CharField(_("currency"), max_length=3)
    # What the card is worth once active (a sold card is loaded with it when it is activated).
    initial_amount = models.DecimalField(_("initial amount"), **MONEY)
    balance = models.DecimalField(_("balance"), default=0, **MONEY)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    # The posting-map role debited when the card is loaded: the order's customer deposits for a
    # card sold on an order, cash or card clearing for a card sold over the counter, goodwill.
    funded_by = models.CharField(_("funded by"), max_length=60)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    source_order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="gift_cards", verbose_name=_("sold on order line"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("issued by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("gift card")
        verbose_name_plural = _("gift cards")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="gift_card_balance_not_negative"),
            models.CheckConstraint(condition=Q(initial_amount__gt=0), name="gift_card_initial_amount_positive"),
        ]
        permissions = [
            ("redeem_giftcard", _("Can redeem gift cards")),
            ("issue_goodwill_giftcard", _("Can issue goodwill gift cards")),
            ("sell_giftcard", _("Can sell gift cards")),
        ]

    def __str__(self) -> str:
        return self.masked_code

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("giftcards:detail", args=[self.pk])

    @property
    def masked_code(self) -> str:
        return f"{MASK}{self.last4}"


class GiftCardTransaction(models.Model):
    class Kind(models.TextChoices):
        ISSUE = "issue", _("Issue")
        ACTIVATE = "activate", _("Activate")
        REDEEM = "redeem", _("Redeem")
        REFUND = "refund", _("Refund")
        EXPIRE = "expire", _("Expire")
        ADJUST = "adjust", _("Adjust")

    CREDITS = (Kind.ISSUE, Kind.ACTIVATE, Kind.REFUND)
    DEBITS = (Kind.REDEEM, Kind.EXPIRE)

    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="transactions",
                             db_index=False)  # indexed by gift_card_transaction_card
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)  # signed: what it did to the balance
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="gift_card_transactions")
    # The payments tender this transaction belongs to (a redemption at order entry, a refund).
    tender_id = models.BigIntegerField(_("tender"), null=True, blank=True)
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("gift card transaction")
        verbose_name_plural = _("gift card transactions")
        indexes = [models.Index(fields=["card", "created_at", "id"], name="gift_card_transaction_card")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind__in=["issue", "activate", "refund"], amount__gt=0)
                           | Q(kind__in=["redeem", "expire"], amount__lt=0)
                           | (Q(kind="adjust") & ~Q(amount=0))),
                name="gift_card_transaction_sign_follows_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
