"""Return services: the RMA, its label, receiving a unit with its disposition and its posting.

**RMA** (:func:`rma_create`, ``atomic(durable=True)``): the order row, then its lines, are locked;
each requested quantity is at most what shipped less what came back or is already on an open RMA;
the channel's return window (``ReturnPolicy``) counts from the last delivery (else shipment);
a non-returnable SKU, a personalized line or a request past the window is refused unless a user
holding ``orders.override_return`` (a Manager) gives the reason, which the RMA records. A shipped or
delivered order becomes *return requested*. The label (:func:`rma_label_buy`) is bought after the
commit, through the carrier interface, from the customer to the warehouse.

**Receiving** (:func:`return_receive`): one unit of an RMA line, inspected, with a disposition, in
one transaction with its entry (``order.return``, source the receipt):

- the sale reversed: Dr ``returns_allowances`` (the unit's share of the line net of its discount)
  and ``sales_tax_payable`` (its share of the line's tax), Cr what the shipment debited
  (``orders.hooks.shipment_debit_role``), as the shipment's posting mirrored;
- the cost, at what the unit left with (its share of the line's shipment movements): restock, a
  ``return`` movement (``inventory.services.stock_return``), Dr inventory; scrap, Dr shrinkage
  (``adjustment.loss:return-scrap``); return to vendor, a :class:`VendorCredit` and Dr
  ``accounts_payable:vendor-credit``; each against COGS.

Shares are differences of rounded shares (as the shipment books parts), so the units of a line add
up to the line to the cent. The receiving form's ``token`` makes a repeated submission receive once.
When every unit of the RMA is in, it is received, the order becomes *returned* (when no other RMA
is open) and, for a refund, ``orders.hooks.return_refund`` tells payments after the commit.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Sku, VendorItem
from catalog.selectors import kit_components
from inventory.models import StockMovement, Warehouse
from inventory.postings import business_date, movement_lines
from inventory.services import stock_return
from oms.hooks import PostingLine, ledger_post
from oms.money import round_money
from orders import hooks
from orders.fulfillment.models import Shipment, ShipmentStatus
from orders.models import Order, OrderEvent, OrderLine, OrderStatus
from orders.returns.models import (
    DEFAULT_RETURN_WINDOW_DAYS,
    Disposition,
    ReturnPolicy,
    ReturnReceipt,
    Rma,
    RmaLine,
    VendorCredit,
)
from orders.services.errors import OrderError
from orders.services.status import event, lock_order, move, save_events

ZERO = Decimal("0")
RETURN_KIND = "order.return"
RETURNABLE_STATUSES = (OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.RETURN_REQUESTED,
                       OrderStatus.RETURNED, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.CLOSED)
OPEN_RMA_STATUSES = (Rma.Status.REQUESTED, Rma.Status.PARTIALLY_RECEIVED)
SCRAP_ROLE = "adjustment.loss:return-scrap"
VENDOR_CREDIT_ROLE = "accounts_payable:vendor-credit"


class ReturnError(OrderError):
    """The return cannot be made as asked; the message is for the user."""


@dataclass(frozen=True)
class RmaLineRequest:
    order_line_id: int
    quantity: int
    reason: str
    note: str = ""
    replacement_sku_id: int | None = None


@dataclass(frozen=True)
class ReturnableLine:
    line: OrderLine
    returnable: int  # shipped, less returned, less on open RMAs
    refused: str  # why it may not come back without an override ("" when it may)


# --- what may come back ---------------------------------------------------------------------------


def return_window_days(channel: str) -> int:
    policies = dict(ReturnPolicy.objects.filter(channel__in=[channel, channel.split(":", 1)[0]])
                    .values_list("channel", "window_days"))
    return policies.get(channel, policies.get(channel.split(":", 1)[0], DEFAULT_RETURN_WINDOW_DAYS))


def return_window_ends(order: Order) -> datetime.date | None:
    """The last day ``order`` may come back: its last delivery (else shipment) plus its channel's window."""
    dates = Shipment.objects.filter(order=order, status__in=(ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)
                                    ).aggregate(delivered=Max("delivered_at"), shipped=Max("shipped_at"))
    moment = dates["delivered"] or dates["shipped"]
    if moment is None:
        return None
    return business_date(moment) + datetime.timedelta(days=return_window_days(order.channel))


