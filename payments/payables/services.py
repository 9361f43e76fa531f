"""Vendor bill writes: enter a draft, correct it, post it through the ledger, void a draft.

Locking: posting locks the purchase order row, then the bill's, so two bills of one purchase
order post one after the other (each sees what the other billed) and a receipt of the same
order (which locks the order first too) never interleaves with the match.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import PurchaseOrder
from oms import hooks
from payments.payables import selectors
from payments.payables.errors import BillError, BillMatchRefused
from payments.payables.matching import BillLineFacts, bill_legs, check_bill_lines
from payments.payables.models import VendorBill, VendorBillLine

BILL_POSTING_KIND = "vendor_bill"


def _move(bill: VendorBill, status: str) -> None:
    if status not in VendorBill.TRANSITIONS[bill.status]:
        raise BillError(_("Bill %(number)s is %(current)s and cannot become %(new)s.") % {
            "number": bill.bill_number, "current": bill.get_status_display(),
            "new": VendorBill.Status(status).label})
    bill.status = status


def _check_bill(*, purchase_order: PurchaseOrder, bill_number: str, bill_date: dt.date,
                due_date: dt.date | None, lines: list[BillLineFacts], freight: Decimal,
                exclude_bill_id: int | None = None) -> str:
    """Refuse a bill that cannot be entered as given; returns the bill number, trimmed."""
    bill_number = bill_number.strip()
    if not bill_number:
        raise BillError(_("Enter the vendor's bill number."))
    if purchase_order.status not in selectors.BILLABLE_PO_STATUSES:
        raise BillError(_("Purchase order %(number)s is %(status)s: a bill cannot be entered against it.")
                        % {"number": purchase_order.number, "status": purchase_order.get_status_display()})
    if due_date is not None and due_date < bill_date:
        raise BillError(_("The due date cannot be before the bill date."))
    check_bill_lines(order_lines=selectors.order_line_facts(purchase_order), bill_lines=lines,
                     freight=freight)
    duplicate = (VendorBill.objects
                 .filter(vendor_id=purchase_order.vendor_id, bill_number__iexact=bill_number)
                 .exclude(status=VendorBill.Status.VOID).exclude(pk=exclude_bill_id))
    if duplicate.exists():
        raise _duplicate_number(purchase_order, bill_number)
    return bill_number


def _write_lines(bill: VendorBill, lines: list[BillLineFacts]) -> None:
    VendorBillLine.objects.bulk_create([
        VendorBillLine(bill=bill, purchase_order_line_id=line.line_id, quantity=line.quantity,
                       unit_cost=line.unit_cost)
        for line in lines
    ])


def vendor_bill_create(*, purchase_order: PurchaseOrder, bill_number: str, bill_date: dt.date,
                       lines: list[BillLineFacts], user, due_date: dt.date | None = None,
                       freight: Decimal = Decimal("0"), notes: str = "", durable: bool = True) -> VendorBill:
    """A draft bill of the purchase order's vendor, for (purchase order line, quantity, unit cost) lines.

    ``durable=False`` is for a caller that owns the transaction (the demo seed); views and tasks
    leave it, so the bill is committed when the service returns.
    """
    bill_number = _check_bill(purchase_order=purchase_order, bill_number=bill_number, bill_date=bill_date,
                              due_date=due_date, lines=lines, freight=freight)
    try:
        with transaction.atomic(durable=durable):
            bill = VendorBill.objects.create(
                vendor_id=purchase_order.vendor_id, purchase_order=purchase_order, bill_number=bill_number,
                bill_date=bill_date, due_date=due_date, freight=freight, currency=purchase_order.currency,
                notes=notes, entered_by=user)
            _write_lines(bill, lines)
    except IntegrityError as error:  # the same number entered at the same moment by someone else
        if "vendor_bill_number_unique" in str(error):
            raise _duplicate_number(purchase_order, bill_number) from error
        raise
    return bill


def vendor_bill_update(*, bill: VendorBill, bill_number: str, bill_date: dt.date, lines: list[BillLineFacts],
                       user, due_date: dt.date | None = None, freight: Decimal = Decimal("0"),
                       notes: str = "") -> VendorBill:
    """Correct a draft bill (its purchase order stays): the header as given, its lines replaced."""
    purchase_order = bill.purchase_order
    bill_number = _check_bill(purchase_order=purchase_order, bill_number=bill_number, bill_date=bill_date,
                              due_date=due_date, lines=lines, freight=freight, exclude_bill_id=bill.pk)
    try:
        with transaction.atomic(durable=True):
            locked = VendorBill.objects.select_for_update(no_key=True).get(pk=bill.pk)
            if locked.status != VendorBill.Status.DRAFT:
                raise BillError(_("Bill %(number)s is %(status)s: only a draft can be changed.")
                                % {"number": locked.bill_number, "status": locked.get_status_display()})
            locked.bill_number, locked.bill_date, locked.due_date = bill_number, bill_date, due_date
            locked.freight, locked.notes = freight, notes
            locked.save(update_fields=["bill_number", "bill_date", "due_date", "freight", "notes"])
            locked.lines.all().delete()
            _write_lines(locked, lines)
    except IntegrityError as error:
        if "vendor_bill_number_unique" in str(error):
            raise _duplicate_number(purchase_order, bill_number) from error
        raise
    return locked


def _duplicate_number(purchase_order: PurchaseOrder, bill_number: str) -> BillError:
    return BillError(_("%(vendor)s already has a bill numbered %(number)s.")
                     % {"vendor": purchase_order.vendor.name, "number": bill_number})


def vendor_bill_post(*, bill: VendorBill, user, override_reason: str = "",
                     durable: bool = True) -> VendorBill:
    """Match the bill against its purchase order and receipts, and post it to the ledger.

    A bill the match flags is refused (BillMatchRefused, with each problem) unless an override
    reason is given. The entry and the bill's new status commit together; posting a bill that
    is already posted returns it unchanged, with its one entry. ``durable``: as for
    :func:`vendor_bill_create`.
    """
    reason = override_reason.strip()
    with transaction.atomic(durable=durable):
        order = PurchaseOrder.objects.select_for_update(no_key=True).get(pk=bill.purchase_order_id)
        locked = VendorBill.objects.select_for_update(no_key=True).get(pk=bill.pk)
        if locked.status == VendorBill.Status.POSTED:
            return locked
        _move(locked, VendorBill.Status.POSTED)
        order_lines = selectors.order_line_facts(order, exclude_bill=locked)
        match = selectors.bill_match(locked, order_lines=order_lines)
        if not match.is_matched and not reason:
            raise BillMatchRefused(
                _("Bill %(number)s does not match its purchase order and receipts. "
                  "Correct the bill, or post it with a reason for the override.")
                % {"number": locked.bill_number},
                list(match.problems))
        legs = bill_legs(match, bill_number=locked.bill_number, warehouse_id=order.warehouse_id)
        entry = None
        if legs:
            entry = hooks.ledger_post(
                source=locked, kind=BILL_POSTING_KIND, on_date=locked.bill_date, user=user,
                currency=locked.currency,
                memo=_("Vendor bill %(number)s, %(vendor)s, %(order)s")
                % {"number": locked.bill_number, "vendor": order.vendor.name, "order": order.number},
                lines=[hooks.PostingLine(role=leg.role, debit=leg.debit, credit=leg.credit, memo=leg.memo,
                                         warehouse_id=leg.warehouse_id) for leg in legs],
            )
        by_order_line = {line_match.order_line.line_id: line_match for line_match in match.lines}
        lines = list(locked.lines.all())
        for line in lines:
            line_match = by_order_line[line.purchase_order_line_id]
            line.cleared_amount, line.variance_amount = line_match.cleared, line_match.variance
        VendorBillLine.objects.bulk_update(lines, ["cleared_amount", "variance_amount"])
        locked.posted_entry = entry
        locked.posted_by = user
        locked.posted_at = timezone.now()
        locked.match_override_reason = "" if match.is_matched else reason
        locked.save(update_fields=["status", "posted_entry", "posted_by", "posted_at",
                                   "match_override_reason"])
    return locked


def vendor_bill_void(*, bill: VendorBill, reason: str, user) -> VendorBill:
    """Void a draft bill (entered by mistake); its number is free again. Posted bills stay."""
    reason = reason.strip()
    if not reason:
        raise BillError(_("Say why the bill is voided."))
    with transaction.atomic(durable=True):
        locked = VendorBill.objects.select_for_update(no_key=True).get(pk=bill.pk)
        _move(locked, VendorBill.Status.VOID)
        locked.void_reason = reason
        locked.voided_at = timezone.now()
        locked.save(update_fields=["status", "void_reason", "voided_at"])
    return locked
