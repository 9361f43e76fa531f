"""Reads of the returns screens."""

from __future__ import annotations

from django.db.models import Q

from orders.returns.models import Rma, RmaLine
from orders.returns.services import OPEN_RMA_STATUSES


def rma_find(code: str) -> Rma | None:
    """The open RMA a scanned code names: its number, its order's number, or its label's tracking number."""
    code = (code or "").strip()
    if not code:
        return None
    return (Rma.objects.filter(Q(number__iexact=code) | Q(order__number=code) | Q(label__tracking_number=code),
                               status__in=OPEN_RMA_STATUSES).order_by("pk").first())


def rma_lines(rma: Rma) -> list[RmaLine]:
    return list(rma.lines.select_related("order_line__sku", "replacement_sku")
                .order_by("order_line__line_number", "pk"))


def rma_line_for_code(rma: Rma, code: str) -> RmaLine | None:
    """The first line of ``rma`` with units still to come whose SKU the scanned ``code`` names."""
    code = (code or "").strip().upper()
    for line in rma_lines(rma):
        sku = line.order_line.sku
        if line.quantity_received < line.quantity and code in {sku.code.upper(), (sku.barcode or "").upper()}:
            return line
    return None


def order_rmas(order) -> list[Rma]:
    return list(Rma.objects.filter(order=order).select_related("label", "exchange_order").order_by("pk"))