def _pending(order: Order) -> dict[int, int]:
    """Units on open RMAs not yet received, per order line."""
    rows = (RmaLine.objects.filter(rma__order=order, rma__status__in=OPEN_RMA_STATUSES)
            .values("order_line_id").annotate(units=Sum(F("quantity") - F("quantity_received"))))
    return {row["order_line_id"]: row["units"] for row in rows}


def _refusal(line: OrderLine) -> str:
    if line.personalization:
        return _("personalized")
    if not line.sku.is_returnable:
        return _("not returnable")
    return ""


def returnable_lines(order: Order, lines: list[OrderLine] | None = None) -> list[ReturnableLine]:
    """Each shipped line of ``order`` with the units that may still come back."""
    if lines is None:
        lines = list(order.lines.select_related("sku").order_by("line_number"))
    pending = _pending(order)
    return [ReturnableLine(line=line, returnable=max(line.quantity_shipped - line.quantity_returned
                                                     - pending.get(line.pk, 0), 0), refused=_refusal(line))
            for line in lines if line.quantity_shipped]


def _default_warehouse(order: Order) -> Warehouse:
    shipment = (Shipment.objects.filter(order=order, status__in=(ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED))
                .select_related("warehouse").order_by("pk").first())
    if shipment is None:
        raise ReturnError(_("Order %(number)s has not shipped: nothing can come back.") % {"number": order.number})
    return shipment.warehouse


# --- the RMA --------------------------------------------------------------------------------------


def rma_create(*, order: Order | int, lines: list[RmaLineRequest], user, source: str = Rma.Source.AGENT,
               warehouse: Warehouse | None = None, outcome: str = Rma.Outcome.REFUND, override_reason: str = "",
               note: str = "", today: datetime.date | None = None) -> Rma:
    """Authorize the return of ``lines`` of ``order`` (see the module docstring); nothing is written on refusal."""
    lines = [request for request in lines if request.quantity]
    if not lines:
        raise ReturnError(_("Choose at least one unit to return."))
    override_reason = (override_reason or "").strip()
    may_override = user is not None and user.has_perm("orders.override_return")
    with transaction.atomic(durable=True):
        locked = lock_order(order)
        if locked.status not in RETURNABLE_STATUSES:
            raise ReturnError(_("Order %(number)s is %(status)s: nothing of it can come back.") % {
                "number": locked.number, "status": OrderStatus(locked.status).label.lower()})
        order_lines = {line.pk: line for line in OrderLine.objects.filter(order=locked).select_related("sku")
                       .order_by("pk").select_for_update(no_key=True, of=("self",))}
        available = {item.line.pk: item for item in returnable_lines(locked, list(order_lines.values()))}
        needs_override: list[str] = []
        ends = return_window_ends(locked)
        if ends is not None and (today or business_date()) > ends:
            needs_override.append(_("the return window ended on %(date)s") % {"date": ends.isoformat()})
        requested: dict[int, int] = {}
        for request in lines:
            item = available.get(request.order_line_id)
            if item is None:
                raise ReturnError(_("That line is not part of order %(number)s or has not shipped.")
                                  % {"number": locked.number})
            requested[item.line.pk] = requested.get(item.line.pk, 0) + request.quantity
            if request.quantity < 0 or requested[item.line.pk] > item.returnable:
                raise ReturnError(_("Line %(line)d (%(sku)s): at most %(units)d may come back.") % {
                    "line": item.line.line_number, "sku": item.line.sku_code, "units": item.returnable})
            if item.refused:
                needs_override.append(_("line %(line)d is %(why)s") % {"line": item.line.line_number,
                                                                         "why": item.refused})
        if needs_override and not (may_override and override_reason):
            message = "; ".join(needs_override)
            raise ReturnError((_("A manager must authorize this return with a reason: %(why)s.") if not may_override
                               else _("Give the reason for authorizing this return: %(why)s.")) % {"why": message})
        count = Rma.objects.filter(order=locked).count()
        rma = Rma.objects.create(
            order=locked, number=f"R{locked.number}-{count + 1}", outcome=outcome, source=source,
            warehouse=warehouse or _default_warehouse(locked), note=note[:300], created_by=user,
            override_reason=override_reason[:300] if needs_override else "",
            override_by=user if needs_override else None)
        RmaLine.objects.bulk_create([
            RmaLine(rma=rma, order_line_id=request.order_line_id, quantity=request.quantity, reason=request.reason,
                    note=request.note[:300], replacement_sku_id=request.replacement_sku_id,
                    is_override=bool(available[request.order_line_id].refused)) for request in lines])
        events: list[OrderEvent] = []
        units = sum(request.quantity for request in lines)
        message = _("RMA %(number)s: %(units)d units to come back to %(warehouse)s.") % {
            "number": rma.number, "units": units, "warehouse": rma.warehouse.code}
        if rma.override_reason:
            message += " " + _("Authorized by %(who)s: %(reason)s") % {"who": user.get_username(),
                                                                       "reason": rma.override_reason}
        if locked.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
            move(locked, OrderStatus.RETURN_REQUESTED, user=user, reason=message, events=events)
            locked.save(update_fields=["status", "updated_at"])
        else:
            events.append(event(locked, OrderEvent.Kind.NOTE, message, user=user))
        save_events(events)
    return rma


