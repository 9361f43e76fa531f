"""Order entry: quote a basket (no writes) and place an order, the same way for every channel.

**Channels.** ``phone``, ``web``, ``pos``, ``store`` and ``marketplace:<name>``. Staff enter
``phone``, ``pos`` and ``store`` orders with the customer at hand, and see the quote's
address and delivery problems before they place; so for them a bad ship-to address or a
delivery method that cannot serve it *refuses* the order (``OrderError``, nothing written).
``web`` and ``marketplace:*`` orders arrive from outside, already paid or promised: they are
accepted and put on an *address hold* for someone to sort out with the customer.

**What placing does** (one transaction, :func:`order_place`):

1. validate everything first, writing nothing (:func:`basket_validate`, which gives an
   immutable :class:`~orders.services.types.ValidatedBasket`, the same one ``order_quote``
   shows): the channel, each line (:func:`lines_validate`: active SKU, quantity of at least
   one, personalization through ``catalog.services.personalization_validate``; ``order_edit``
   checks the lines it adds with it), fulfillment (pickup store, delivery method), the prices
   (``marketing.pricing``); :func:`basket_refusals` says what of it refuses the order;
2. create the order as ``placed`` with its snapshots (addresses, source code, coupons,
   prices, discounts and their explanation in ``Order.pricing``) and its lines, taxed
   (:mod:`orders.services.tax`), amounts adding up exactly (:mod:`orders.services.pricing`);
3. pre-process: the address hold (outside channels), the payment checks of
   ``orders.hooks.payment_check`` (a failure puts a payment or fraud hold), then allocation
   (:mod:`orders.services.allocation`): reserve what stock allows, backorder the rest;
   reservations are made whatever the holds, so the goods wait for the customer while a
   hold is worked; cancelling gives them back;
4. redeem the promotions' usage limits (``marketing.services.promotion_redeem``), last in
   the transaction so that a popular promotion's row stays locked only until the commit; when
   one was used up by another order meanwhile, re-price without it and redeem again;
5. the status, each step an ``OrderEvent``:

   - any hold open                                → ``placed → on_hold``
   - no hold, every unit reserved                 → ``placed → released → allocated``
   - no hold, some units backordered              → ``placed → released`` (backorder
     allocation moves it on to ``allocated`` when the last unit arrives)

An unknown source code refuses the order (``source_code``); a coupon that does not apply
does not: the order is priced without it and ``Order.pricing`` says why.

**Idempotency.** ``(channel, external_id)`` is unique in the database. A repeated submission
returns the order made by the first one: found up front when it is committed already, and
when two arrive at once, the second waits on the unique index for the first to commit, gets
the IntegrityError and returns that order.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Sku
from catalog.services import personalization_validate
from inventory.models import Warehouse
from marketing.models import SourceCode
from marketing.pricing import PricingError
from orders import hooks
from orders.availability import expected_dates, shipping_warehouses, sku_availability, substitutes
from orders.models import Customer, Hold, Order, OrderEvent, OrderLine, OrderStatus, ShippingMethod
from orders.services.addresses import address_check, clean_address, delivery_problems
from orders.services.allocation import count_planned, plan_lines, reserve_plan
from orders.services.errors import OrderError
from orders.services.pricing import PricedBasket, price_basket
from orders.services.repricing import line_amounts_fields, redeem_promotions
from orders.services.status import event, save_events, settle
from orders.services.tax import tax_address, tax_rule
from orders.services.types import (
    LineRequest,
    Quote,
    QuoteLine,
    ValidatedBasket,
    ValidatedLine,
    ValidatedLines,
    frozen_errors,
)

CHANNEL_PATTERN = re.compile(r"^(phone|web|pos|store|marketplace:[a-z0-9][a-z0-9_.\-]{0,38})$")
STAFF_CHANNELS = frozenset({"phone", "pos", "store"})
MAX_QUANTITY = 100_000
FulfillmentType = ShippingMethod.FulfillmentType


def is_staff_channel(channel: str) -> bool:
    """Whether staff enter this channel's orders with the customer at hand (see the module docstring)."""
    return channel in STAFF_CHANNELS


