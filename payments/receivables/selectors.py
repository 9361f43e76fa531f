"""Receivables reads: a customer's exposure (the credit check), the aging report, statements.

Aging buckets count days past the due date at ``as_of``: current (not yet due), 1–30, 31–60,
61–90 and over 90 days past due. They hold what is open on each invoice now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection, connections
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from orders.models import CLOSED_STATUSES, Customer
from payments.receivables.models import CustomerPayment, Invoice

ZERO = Decimal("0")
BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "over_90")
BUCKET_LABELS = {
    "current": _("Current"),
    "days_1_30": _("1–30 days"),
    "days_31_60": _("31–60 days"),
    "days_61_90": _("61–90 days"),
    "over_90": _("Over 90 days"),
}


def bucket_of(*, due_on: date, as_of: date) -> str:
    """The aging bucket of something due on ``due_on``, seen on ``as_of``."""
    days = (as_of - due_on).days
    if days <= 0:
        return "current"
    if days <= 30:
        return "days_1_30"
    if days <= 60:
        return "days_31_60"
    if days <= 90:
        return "days_61_90"
    return "over_90"


# --- the credit check -----------------------------------------------------------------------------


def open_receivables(*, customer: Customer) -> Decimal:
    """What the customer owes on open invoices (unapplied credits not deducted)."""
    totals = Invoice.objects.filter(customer=customer, status=Invoice.Status.OPEN).aggregate(
        amount=Sum("amount"), paid=Sum("amount_paid"))
    return (totals["amount"] or ZERO) - (totals["paid"] or ZERO)


_UNINVOICED_ON_ACCOUNT = """
SELECT COALESCE(sum(GREATEST(t.on_account - COALESCE(i.invoiced, 0), 0)), 0)
FROM (
    SELECT tender.order_id, sum(tender.amount) AS on_account
    FROM payments_tender tender JOIN orders_order o ON o.id = tender.order_id
    WHERE o.customer_id = %(customer)s AND tender.kind = 'on_account' AND NOT (o.status = ANY(%(closed)s))
      AND tender.status NOT IN ('voided', 'declined', 'expired') AND o.id <> %(exclude)s
    GROUP BY tender.order_id
) t LEFT JOIN (
    SELECT order_id, sum(amount) AS invoiced FROM payments_invoice WHERE status <> 'void' GROUP BY order_id
) i ON i.order_id = t.order_id
"""


def open_orders_on_account(*, customer: Customer, exclude_order_id: int | None = None) -> Decimal:
    """What open orders of the customer will invoice on account and have not invoiced yet."""
    with connection.cursor() as cursor:
        cursor.execute(_UNINVOICED_ON_ACCOUNT, {"customer": customer.pk, "closed": list(CLOSED_STATUSES),
                                                "exclude": exclude_order_id or 0})
        return cursor.fetchone()[0]


def credit_exposure(*, customer: Customer, exclude_order_id: int | None = None) -> Decimal:
    """Open receivables plus open orders on account not yet invoiced (the credit check's measure)."""
    return open_receivables(customer=customer) + open_orders_on_account(customer=customer,
                                                                        exclude_order_id=exclude_order_id)


def unapplied_credit(*, customer: Customer) -> Decimal:
    totals = CustomerPayment.objects.filter(customer=customer).aggregate(amount=Sum("amount"),
                                                                         applied=Sum("amount_applied"))
    return (totals["amount"] or ZERO) - (totals["applied"] or ZERO)


# --- the aging report -----------------------------------------------------------------------------

SORTS = {
    # name: (SQL expression in the report row, descending?)
    "customer": ("customer_number", False),
    "total": ("total", True),
    "over_90": ("over_90", True),
}

_AGING = """
WITH open_invoices AS (
    SELECT i.customer_id, i.currency, i.amount - i.amount_paid AS open_amount, %(as_of)s::date - i.due_on AS late
    FROM payments_invoice i WHERE i.status = 'open'
), rows AS (
    SELECT c.id AS customer_id, c.number AS customer_number,
           COALESCE(NULLIF(c.company, ''), trim(c.first_name || ' ' || c.last_name)) AS customer_name,
           c.terms, c.credit_limit, o.currency,
           COALESCE(sum(o.open_amount) FILTER (WHERE o.late <= 0), 0) AS current,
           COALESCE(sum(o.open_amount) FILTER (WHERE o.late BETWEEN 1 AND 30), 0) AS days_1_30,
           COALESCE(sum(o.open_amount) FILTER (WHERE o.late BETWEEN 31 AND 60), 0) AS days_31_60,
           COALESCE(sum(o.open_amount) FILTER (WHERE o.late BETWEEN 61 AND 90), 0) AS days_61_90,
           COALESCE(sum(o.open_amount) FILTER (WHERE o.late > 90), 0) AS over_90,
           sum(o.open_amount) AS total,
           count(*) AS invoice_count
    FROM open_invoices o JOIN orders_customer c ON c.id = o.customer_id
    WHERE (%(search)s = '' OR c.number ILIKE %(like)s OR c.company ILIKE %(like)s OR c.last_name ILIKE %(like)s)
    GROUP BY c.id, o.currency
)
SELECT {columns} FROM rows WHERE (NOT %(past_due)s OR total > current) {keyset} {order}
"""
_COLUMNS = ("customer_id", "customer_number", "customer_name", "terms", "credit_limit", "currency") + BUCKETS + (
    "total", "invoice_count")


@dataclass(frozen=True)
class AgingRow:
    customer_id: int
    customer_number: str
    customer_name: str
    terms: str
    credit_limit: Decimal
    currency: str
    current: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal
    total: Decimal
    invoice_count: int

    def bucket_amounts(self) -> list[Decimal]:
        return [getattr(self, bucket) for bucket in BUCKETS]


@dataclass
class AgingPage:
    as_of: date
    rows: list[AgingRow]
    totals: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # currency -> bucket/total -> amount
    next_cursor: str = ""


def _cursor_value(row: AgingRow, sort: str) -> str:
    column = SORTS[sort][0]
    return f"{getattr(row, column)}|{row.customer_id}|{row.currency}"


def aging_rows(*, as_of: date, search: str = "", past_due_only: bool = False, sort: str = "customer",
               after: str = "", limit: int | None = None, using: str = "default") -> tuple[list[AgingRow], str]:
    """The aging rows (one per customer and currency) in ``sort`` order, from after the keyset
    cursor ``after`` (as returned); at most ``limit`` (all when None). Returns (rows, next cursor).
    ``using``: the database alias to read (reports read their own, reporting.db)."""
    if sort not in SORTS:
        sort = "customer"
    column, descending = SORTS[sort]
    params = {"as_of": as_of, "search": search.strip(), "like": f"%{search.strip()}%", "past_due": past_due_only}
    direction = "DESC" if descending else "ASC"
    keyset = ""
    if after:
        try:
            value, customer_id, currency = after.split("|", 2)
            params.update(after_value=value if column == "customer_number" else Decimal(value),
                          after_id=int(customer_id), after_currency=currency)
        except (ValueError, ArithmeticError):
            pass
        else:
            comparison = "<" if descending else ">"
            keyset = (f"AND ({column}, customer_id, currency) {comparison} "
                      f"(%(after_value)s, %(after_id)s, %(after_currency)s)")
    order = (f"ORDER BY {column} {direction}, customer_id {direction}, currency {direction}"
             + (" LIMIT %(limit)s" if limit else ""))
    params["limit"] = (limit or 0) + 1
    sql = _AGING.format(columns=", ".join(_COLUMNS), keyset=keyset, order=order)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        rows = [AgingRow(*record) for record in cursor.fetchall()]
    next_cursor = ""
    if limit and len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _cursor_value(rows[-1], sort)
    return rows, next_cursor


def aging_totals(*, as_of: date, search: str = "", past_due_only: bool = False,
                 using: str = "default") -> dict[str, dict[str, Decimal]]:
    """The report's totals per currency (every row, not one page)."""
    params = {"as_of": as_of, "search": search.strip(), "like": f"%{search.strip()}%", "past_due": past_due_only}
    sums = ", ".join(f"sum({column})" for column in BUCKETS + ("total",))
    sql = _AGING.format(columns=f"currency, {sums}", keyset="", order="GROUP BY currency ORDER BY currency")
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return {record[0]: dict(zip(BUCKETS + ("total",), record[1:])) for record in cursor.fetchall()}


def aging_page(*, as_of: date, search: str = "", past_due_only: bool = False, sort: str = "customer",
               after: str = "", size: int = 50) -> AgingPage:
    rows, next_cursor = aging_rows(as_of=as_of, search=search, past_due_only=past_due_only, sort=sort,
                                   after=after, limit=size)
    return AgingPage(as_of=as_of, rows=rows, next_cursor=next_cursor,
                     totals=aging_totals(as_of=as_of, search=search, past_due_only=past_due_only))


def customer_aging(*, customer: Customer, as_of: date) -> dict[str, Decimal]:
    """One customer's open invoices by bucket (and their total), in the customer's currency."""
    amounts = dict.fromkeys(BUCKETS + ("total",), ZERO)
    for invoice in Invoice.objects.filter(customer=customer, status=Invoice.Status.OPEN).only(
            "amount", "amount_paid", "due_on", "status"):
        amounts[bucket_of(due_on=invoice.due_on, as_of=as_of)] += invoice.open_amount
        amounts["total"] += invoice.open_amount
    return amounts


# --- statements -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    on_date: date
    kind: str  # "invoice" or "payment"
    reference: str
    description: str
    charge: Decimal
    credit: Decimal
    balance: Decimal  # running


@dataclass
class Statement:
    customer: Customer
    starts_on: date
    ends_on: date
    currency: str
    opening_balance: Decimal
    lines: list[StatementLine]
    closing_balance: Decimal
    aging: dict[str, Decimal]
    open_invoices: list[Invoice]


def customer_statement(*, customer: Customer, starts_on: date, ends_on: date) -> Statement:
    """What the customer owed at ``starts_on``, the invoices and payments up to ``ends_on``, what
    they owe then (invoices less payments; void invoices count for nothing), and the aging of
    their open invoices at ``ends_on``."""
    invoices = Invoice.objects.filter(customer=customer).exclude(status=Invoice.Status.VOID)
    payments = CustomerPayment.objects.filter(customer=customer)
    opening = ((invoices.filter(issued_on__lt=starts_on).aggregate(total=Sum("amount"))["total"] or ZERO)
               - (payments.filter(received_on__lt=starts_on).aggregate(total=Sum("amount"))["total"] or ZERO))
    events = [(invoice.issued_on, 0, invoice.pk, "invoice", invoice) for invoice in
              invoices.filter(issued_on__gte=starts_on, issued_on__lte=ends_on).select_related("order")]
    events += [(payment.received_on, 1, payment.pk, "payment", payment) for payment in
               payments.filter(received_on__gte=starts_on, received_on__lte=ends_on)]
    events.sort(key=lambda item: item[:3])
    balance = opening
    lines = []
    for on_date, _rank, _pk, kind, document in events:
        if kind == "invoice":
            balance += document.amount
            description = (_("Invoice, order %(order)s, due %(due)s") % {
                "order": document.order.number, "due": document.due_on.isoformat()} if document.order
                else _("Invoice, due %(due)s") % {"due": document.due_on.isoformat()})
            lines.append(StatementLine(on_date, kind, document.number, str(description), document.amount, ZERO,
                                       balance))
        else:
            balance -= document.amount
            if document.method == CustomerPayment.Method.CREDIT_NOTE:
                description = document.reference
            else:
                description = _("Payment, %(method)s %(reference)s") % {
                    "method": document.get_method_display(), "reference": document.reference}
            lines.append(StatementLine(on_date, kind, document.reference or str(document.pk), str(description).strip(),
                                       ZERO, document.amount, balance))
    open_invoices = list(Invoice.objects.filter(customer=customer, status=Invoice.Status.OPEN, issued_on__lte=ends_on)
                         .order_by("due_on", "pk"))
    return Statement(customer=customer, starts_on=starts_on, ends_on=ends_on, currency=customer.currency,
                     opening_balance=opening, lines=lines, closing_balance=balance,
                     aging=customer_aging(customer=customer, as_of=ends_on), open_invoices=open_invoices)