def rma_label_buy(*, rma: Rma, user) -> Rma:
    """Buy the return label (customer → warehouse) through the carrier interface, after the RMA's commit.

    A carrier that refuses leaves the RMA without a label and says why on it (``label_message``).
    """
    from orders.fulfillment.carriers.base import CarrierError, Parcel, ShipmentRequest
    from orders.fulfillment.carriers.services import label_buy, rate_shop, shop_today
    from orders.fulfillment.carriers.shipments import warehouse_address

    rma = Rma.objects.select_related("order", "warehouse").get(pk=rma.pk)
    if rma.label_id:
        return rma
    kilograms = sum((line.order_line.sku.weight_kg * line.quantity
                     for line in rma.lines.select_related("order_line__sku")), Decimal("0"))
    weight = max(int(kilograms * 1000), 500)
    request = ShipmentRequest(from_address=dict(rma.order.ship_to or {}), to_address=warehouse_address(rma.warehouse),
                              parcels=(Parcel(weight_grams=weight),), warehouse_id=rma.warehouse_id,
                              ship_date=shop_today(), reference=rma.number, currency=rma.order.currency)
    try:
        choice = rate_shop(request=request)
        label = label_buy(request=request, rate=choice.rate, actor=user)
    except CarrierError as error:
        Rma.objects.filter(pk=rma.pk).update(label_message=str(error)[:300])
        rma.label_message = str(error)[:300]
        return rma
    Rma.objects.filter(pk=rma.pk, label__isnull=True).update(label=label, label_message="")
    rma.refresh_from_db()
    return rma


def rma_cancel(*, rma: Rma, user, reason: str) -> Rma:
    """Cancel an RMA of which nothing was received; the order goes on as it was.

    A partly received one is closed instead: what came back is final (the order becomes
    *returned* when no other RMA is open) and, for a refund, that credit is refunded.
    """
    with transaction.atomic(durable=True):
        order = lock_order(rma.order_id)
        locked = Rma.objects.select_for_update(no_key=True).get(pk=rma.pk)
        if locked.status == Rma.Status.PARTIALLY_RECEIVED:
            return _rma_close_short(order, locked, user=user, reason=reason)
        if locked.status != Rma.Status.REQUESTED:
            raise ReturnError(_("RMA %(number)s is %(status)s: it cannot be cancelled.") % {
                "number": locked.number, "status": locked.get_status_display().lower()})
        locked.status = Rma.Status.CANCELLED
        locked.save(update_fields=["status"])
        save_events([event(order, OrderEvent.Kind.NOTE, _("RMA %(number)s cancelled: %(reason)s") % {
            "number": locked.number, "reason": reason}, user=user)])
    return locked


