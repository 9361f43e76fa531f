"""The import and export screens: upload and check a file, see its errors, commit it; export files."""

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

from catalog.imports import exports
from catalog.imports.engine import ERROR_LIMIT, ImportResult
from catalog.imports.forms import ImportUploadForm
from catalog.imports.kinds import KINDS, ImportKind
from catalog.imports.models import ImportJob
from catalog.imports.services import SYNC_ROW_LIMIT, ImportJobError, import_job_commit, import_job_start

RECENT_JOBS = 20


def importable_kinds(user) -> list[ImportKind]:
    return [kind for kind in KINDS.values() if user.has_perm(kind.import_permission)]


def exportable_kinds(user) -> list[ImportKind]:
    """Exports are files, which DESIGN.md keeps from agents: they need access to this page too."""
    if not importable_kinds(user):
        return []
    return [kind for kind in KINDS.values() if user.has_perm(kind.export_permission)]


def _job_for(user, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob.objects.defer("content").select_related("created_by", "committed_by"), pk=pk)
    if not user.has_perm(KINDS[job.kind].import_permission):
        raise PermissionDenied
    return job


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    kinds = importable_kinds(request.user)
    if not kinds:
        raise PermissionDenied
    form = ImportUploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        job = import_job_start(kind=form.cleaned_data["kind"], file=form.cleaned_data["file"], user=request.user,
                               file_name=form.cleaned_data["file"].name)
        return redirect(job)
    jobs = (ImportJob.objects.filter(kind__in=[kind.key for kind in kinds]).defer("content", "result")
            .select_related("created_by")[:RECENT_JOBS])
    return render(request, "catalog/import_list.html", {
        "form": form, "kinds": kinds, "export_kinds": exportable_kinds(request.user), "jobs": jobs,
        "sync_row_limit": SYNC_ROW_LIMIT,
    })


@login_required
@require_GET
def import_job(request, pk: int):
    job = _job_for(request.user, pk)
    result = ImportResult.from_json(job.result) if job.result else None
    template = "catalog/import_job.html#job" if request.htmx else "catalog/import_job.html"
    return render(request, template, {"job": job, "kind": KINDS[job.kind], "result": result,
                                      "error_limit": ERROR_LIMIT})


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
@require_GET
def import_export(request, kind: str, file_format: str):
    spec = KINDS.get(kind)
    if spec is None or file_format not in exports.FORMATS:
        raise Http404
    if spec not in exportable_kinds(request.user):
        raise PermissionDenied
    file_name = f"{kind}-{timezone.localdate():%Y-%m-%d}.{file_format}"
    if file_format == exports.CSV:
        response = StreamingHttpResponse(exports.export_csv(kind=kind), content_type=exports.FORMATS[file_format])
    else:
        response = HttpResponse(exports.export_xlsx(kind=kind), content_type=exports.FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
