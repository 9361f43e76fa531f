"""The import and export screens: upload and check a file, see its errors, commit it; export files.

The screens know no kind of their own: they list what the apps registered (oms.imports.kinds),
each kind saying which permissions import and export it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from oms.imports import exports
from oms.imports.engine import ERROR_LIMIT, ImportResult
from oms.imports.forms import ImportUploadForm
from oms.imports.kinds import ImportKind, get_kind, kinds
from oms.imports.models import ImportJob
from oms.imports.services import (
    SYNC_ROW_LIMIT, ImportJobError, import_job_cancel, import_job_commit, import_job_start,
)
from oms.navigation import NavItem

RECENT_JOBS = 20


class ImportsNavItem(NavItem):
    """The import screen's entry: shown to whoever may import one of the registered kinds."""

    def allows(self, user) -> bool:
        return bool(importable_kinds(user))


def importable_kinds(user) -> list[ImportKind]:
    return [kind for kind in kinds() if kind.can_import(user)]


def exportable_kinds(user) -> list[ImportKind]:
    """Exports are files, which DESIGN.md keeps from agents: they need access to this page too."""
    if not importable_kinds(user):
        return []
    return [kind for kind in kinds() if kind.can_export(user)]


def _kind_of(job: ImportJob) -> ImportKind:
    try:
        return get_kind(job.kind)
    except ValueError:
        raise Http404 from None


def _job_for(user, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob.objects.defer("content").select_related("created_by", "committed_by"), pk=pk)
    if not _kind_of(job).can_import(user):
        raise PermissionDenied
    return job


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    importable = importable_kinds(request.user)
    if not importable:
        raise PermissionDenied
    form = ImportUploadForm(request.POST or None, request.FILES or None, kinds=importable)
    if request.method == "POST" and form.is_valid():
        job = import_job_start(kind=form.cleaned_data["kind"], file=form.cleaned_data["file"], user=request.user,
                               file_name=form.cleaned_data["file"].name)
        return redirect(job)
    jobs = (ImportJob.objects.filter(kind__in=[kind.key for kind in importable]).defer("content", "result")
            .select_related("created_by")[:RECENT_JOBS])
    return render(request, "imports/import_list.html", {
        "form": form, "kinds": importable, "export_kinds": exportable_kinds(request.user), "jobs": jobs,
        "sync_row_limit": SYNC_ROW_LIMIT,
    })


@login_required
@require_GET
def import_job(request, pk: int):
    job = _job_for(request.user, pk)
    kind = _kind_of(job)
    result = ImportResult.from_json(job.result) if job.result else None
    template = "imports/import_job.html#job" if request.htmx else "imports/import_job.html"
    return render(request, template, {"job": job, "kind": kind, "result": result, "error_limit": ERROR_LIMIT,
                                      "return_url": kind.return_url(job)})


@login_required
@require_POST
def import_job_commit_view(request, pk: int):
    job = _job_for(request.user, pk)
    try:
        job = import_job_commit(job=job, user=request.user)
    except ImportJobError as error:
        messages.error(request, str(error))
    else:
        if job.status == ImportJob.Status.DONE:
            result = ImportResult.from_json(job.result)
            messages.success(request, _("Imported %(file)s: %(new)d new, %(updated)d updated, "
                                        "%(unchanged)d unchanged.")
                             % {"file": job.file_name, "new": result.new, "updated": result.updated,
                                "unchanged": result.unchanged})
        elif job.status == ImportJob.Status.FAILED:
            messages.error(request, _("Nothing was imported: see the problems below."))
    url = job.get_absolute_url()
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_POST
def import_job_cancel_view(request, pk: int):
    job = _job_for(request.user, pk)
    try:
        job = import_job_cancel(job=job, user=request.user)
    except ImportJobError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Cancelled %(file)s: nothing was written, and the file is deleted.")
                         % {"file": job.file_name})
    url = _kind_of(job).return_url(job) or job.get_absolute_url()
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_GET
def import_export(request, kind: str, file_format: str):
    try:
        spec = get_kind(kind)
    except ValueError:
        raise Http404 from None
    if file_format not in exports.FORMATS:
        raise Http404
    if spec not in exportable_kinds(request.user):
        raise PermissionDenied
    return export_response(kind=kind, file_format=file_format, file_stem=kind)


def export_response(*, kind: str, file_format: str, file_stem: str, **options) -> HttpResponse:
    """The export of ``kind`` as a download (the caller checked the permissions); ``options`` narrow it."""
    file_name = f"{file_stem}-{timezone.localdate():%Y-%m-%d}.{file_format}"
    if file_format == exports.CSV:
        response = StreamingHttpResponse(exports.export_csv(kind=kind, **options),
                                         content_type=exports.FORMATS[file_format])
    else:
        response = HttpResponse(exports.export_xlsx(kind=kind, **options), content_type=exports.FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