def _rma_close_short(order: Order, rma: Rma, *, user, reason: str) -> Rma:
    rma.status, rma.received_at = Rma.Status.RECEIVED, timezone.now()
    fields = ["status", "received_at"]
    if rma.outcome == Rma.Outcome.REFUND and rma.credit_amount > 0:
        rma.refund_requested_at, rma.refund_amount = rma.received_at, rma.credit_amount
        fields += ["refund_requested_at", "refund_amount"]
        refund = (order.pk, rma.refund_amount, rma.number)
        transaction.on_commit(lambda: hooks.return_refund(*refund))
    rma.save(update_fields=fields)
    message = _("RMA %(number)s closed with what was received: %(reason)s") % {"number": rma.number,
                                                                              "reason": reason}
    events: list[OrderEvent] = []
    others_open = Rma.objects.filter(order=order, status__in=OPEN_RMA_STATUSES).exclude(pk=rma.pk).exists()
    if order.status == OrderStatus.RETURN_REQUESTED and not others_open:
        move(order, OrderStatus.RETURNED, user=user, reason=message, events=events)
        order.save(update_fields=["status", "updated_at"])
    else:
        events.append(event(order, OrderEvent.Kind.NOTE, message, user=user))
    save_events(events)
    return rma


# --- receiving --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiveResult:
    receipt: ReturnReceipt
    received_now: bool
    message: str


def _share(amount: Decimal, part: int, whole: int, currency: str) -> Decimal:
    return round_money(amount * part / whole, currency) if whole else ZERO


def _unit_step(amount: Decimal, before: int, whole: int, currency: str) -> Decimal:
    """The next unit's part of ``amount`` spread over ``whole`` units, ``before`` of them taken already."""
    return _share(amount, before + 1, whole, currency) - _share(amount, before, whole, currency)


def _shipped_costs(order: Order, sku_ids: set[int]) -> dict[int, tuple[int, Decimal]]:
    """(units, value) that left for ``order`` per stocked SKU, from its shipment movements."""
    numbers = list(Shipment.objects.filter(order=order).values_list("number", flat=True))
    rows = (StockMovement.objects.filter(kind=StockMovement.Kind.SHIPMENT, reference__in=numbers, sku_id__in=sku_ids)
            .values("sku_id").annotate(units=Sum("quantity"), value=Sum("value")))
    return {row["sku_id"]: (-row["units"], -row["value"]) for row in rows}


