"""Ledger models (app label ``payments``; ``payments/models.py`` imports them).

The journal is append-only: triggers refuse any UPDATE or DELETE of an entry or a line, and a
deferred constraint trigger refuses, at commit, an entry whose debits and credits differ (see
the migration ``ledger_triggers``). Balances are sums over lines, kept fast by the
(account, entry_date, id) index and by the closing balances written when a period closes;
nothing is updated per posting.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 14, "decimal_places": 3}


class Account(models.Model):
    """One account of the chart, with its code in each accounting package we export to."""

    class Type(models.TextChoices):
        ASSET = "asset", _("Asset")
        LIABILITY = "liability", _("Liability")
        EQUITY = "equity", _("Equity")
        INCOME = "income", _("Income")
        EXPENSE = "expense", _("Expense")

    DEBIT_NORMAL = (Type.ASSET, Type.EXPENSE)

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    is_active = models.BooleanField(_("active"), default=True)
    gp_account_number = models.CharField(_("Dynamics GP account number"), max_length=75, blank=True,
                                         help_text=_("For example 000-4100-00."))
    sage50_account_id = models.CharField(_("Sage 50 account ID"), max_length=15, blank=True)
    quickbooks_account_name = models.CharField(_("QuickBooks account name"), max_length=159, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_debit_normal(self) -> bool:
        return self.type in self.DEBIT_NORMAL


class PostingRule(models.Model):
    """The posting map: which account an event's role posts to (per warehouse, else the default)."""

    role = models.CharField(_("role"), max_length=100)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", help_text=_("Empty: every warehouse without a rule of its own."))
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="posting_rules")

    class Meta:
        ordering = ["role", "warehouse"]
        constraints = [
            models.UniqueConstraint(fields=["role", "warehouse"], name="posting_rule_role_warehouse_unique"),
            models.UniqueConstraint(fields=["role"], condition=Q(warehouse__isnull=True),
                                    name="posting_rule_role_default_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.role} → {self.account_id}"


class FiscalYear(models.Model):
    name = models.CharField(_("name"), max_length=20, unique=True)
    starts_on = models.DateField(_("starts on"), unique=True)
    ends_on = models.DateField(_("ends on"))

    class Meta:
        ordering = ["starts_on"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")),
                                              name="fiscal_year_ends_after_start")]

    def __str__(self) -> str:
        return self.name


class FiscalPeriod(models.Model):
    """A month of a fiscal year; nothing posts into a closed one."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="periods")
    number = models.PositiveSmallIntegerField(_("number"))
    starts_on = models.DateField(_("starts on"), unique=True)
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="fiscal_period_year_number_unique"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                   name="fiscal_period_ends_after_start"),
        ]
        indexes = [models.Index(fields=["ends_on"], name="fiscal_period_ends_on")]

    def __str__(self) -> str:
        return f"{self.starts_on:%Y-%m}"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class PeriodEvent(models.Model):
    """A period closed or reopened: who, when, why."""

    class Action(models.TextChoices):
        CLOSE = "close", _("Close")
        REOPEN = "reopen", _("Reopen")

    period = models.ForeignKey(FiscalPeriod, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    reason = models.TextField(_("reason"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.period}"


class JournalEntry(models.Model):
    """One balanced posting; its pk is the entry number. Never edited or deleted (database triggers)."""

    entry_date = models.DateField(_("date"))
    period = models.ForeignKey(FiscalPeriod, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=50)
    source_type = models.CharField(_("source type"), max_length=100, blank=True)
    source_id = models.CharField(_("source id"), max_length=64, blank=True)
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    reversal_of = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="reversed_by")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-entry_date", "-pk"]
        verbose_name_plural = _("journal entries")
        permissions = [
            ("view_ledger", _("Can view the ledger")),
            ("post_manual_entry", _("Can post manual journal entries")),
            ("reverse_entry", _("Can reverse journal entries")),
            ("close_period", _("Can close and reopen fiscal periods")),
            ("export_gl", _("Can export the general ledger")),
        ]
        constraints = [
            # Idempotency: one entry per event of a source document.
            models.UniqueConstraint(fields=["source_type", "source_id", "kind"], condition=~Q(source_type=""),
                                    name="journal_entry_source_kind_unique"),
        ]
        indexes = [models.Index(fields=["entry_date", "id"], name="journal_entry_date")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.entry_date} {self.kind}"

    def get_absolute_url(self) -> str:
        from django.urls import NoReverseMatch, reverse

        try:
            return reverse("payments:journal_entry", args=[self.pk])
        except NoReverseMatch:  # the screens are not wired (yet)
            return ""

    def get_source_url(self) -> str:
        """The page of the source document, or "" when it has none."""
        from payments.ledger.sources import source_url

        return source_url(self.source_type, self.source_id)


class JournalLine(models.Model):
    """A debit or a credit (exactly one of them positive) on one account."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines", db_index=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines", db_index=False)
    entry_date = models.DateField(_("date"))  # the entry's, for the (account, entry_date, id) index
    debit = models.DecimalField(_("debit"), **MONEY, default=0)
    credit = models.DecimalField(_("credit"), **MONEY, default=0)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    memo = models.CharField(_("memo"), max_length=500, blank=True)
    warehouse = models.ForeignKey("inventory.Warehouse", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", db_index=False)

    class Meta:
        ordering = ["entry", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(debit__gte=0) & Q(credit__gte=0), name="journal_line_not_negative"),
            models.CheckConstraint(condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(debit=0) & Q(credit__gt=0)),
                                   name="journal_line_debit_or_credit"),
        ]
        # An account's lines in date order, and their sums as an index-only scan.
        indexes = [models.Index(fields=["account", "entry_date", "id"], include=["debit", "credit"],
                                name="journal_line_account_date"),
                   models.Index(fields=["entry"], name="journal_line_entry")]

    def __str__(self) -> str:
        side = f"Dr {self.debit}" if self.debit else f"Cr {self.credit}"
        return f"{self.account_id} {side}"


class ClosingBalance(models.Model):
    """An account's debits and credits within a closed period, written once when it closes."""

    period = models.ForeignKey(FiscalPeriod, on_delete=models.CASCADE, related_name="closing_balances")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="closing_balances")
    debit_total = models.DecimalField(_("debits"), max_digits=18, decimal_places=3, default=0)
    credit_total = models.DecimalField(_("credits"), max_digits=18, decimal_places=3, default=0)

    class Meta:
        ordering = ["period", "account"]
        constraints = [models.UniqueConstraint(fields=["period", "account"], name="closing_balance_unique")]

    def __str__(self) -> str:
        return f"{self.period} {self.account_id}: {self.debit_total}/{self.credit_total}"
