from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from oms.health import system_checks
from oms.invariants import invariants_last_result
from oms.navigation import items_for
from oms.panels import home_panels


@login_required
def home(request):
    cards = [item for item in items_for(request.user) if item.url_name != "home"]
    # The apps above oms register their panels (oms.panels); oms never imports them.
    return render(request, "oms/home.html", {"cards": cards, "panels": home_panels(user=request.user)})


@require_GET
@login_required
@permission_required("oms.view_system_status", raise_exception=True)
def system_status(request):
    checks = system_checks()
    invariants = invariants_last_result()  # None until the beat job has run
    all_ok = all(check.ok for check in checks) and (invariants is None or invariants.ok)
    template = "oms/status.html#checks" if request.htmx else "oms/status.html"
    return render(request, template, {"checks": checks, "invariants": invariants, "all_ok": all_ok})


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)
