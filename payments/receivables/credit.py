"""The credit check at placement, registered on ``orders.hooks.payment_check``.

An order paid (wholly or partly) on account is held on a credit-limit hold when the
customer's open receivables, plus their other open orders on account not invoiced yet, plus
this order's amount on account would pass their ``credit_limit``, or when the customer has no
terms (prepaid). An accountant or a manager releases the hold (``orders.release_credit_hold``).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from oms.money import round_money
from orders.hooks import PaymentCheckFailure
from orders.models import Customer, Hold
from payments.receivables.selectors import credit_exposure

ON_ACCOUNT = "on_account"


def on_account_amount(order, payment) -> Decimal:
    """What the payment instructions put on account: an ``on_account`` instruction's ``amount``,
    or what the order's total leaves after the other instructions' amounts."""
    instructions = [item for item in (payment or []) if isinstance(item, dict)]
    on_account = [item for item in instructions if item.get("kind") == ON_ACCOUNT]
    if not on_account:
        return Decimal("0")
    with_amount = [Decimal(str(item["amount"])) for item in on_account if item.get("amount") not in (None, "")]
    if with_amount:
        return round_money(sum(with_amount, Decimal("0")), order.currency)
    others = sum((Decimal(str(item["amount"])) for item in instructions
                  if item.get("kind") != ON_ACCOUNT and item.get("amount") not in (None, "")), Decimal("0"))
    return max(round_money(order.total - others, order.currency), Decimal("0"))


def credit_check(order, payment=None) -> PaymentCheckFailure | None:
    """``payment_check`` step: None when the order's amount on account fits the customer's credit."""
    amount = on_account_amount(order, payment)
    if amount <= 0:
        return None
    customer = order.customer
    if customer.terms == Customer.Terms.PREPAID:
        return PaymentCheckFailure(note=_("%(customer)s has no terms for orders on account.") % {
            "customer": customer.number}, reason=Hold.Reason.CREDIT)
    exposure = credit_exposure(customer=customer, exclude_order_id=order.pk)
    if exposure + amount > customer.credit_limit:
        return PaymentCheckFailure(
            note=_("Over the credit limit: %(exposure)s open and %(amount)s on this order, limit %(limit)s.") % {
                "exposure": round_money(exposure, order.currency), "amount": amount,
                "limit": round_money(customer.credit_limit, order.currency)},
            reason=Hold.Reason.CREDIT)
    return None
