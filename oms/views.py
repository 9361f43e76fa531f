from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from oms.health import system_checks
from oms.navigation import items_for


@login_required
def home(request):
    cards = [item for item in items_for(request.user) if item.url_name != "home"]
    return render(request, "oms/home.html", {"cards": cards})


@require_GET
@login_required
@permission_required("oms.view_system_status", raise_exception=True)
def system_status(request):
    checks = system_checks()
    template = "oms/status.html#checks" if request.htmx else "oms/status.html"
    return render(request, template, {"checks": checks, "all_ok": all(check.ok for check in checks)})


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)
