"""The report framework's tables: permissions, exports made in the background, schedules and their runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReportAccess(models.Model):
    """Holds the report permissions, one per group of reports (no table behind it)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_sales_reports", _("Can view sales reports")),
            ("view_inventory_reports", _("Can view inventory reports (stock history, dead stock, movements)")),
            ("view_inventory_valuation", _("Can view the inventory valuation report")),
            ("view_accounting_reports", _("Can view accounting reports")),
            ("view_customer_reports", _("Can view customer reports")),
            ("view_campaign_reports", _("Can view campaign and source code reports")),
            ("view_warehouse_reports", _("Can view warehouse productivity reports")),
            ("schedule_reports", _("Can schedule reports to be emailed")),
        ]


class ReportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    PDF = "pdf", "PDF"


class ReportExport(models.Model):
    """A report's file made in the background (a big export or a scheduled run), kept for download."""

    class Status(models.TextChoices):
        MAKING = "making", _("Being made")
        MADE = "made", _("Ready")
        FAILED = "failed", _("Failed")

    report_key = models.CharField(_("report"), max_length=60)
    format = models.CharField(_("format"), max_length=10, choices=ReportFormat.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    sort = models.CharField(_("sort"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.MAKING)
    rows_written = models.PositiveBigIntegerField(_("rows written"), default=0)
    rows_expected = models.PositiveBigIntegerField(_("rows expected"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("report export")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="report_export_user_recent")]

    def __str__(self) -> str:
        return self.file_name or f"{self.report_key} #{self.pk}"

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.MAKING

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.MADE:
            return 100
        if not self.rows_expected:
            return 0
        return min(99, int(100 * self.rows_written / self.rows_expected))


class ReportExportChunk(models.Model):
    """One piece of an export's file, in order (oms.filestore)."""

    export = models.ForeignKey(ReportExport, on_delete=models.CASCADE, related_name="chunks", db_index=False)
    sequence = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["export", "sequence"], name="report_export_chunk_sequence")]

    def __str__(self) -> str:
        return f"{self.export_id}#{self.sequence}"


class ReportSchedule(models.Model):
    """A report a manager has emailed daily, weekly or monthly, with its filters."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    report_key = models.CharField(_("report"), max_length=60)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    sort = models.CharField(_("sort"), max_length=60, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=ReportFormat.choices, default=ReportFormat.CSV)
    frequency = models.CharField(_("how often"), max_length=10, choices=Frequency.choices)
    recipients = models.TextField(_("recipients"), help_text=_("Email addresses, separated by commas."))
    next_run_at = models.DateTimeField(_("next run"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("scheduled report")
        indexes = [models.Index(fields=["next_run_at"], condition=Q(is_active=True), name="report_schedule_due")]

    def __str__(self) -> str:
        return f"{self.report_key} ({self.get_frequency_display()})"

    @property
    def recipient_list(self) -> list[str]:
        return [address.strip() for address in self.recipients.split(",") if address.strip()]


class ReportRun(models.Model):
    """One run of a schedule: made and sent, or failed with its error (then retried)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="runs", db_index=False)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    export = models.ForeignKey(ReportExport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("scheduled report run")
        constraints = [models.UniqueConstraint(fields=["schedule", "due_at"], name="report_run_once_per_due")]

    def __str__(self) -> str:
        return f"{self.schedule_id} @ {self.due_at:%Y-%m-%d %H:%M}"
