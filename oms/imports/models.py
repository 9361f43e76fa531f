"""ImportJob: one uploaded file on its way from dry run to commit (imported by oms.models)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """An uploaded file of a registered import kind and what became of it.

    The file itself is kept in the row (PostgreSQL is the only shared state, so any web or
    worker process can read it) until the job ends: once it is imported, refused, failed or
    cancelled the content is deleted and only its name, size and result stay. Large files are
    checked and written by Celery tasks, which report their progress in ``processed_rows``;
    ``result`` holds the counts and the first row errors of the last run (see
    ``oms.imports.engine.ImportResult``). ``options`` are the kind's own (e.g. the price list
    a file imports into).
    """

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Checking")
        READY = "ready", _("Ready to commit")
        INVALID = "invalid", _("Has errors")
        COMMITTING = "committing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed, nothing written")
        CANCELLED = "cancelled", _("Cancelled, nothing written")

    RUNNING_STATUSES = (Status.VALIDATING, Status.COMMITTING)
    FINISHED_STATUSES = (Status.INVALID, Status.DONE, Status.FAILED, Status.CANCELLED)

    # The kinds are registered by the apps (oms.imports.kinds), so the column has no fixed choices.
    kind = models.CharField(_("kind"), max_length=30)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.VALIDATING)
    file_name = models.CharField(_("file name"), max_length=255)
    file_format = models.CharField(_("file format"), max_length=10)
    file_size = models.PositiveIntegerField(_("file size (bytes)"))
    content = models.BinaryField(_("file content"))
    options = models.JSONField(_("options"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en",
                                help_text=_("The uploader's language: messages are written in it."))
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    committed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [
            models.Index(fields=["kind", "-created_at"], name="import_job_kind_recent"),
            # The beat job looks for running jobs that stopped moving.
            models.Index(fields=["updated_at"], name="import_job_running",
                         condition=models.Q(status__in=["validating", "committing"])),
        ]

    def __str__(self) -> str:
        return f"{self.kind_label} {self.file_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("imports:import_job", args=[self.pk])

    @property
    def kind_label(self) -> str:
        from oms.imports.kinds import get_kind

        try:
            return str(get_kind(self.kind).label)
        except ValueError:  # a kind no longer registered
            return self.kind

    @property
    def uploaded_by_name(self) -> str:
        user = self.created_by
        return (user.get_full_name() or user.username) if user else ""

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING_STATUSES

    @property
    def progress_percent(self) -> int:
        """Reading the file is most of the work; checking and writing take the last tenth."""
        if self.status not in self.RUNNING_STATUSES:
            return 100
        if not self.total_rows:
            return 0
        return min(90, self.processed_rows * 90 // self.total_rows)
