"""Payments' views. The Stripe webhook: no login, no CSRF (Stripe signs it instead)."""

from __future__ import annotations

import logging

import stripe
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import gateway
from payments.tenders.webhooks import webhook_receive

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Verify the signature before anything of the payload is read; then process the event once."""
    signature = request.headers.get("Stripe-Signature", "")
    try:
        event = gateway.webhook_event(payload=request.body, signature=signature)
    except (stripe.SignatureVerificationError, ValueError):
        logger.warning("refused a Stripe webhook with a bad signature")
        return HttpResponseBadRequest("bad signature")
    record, processed = webhook_receive(event=event)
    return JsonResponse({"event": record.event_id, "processed": processed, "result": record.result})