def return_receive(*, rma_line: RmaLine | int, token: uuid.UUID | str, disposition: str, user,
                   condition: str = "") -> ReceiveResult:
    """Receive one unit of ``rma_line`` (see the module docstring); the same ``token`` receives once."""
    token = uuid.UUID(str(token))
    if disposition not in Disposition.values:
        raise ReturnError(_("Choose what becomes of the unit."))
    line_id = rma_line.pk if isinstance(rma_line, RmaLine) else rma_line
    order_id, rma_id = RmaLine.objects.values_list("rma__order_id", "rma_id").get(pk=line_id)
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        rma = Rma.objects.select_for_update(no_key=True).get(pk=rma_id)
        existing = ReturnReceipt.objects.filter(token=token).first()
        if existing is not None:
            return ReceiveResult(receipt=existing, received_now=False, message=_(
                "That unit was already received; nothing was received again."))
        if rma.status not in OPEN_RMA_STATUSES:
            raise ReturnError(_("RMA %(number)s is %(status)s: nothing more comes back on it.") % {
                "number": rma.number, "status": rma.get_status_display().lower()})
        rma_lines = list(RmaLine.objects.filter(rma=rma).order_by("pk").select_for_update(no_key=True))
        locked_line = next(line for line in rma_lines if line.pk == line_id)
        if locked_line.quantity_received >= locked_line.quantity:
            raise ReturnError(_("Every unit of this line is received already."))
        order_line = (OrderLine.objects.select_related("sku").select_for_update(no_key=True, of=("self",))
                      .get(pk=locked_line.order_line_id))
        receipt = _receive_unit(order, rma, locked_line, order_line, token=token, disposition=disposition,
                                condition=condition, user=user)
        rma_lines_left = sum(line.quantity - line.quantity_received for line in rma_lines) - 1
        RmaLine.objects.filter(pk=locked_line.pk).update(quantity_received=F("quantity_received") + 1)
        OrderLine.objects.filter(pk=order_line.pk).update(quantity_returned=F("quantity_returned") + 1)
        rma.credit_amount += receipt.credit
        fields = ["credit_amount", "status"]
        events: list[OrderEvent] = []
        refund = None
        exchange_due = False
        if rma_lines_left == 0:
            exchange_due = rma.outcome == Rma.Outcome.EXCHANGE
            rma.status, rma.received_at = Rma.Status.RECEIVED, timezone.now()
            fields.append("received_at")
            if rma.outcome == Rma.Outcome.REFUND and rma.credit_amount > 0:
                rma.refund_requested_at, rma.refund_amount = rma.received_at, rma.credit_amount
                fields += ["refund_requested_at", "refund_amount"]
                refund = (order.pk, rma.refund_amount, rma.number)
            others_open = Rma.objects.filter(order=order, status__in=OPEN_RMA_STATUSES).exclude(pk=rma.pk).exists()
            message = _("RMA %(number)s received.") % {"number": rma.number}
            if order.status == OrderStatus.RETURN_REQUESTED and not others_open:
                move(order, OrderStatus.RETURNED, user=user, reason=message, events=events)
                order.save(update_fields=["status", "updated_at"])
            else:
                events.append(event(order, OrderEvent.Kind.NOTE, message, user=user))
        else:
            rma.status = Rma.Status.PARTIALLY_RECEIVED
        rma.save(update_fields=fields)
        save_events(events)
        if refund is not None:
            transaction.on_commit(lambda: hooks.return_refund(*refund))
    if exchange_due:  # after the commit: order entry runs in its own transaction
        rma_exchange(rma=rma, user=user)
    return ReceiveResult(receipt=receipt, received_now=True, message=_(
        "Received 1 × %(sku)s: %(disposition)s.") % {"sku": order_line.sku_code,
                                                    "disposition": Disposition(disposition).label.lower()})


