"""Payments' Celery tasks: thin, by id, safe to retry; on their own queue (``CELERY_PAYMENTS_QUEUE``).

Network failures at the gateway (``stripe.APIConnectionError``, rate limits) and database
hiccups are retried with exponential backoff; every service they call picks up where a killed
or failed run left off (``payments.tenders.services``), so a retry never charges twice.
"""

from __future__ import annotations

from decimal import Decimal

from celery import shared_task
from django.db import OperationalError

from payments.gateway import RETRYABLE_ERRORS

RETRY = {"autoretry_for": (*RETRYABLE_ERRORS, OperationalError), "retry_backoff": 2, "retry_backoff_max": 300,
         "retry_jitter": True, "max_retries": 12}


@shared_task(**RETRY)
def payment_authorize_task(*, tender_id: int) -> str:
    from payments.tenders.models import Tender
    from payments.tenders.services import payment_authorize

    return payment_authorize(tender=Tender.objects.get(pk=tender_id), user=None).status


@shared_task(**RETRY)
def payment_reauthorize_task(*, tender_id: int) -> str:
    from payments.tenders.models import Tender
    from payments.tenders.services import payment_reauthorize

    return payment_reauthorize(tender=Tender.objects.get(pk=tender_id), user=None).status


@shared_task(**RETRY)
def payment_capture_task(*, order_id: int, amount: str, reference: str = "") -> str:
    from orders.models import Order
    from payments.tenders.services import payment_capture

    result = payment_capture(order=Order.objects.get(pk=order_id), amount=Decimal(amount), user=None,
                             reference=reference)
    return str(result.captured)


@shared_task(**RETRY)
def payment_void_task(*, order_id: int) -> int:
    from orders.models import Order
    from payments.tenders.services import payment_void

    return len(payment_void(order=Order.objects.get(pk=order_id), user=None))


@shared_task(**RETRY)
def payment_dispute_hold_task(*, order_id: int, note: str) -> bool:
    from orders.models import Order
    from payments.tenders.webhooks import dispute_hold

    return dispute_hold(order=Order.objects.get(pk=order_id), note=note)


@shared_task(**RETRY)
def authorizations_renew_task() -> int:
    """Beat: renew the authorizations of unshipped orders that expire within the margin."""
    from payments.tenders.services import authorizations_expiring

    tender_ids = list(authorizations_expiring().values_list("pk", flat=True))
    for tender_id in tender_ids:
        payment_reauthorize_task.delay(tender_id=tender_id)
    return len(tender_ids)


def order_cancelled(order_id: int, from_status: str, to_status: str) -> None:
    """``orders.hooks.status_changed``: a cancelled order's card authorizations are voided."""
    if to_status != "cancelled":
        return
    from payments.tenders.models import Tender

    if Tender.objects.filter(order_id=order_id, kind=Tender.Kind.CARD).exists():
        payment_void_task.delay(order_id=order_id)


def shipment_confirmed(order_id: int, amount: Decimal, reference: str) -> None:
    """``orders.hooks.shipment_confirmed``: capture what the shipment ships from the order's cards, and
    invoice it on account (each once per reference). One read of the order's tenders decides which:
    an order with neither (paid in advance, or elsewhere) enqueues nothing."""
    from django.db import connection

    from payments.tenders.models import Tender

    # Plain SQL: this runs after every shipment's commit (and a set needs no ordering).
    with connection.cursor() as cursor:
        cursor.execute("SELECT kind, status FROM payments_tender WHERE order_id = %s", [order_id])
        kinds = {kind for kind, status in cursor.fetchall() if status not in _DEAD.get(kind, ())}
    if Tender.Kind.CARD in kinds and amount > 0:
        payment_capture_task.delay(order_id=order_id, amount=str(amount), reference=reference)
    if Tender.Kind.ON_ACCOUNT in kinds and amount > 0:
        shipment_invoice_task.delay(order_id=order_id, amount=str(amount), reference=reference)


# Tenders a shipment no longer draws on: what payment_capture skips, and what invoicing skips.
_DEAD = {"card": ("voided", "declined"), "on_account": ("voided", "declined", "expired")}


@shared_task(**RETRY)
def shipment_invoice_task(*, order_id: int, amount: str, reference: str) -> str:
    """The invoice of a shipment's amount on account (once per shipment reference)."""
    from payments.receivables.services import shipment_invoice

    invoice = shipment_invoice(order_id=order_id, amount=Decimal(amount), reference=reference)
    return invoice.number if invoice is not None else ""


@shared_task(**RETRY)
def refund_process_task(*, refund_id: int) -> str:
    """An approved refund's card allocations, at the gateway (exactly once: see payments.refunds.services)."""
    from payments.refunds.models import Refund
    from payments.refunds.services import refund_process

    return refund_process(refund=Refund.objects.get(pk=refund_id), user=None).status