def basket_validate(*, channel: str, customer: Customer | None, lines: Sequence[LineRequest], source_code: str = "",
                    coupons: Sequence[str] = (), ship_to: dict | None = None, bill_to: dict | None = None,
                    shipping_method: ShippingMethod | None = None,
                    fulfillment_type: str = FulfillmentType.SHIP, pickup_warehouse: Warehouse | None = None,
                    customer_type: str | None = None, at: datetime | None = None,
                    segment_codes: frozenset[str] | None = None,
                    payment: Sequence[Mapping] | None = None) -> ValidatedBasket:
    """Check and price a basket, writing nothing: the channel, each line, the fulfillment, the prices.

    What is wrong is in the basket's ``errors`` (by form field), never raised: ``order_quote``
    shows it, ``order_place`` refuses it. ``payment`` (opaque instructions, see
    ``orders.hooks``) is carried in the basket and, once the basket is priced, checked by the
    registered ``orders.hooks.payment_validate`` validators.
    """
    at = at or timezone.now()
    channel = (channel or "").strip()
    if shipping_method is not None and fulfillment_type == FulfillmentType.SHIP:
        fulfillment_type = shipping_method.fulfillment_type  # the method says it, when the caller did not
    errors: dict[str, list[str]] = {}
    if not CHANNEL_PATTERN.match(channel):
        errors["channel"] = [_("Unknown channel %(channel)s: use phone, web, pos, store or marketplace:<name>.")
                             % {"channel": channel or "?"}]
    if not lines:
        errors["lines"] = [_("Add at least one line.")]
    checked = lines_validate(lines)
    _merge(errors, checked.errors)
    source_code = (source_code or "").strip().upper()
    coupon_codes = tuple(sorted({code.strip().upper() for code in coupons if code and code.strip()}))
    fulfillment = _check_fulfillment(kind=fulfillment_type, method=shipping_method, customer=customer,
                                     pickup_warehouse=pickup_warehouse, ship_to=clean_address(ship_to))
    _merge(errors, fulfillment.errors)
    priced = None
    if checked.are_valid:
        priced, pricing_errors = _price(channel=channel, customer=customer, lines=checked.lines,
                                        ship_to=fulfillment.ship_to, fulfillment_type=fulfillment_type,
                                        pickup_warehouse=pickup_warehouse, source_code=source_code,
                                        coupons=coupon_codes,
                                        shipping_method=shipping_method, customer_type=customer_type, at=at,
                                        segment_codes=segment_codes)
        _merge(errors, pricing_errors)
    basket = ValidatedBasket(
        channel=channel, customer=customer, lines=checked.lines, fulfillment_type=fulfillment_type,
        shipping_method=shipping_method, pickup_warehouse=pickup_warehouse,
        ship_to=MappingProxyType(fulfillment.ship_to),
        bill_to=MappingProxyType(clean_address(bill_to) if bill_to else {}), source_code=source_code,
        coupons=coupon_codes, errors=frozen_errors(errors),
        address_problems=MappingProxyType(fulfillment.address_problems),
        delivery_problems=fulfillment.delivery_problems, priced=priced,
        payment=tuple(dict(item) for item in payment or ()),
    )
    if priced is not None and not errors:
        payment_errors = hooks.payment_validate(basket, basket.payment)
        if payment_errors:
            _merge(errors, payment_errors)
            basket = replace(basket, errors=frozen_errors(errors))
    return basket


def _merge(errors: dict[str, list[str]], more: Mapping[str, Sequence[str]]) -> None:
    for key, messages in more.items():
        errors.setdefault(key, []).extend(messages)


