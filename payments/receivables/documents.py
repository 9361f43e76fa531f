"""Invoice and statement PDFs, rendered from templates/payments/ with WeasyPrint."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.template.loader import render_to_string

from orders.models import Customer
from payments.receivables.models import Invoice
from payments.receivables.selectors import BUCKET_LABELS, BUCKETS, Statement


def _pdf(template: str, context: dict) -> bytes:
    # Imported here: WeasyPrint loads its fonts and Pango at import, which no other page needs.
    from weasyprint import HTML

    html = render_to_string(template, {"shop_name": getattr(settings, "SHOP_NAME", "OMS"), **context})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def invoice_pdf(*, invoice: Invoice) -> bytes:
    """The invoice as a PDF: customer, bill-to, the order's lines, amount, paid, open, due date."""
    order = invoice.order
    lines = list(order.lines.order_by("line_number")) if order else []
    return _pdf("payments/invoice_pdf.html", {
        "invoice": invoice, "customer": invoice.customer, "order": order, "lines": lines,
        "bill_to": (order.bill_to or order.ship_to) if order else {},
        "terms_label": Customer.Terms(invoice.terms).label if invoice.terms in Customer.Terms.values else invoice.terms,
        "applications": list(invoice.applications.select_related("payment").order_by("applied_on", "pk")),
    })


def statement_pdf(*, statement: Statement, today: date | None = None) -> bytes:
    """A customer statement: opening balance, invoices, payments, closing balance, aging summary."""
    return _pdf("payments/statement_pdf.html", {
        "statement": statement, "customer": statement.customer,
        "aging": [(BUCKET_LABELS[bucket], statement.aging[bucket]) for bucket in BUCKETS],
        "aging_total": statement.aging["total"],
    })
