"""The order-entry page's check and on-account inputs (``orders.hooks`` entry panel and reader).

An agent who takes a check types its number, amount (blank: the rest of the order) and date;
a customer with terms may be put on account for what the other payments leave. The reader
turns the POSTed inputs into payment instructions for ``order_place``.
"""

from __future__ import annotations

from orders.models import Customer

CHECK_NUMBER = "receivables_check_number"
CHECK_AMOUNT = "receivables_check_amount"
CHECK_DATE = "receivables_check_date"
ON_ACCOUNT = "receivables_on_account"


def entry_panel(*, user, customer=None, quote=None) -> dict | None:
    if not user.has_perm("payments.take_payment"):
        return None
    return {"template": "payments/_entry_check_panel.html", "customer": customer,
            "on_account_allowed": customer is not None and customer.terms != Customer.Terms.PREPAID,
            "fields": {"number": CHECK_NUMBER, "amount": CHECK_AMOUNT, "date": CHECK_DATE, "on_account": ON_ACCOUNT}}


def entry_payment(data) -> list[dict]:
    """Instructions from the POSTed inputs: a check when a number or an amount was typed; on account
    when ticked (after the check, so that it takes what the check leaves)."""
    instructions: list[dict] = []
    number = str(data.get(CHECK_NUMBER) or "").strip()
    amount = str(data.get(CHECK_AMOUNT) or "").strip()
    if number or amount:
        check = {"kind": "check", "number": number}
        if amount:
            check["amount"] = amount
        if str(data.get(CHECK_DATE) or "").strip():
            check["date"] = str(data.get(CHECK_DATE)).strip()
        instructions.append(check)
    if data.get(ON_ACCOUNT):
        instructions.append({"kind": "on_account"})
    return instructions