def lines_validate(lines: Sequence[LineRequest]) -> ValidatedLines:
    """Check requested lines (active SKU, quantity, personalization), writing nothing.

    Errors are by form field: ``lines-<index>-quantity``, ``lines-<index>-sku`` and
    ``lines-<index>-personalization[-<field key>]``.
    """
    templated = [line.sku for line in lines if line.sku.personalization_template_id]
    if templated:
        prefetch_related_objects(templated, "personalization_template__fields")
    errors: dict[str, list[str]] = {}
    checked: list[ValidatedLine] = []
    for index, line in enumerate(lines):
        line_errors: list[str] = []
        sku = line.sku
        quantity = line.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            line_errors.append(_("Order at least one."))
            errors.setdefault(f"lines-{index}-quantity", []).append(line_errors[-1])
        elif quantity > MAX_QUANTITY:
            line_errors.append(_("At most %(max)d at a time.") % {"max": MAX_QUANTITY})
            errors.setdefault(f"lines-{index}-quantity", []).append(line_errors[-1])
        if sku.status == Sku.Status.DRAFT:
            line_errors.append(_("%(sku)s is not released for sale.") % {"sku": sku.code})
            errors.setdefault(f"lines-{index}-sku", []).append(line_errors[-1])
        values = {key: value for key, value in (line.personalization or {}).items()
                  if str(value or "").strip()}
        cleaned: dict[str, str] = {}
        personalization_errors: dict[str, list[str]] = {}
        if sku.personalization_template_id:
            try:
                cleaned = personalization_validate(template=sku.personalization_template, values=values)
            except ValidationError as error:
                personalization_errors = error.message_dict
        elif values:
            personalization_errors = {"__all__": [_("%(sku)s cannot be personalized.") % {"sku": sku.code}]}
        for key, messages in personalization_errors.items():
            target = f"lines-{index}-personalization" + ("" if key == "__all__" else f"-{key}")
            errors.setdefault(target, []).extend(messages)
        checked.append(ValidatedLine(request=line, personalization=MappingProxyType(cleaned),
                                     personalization_errors=frozen_errors(personalization_errors),
                                     errors=tuple(line_errors)))
    return ValidatedLines(lines=tuple(checked), errors=frozen_errors(errors))


@dataclass(frozen=True)
class _Fulfillment:
    ship_to: dict
    address_problems: dict[str, str]
    delivery_problems: tuple[str, ...]
    errors: dict[str, list[str]]


def _check_fulfillment(*, kind: str, method: ShippingMethod | None, customer: Customer | None,
                       pickup_warehouse: Warehouse | None, ship_to: dict) -> _Fulfillment:
    errors: dict[str, list[str]] = {}
    if kind not in FulfillmentType.values:
        errors["fulfillment_type"] = [_("Unknown fulfillment %(kind)s.") % {"kind": kind}]
        return _Fulfillment(ship_to=ship_to, address_problems={}, delivery_problems=(), errors=errors)
    address_problems: dict[str, str] = {}
    if kind in (FulfillmentType.PICKUP, FulfillmentType.SHIP_TO_STORE):
        store = pickup_warehouse
        if store is None:
            errors["pickup_warehouse"] = [_("Choose the store.")]
        elif not (store.is_active and store.allows_pickup):
            errors["pickup_warehouse"] = [_("%(store)s does not take pickup orders.") % {"store": store.code}]
        if store is not None and not ship_to.get("country"):
            # The store's own location, for tax and the packing slip.
            ship_to = {**ship_to, "name": ship_to["name"] or (customer.display_name if customer else ""),
                       "line1": store.address_line, "city": store.city, "region": store.region,
                       "postal_code": store.postal_code, "country": store.country}
    else:
        if pickup_warehouse is not None:
            errors["pickup_warehouse"] = [_("A store is chosen only for pickup and ship-to-store orders.")]
        ship_to, address_problems = address_check(ship_to)
    problems = delivery_problems(method=method, address=ship_to, fulfillment_type=kind)
    return _Fulfillment(ship_to=ship_to, address_problems=address_problems, delivery_problems=tuple(problems),
                        errors=errors)


def _price(*, channel: str, customer: Customer | None, lines: Sequence[ValidatedLine], ship_to: dict,
           fulfillment_type: str, pickup_warehouse: Warehouse | None,
           source_code: str, coupons: Sequence[str], shipping_method: ShippingMethod | None,
           customer_type: str | None, at: datetime,
           segment_codes: frozenset[str] | None) -> tuple[PricedBasket | None, dict[str, list[str]]]:
    is_tax_exempt = bool(customer and customer.is_tax_exempt)
    # Tax is due where the goods are handed over: the store for pickup and ship-to-store.
    address = tax_address(ship_to=ship_to, fulfillment_type=fulfillment_type, pickup_warehouse=pickup_warehouse)
    rule = tax_rule(address=address, is_exempt=is_tax_exempt)
    items = [(line.sku, line.quantity, line.is_personalized) for line in lines]
    try:
        return price_basket(
            channel=channel, customer=customer, items=items, tax_rule=rule, customer_type=customer_type,
            segment_codes=segment_codes, source_code=source_code, coupons=list(coupons),
            shipping_method=shipping_method, at=at, is_tax_exempt=is_tax_exempt), {}
    except PricingError as error:
        unknown_source = source_code and not SourceCode.objects.filter(code=source_code).exists()
        return None, {"source_code" if unknown_source else "__all__": [str(error)]}


