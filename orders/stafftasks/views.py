"""Staff tasks' screens: the inbox (everyone who works tasks), the order page's tasks, the rules (Managers)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.stafftasks import forms, selectors, services
from orders.stafftasks.models import StaffTask, TaskRule

WORK = "orders.work_task"


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    context.setdefault("shop_time_zone", settings.SHOP_TIME_ZONE)
    context.setdefault("now", timezone.now())
    return render(request, template, context)


@login_required
@permission_required(WORK, raise_exception=True)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    form = forms.InboxFilterForm(request.GET)
    form.is_valid()
    view = form.cleaned_data.get("view") or "mine"
    page = selectors.inbox_page(request.user, view=view, after=form.cleaned_data.get("after") or None,
                                before=form.cleaned_data.get("before") or None)
    return _render(request, "stafftasks/inbox.html", {
        "page": page, "view": view, "views": form.fields["view"].choices, "close_form": forms.TaskCloseForm(),
        "can_edit_rules": request.user.has_perm("orders.view_taskrule")})


@login_required
@permission_required(WORK, raise_exception=True)
@require_GET
def inbox_count(request: HttpRequest) -> HttpResponse:
    """The navigation's badge (loaded by htmx after the page, so no page pays its query): one query."""
    # Without the request: the navigation's context processor would cost queries of its own.
    return HttpResponse(render_to_string("stafftasks/_count.html", {"count": selectors.inbox_count(request.user)}))


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("stafftasks:inbox")
    return redirect(target)


def _act(request: HttpRequest, pk: int, action, success: str, **arguments) -> HttpResponse:
    task = get_object_or_404(StaffTask, pk=pk)
    if not services.can_see(request.user, task):
        return HttpResponse(status=404)  # somebody else's: not even its existence
    try:
        action(task=task, user=request.user, **arguments)
    except services.TaskError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success % {"title": task.title})
    return _back(request)


@login_required
@permission_required(WORK, raise_exception=True)
@require_POST
def task_take(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.task_take, _("You took “%(title)s”."))


@login_required
@permission_required(WORK, raise_exception=True)
@require_POST
def task_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.task_start, _("“%(title)s” is in progress."))


@login_required
@permission_required(WORK, raise_exception=True)
@require_POST
def task_close(request: HttpRequest, pk: int) -> HttpResponse:
    form = forms.TaskCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(message for errors in form.errors.values() for message in errors))
        return _back(request)
    return _act(request, pk, services.task_close, _("“%(title)s” is closed."), note=form.cleaned_data["note"])


@login_required
@permission_required((WORK, "orders.view_order"), raise_exception=True)
@require_GET
def order_tasks(request: HttpRequest, order_id: int) -> HttpResponse:
    """The order page's tasks panel body (hx-get after the page loads: the order page keeps its queries)."""
    tasks = selectors.order_tasks(order_id=order_id, user=request.user)
    return _render(request, "stafftasks/_order_tasks.html", {
        "tasks": tasks, "is_late": any(task.is_open and task.is_late_order_task for task in tasks),
        "next": reverse("orders:order_detail", args=[order_id]), "close_form": forms.TaskCloseForm()})


# --- rules (Managers) -----------------------------------------------------------------------------------


@login_required
@permission_required("orders.view_taskrule", raise_exception=True)
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    return _render(request, "stafftasks/rule_list.html", {
        "rules": TaskRule.objects.select_related("assignee").order_by("-is_active", "name", "pk"),
        "can_add": request.user.has_perm("orders.add_taskrule"),
        "can_change": request.user.has_perm("orders.change_taskrule")})


def _rule_form(request: HttpRequest, rule: TaskRule | None) -> HttpResponse:
    form = forms.TaskRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        saved = services.task_rule_save(rule=form.save(commit=False), user=request.user)
        messages.success(request, _("The rule “%(name)s” is saved.") % {"name": saved.name})
        return redirect("stafftasks:rule_list")
    return _render(request, "stafftasks/rule_form.html", {"form": form, "rule": rule})


@login_required
@permission_required("orders.add_taskrule", raise_exception=True)
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    return _rule_form(request, None)


@login_required
@permission_required("orders.change_taskrule", raise_exception=True)
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _rule_form(request, get_object_or_404(TaskRule, pk=pk))
