"""Demo vendor bills: most received purchase orders billed and posted, a few with price
differences, one posted with an override, and one flagged draft waiting for the accountant.
Everything goes through the services, so the ledger carries the bills' entries. Idempotent."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from inventory.models import PurchaseOrder
from inventory.postings import business_date
from payments.payables.errors import BillError
from payments.payables.matching import BillLineFacts
from payments.payables.models import MatchTolerance, VendorBill
from payments.payables.selectors import order_line_facts
from payments.payables.services import vendor_bill_create, vendor_bill_post

DEMO_TOLERANCE = {"quantity_units": 0, "quantity_percent": Decimal("0"), "price_percent": Decimal("2"),
                  "price_amount": Decimal("0.01")}


def seed_payables(*, stdout, options) -> None:
    """The demo's bills (seed_demo's step after the orders), in the caller's transaction if it has one."""
    if VendorBill.objects.exists():
        stdout.write("Vendor bills: already there")
        return
    if not MatchTolerance.objects.exists():
        MatchTolerance(**DEMO_TOLERANCE).save()
    rng = random.Random(options.get("seed", 0))
    accountant = get_user_model().objects.filter(username="accountant").first()
    today = business_date()
    orders = list(PurchaseOrder.objects.filter(
        status__in=(PurchaseOrder.Status.RECEIVED, PurchaseOrder.Status.PARTIALLY_RECEIVED,
                    PurchaseOrder.Status.CLOSED)).select_related("vendor").order_by("pk"))
    posted = drafts = 0
    for index, order in enumerate(orders):
        facts = [line for line in order_line_facts(order) if line.unbilled > 0]
        if not facts or index % 4 == 3:  # every fourth stays received and not billed
            continue
        lines = [BillLineFacts(line_id=line.line_id, quantity=line.unbilled, unit_cost=line.unit_cost)
                 for line in facts]
        flagged = index % 7 == 5
        if index % 3 == 1 or flagged:  # a vendor price a little off the order's; far off when flagged
            first = lines[0]
            factor = Decimal("1.08") if flagged else Decimal("1.01")
            lines[0] = BillLineFacts(line_id=first.line_id, quantity=first.quantity,
                                     unit_cost=(first.unit_cost * factor).quantize(Decimal("0.001")))
        try:
            bill = vendor_bill_create(
                purchase_order=order, bill_number=f"{order.vendor.code}-{70000 + index}",
                bill_date=today - timedelta(days=rng.randint(0, 3)), due_date=today + timedelta(days=30),
                freight=Decimal(rng.choice(("0", "0", "12.50", "24.00"))), lines=lines, user=accountant,
                durable=False)
        except BillError as error:
            stdout.write(f"Vendor bill for {order.number} skipped: {error}")
            continue
        if flagged and drafts == 0:
            drafts += 1  # left for the accountant: the match flags the price
            continue
        reason = "Price rise confirmed by the vendor" if flagged else ""
        vendor_bill_post(bill=bill, user=accountant, override_reason=reason, durable=False)
        posted += 1
    stdout.write(f"Vendor bills: {posted} posted, {drafts} draft")