# --- quote ----------------------------------------------------------------------------------------


def order_quote(
    *,
    channel: str,
    customer: Customer | None,
    lines: list[LineRequest],
    source_code: str = "",
    coupons: Sequence[str] = (),
    ship_to: dict | None = None,
    shipping_method: ShippingMethod | None = None,
    customer_type: str | None = None,
    at: datetime | None = None,
    fulfillment_type: str = FulfillmentType.SHIP,
    pickup_warehouse: Warehouse | None = None,
    payment: Sequence[Mapping] | None = None,
) -> Quote:
    """Price, tax and check a basket as ``order_place`` would, and say what stock there is. No writes.

    ``payment`` (optional): the payment instructions, checked by the payment validators as
    ``order_place`` checks them (their errors under ``errors["payment"]``).

    For the order-entry screen on every keystroke: a fixed number of queries whatever the
    number of lines (about ten; more only for kits, personalized SKUs and short lines).
    ``errors`` holds what ``order_place`` would refuse, by field; ``address_problems`` and
    ``delivery_problems`` are shown before placing (staff channels refuse them, outside
    channels hold the order for them).
    """
    validated = basket_validate(channel=channel, customer=customer, lines=lines, source_code=source_code,
                                coupons=coupons, ship_to=ship_to, shipping_method=shipping_method,
                                fulfillment_type=fulfillment_type, pickup_warehouse=pickup_warehouse,
                                customer_type=customer_type, at=at, payment=payment)
    basket = validated.priced
    quote_lines: list[QuoteLine] = []
    for index, line in enumerate(validated.lines):
        quote_lines.append(QuoteLine(
            index=index, sku=line.sku, quantity=line.quantity, line_id=line.request.line_id,
            personalization=dict(line.personalization),
            personalization_errors={key: list(messages) for key, messages in line.personalization_errors.items()},
            errors=list(line.errors)))
    if basket is not None:
        for index, amounts in enumerate(basket.lines):
            if index >= len(quote_lines):
                quote_lines.append(QuoteLine(index=index, sku=amounts.sku, quantity=amounts.quantity,
                                             is_gift=True))
            quote_line = quote_lines[index]
            quote_line.unit_price = amounts.unit_price
            quote_line.personalization_amount = amounts.personalization_amount
            quote_line.subtotal = amounts.subtotal
            quote_line.discount = amounts.discount
            quote_line.tax = amounts.tax
            quote_line.line_total = amounts.line_total
            quote_line.discounts = [(discount.label, discount.amount)
                                    for discount in amounts.priced.discounts]
            quote_line.explanation = list(amounts.priced.explanation)
    _add_availability(validated, quote_lines)

    quote = Quote(currency=basket.currency if basket else "", lines=quote_lines,
                  errors={key: list(messages) for key, messages in validated.errors.items()},
                  address_problems=dict(validated.address_problems),
                  delivery_problems=list(validated.delivery_problems), basket=basket)
    if basket is not None:
        quote.discounts = [{"promotion_id": discount.promotion_id, "label": discount.label,
                            "amount": discount.amount, "coupon_code": discount.coupon_code,
                            "kind": discount.kind} for discount in basket.priced.discounts]
        quote.subtotal, quote.discount_total = basket.subtotal, basket.discount_total
        quote.shipping_base, quote.shipping_discount = basket.shipping_base, basket.shipping_discount
        quote.shipping_total, quote.shipping_tax = basket.shipping_total, basket.shipping_tax
        quote.tax_total, quote.total, quote.tax_rate = basket.tax_total, basket.total, basket.tax_rule.rate
        quote.explanation = basket.explanation
        quote.coupons_rejected = list(basket.priced.coupons_rejected)
    return quote


