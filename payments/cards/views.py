"""Card screens: the SetupIntent the browser confirms, the polling tender panel, "Try another card".

Gateway calls here (a Stripe Customer, a SetupIntent, reading a confirmed card back) move no
money and run outside any database transaction; the authorization itself is core's
``payment_authorize`` in a Celery task after the tender's commit.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.models import Customer, Order
from payments.cards import entry, gateway, panels
from payments.tenders import services as tender_services
from payments.tenders.models import PaymentCard, Tender


@require_GET
@login_required
def localstripe_js(request: HttpRequest) -> HttpResponse:
    """localstripe's stripe.js stand-in, wrapped (see ``gateway.localstripe_js``); 404 with real Stripe."""
    if not settings.STRIPE_API_BASE:
        raise Http404
    response = HttpResponse(gateway.localstripe_js(settings.STRIPE_API_BASE), content_type="text/javascript")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_POST
@login_required
@permission_required("payments.take_payment", raise_exception=True)
def setup_intent(request: HttpRequest) -> JsonResponse:
    """A SetupIntent for the customer's next card: ``{"id", "client_secret"}`` or ``{"error"}``."""
    customer_id = request.POST.get("customer", "")
    customer = Customer.objects.filter(pk=int(customer_id)).first() if customer_id.isdigit() else None
    if customer is None:
        return JsonResponse({"error": _("Choose the customer first: the card is kept on their account.")}, status=400)
    try:
        intent = gateway.setup_intent_create(customer=customer)
    except gateway.CardGatewayError as error:
        return JsonResponse({"error": error.message}, status=502)
    return JsonResponse({"id": intent["id"], "client_secret": intent["client_secret"]})


@require_GET
@login_required
@permission_required("payments.view_tender", raise_exception=True)
def tender_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The tender panel alone, polled while an authorization is pending; reloads the page once decided."""
    order = get_object_or_404(Order.objects.select_related("customer"), pk=pk)
    context = panels.tender_panel_context(order=order, user=request.user)
    if request.GET.get("pending") and not context["is_pending"]:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # the holds and the status changed too
        return response
    return render(request, context["template"], {"panel": context, "shop_time_zone": settings.SHOP_TIME_ZONE})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("payments.take_payment", raise_exception=True)
def tender_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Try another card on an order whose card was declined or needs authentication."""
    order = get_object_or_404(Order.objects.select_related("customer"), pk=pk)
    context = panels.tender_panel_context(order=order, user=request.user)
    if not context["can_retry"]:
        messages.info(request, _("Order %(number)s has no card to replace.") % {"number": order.number})
        return redirect(order)
    error = ""
    if request.method == "POST":
        data = request.POST.copy()
        data["customer"] = str(order.customer_id)
        instructions = entry.entry_payment_read(data)
        instruction = instructions[0] if instructions else None
        if instruction is None:
            error = _("Choose a saved card or key a new one.")
        elif instruction.get("entry_error"):
            error = instruction["entry_error"]
        else:
            failed = context["latest_failure"]
            try:
                if failed.status == Tender.Status.REQUIRES_ACTION:
                    # It still covers its amount: cancel it, so the new card takes its place, not both.
                    tender_services.tender_void(tender=failed, user=request.user)
                tender_add_card(order=order, user=request.user, instruction=instruction)
            except tender_services.PaymentError as refused:
                error = str(refused)
            else:
                messages.success(request, _("The new card is being authorized for order %(number)s.")
                                 % {"number": order.number})
                return redirect(order)
    panel = entry.entry_payment_panel(user=request.user, customer=order.customer)
    if panel is None:  # take_payment is checked above; this keeps the template's contract plain
        raise Http404
    return render(request, "payments/cards/tender_retry.html", {
        "order": order, "panel": panel, "tender_panel": context, "error": error,
        "shop_time_zone": settings.SHOP_TIME_ZONE}, status=422 if error else 200)


@require_POST
@login_required
@permission_required("payments.take_payment", raise_exception=True)
def tender_recheck(request: HttpRequest, pk: int, tender_pk: int) -> HttpResponse:
    """Ask the gateway again about a card that needed authentication (the caller says it is done)."""
    from payments import tasks

    tender = get_object_or_404(Tender.objects.select_related("order"), pk=tender_pk, order_id=pk,
                               kind=Tender.Kind.CARD)
    if tender.status == Tender.Status.REQUIRES_ACTION:
        tender_id = tender.pk
        tasks.payment_authorize_task.delay(tender_id=tender_id)  # no transaction is open here
        messages.info(request, _("Checking the card's authentication with the gateway…"))
    return redirect(tender.order)


def tender_add_card(*, order: Order, user, instruction: dict) -> Tender:
    """A new card tender for what the order's live tenders leave uncovered; core authorizes it after commit."""
    card = None
    if instruction.get("card_id"):
        card = PaymentCard.objects.get(pk=instruction["card_id"], customer=order.customer, is_saved=True)
    details = {key: value for key, value in instruction.items() if key not in ("kind", "payment_method", "card_id")}
    return tender_services.tender_add(order=order, kind=Tender.Kind.CARD, user=user, card=card,
                                      payment_method=instruction.get("payment_method", ""),
                                      card_details=details, authorize=True)
