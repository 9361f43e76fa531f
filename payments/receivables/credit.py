"""Placement: the check, cash, marketplace-collected and on-account tenders, and the credit check.

Registered on ``orders.hooks.payment_validate`` and ``payment_check`` (the card tenders are
``payments.tenders``'). In the placement transaction, :func:`receivables_payment_check` writes
one tender per ``check``, ``cash``, ``marketplace`` and ``on_account`` instruction, for the
amount the instructions give it (``payments.tenders.services.payment_amounts``):

- a check (``{"kind": "check", "number": "1234", "amount": "10.00", "date": "2026-11-30"}``) is
  received: captured, a :class:`ReceivedCheck` on hand until its deposit batch, posted;
- cash (store, POS) and what a marketplace collected (``"reference"``: its payout or order id,
  else the order's channel id) are captured and posted at once;
- on account (``{"kind": "on_account"}``) is authorized by the terms, captured when invoiced.

**The credit check.** An order with an amount on account is held on a credit-limit hold when
the customer's open receivables, plus their other open orders on account not invoiced yet,
plus this order's amount on account would pass their ``credit_limit``, or when the customer has
no terms (prepaid). An accountant or a manager releases it (``orders.release_credit_hold``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from oms.money import round_money
from orders.hooks import PaymentCheckFailure
from orders.models import Customer, Hold
from payments.receivables.selectors import credit_exposure

ZERO = Decimal("0")
ON_ACCOUNT = "on_account"
RECORDED_KINDS = ("check", "cash", "marketplace", ON_ACCOUNT)


def on_account_amount(order, payment) -> Decimal:
    """What the payment instructions put on account (``payment_amounts``' rule: an instruction's
    ``amount``, or for the first without one, what the others leave of the total)."""
    from payments.tenders.services import payment_amounts

    instructions = [item for item in (payment or []) if isinstance(item, dict)]
    if not any(item.get("kind") == ON_ACCOUNT for item in instructions):
        return ZERO
    amounts = payment_amounts(total=order.total, currency=order.currency, payment=instructions)
    return sum((amount for item, amount in zip(instructions, amounts) if item.get("kind") == ON_ACCOUNT), ZERO)


def credit_check(order, payment=None) -> PaymentCheckFailure | None:
    """None when the order's amount on account fits the customer's credit, else a credit-limit hold."""
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


def _check_date(instruction) -> date | None:
    raw = instruction.get("date") or instruction.get("check_date")
    if not raw:
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        return None


def receivables_payment_validate(basket, payment) -> dict[str, list[str]]:
    """``orders.hooks.payment_validate``: a check needs its number (and a readable date). No writes."""
    errors = []
    for instruction in payment or ():
        if instruction.get("kind") != "check":
            continue
        number = str(instruction.get("number") or "").strip()
        if not number:
            errors.append(_("Enter the check number."))
        elif len(number) > 30:
            errors.append(_("A check number has at most 30 characters."))
        if (instruction.get("date") or instruction.get("check_date")) and _check_date(instruction) is None:
            errors.append(_("The check date is not a date."))
    return {"payment": errors} if errors else {}


def receivables_payment_check(order, payment=None) -> PaymentCheckFailure | None:
    """``orders.hooks.payment_check``: the tenders of the recorded kinds, then the credit check."""
    instructions = list(payment or ())
    if not any(instruction.get("kind") in RECORDED_KINDS for instruction in instructions):
        return None
    from payments.receivables.services import tender_record
    from payments.tenders.models import Tender
    from payments.tenders.services import tender_create, payment_amounts

    amounts = payment_amounts(total=order.total, currency=order.currency, payment=instructions)
    user = order.created_by
    for instruction, amount in zip(instructions, amounts):
        kind = instruction.get("kind")
        if kind not in RECORDED_KINDS or amount <= 0:
            continue
        if kind == "check":
            reference = str(instruction.get("number") or "").strip()
        elif kind == "marketplace":
            reference = str(instruction.get("reference") or order.external_id or "").strip()
        else:
            reference = ""
        tender = tender_create(order=order, kind=kind, amount=amount, user=user, reference=reference,
                                status=Tender.Status.AUTHORIZED if kind == ON_ACCOUNT else Tender.Status.CAPTURED)
        tender.authorized_amount = amount
        tender.captured_amount = ZERO if kind == ON_ACCOUNT else amount
        tender.save(update_fields=["authorized_amount", "captured_amount"])
        tender_record(tender=tender, user=user, check_date=_check_date(instruction))
    return credit_check(order, instructions)


def shipment_debit_role(order) -> str:
    """What a shipment's revenue is recognised against (``orders.hooks.shipment_debit_role``).

    Always customer deposits: money received is a deposit and only an invoice moves a balance into
    receivables (the module docstring of ``payments.receivables.services``), so the receivables
    control account equals the open invoices whatever ships.
    """
    return "customer_deposits"
