"""The customer's self-service return page, reached by a signed link (no account, no login).

The link carries the order's id signed with the project's secret (``django.core.signing``, its own
salt) and lasts :data:`LINK_DAYS`; the page shows only that order, lets the customer choose lines,
units and reasons, and gives the return label. It cannot override anything a manager must.
"""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from orders.models import Order
from orders.returns import services
from orders.returns.forms import SelfServiceRmaForm
from orders.returns.models import Rma

SALT = "orders.returns.self-service"
LINK_DAYS = 90


def self_service_token(order: Order) -> str:
    return signing.dumps({"order": order.pk}, salt=SALT, compress=True)


def self_service_url(order: Order) -> str:
    return reverse("returns:self_service", args=[self_service_token(order)])


def _order_of(token: str) -> Order:
    try:
        data = signing.loads(token, salt=SALT, max_age=LINK_DAYS * 24 * 3600)
    except signing.BadSignature as error:  # tampered, or expired (SignatureExpired is one)
        raise Http404(_("This return link is not valid.")) from error
    return get_object_or_404(Order, pk=data.get("order"))


@require_http_methods(["GET", "POST"])
def self_service(request: HttpRequest, token: str) -> HttpResponse:
    order = _order_of(token)
    returnable = [item for item in services.returnable_lines(order)
                  if item.returnable] if order.status in services.RETURNABLE_STATUSES else []
    form = SelfServiceRmaForm(request.POST or None, returnable=returnable, exchange=False)
    if request.method == "POST" and form.is_valid():
        from orders.returns.views import rma_submit

        rma = rma_submit(request, form, order=order, user=None, source=Rma.Source.SELF_SERVICE)
        if rma is not None:
            messages.success(request, _("Your return %(number)s is authorized.") % {"number": rma.number})
            return redirect("returns:self_service", token=token)
    rmas = list(Rma.objects.filter(order=order, source=Rma.Source.SELF_SERVICE).select_related("label")
                .order_by("pk"))
    return render(request, "returns/self_service.html", {
        "order": order, "form": form, "token": token, "rmas": rmas,
        "window_ends": services.return_window_ends(order)}, status=422 if form.errors else 200)


@require_GET
def self_service_label(request: HttpRequest, token: str, pk: int) -> HttpResponse:
    order = _order_of(token)
    rma = get_object_or_404(Rma.objects.select_related("label"), pk=pk, order=order)
    if rma.label is None:
        raise Http404(_("This return has no label."))
    response = HttpResponse(bytes(rma.label.content), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="return-label-{rma.number}.pdf"'
    return response
