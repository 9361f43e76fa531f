"""The order page's account panel (``orders.hooks.register_order_panel``): for people who see
receivables or release credit holds, the order's invoices and the customer's credit position."""

from __future__ import annotations

from payments.receivables.models import Invoice
from payments.receivables.selectors import credit_exposure


def account_panel(*, order, user) -> dict | None:
    if not (user.has_perm("payments.view_receivables") or user.has_perm("orders.release_credit_hold")):
        return None
    customer = order.customer
    invoices = list(Invoice.objects.filter(order=order).order_by("issued_on", "pk"))
    if not invoices and customer.terms == customer.Terms.PREPAID:
        return None
    exposure = credit_exposure(customer=customer)
    return {
        "template": "payments/_order_account_panel.html", "customer": customer, "invoices": invoices,
        "exposure": exposure, "available": customer.credit_limit - exposure,
        "can_view_receivables": user.has_perm("payments.view_receivables"),
    }
