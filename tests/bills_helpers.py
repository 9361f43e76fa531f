"""Setup shared by the vendor bill tests: received purchase orders, bills, and account balances."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from inventory.models import PurchaseOrder
from inventory.services import purchase_order_receive
from payments.ledger.models import JournalLine
from payments.payables.matching import BillLineFacts
from payments.payables.models import MatchTolerance, VendorBill
from payments.payables.services import vendor_bill_create
from tests.factories import SkuFactory
from tests.screens_helpers import purchase_order

# The seeded chart's accounts of a bill's entry (payments/migrations/0003_default_chart.py).
ACCOUNTS_PAYABLE = "2000"
GRNI = "2050"
INVENTORY = "1200"
PPV = "5300"
FREIGHT_IN = "5400"

BILL_DATE = dt.date(2026, 11, 20)


def received_order(*lines: tuple[int, str, int], vendor=None, warehouse=None) -> PurchaseOrder:
    """A sent purchase order of (ordered, unit cost, received) lines, one new SKU each, received as given."""
    skus = [SkuFactory() for _line in lines]
    order = purchase_order(lines=[(sku, ordered, Decimal(cost)) for sku, (ordered, cost, _received)
                                  in zip(skus, lines)], vendor=vendor, warehouse=warehouse)
    order_lines = list(order.lines.order_by("pk"))
    quantities = {line.pk: received for line, (_ordered, _cost, received) in zip(order_lines, lines) if received}
    if quantities:
        purchase_order_receive(purchase_order=order, quantities=quantities, user=None)
    order.refresh_from_db()
    return order


def bill_for(order: PurchaseOrder, *lines: tuple[int, str], number: str = "INV-1", freight: str = "0",
             bill_date: dt.date = BILL_DATE, user=None) -> VendorBill:
    """A draft bill of (quantity, unit cost) per purchase order line, in line order (None skips a line)."""
    order_lines = list(order.lines.order_by("pk"))
    return vendor_bill_create(
        purchase_order=order, bill_number=number, bill_date=bill_date, freight=Decimal(freight), user=user,
        lines=[BillLineFacts(line_id=line.pk, quantity=quantity, unit_cost=Decimal(cost))
               for line, bill_line in zip(order_lines, lines) if bill_line is not None
               for quantity, cost in [bill_line]],
    )


def balance(code: str) -> Decimal:
    """Debits minus credits on the account with ``code``."""
    totals = JournalLine.objects.filter(account__code=code).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or Decimal("0")) - (totals["credit"] or Decimal("0"))


def set_tolerance(**fields) -> MatchTolerance:
    tolerance = MatchTolerance.current()
    for name, value in fields.items():
        setattr(tolerance, name, value)
    tolerance.save()
    return tolerance
