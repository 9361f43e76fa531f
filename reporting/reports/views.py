"""The report screens: the index, any report (filters, sort, keyset pages), its files, background exports."""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reporting.db import reporting_reads
from reporting.reports import files, registry, schedules, services
from reporting.reports.base import GROUP_LABELS, GROUPS
from reporting.reports.forms import ScheduleForm
from reporting.reports.models import ReportExport, ReportRun, ReportSchedule
from reporting.reports.nav import REPORT_PERMISSIONS

PAGE_SIZE = 50
FILE_FORMATS = ("csv", "xlsx", "pdf")


def encode_cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(text: str | None):
    """The cursor a page link carries, or None (first page) for none or one that cannot be read."""
    if not text:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    return value if isinstance(value, list) else None


def _report_for(user, key: str):
    report = registry.get(key)
    if not report.allows(user):
        raise PermissionDenied
    return report


def _filter_data(request: HttpRequest, report) -> dict:
    """The GET parameters that are the report's filters (not the page, sort or format)."""
    names = set(report.filter_form.base_fields)
    return {name: request.GET[name] for name in names if request.GET.get(name, "") != ""}


@login_required
@require_GET
def report_index(request: HttpRequest) -> HttpResponse:
    if not any(request.user.has_perm(permission) for permission in REPORT_PERMISSIONS):
        raise PermissionDenied
    reports = registry.all_for(request.user)
    groups = [(GROUP_LABELS[group], [report for report in reports if report.group == group]) for group in GROUPS]
    return render(request, "reporting/report_index.html", {"groups": [group for group in groups if group[1]]})


@login_required
@require_GET
def report_view(request: HttpRequest, key: str) -> HttpResponse:
    report = _report_for(request.user, key)
    data = _filter_data(request, report)
    form = report.form(data)
    sort = report.sort_option(request.GET.get("sort")).key
    rows, next_cursor, totals = [], None, None
    if not data or form.is_valid():
        filters = form.cleaned_data if data else {}
        with reporting_reads():
            rows = report.rows(filters, sort=sort, after=decode_cursor(request.GET.get("after")),
                               limit=PAGE_SIZE + 1)
            totals = report.totals(filters)
        if len(rows) > PAGE_SIZE:
            rows = rows[:PAGE_SIZE]
            next_cursor = encode_cursor(rows[-1]["_cursor"])
    query = {**data, "sort": sort}
    context = {
        "report": report, "form": form, "rows": rows, "columns": report.columns, "sort": sort,
        "next_cursor": next_cursor, "is_first_page": not request.GET.get("after"), "totals": totals,
        "query": urlencode(query),
        "query_items": query, "can_schedule": request.user.has_perm("reporting.schedule_reports"),
        "file_formats": FILE_FORMATS,
    }
    template = "reporting/report.html#results" if request.htmx else "reporting/report.html"
    return render(request, template, context)


@login_required
@require_GET
def report_file(request: HttpRequest, key: str, file_format: str) -> HttpResponse:
    """The report as a file: streamed now, or made in Celery when it has more than the sync limit of rows."""
    report = _report_for(request.user, key)
    if file_format not in FILE_FORMATS:
        raise PermissionDenied
    data = _filter_data(request, report)
    form = report.form(data)
    if data and not form.is_valid():
        return redirect(reverse("reporting:report", args=[key]) + "?" + request.GET.urlencode())
    filters = form.cleaned_data if data else {}
    sort = report.sort_option(request.GET.get("sort")).key
    limit = services.sync_row_limit()
    if file_format != "pdf":
        with reporting_reads():
            count = report.count_up_to(filters, limit=limit + 1)
        if count > limit or request.GET.get("background"):
            with reporting_reads():
                expected = report.estimate(filters)
            export = services.export_create(report_key=key, file_format=file_format, filters=data, sort=sort,
                                            user=request.user, rows_expected=expected)
            return redirect("reporting:export", pk=export.pk)
    chunks = files.file_chunks(report, file_format, filters, sort=sort)
    response = StreamingHttpResponse(chunks, content_type=files.CONTENT_TYPES[file_format])
    disposition = "inline" if file_format == "pdf" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{files.file_name(report, file_format)}"'
    return response


