"""E-gift lines (``Sku.gift_card == "electronic"``): fulfilled without a shipment.

An e-gift line takes no stock and is never picked (allocation counts its units allocated with
no allocation row). Once the order may go on (released: no hold left, its payment authorized),
payments calls :func:`lines_fulfil_electronically`: in one transaction, under the order's lock,
the lines' units count as shipped, ``orders.hooks.stored_value_shipped`` activates their cards
(payments, without posting), and one entry (``order.electronic``, source the first line fulfilled) books what
a shipment would: Dr receivables or customer deposits (``orders.hooks.shipment_debit_role``),
Cr the gift card liability (the cards' amounts; any rest of the line is revenue) and the lines'
sales tax. An order of e-gifts alone carries its shipping charge here too. After commit,
``orders.hooks.shipment_confirmed`` captures that amount as a shipment would. The order becomes
shipped when nothing else is left to ship; otherwise its status stays (the physical shipment
moves it). Idempotent: a line fulfilled already is not fulfilled again.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Sku
from inventory.postings import business_date
from oms.hooks import PostingLine, ledger_post
from oms.money import round_money
from orders import hooks
from orders.models import OrderEvent, OrderLine, OrderStatus
from orders.services.status import TRANSITIONS, event, lock_order, move, save_events

ELECTRONIC_KIND = "order.electronic"
ZERO = Decimal("0")
_FULFILLABLE = (OrderStatus.RELEASED, OrderStatus.ALLOCATED, OrderStatus.PICKING, OrderStatus.PACKED,
                OrderStatus.PARTIALLY_SHIPPED)


def _share(amount: Decimal, part: int, whole: int, currency: str) -> Decimal:
    return round_money(amount * part / whole, currency) if whole else ZERO


def lines_fulfil_electronically(*, order_id: int, user) -> Decimal:
    """Fulfil the order's open e-gift lines (see the module docstring); the amount fulfilled."""
    with transaction.atomic(durable=True):
        order = lock_order(order_id)
        if order.status not in _FULFILLABLE:  # on hold, cancelled, shipped: nothing now
            return ZERO
        lines = list(OrderLine.objects.filter(order=order).select_related("sku").order_by("pk")
                     .select_for_update(no_key=True, of=("self",)))
        due = {line.pk: line.quantity - line.quantity_cancelled - line.quantity_shipped for line in lines
               if line.sku.gift_card == Sku.GiftCard.ELECTRONIC}
        due = {pk: units for pk, units in due.items() if units > 0}
        if not due:
            return ZERO
        credits = hooks.stored_value_shipped(order, due, user)
        currency, posting, tax, goods = order.currency, [], ZERO, ZERO
        for line in lines:
            if line.pk not in due:
                continue
            # The units' share of the line, as a shipment books a line shipped in parts.
            whole, before = line.quantity - line.quantity_cancelled, line.quantity_shipped
            after = before + due[line.pk]
            net = _share(line.line_total - line.tax_amount, after, whole, currency) - _share(
                line.line_total - line.tax_amount, before, whole, currency)
            line_tax = _share(line.tax_amount, after, whole, currency) - _share(line.tax_amount, before, whole,
                                                                                currency)
            revenue = net
            for role, value in credits.get(line.pk, ()):
                posting.append(PostingLine(role=role, credit=value, memo=f"{line.line_number}: {line.sku_code}"))
                revenue -= value
            if revenue:
                posting.append(PostingLine.signed(-revenue, role="revenue", memo=f"{line.line_number}: {line.sku_code}"))
            tax += line_tax
            goods += net + line_tax
            line.quantity_shipped = after
        # An order of e-gifts alone carries its shipping charge and the order's other tax here.
        alone = all(line.sku.gift_card == Sku.GiftCard.ELECTRONIC and line.quantity_shipped == due.get(line.pk, 0)
                    for line in lines)
        shipping = order.shipping_total if alone else ZERO
        other_tax = order.tax_total - sum((line.tax_amount for line in lines), ZERO) if alone else ZERO
        tax += other_tax
        if shipping:
            posting.append(PostingLine(role="shipping_income", credit=shipping))
        if tax:
            posting.append(PostingLine.signed(-tax, role="sales_tax_payable"))
        amount = round_money(goods + shipping + other_tax, currency)
        if amount:
            posting.insert(0, PostingLine.signed(amount, role=hooks.shipment_debit_role(order)))
            source = next(line for line in lines if line.pk == min(due))  # one entry per fulfilment
            ledger_post(source=source, kind=ELECTRONIC_KIND, lines=posting, on_date=business_date(), user=user,
                        memo=_("E-gift cards of order %(order)s") % {"order": order.number})
        OrderLine.objects.bulk_update([line for line in lines if line.pk in due], ["quantity_shipped"])
        events: list[OrderEvent] = [event(order, OrderEvent.Kind.NOTE, _("%(units)d e-gift card(s) sent.") % {
            "units": sum(due.values())}, user=user, data={"lines": sorted(due), "amount": str(amount)})]
        done = all(line.quantity_shipped >= line.quantity - line.quantity_cancelled for line in lines)
        if done and OrderStatus.SHIPPED in TRANSITIONS.get(order.status, ()):
            move(order, OrderStatus.SHIPPED, user=user, events=events, reason=_("E-gift cards sent."))
            order.save(update_fields=["status", "updated_at"])
        save_events(events)
        reference = f"{order.number}-egift-{min(due)}"
        transaction.on_commit(lambda: hooks.shipment_confirmed(order_id, amount, reference))
        return amount