def _add_availability(validated: ValidatedBasket, quote_lines: list[QuoteLine]) -> None:
    valid = [line for line in quote_lines if not line.errors]
    if not valid:
        return
    if validated.fulfillment_type == FulfillmentType.PICKUP:
        store = validated.pickup_warehouse
        warehouses = [store] if store is not None and store.is_active else []
    else:
        warehouses = shipping_warehouses()
    skus = {line.sku.pk: line.sku for line in valid}
    availability = sku_availability(skus=skus.values(), warehouses=warehouses)
    wanted_so_far: dict[int, int] = defaultdict(int)
    short: dict[int, int] = {}
    for line in valid:
        stock = availability[line.sku.pk]
        line.availability = dict(stock.by_warehouse)
        if not line.sku.is_stocked:  # a gift card needs no stock: never short
            line.available = line.quantity
            continue
        line.available = max(stock.total - wanted_so_far[line.sku.pk], 0)
        wanted_so_far[line.sku.pk] += line.quantity
        if line.is_short:
            short[line.sku.pk] = max(short.get(line.sku.pk, 0), line.quantity)
    if short:
        dates = expected_dates(skus=[skus[sku_id] for sku_id in short])
        alternatives = substitutes(short=short, warehouses=warehouses)
        for line in valid:
            if line.is_short:
                line.expected_on = dates.get(line.sku.pk)
                line.substitutes = alternatives.get(line.sku.pk, [])


# --- place ----------------------------------------------------------------------------------------


def order_place(
    *,
    user,
    channel: str,
    customer: Customer,
    lines: list[LineRequest],
    ship_to: dict,
    bill_to: dict | None = None,
    shipping_method: ShippingMethod | None = None,
    source_code: str = "",
    coupons: Sequence[str] = (),
    external_id: str | None = None,
    notes: str = "",
    fulfillment_type: str = FulfillmentType.SHIP,
    pickup_warehouse: Warehouse | None = None,
    payment: Sequence[Mapping] | None = None,
) -> Order:
    """Take an order from any channel; see the module docstring for every step and the status rule.

    ``payment``: the opaque payment instructions (a list of dicts, see ``orders.hooks``), given to
    the payment validators and checks.

    Raises ``OrderError`` (with ``field_errors``) and writes nothing when the order cannot be
    accepted. Runs in its own transaction (``durable``): call it outside any other.
    """
    channel = (channel or "").strip()
    external_id = (external_id or "").strip() or None
    if external_id:
        existing = _existing_order(channel, external_id)
        if existing is not None:
            return existing
    if customer is None or customer.pk is None:
        raise OrderError(field_errors={"customer": [_("Choose the customer.")]})
    at = timezone.now()
    basket = basket_validate(channel=channel, customer=customer, lines=lines, source_code=source_code,
                             coupons=coupons, ship_to=ship_to, bill_to=bill_to, shipping_method=shipping_method,
                             fulfillment_type=fulfillment_type, pickup_warehouse=pickup_warehouse, at=at,
                             payment=payment)
    errors = basket_refusals(basket)
    if errors:
        raise OrderError(field_errors=errors)
    if not basket.bill_to:
        basket = replace(basket, bill_to=MappingProxyType(_default_bill_to(customer, dict(basket.ship_to))))
    try:
        with transaction.atomic(durable=True):
            return _create(basket, user=user, external_id=external_id, notes=notes, at=at)
    except IntegrityError as error:
        if external_id and _is_channel_duplicate(error):
            return Order.objects.get(channel=channel, external_id=external_id)
        raise


def basket_refusals(basket: ValidatedBasket) -> dict[str, list[str]]:
    """What ``order_place`` refuses the basket for, by field (empty: it places it).

    Its errors; for staff channels also its address and delivery problems, which outside
    channels' orders are accepted with, on an address hold.
    """
    errors = {key: list(messages) for key, messages in basket.errors.items()}
    if is_staff_channel(basket.channel):
        for key, message in basket.address_problems.items():
            errors.setdefault(f"ship_{key}", []).append(message)
        for message in basket.delivery_problems:
            errors.setdefault("shipping_method", []).append(message)
    return errors


def _existing_order(channel: str, external_id: str) -> Order | None:
    """The order a committed earlier submission made (the fast path; the unique index decides)."""
    return Order.objects.filter(channel=channel, external_id=external_id).first()


def _default_bill_to(customer: Customer, ship_to: dict) -> dict:
    if customer.default_bill_address_id:
        address = customer.default_bill_address
        if address is not None:
            return clean_address(address.as_snapshot())
    return dict(ship_to)


def _is_channel_duplicate(error: IntegrityError) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    constraint = "order_channel_external_id_unique"
    return name == constraint if name else constraint in str(error)


