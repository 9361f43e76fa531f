"""GL export batches (app label ``payments``; ``payments/models.py`` imports them).

An :class:`ExportBatch` is one file for one accounting package: the entries it carries are
claimed in :class:`ExportedEntry` rows, at most one live claim per (target, entry), which a
partial unique index guarantees under any concurrency. Voiding a batch releases its claims,
so its entries can be exported again, and records who voided it, when and why.

The file is written once, when the batch is made, into :class:`ExportBatchChunk` rows (the
database is the only state every web and worker process shares), and every download streams
those same bytes back: the same file, byte for byte, every time, with flat memory.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ExportBatch(models.Model):
    class Status(models.TextChoices):
        MAKING = "making", _("Being made")
        MADE = "made", _("Made")
        FAILED = "failed", _("Failed")
        VOIDED = "voided", _("Voided")

    class Detail(models.TextChoices):
        DETAIL = "detail", _("Every entry")
        SUMMARY = "summary", _("Summary by day and account")

    target = models.CharField(_("accounting package"), max_length=20)
    format = models.CharField(_("format"), max_length=20)
    detail = models.CharField(_("detail"), max_length=10, choices=Detail.choices, default=Detail.DETAIL)
    date_from = models.DateField(_("from"), null=True, blank=True)
    date_to = models.DateField(_("to"), null=True, blank=True)
    unexported_only = models.BooleanField(_("everything not yet exported"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.MAKING)
    entry_count = models.PositiveIntegerField(_("entries"), default=0)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    processed_lines = models.PositiveIntegerField(_("lines written"), default=0)
    file_name = models.CharField(_("file name"), max_length=100, blank=True)
    file_size = models.BigIntegerField(_("file size (bytes)"), default=0)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.TextField(_("reason for voiding"), blank=True)

    RUNNING_STATUSES = (Status.MAKING,)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("export batch")
        verbose_name_plural = _("export batches")
        constraints = [
            models.CheckConstraint(
                condition=Q(unexported_only=True) | (Q(date_from__isnull=False) & Q(date_to__isnull=False)
                                                     & Q(date_to__gte=models.F("date_from"))),
                name="export_batch_range_or_unexported"),
            models.CheckConstraint(condition=~Q(status="voided") | ~Q(void_reason=""),
                                   name="export_batch_void_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_number} {self.format}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("payments:export_batch", args=[self.pk])

    @property
    def number(self) -> int:
        return self.pk

    @property
    def batch_number(self) -> str:
        """The batch's name in the accounting package (GP's BACHNUMB: at most 15 characters)."""
        return f"OMSGL{self.pk:06d}"

    @property
    def is_summary(self) -> bool:
        return self.detail == self.Detail.SUMMARY

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING_STATUSES

    @property
    def can_download(self) -> bool:
        return self.status in (self.Status.MADE, self.Status.VOIDED)

    @property
    def progress_percent(self) -> int:
        if not self.is_running:
            return 100
        if not self.line_count:
            return 0
        return min(99, self.processed_lines * 100 // self.line_count)


class ExportedEntry(models.Model):
    """An entry carried by a batch: live (``is_active``) until the batch is voided or fails."""

    # No index of its own: the (batch, entry) unique index serves every lookup by batch.
    batch = models.ForeignKey(ExportBatch, on_delete=models.PROTECT, related_name="exported_entries",
                              db_index=False)
    # No foreign-key constraint in the database: the journal is append-only (its trigger refuses
    # any DELETE), claims are inserted only from ids read from it in the same statement, and the
    # constraint's check would take a KEY SHARE lock on every exported entry's row at commit,
    # rewriting the journal's pages for each batch of a million lines.
    entry = models.ForeignKey("payments.JournalEntry", on_delete=models.PROTECT, related_name="exports",
                              db_index=False, db_constraint=False)
    target = models.CharField(_("accounting package"), max_length=20)
    is_active = models.BooleanField(_("live"), default=True)

    class Meta:
        verbose_name = _("exported entry")
        verbose_name_plural = _("exported entries")
        constraints = [
            models.UniqueConstraint(fields=["target", "entry"], condition=Q(is_active=True),
                                    name="exported_entry_once_per_target"),
            models.UniqueConstraint(fields=["batch", "entry"], name="exported_entry_batch_entry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.entry_id}"


class ExportBatchChunk(models.Model):
    """One piece of a batch's file, in order; written once, when the batch is made."""

    batch = models.ForeignKey(ExportBatch, on_delete=models.CASCADE, related_name="chunks", db_index=False)
    sequence = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "sequence"], name="export_chunk_batch_sequence")]

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.sequence}"