def _receive_unit(order: Order, rma: Rma, rma_line: RmaLine, order_line: OrderLine, *, token, disposition: str,
                  condition: str, user) -> ReturnReceipt:
    currency = order.currency
    whole = order_line.quantity - order_line.quantity_cancelled
    before = order_line.quantity_returned
    net = order_line.line_total - order_line.tax_amount
    revenue = _unit_step(net, before, whole, currency)
    tax = _unit_step(order_line.tax_amount, before, whole, currency)
    sku = order_line.sku
    parts = kit_components({sku.pk})[sku.pk].items() if sku.is_kit else ((sku.pk, 1),)
    shipped = _shipped_costs(order, {sku_id for sku_id, _per in parts})
    cost_parts: list[tuple[int, Decimal]] = []
    for sku_id, per_unit in parts:
        units, value = shipped.get(sku_id, (0, ZERO))
        # Units of this SKU already costed back for the order: the lines' returned units × per unit.
        back = before * per_unit
        cost_parts.append((sku_id, _share(value, back + per_unit, units, currency)
                           - _share(value, back, units, currency)))
    cost = sum((value for _sku, value in cost_parts), ZERO)
    memo = _("Return %(rma)s of order %(order)s: %(sku)s") % {"rma": rma.number, "order": order.number,
                                                               "sku": order_line.sku_code}
    posting: list[PostingLine] = []
    if revenue + tax:
        posting.append(PostingLine.signed(-(revenue + tax), role=hooks.shipment_debit_role(order), memo=memo[:200]))
    if revenue:
        posting.append(PostingLine.signed(revenue, role="returns_allowances", memo=memo[:200]))
    if tax:
        posting.append(PostingLine.signed(tax, role="sales_tax_payable"))
    if disposition == Disposition.RESTOCK:
        skus = {item.pk: item for item in Sku.objects.filter(pk__in=[sku_id for sku_id, _v in cost_parts])}
        cost = ZERO
        for (sku_id, value), (_sku, per_unit) in zip(cost_parts, parts, strict=True):
            movement = stock_return(sku=skus[sku_id], warehouse=rma.warehouse, quantity=per_unit, user=user,
                                    reference=rma.number, unit_cost=round_money(value / per_unit, currency),
                                    reason=memo, post=False)
            cost += movement.value
            if movement.value:
                posting += movement_lines(kind=StockMovement.Kind.RETURN, value=movement.value,
                                          warehouse_id=rma.warehouse_id, memo=rma.number)
    elif cost:
        role = SCRAP_ROLE if disposition == Disposition.SCRAP else VENDOR_CREDIT_ROLE
        posting += [PostingLine(role=role, debit=cost, warehouse_id=rma.warehouse_id, memo=memo[:200]),
                    PostingLine(role="cogs", credit=cost, warehouse_id=rma.warehouse_id, memo=memo[:200])]
    receipt = ReturnReceipt.objects.create(rma_line=rma_line, token=token, disposition=disposition,
                                           condition=(condition or "").strip()[:300], warehouse=rma.warehouse,
                                           cost=cost, credit=revenue + tax, received_by=user)
    if disposition == Disposition.VENDOR:
        vendor_id = (VendorItem.objects.filter(sku=sku).order_by("pk").values_list("vendor_id", flat=True).first())
        VendorCredit.objects.create(vendor_id=vendor_id, kind=VendorCredit.Kind.RETURN, sku=sku, quantity=1,
                                    amount=cost, receipt=receipt, created_by=user)
    if posting:
        ledger_post(source=receipt, kind=RETURN_KIND, lines=posting, on_date=business_date(), user=user, memo=memo)
    return receipt


# --- exchanges ------------------------------------------------------------------------------------


def rma_exchange(*, rma: Rma, user) -> Order:
    """The replacement order of a received exchange RMA, linked to it, and the difference settled.

    Placed through order entry (``order_place``) for the same customer, channel, address and
    delivery method, with the RMA's replacement SKUs, and no payment of its own: the returned
    units' credit stays with the customer's deposits and pays for it. When the credit is more than
    the new order's total the rest is refunded (``orders.hooks.return_refund``, to the original
    order's tenders); when it is less, the new order is held for payment of the difference.
    Idempotent: the new order's external id is the RMA's, so a second call finds it.
    """
    from orders.services import LineRequest, order_hold, order_place

    rma = Rma.objects.select_related("order__customer", "order__shipping_method").get(pk=rma.pk)
    original = rma.order
    lines = [LineRequest(sku=line.replacement_sku or line.order_line.sku, quantity=line.quantity)
             for line in rma.lines.select_related("replacement_sku", "order_line__sku").order_by("pk")]
    replacement = order_place(
        user=user, channel=original.channel, customer=original.customer, lines=lines,
        ship_to=dict(original.ship_to or {}), bill_to=dict(original.bill_to or {}) or None,
        shipping_method=original.shipping_method, external_id=f"exchange:{rma.number}",
        notes=_("Exchange for RMA %(number)s of order %(order)s.") % {"number": rma.number,
                                                                     "order": original.number}, payment=[])
    difference = round_money(rma.credit_amount - replacement.total, replacement.currency)
    with transaction.atomic(durable=True):
        locked = Rma.objects.select_for_update(no_key=True).get(pk=rma.pk)
        if locked.exchange_order_id is not None:
            return replacement
        locked.exchange_order = replacement
        fields = ["exchange_order"]
        if difference > 0:
            locked.refund_requested_at, locked.refund_amount = timezone.now(), difference
            fields += ["refund_requested_at", "refund_amount"]
            refund = (original.pk, difference, locked.number)
            transaction.on_commit(lambda: hooks.return_refund(*refund))
        locked.save(update_fields=fields)
        save_events([event(original, OrderEvent.Kind.NOTE, _(
            "Exchange order %(new)s placed for RMA %(number)s.") % {"new": replacement.number,
                                                                   "number": locked.number}, user=user)])
    if difference < 0:
        order_hold(order=replacement, reason="payment", user=user, note=_(
            "Exchange for RMA %(number)s: the customer owes %(amount)s %(currency)s more; take payment.") % {
            "number": rma.number, "amount": -difference, "currency": replacement.currency})
    return replacement