def _create(validated: ValidatedBasket, *, user, external_id: str | None, notes: str, at: datetime) -> Order:
    basket = validated.priced
    events: list[OrderEvent] = []
    # "redeemed" says which promotion uses the order takes; written now, corrected below if redeeming fails.
    pricing = basket.snapshot() | {
        "gift_lines": [index + 1 for index, amounts in enumerate(basket.lines) if amounts.is_gift],
        "redeemed": [list(item) for item in sorted(set(basket.redemptions))]}
    order = Order.objects.create(  # its number comes from the database's sequence (Order.number's default)
        channel=validated.channel, external_id=external_id, customer=validated.customer,
        status=OrderStatus.PLACED, currency=basket.currency, source_code=validated.source_code,
        coupons=list(validated.coupons), ship_to=dict(validated.ship_to), bill_to=dict(validated.bill_to),
        shipping_method=validated.shipping_method,
        fulfillment_type=validated.fulfillment_type, pickup_warehouse=validated.pickup_warehouse,
        subtotal=basket.subtotal, discount_total=basket.discount_total, shipping_total=basket.shipping_total,
        tax_total=basket.tax_total, total=basket.total, pricing=pricing, notes=(notes or "").strip(),
        created_by=user, placed_at=at,
    )
    lines = []
    for index, amounts in enumerate(basket.lines):
        lines.append(OrderLine(
            order=order, line_number=index + 1, sku=amounts.sku, sku_code=amounts.sku.code,
            description=amounts.sku.name[:200], quantity=amounts.quantity,
            personalization=dict(validated.lines[index].personalization) if index < len(validated.lines) else {},
            **line_amounts_fields(amounts),
        ))
    events.append(event(order, OrderEvent.Kind.STATUS, _("Placed on the %(channel)s channel.") % {
        "channel": validated.channel}, user=user, to_status=OrderStatus.PLACED,
        data={"external_id": external_id} if external_id else None))
    order_id = order.pk
    transaction.on_commit(lambda: hooks.status_changed(order_id, "", OrderStatus.PLACED))

    # Allocation is planned under the stock row locks before the lines are written, so that they
    # are written once, with their allocated quantities; the reservations follow.
    plan = plan_lines(order=order, lines=lines)
    count_planned(plan)
    OrderLine.objects.bulk_create(lines)
    holds = _pre_process_holds(order, validated, user=user)
    if holds:
        Hold.objects.bulk_create(holds)
        for hold in holds:
            events.append(event(order, OrderEvent.Kind.HOLD, _("On %(reason)s hold: %(note)s") % {
                "reason": Hold.Reason(hold.reason).label.lower(), "note": hold.note},
                user=user, data={"reason": hold.reason}))
    reserve_plan(order=order, plan=plan, user=user, events=events, lines_saved=False)
    hooks.order_lines_placed(order, lines)  # payments: the cards of gift card lines
    settle(order, lines=lines, has_open_hold=bool(holds), user=user, reason=_("Pre-processing done."),
           events=events)
    order.save(update_fields=["status", "updated_at"])
    save_events(events)
    # Usage limits last: a promotion's row stays locked from its redemption to our commit.
    if redeem_promotions(order, lines=lines, basket=basket, user=user, events=events, placing=True):
        settle(order, lines=lines, has_open_hold=bool(holds), user=user, reason=_("Re-priced."),
               events=events)
        order.save(update_fields=["status", "pricing", "subtotal", "discount_total", "shipping_total",
                                  "tax_total", "total", "updated_at"])
        save_events(events)
    return order


def _pre_process_holds(order: Order, validated: ValidatedBasket, *, user) -> list[Hold]:
    """The holds pre-processing puts on a new order: address (outside channels) and payment checks."""
    notes: dict[str, list[str]] = defaultdict(list)
    if validated.address_problems:
        notes[Hold.Reason.ADDRESS].extend(validated.address_problems.values())
    if validated.delivery_problems:
        notes[Hold.Reason.ADDRESS].extend(validated.delivery_problems)
    for failure in hooks.payment_check(order, validated.payment):
        known = failure.reason in (Hold.Reason.PAYMENT, Hold.Reason.FRAUD, Hold.Reason.CREDIT)
        reason = failure.reason if known else Hold.Reason.PAYMENT
        notes[reason].append(failure.note)
    return [Hold(order=order, reason=reason,
                 note=" ".join(messages)[:300]) for reason, messages in notes.items()]
