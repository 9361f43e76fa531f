"""The refund screens: the order page's refund panel (a panel of orders.hooks), the request, the approval queue.

Agents and Managers request refunds; Managers and Accountants approve or reject them; Warehouse
sees no payment data at all (the panel is not offered to them and every view checks its permission).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orders.models import Order
from payments.cards.panels import order_tenders
from payments.refunds import services
from payments.refunds.forms import RefundRejectForm, RefundRequestForm
from payments.refunds.models import Refund, RefundPolicy

VIEW = "payments.view_refund"
REQUEST = "payments.request_refund"
APPROVE = "payments.approve_refund"


def refund_panel(*, order: Order, user) -> dict | None:
    """``orders.hooks.order_panels``: the order's refunds, and the request form for those who may ask."""
    if not user.has_perm(VIEW):
        return None
    if not any(tender.kind in services.refundable_kinds() for tender in order_tenders(order)):
        return None  # the tender panel's tenders already say there is nothing a refund could go to
    refundable = services.order_refundable(order)
    if not refundable:
        return None  # no tender a refund could go to, so no refund either: one query for an unpaid order
    total = sum((row.refundable for row in refundable), services.ZERO)
    can_request = user.has_perm(REQUEST) and total > 0
    return {
        "template": "payments/_refund_panel.html",
        "order": order,
        "refunds": list(order.refunds.select_related("requested_by", "approved_by").prefetch_related(
            "allocations__tender__card")),
        "refundable": [row for row in refundable if row.refundable > 0],
        "refundable_total": total,
        "form": RefundRequestForm(initial={"amount": total}) if can_request else None,
        "threshold": RefundPolicy.current().approval_threshold,
        "can_approve": user.has_perm(APPROVE),
    }


@require_POST
@login_required
@permission_required(REQUEST, raise_exception=True)
def refund_request(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    form = RefundRequestForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(f"{order.get_absolute_url()}#refunds")
    try:
        refund = services.refund_request(order=order, amount=form.cleaned_data["amount"],
                                         reason=form.cleaned_data["reason"], user=request.user)
    except services.RefundError as error:
        messages.error(request, str(error))
    else:
        if refund.status == Refund.Status.PENDING_APPROVAL:
            messages.success(request, _("The refund of %(amount)s awaits a Manager's or an Accountant's approval.")
                             % {"amount": refund.amount})
        else:
            messages.success(request, _("The refund of %(amount)s is on its way back to the tenders that paid.")
                             % {"amount": refund.amount})
    return redirect(f"{order.get_absolute_url()}#refunds")


@require_GET
@login_required
@permission_required(APPROVE, raise_exception=True)
def refund_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/refund_queue.html", {
        "refunds": list(services.refunds_awaiting_approval()),
        "reject_form": RefundRejectForm(),
        "threshold": RefundPolicy.current().approval_threshold,
        "currency": settings.DEFAULT_CURRENCY,
    })


@require_POST
@login_required
@permission_required(APPROVE, raise_exception=True)
def refund_approve(request: HttpRequest, pk: int) -> HttpResponse:
    refund = get_object_or_404(Refund, pk=pk)
    try:
        services.refund_approve(refund=refund, user=request.user)
    except services.RefundError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The refund of %(amount)s for order %(number)s was approved.")
                         % {"amount": refund.amount, "number": refund.order.number})
    return redirect(reverse("payments:refund_queue"))


@require_POST
@login_required
@permission_required(APPROVE, raise_exception=True)
def refund_reject(request: HttpRequest, pk: int) -> HttpResponse:
    refund = get_object_or_404(Refund, pk=pk)
    form = RefundRejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("reason", [])) or _("Give the reason for rejecting it."))
        return redirect(reverse("payments:refund_queue"))
    try:
        services.refund_reject(refund=refund, user=request.user, reason=form.cleaned_data["reason"])
    except services.RefundError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The refund of %(amount)s for order %(number)s was rejected.")
                         % {"amount": refund.amount, "number": refund.order.number})
    return redirect(reverse("payments:refund_queue"))