# --- warranty claims ------------------------------------------------------------------------------


def warranty_claim_create(*, order_line: OrderLine | int, quantity: int, description: str, user,
                          today: datetime.date | None = None):
    """A claim for delivered units that failed after the return window, and the vendor's chargeback.

    Within the window the units come back as a return instead. At most the units shipped, less
    those returned and those already claimed. The chargeback (a :class:`VendorCredit`) is at the
    vendor's cost of the SKU (its first vendor item; the SKU's average cost without one).
    """
    from orders.returns.models import WarrantyClaim

    description = (description or "").strip()
    if not description:
        raise ReturnError(_("Say what is wrong with the item."))
    if quantity <= 0:
        raise ReturnError(_("Claim at least one unit."))
    line_id = order_line.pk if isinstance(order_line, OrderLine) else order_line
    order_id = OrderLine.objects.values_list("order_id", flat=True).get(pk=line_id)
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        line = OrderLine.objects.select_related("sku").select_for_update(no_key=True, of=("self",)).get(pk=line_id)
        ends = return_window_ends(order)
        if ends is None or order.status not in RETURNABLE_STATUSES:
            raise ReturnError(_("Order %(number)s has not been delivered.") % {"number": order.number})
        if (today or business_date()) <= ends:
            raise ReturnError(_("The return window is open until %(date)s: return the item instead.")
                              % {"date": ends.isoformat()})
        claimed = WarrantyClaim.objects.filter(order_line=line).exclude(status=WarrantyClaim.Status.REJECTED
                                                                         ).aggregate(units=Sum("quantity"))["units"]
        left = line.quantity_shipped - line.quantity_returned - (claimed or 0)
        if quantity > left:
            raise ReturnError(_("At most %(units)d units of line %(line)d may be claimed.") % {
                "units": max(left, 0), "line": line.line_number})
        claim = WarrantyClaim.objects.create(order_line=line, quantity=quantity, description=description[:500],
                                             created_by=user)
        item = VendorItem.objects.filter(sku=line.sku).order_by("pk").values_list("vendor_id", "cost").first()
        unit_cost = item[1] if item else line.sku.average_cost
        VendorCredit.objects.create(vendor_id=item[0] if item else None, kind=VendorCredit.Kind.CHARGEBACK,
                                    sku=line.sku, quantity=quantity,
                                    amount=round_money(unit_cost * quantity, order.currency), claim=claim,
                                    created_by=user)
        save_events([event(order, OrderEvent.Kind.NOTE, _("Warranty claim for %(units)d × %(sku)s: %(what)s") % {
            "units": quantity, "sku": line.sku_code, "what": description}, user=user)])
    return claim
