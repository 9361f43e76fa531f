"""Orders shipped against payments captured against the gateway's own records, for a date range.

**Which orders.** Those with something in the range (shop's calendar days, both ends included):
a shipment shipped, a capture that succeeded, an invoice issued, or a refund allocation done.
Each is then compared over its whole life, so a shipment in the range captured the day after
is not reported as a difference.

**What is compared, per order** (all in the order's currency):

- *shipped*: what its shipments shipped (the amount each ship confirmation recorded on its
  ``ship`` event; the same amount its ``order.shipment`` entry books);
- *captured*: what its tenders captured, in our records (cards at shipment, invoices on
  account, and what gift cards, checks, cash and marketplaces took at placement);
- *gateway*: for each card tender, what the gateway says its PaymentIntents captured net of
  refunds (the tender's current one and every one a capture was made on: a partial capture
  renews the authorization as a new one), read through the Stripe SDK (``payments.gateway``, one
  or two reads per PaymentIntent), against our captured less refunded.

**The differences listed**: shipped, not captured; captured (by card or invoice), nothing
shipped; amounts that differ (a shipped-out order whose captures are not what it shipped, or a
part-shipped one that captured less than it shipped, or more by card or invoice); the gateway
differs from our records (or does not know the PaymentIntent); and a refund without a return.

*Refund without a return*: until returns (RMAs, ``orders/returns``) land, this is a refund done
on an order none of whose lines has a returned quantity (``OrderLine.quantity_returned``). A
goodwill refund with nothing sent back is thus listed, which is what an accountant wants to see.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import stripe
from django.conf import settings
from django.db.models import F, Sum
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from oms.money import round_money
from orders.fulfillment.models import ShipmentEvent, ShipmentStatus
from orders.models import Order, OrderLine
from payments import gateway
from payments.ledger.models import JournalEntry
from payments.receivables.models import Invoice
from payments.refunds.models import Refund, RefundAllocation
from payments.tenders.models import PaymentAttempt, Tender

ZERO = Decimal("0")
AT_SHIPMENT = (Tender.Kind.CARD, Tender.Kind.ON_ACCOUNT)  # the kinds captured as the order ships

SHIPPED_NOT_CAPTURED = "shipped_not_captured"
CAPTURED_NOT_SHIPPED = "captured_not_shipped"
AMOUNTS_DIFFER = "amounts_differ"
GATEWAY_DIFFERS = "gateway_differs"
REFUND_WITHOUT_RETURN = "refund_without_return"
KIND_LABELS = {
    SHIPPED_NOT_CAPTURED: _("Shipped, not captured"),
    CAPTURED_NOT_SHIPPED: _("Captured, not shipped"),
    AMOUNTS_DIFFER: _("Amounts differ"),
    GATEWAY_DIFFERS: _("Gateway differs"),
    REFUND_WITHOUT_RETURN: _("Refund without a return"),
}


@dataclass
class Document:
    label: str
    url: str


@dataclass
class Difference:
    kind: str
    order_id: int
    order_number: str
    currency: str
    shipped: Decimal
    captured: Decimal
    gateway: Decimal | None
    note: str
    documents: list[Document] = field(default_factory=list)

    @property
    def label(self):
        return KIND_LABELS[self.kind]

    @property
    def order_url(self) -> str:
        return reverse("orders:order_detail", args=[self.order_id])


@dataclass
class Report:
    date_from: date
    date_to: date
    orders: int
    shipped: Decimal
    captured: Decimal
    differences: list[Difference]
    gateway_error: str = ""  # the gateway could not be read: no gateway comparison was made

    def count(self, kind: str) -> int:
        return sum(1 for difference in self.differences if difference.kind == kind)


def day_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """The range's start and end (exclusive) as aware datetimes, in the shop's zone."""
    zone = ZoneInfo(settings.SHOP_TIME_ZONE)
    return (datetime.combine(date_from, time.min, tzinfo=zone),
            datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone))


def orders_in_range(date_from: date, date_to: date) -> list[int]:
    start, end = day_bounds(date_from, date_to)
    ids = set(ShipmentEvent.objects.filter(kind=ShipmentEvent.Kind.SHIP, created_at__gte=start, created_at__lt=end)
              .values_list("shipment__order_id", flat=True))
    ids |= set(PaymentAttempt.objects.filter(
        action=PaymentAttempt.Action.CAPTURE, status=PaymentAttempt.Status.SUCCEEDED,
        completed_at__gte=start, completed_at__lt=end).values_list("tender__order_id", flat=True))
    ids |= set(Invoice.objects.filter(issued_on__gte=date_from, issued_on__lte=date_to, order__isnull=False)
               .values_list("order_id", flat=True))
    ids |= set(RefundAllocation.objects.filter(status=RefundAllocation.Status.DONE, completed_at__gte=start,
                                               completed_at__lt=end).values_list("refund__order_id", flat=True))
    return sorted(ids)


def _gateway_net(intent_id: str) -> Decimal | None:
    try:
        return gateway.payment_intent_captured_amount(intent_id)
    except stripe.InvalidRequestError:  # the gateway does not know it
        return None


def reconciliation(*, date_from: date, date_to: date, read_gateway: bool = True) -> Report:
    """The report (module docstring). Calls the gateway once per card tender in scope: outside
    any transaction, as every gateway call."""
    ids = orders_in_range(date_from, date_to)
    orders = Order.objects.in_bulk(ids)
    shipped: dict[int, Decimal] = defaultdict(lambda: ZERO)
    shipments: dict[int, list[int]] = defaultdict(list)
    for order_id, shipment_id, data in ShipmentEvent.objects.filter(
            kind=ShipmentEvent.Kind.SHIP, shipment__order_id__in=ids,
            shipment__status__in=(ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)).values_list(
            "shipment__order_id", "shipment_id", "data").order_by("pk"):
        shipped[order_id] += Decimal(str((data or {}).get("amount") or "0"))
        shipments[order_id].append(shipment_id)
    entries = dict(JournalEntry.objects.filter(
        source_type="orders.shipment", kind="order.shipment",
        source_id__in=[str(pk) for pks in shipments.values() for pk in pks]).values_list("source_id", "pk"))
    tenders: dict[int, list[Tender]] = defaultdict(list)
    for tender in Tender.objects.filter(order_id__in=ids).order_by("order_id", "sequence"):
        tenders[tender.order_id].append(tender)
    intents: dict[int, set[str]] = defaultdict(set)  # per card tender: its PaymentIntents, captured or not
    for tender in (tender for own in tenders.values() for tender in own if tender.kind == Tender.Kind.CARD):
        if tender.stripe_payment_intent_id:
            intents[tender.pk].add(tender.stripe_payment_intent_id)
    for tender_id, intent in PaymentAttempt.objects.filter(
            tender__order_id__in=ids, tender__kind=Tender.Kind.CARD, action=PaymentAttempt.Action.CAPTURE).exclude(
            gateway_id="").values_list("tender_id", "gateway_id"):
        intents[tender_id].add(intent)
    invoices: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in Invoice.objects.filter(order_id__in=ids).exclude(status=Invoice.Status.VOID).order_by("pk"):
        invoices[invoice.order_id].append(invoice)
    refunds = dict(Refund.objects.filter(order_id__in=ids, status=Refund.Status.DONE).values("order_id")
                   .annotate(total=Sum("amount")).values_list("order_id", "total"))
    returned = dict(OrderLine.objects.filter(order_id__in=ids).values("order_id")
                    .annotate(units=Sum("quantity_returned")).values_list("order_id", "units"))
    open_units = set(OrderLine.objects.filter(  # orders with units still to ship
        order_id__in=ids, quantity__gt=F("quantity_shipped") + F("quantity_cancelled")).values_list("order_id", flat=True))

    differences: list[Difference] = []
    gateway_error = ""
    total_shipped = total_captured = ZERO
    for order_id in ids:
        order = orders[order_id]
        currency = order.currency
        own = tenders[order_id]
        out = round_money(shipped[order_id], currency)
        captured = round_money(sum((t.captured_amount for t in own), ZERO), currency)
        at_shipment = round_money(sum((t.captured_amount for t in own if t.kind in AT_SHIPMENT), ZERO), currency)
        total_shipped += out
        total_captured += captured
        documents = [Document(_("Shipment entry %(number)s") % {"number": index + 1},
                              reverse("payments:journal_entry", args=[entries[str(pk)]]))
                     for index, pk in enumerate(shipments[order_id]) if str(pk) in entries]
        documents += [Document(_("Invoice %(number)s") % {"number": invoice.number},
                               reverse("receivables:invoice_pdf", args=[invoice.pk])) for invoice in invoices[order_id]]

        def add(kind: str, note, gateway_amount: Decimal | None = None, extra: list[Document] | None = None) -> None:
            differences.append(Difference(kind=kind, order_id=order_id, order_number=order.number, currency=currency,
                                          shipped=out, captured=captured, gateway=gateway_amount, note=str(note),
                                          documents=documents + (extra or [])))

        if out > 0 and captured == 0:
            add(SHIPPED_NOT_CAPTURED, _("Shipped %(shipped)s; nothing captured.") % {"shipped": out})
        elif out == 0 and at_shipment > 0:
            add(CAPTURED_NOT_SHIPPED, _("Captured %(captured)s by card or invoice; nothing shipped.")
                % {"captured": at_shipment})
        elif out > 0 and (captured != out if order_id not in open_units else (captured < out or at_shipment > out)):
            add(AMOUNTS_DIFFER, _("Shipped %(shipped)s, captured %(captured)s.") % {"shipped": out,
                                                                                 "captured": captured})
        if read_gateway and not gateway_error:
            for tender in own:
                if tender.kind != Tender.Kind.CARD or not intents[tender.pk]:
                    continue
                ours = round_money(tender.captured_amount - tender.refunded_amount, currency)
                try:
                    read = {intent: _gateway_net(intent) for intent in sorted(intents[tender.pk])}
                except stripe.StripeError as error:  # unreachable, no key: say so, compare nothing with it
                    gateway_error = str(error.user_message or error)[:300] or type(error).__name__
                    break
                unknown = sorted(intent for intent, amount in read.items() if amount is None)
                theirs = round_money(sum((amount for amount in read.values() if amount is not None), ZERO), currency)
                if unknown or theirs != ours:
                    note = (_("The gateway does not know PaymentIntent %(intent)s.") if unknown else
                            _("PaymentIntent %(intent)s: %(ours)s captured net in our records, %(theirs)s at the "
                              "gateway.")) % {"intent": ", ".join(unknown or sorted(read)), "ours": ours,
                                              "theirs": theirs}
                    add(GATEWAY_DIFFERS, note, gateway_amount=theirs)
        if refunds.get(order_id) and not returned.get(order_id):
            add(REFUND_WITHOUT_RETURN, _("Refunded %(amount)s; no line has a returned quantity.")
                % {"amount": round_money(refunds[order_id], currency)},
                extra=[Document(_("Refunds"), reverse("payments:refund_queue"))])
    return Report(date_from=date_from, date_to=date_to, orders=len(ids), shipped=total_shipped,
                  captured=total_captured, differences=differences, gateway_error=gateway_error)
