"""Reads for vendor bills: the facts the match needs, the bill list, and the reconciliation report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from catalog.models import Vendor
from inventory.models import PurchaseOrder, PurchaseOrderLine, StockMovement
from oms.money import round_money
from payments.payables.matching import BillLineFacts, MatchResult, OrderLineFacts, three_way_match
from payments.payables.models import MatchTolerance, VendorBill, VendorBillLine

BILLABLE_PO_STATUSES = (PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIALLY_RECEIVED,
                        PurchaseOrder.Status.RECEIVED, PurchaseOrder.Status.CLOSED)


def _received_subquery(*, before: dt.datetime | None = None, column: str = "quantity") -> Subquery:
    """Units (or, with ``column="value"``, their value) received on the outer purchase order line:
    the sum of its receipt movements."""
    receipts = StockMovement.objects.filter(purchase_order_line=OuterRef("pk"),
                                            kind=StockMovement.Kind.RECEIPT)
    if before is not None:
        receipts = receipts.filter(created_at__lt=before)
    total = receipts.order_by().values("purchase_order_line").annotate(total=Sum(column)).values("total")
    if column == "value":
        return Coalesce(Subquery(total, output_field=DecimalField(max_digits=14, decimal_places=3)),
                        Value(Decimal("0")))
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def _billed_subquery(*, exclude_bill_id: int | None = None, on_or_before: dt.date | None = None) -> Subquery:
    """Units billed on the outer purchase order line by posted bills."""
    lines = VendorBillLine.objects.filter(purchase_order_line=OuterRef("pk"),
                                          bill__status=VendorBill.Status.POSTED)
    if exclude_bill_id is not None:
        lines = lines.exclude(bill_id=exclude_bill_id)
    if on_or_before is not None:
        lines = lines.filter(bill__bill_date__lte=on_or_before)
    total = lines.order_by().values("purchase_order_line").annotate(total=Sum("quantity")).values("total")
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def order_line_facts(purchase_order: PurchaseOrder, *, exclude_bill: VendorBill | None = None
                     ) -> list[OrderLineFacts]:
    """Each line of the order with what was received and what other posted bills billed (one query)."""
    lines = (PurchaseOrderLine.objects.filter(purchase_order=purchase_order).order_by("pk")
             .annotate(received=_received_subquery(), received_value=_received_subquery(column="value"),
                       billed=_billed_subquery(exclude_bill_id=exclude_bill.pk if exclude_bill else None))
             .values_list("pk", "sku__code", "sku__name", "quantity_ordered", "received", "received_value",
                          "unit_cost", "billed"))
    return [OrderLineFacts(line_id=pk, sku_code=code, sku_name=name, ordered=ordered, received=received,
                           received_value=received_value, unit_cost=unit_cost, billed_before=billed)
            for pk, code, name, ordered, received, received_value, unit_cost, billed in lines]


def bill_match(bill: VendorBill, *, order_lines: list[OrderLineFacts] | None = None) -> MatchResult:
    """The three-way match of a bill against its purchase order and receipts, as they stand now."""
    if order_lines is None:
        order_lines = order_line_facts(bill.purchase_order, exclude_bill=bill)
    bill_lines = [BillLineFacts(line_id=line_id, quantity=quantity, unit_cost=unit_cost)
                  for line_id, quantity, unit_cost in
                  bill.lines.order_by("pk").values_list("purchase_order_line_id", "quantity", "unit_cost")]
    return three_way_match(order_lines=order_lines, bill_lines=bill_lines, freight=bill.freight,
                           tolerance=MatchTolerance.current().as_tolerance(), currency=bill.currency)


def bill_list(*, vendor: Vendor | None = None, status: str = "", query: str = "") -> QuerySet[VendorBill]:
    """Bills, newest bill date first, with their line totals."""
    bills = VendorBill.objects.select_related("vendor", "purchase_order")
    if vendor is not None:
        bills = bills.filter(vendor=vendor)
    if status:
        bills = bills.filter(status=status)
    if query:
        bills = bills.filter(Q(bill_number__icontains=query) | Q(purchase_order__number__iexact=query))
    return bills.prefetch_related("lines").order_by("-bill_date", "-pk")


def billable_purchase_orders(*, vendor: Vendor | None = None) -> QuerySet[PurchaseOrder]:
    """Purchase orders a bill may be entered against: sent, received or closed (not draft or cancelled)."""
    orders = PurchaseOrder.objects.filter(status__in=BILLABLE_PO_STATUSES).select_related("vendor")
    if vendor is not None:
        orders = orders.filter(vendor=vendor)
    return orders.order_by("-created_at", "-pk")


# --- the purchase order reconciliation -------------------------------------------------------


@dataclass(frozen=True)
class QuantityGap:
    """A purchase order line whose receipts and posted bills differ: the units and their order cost."""

    line: PurchaseOrderLine  # with purchase_order, its vendor, and sku loaded
    received: int
    billed: int
    bills: tuple[VendorBill, ...]

    @property
    def quantity(self) -> int:
        return abs(self.received - self.billed)

    @property
    def value(self) -> Decimal:
        return round_money(self.line.unit_cost * self.quantity, self.line.purchase_order.currency)


@dataclass(frozen=True)
class Reconciliation:
    date_from: dt.date | None
    date_to: dt.date
    received_not_billed: list[QuantityGap]
    billed_not_received: list[QuantityGap]
    variances: list[VendorBillLine]  # posted lines billed at another cost than ordered

    def totals(self) -> dict[str, Decimal]:
        return {
            "received_not_billed": sum((gap.value for gap in self.received_not_billed), Decimal("0")),
            "billed_not_received": sum((gap.value for gap in self.billed_not_received), Decimal("0")),
            "variances": sum((line.variance_amount or Decimal("0") for line in self.variances), Decimal("0")),
        }


def _start_of_day(day: dt.date) -> dt.datetime:
    """The first moment of ``day`` in the shop's time zone (receipts and orders carry timestamps)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.SHOP_TIME_ZONE))