def _export_for(user, pk: int) -> ReportExport:
    export = get_object_or_404(ReportExport, pk=pk)
    _report_for(user, export.report_key)
    if export.created_by_id != user.pk and not user.has_perm("reporting.schedule_reports"):
        raise PermissionDenied
    return export


@login_required
@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    export = _export_for(request.user, pk)
    report = registry.get(export.report_key)
    template = "reporting/export.html#export" if request.htmx else "reporting/export.html"
    return render(request, template, {"export": export, "report": report})


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    export = _export_for(request.user, pk)
    try:
        stored = services.export_file(export=export)
    except services.ReportError:
        return redirect("reporting:export", pk=export.pk)
    return FileResponse(stored, as_attachment=True, filename=export.file_name,
                        content_type=files.CONTENT_TYPES[export.format])


# --- scheduled reports -------------------------------------------------------------------------


@login_required
@permission_required("reporting.schedule_reports", raise_exception=True)
@require_GET
def schedule_list(request: HttpRequest) -> HttpResponse:
    schedules = list(ReportSchedule.objects.filter(is_active=True).select_related("created_by")
                     .order_by("report_key", "pk")[:200])
    runs = {}
    for run in ReportRun.objects.filter(schedule__in=schedules).order_by("schedule_id", "-due_at") \
            .distinct("schedule_id"):
        runs[run.schedule_id] = run
    rows = []
    for schedule in schedules:
        try:
            title = registry.get(schedule.report_key).title
        except Http404:
            title = schedule.report_key
        rows.append({"schedule": schedule, "title": title, "last_run": runs.get(schedule.pk)})
    failed = ReportRun.objects.filter(status=ReportRun.Status.FAILED).select_related("schedule") \
        .order_by("-started_at")[:20]
    return render(request, "reporting/schedule_list.html", {"rows": rows, "failed_runs": failed})


@login_required
@permission_required("reporting.schedule_reports", raise_exception=True)
def schedule_create(request: HttpRequest) -> HttpResponse:
    report = _report_for(request.user, request.GET.get("report", ""))
    data = _filter_data(request, report)
    filter_form = report.form(data)
    sort = report.sort_option(request.GET.get("sort")).key
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            schedules.schedule_create(report_key=report.key, filters=data, sort=sort,
                                      file_format=form.cleaned_data["file_format"],
                                      frequency=form.cleaned_data["frequency"],
                                      recipients=form.cleaned_data["recipients"], user=request.user)
        except ValidationError as error:
            form.add_error("recipients", error)
        except services.ReportError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The report is scheduled."))
            return redirect("reporting:schedule_list")
    described = files.describe_filters(report, filter_form.cleaned_data) if (
        not data or filter_form.is_valid()) and data else []
    return render(request, "reporting/schedule_form.html", {
        "report": report, "form": form, "filters": described, "filters_valid": not data or filter_form.is_valid(),
        "sort": report.sort_option(sort).label})


@login_required
@permission_required("reporting.schedule_reports", raise_exception=True)
@require_POST
def schedule_stop(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_object_or_404(ReportSchedule, pk=pk)
    schedules.schedule_stop(schedule=schedule, user=request.user)
    messages.success(request, _("The schedule is stopped."))
    return redirect("reporting:schedule_list")


@login_required
@permission_required("reporting.schedule_reports", raise_exception=True)
@require_POST
def run_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a failed run again now (Celery retries it by itself too)."""
    from reporting.reports.tasks import report_run_task

    run = get_object_or_404(ReportRun, pk=pk, status=ReportRun.Status.FAILED)
    report_run_task.delay(run_id=run.pk)
    messages.success(request, _("The run is being tried again."))
    return redirect("reporting:schedule_list")
