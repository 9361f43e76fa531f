"""Helpers of the receivables tests: wholesale customers on terms, orders to invoice, PDF text."""

from __future__ import annotations

import io
from decimal import Decimal

from tests.orders_helpers import NEW_YORK, CustomerFactory


def wholesale(*, terms: str = "net30", credit_limit: str = "1000.00", **fields):
    return CustomerFactory(customer_type="wholesale", terms=terms, credit_limit=Decimal(credit_limit),
                           company=fields.pop("company", "Acme Wholesale"), **fields)


def shipped_order(customer, total: str):
    """An order as fulfillment leaves it before invoicing: shipped, with its total (no lines needed)."""
    from orders.models import Order

    return Order.objects.create(channel="phone", customer=customer, status="shipped", total=Decimal(total),
                                subtotal=Decimal(total), ship_to=NEW_YORK, bill_to=NEW_YORK)


def pdf_text(data: bytes) -> str:
    """The text of a PDF, pages joined, whitespace runs made single spaces."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return " ".join(text.split())


def payments_violations() -> list:
    """The payments app's invariant violations (the orders these tests make by hand have no lines,
    which the orders' own invariants would report)."""
    from oms.invariants import all_violations

    return [violation for violation in all_violations() if violation[0] == "payments"]