def _end_of_day(day: dt.date) -> dt.datetime:
    """The first moment after ``day`` in the shop's time zone."""
    return _start_of_day(day + dt.timedelta(days=1))


def po_reconciliation(*, date_to: dt.date, date_from: dt.date | None = None,
                      vendor: Vendor | None = None) -> Reconciliation:
    """What was received and not billed, billed and not received, and every price variance, as of ``date_to``.

    Receipts made up to the end of ``date_to`` (shop time) and posted bills dated up to it count;
    ``date_from`` leaves out purchase orders created before it.
    """
    orders = PurchaseOrder.objects.filter(status__in=BILLABLE_PO_STATUSES)
    if vendor is not None:
        orders = orders.filter(vendor=vendor)
    if date_from is not None:
        orders = orders.filter(created_at__gte=_start_of_day(date_from))
    lines = (PurchaseOrderLine.objects.filter(purchase_order__in=orders)
             .select_related("purchase_order__vendor", "sku")
             .annotate(received=_received_subquery(before=_end_of_day(date_to)),
                       billed=_billed_subquery(on_or_before=date_to))
             .exclude(received=F("billed"))
             .order_by("purchase_order__vendor__name", "purchase_order__number", "pk"))
    lines = list(lines)
    bills_by_line: dict[int, list[VendorBill]] = {}
    for bill_line in (VendorBillLine.objects.filter(purchase_order_line__in=[line.pk for line in lines],
                                                    bill__status=VendorBill.Status.POSTED,
                                                    bill__bill_date__lte=date_to)
                      .select_related("bill").order_by("bill__bill_date", "bill_id")):
        bills_by_line.setdefault(bill_line.purchase_order_line_id, []).append(bill_line.bill)
    gaps = [QuantityGap(line=line, received=line.received, billed=line.billed,
                        bills=tuple(bills_by_line.get(line.pk, ()))) for line in lines]
    variances = (VendorBillLine.objects
                 .filter(bill__status=VendorBill.Status.POSTED, bill__bill_date__lte=date_to,
                         bill__purchase_order__in=orders)
                 .exclude(variance_amount=0)
                 .select_related("bill__vendor", "bill__purchase_order", "purchase_order_line__sku")
                 .order_by("bill__vendor__name", "bill__bill_date", "bill_id", "pk"))
    return Reconciliation(
        date_from=date_from, date_to=date_to,
        received_not_billed=[gap for gap in gaps if gap.received > gap.billed],
        billed_not_received=[gap for gap in gaps if gap.billed > gap.received],
        variances=list(variances),
    )


def home_panel(*, user) -> dict | None:
    """The payables panel of the home page, for people who enter bills: drafts to post, orders to bill."""
    if not user.has_perm("payments.view_vendorbill"):
        return None
    unbilled_orders = (PurchaseOrderLine.objects.filter(purchase_order__status__in=BILLABLE_PO_STATUSES)
                       .annotate(received=_received_subquery(), billed=_billed_subquery())
                       .filter(received__gt=F("billed")).values("purchase_order").distinct().count())
    return {"template": "payments/_payables_home_panel.html", "unbilled_orders": unbilled_orders,
            "drafts": VendorBill.objects.filter(status=VendorBill.Status.DRAFT).count()}
