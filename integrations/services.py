"""Integrations' writes: what the REST API (and channel adapters) do with an outside order.

Order entry itself is ``orders.services.order_place``; this module only adds what an outside
system needs around it: finding or creating the customer the payload describes, and making a
repeated submission (a partner retrying after a timeout) harmless.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import connection

from inventory.models import Warehouse
from orders.models import Customer, Order, ShippingMethod
from orders.services import LineRequest, OrderError, basket_refusals, basket_validate, order_place
from orders.services.customers import customer_find_or_create, normalize_emails


def api_order_create(
    *,
    user,
    channel: str,
    lines: list[LineRequest],
    ship_to: dict,
    customer: Customer | None = None,
    new_customer: dict | None = None,
    external_id: str | None = None,
    bill_to: dict | None = None,
    shipping_method: ShippingMethod | None = None,
    pickup_warehouse: Warehouse | None = None,
    source_code: str = "",
    coupons: Sequence[str] = (),
    notes: str = "",
    payment: Sequence[dict] | None = None,
) -> tuple[Order, bool]:
    """Place an outside system's order; returns ``(order, created)``.

    ``customer`` is an existing customer; otherwise ``new_customer`` (first_name, last_name,
    company, email, phone, marketing_opt_in, addresses) describes one, found by its email
    address or else created (``orders.services.customers.customer_find_or_create``).

    A repeated ``(channel, external_id)`` returns the order made the first time with
    ``created`` False. Submissions with the same external id or the same new customer's email
    run one after the other (a session advisory lock), so a retry that overtakes the first
    attempt neither creates a second customer nor races it.

    Raises ``OrderError`` with ``field_errors`` (those of ``order_place``, plus
    ``customer-<field>``) and writes nothing when the order cannot be accepted: a new customer
    is created only after the order has passed order entry's checks (``basket_validate``). ``order_place`` runs
    in a transaction of its own, so the one gap left is an order refused by a change between
    that check and the placement (stock and prices do not refuse orders, so in practice a SKU
    retired in that instant): the customer then stays, and a retry finds it by its email.
    """
    channel = (channel or "").strip()
    external_id = (external_id or "").strip() or None
    email = normalize_emails([(new_customer or {}).get("email", "")])
    keys = [f"api-customer:{address}" for address in email]
    if external_id:
        keys.append(f"api-order:{channel}:{external_id}")
    with _advisory_locks(keys):
        if external_id:
            existing = Order.objects.filter(channel=channel, external_id=external_id).first()
            if existing is not None:
                return existing, False
        if customer is None:
            if new_customer is None:
                raise OrderError(field_errors={"customer": ["Give the customer's number or their details."]})
            customer = _customer_find_or_create(
                user=user, details=new_customer, ship_to=ship_to, bill_to=bill_to,
                before_create=lambda: _refuse_like_order_place(
                    channel=channel, lines=lines, ship_to=ship_to, shipping_method=shipping_method,
                    pickup_warehouse=pickup_warehouse, source_code=source_code, coupons=coupons))
        order = order_place(
            user=user, channel=channel, customer=customer, lines=lines, ship_to=ship_to, bill_to=bill_to,
            shipping_method=shipping_method, source_code=source_code, coupons=coupons,
            external_id=external_id, notes=notes, pickup_warehouse=pickup_warehouse, payment=payment,
        )
    return order, True


def _refuse_like_order_place(*, channel: str, lines: list[LineRequest], ship_to: dict,
                             shipping_method: ShippingMethod | None, pickup_warehouse: Warehouse | None,
                             source_code: str, coupons: Sequence[str]) -> None:
    """Raise what ``order_place`` would refuse, before anything is written (``basket_validate`` writes none)."""
    basket = basket_validate(channel=channel, customer=None, lines=lines, source_code=source_code, coupons=coupons,
                             ship_to=ship_to, shipping_method=shipping_method, pickup_warehouse=pickup_warehouse)
    errors = basket_refusals(basket)
    if errors:
        raise OrderError(field_errors=errors)


def _customer_find_or_create(*, user, details: dict, ship_to: dict, bill_to: dict | None,
                             before_create) -> Customer:
    """``customer_find_or_create``, its field errors as order entry's (``customer-<field>``)."""
    try:
        return customer_find_or_create(user=user, details=details, ship_to=ship_to, bill_to=bill_to,
                                       before_create=before_create)[0]
    except ValidationError as error:
        raise OrderError(field_errors={f"customer-{key}": messages
                                       for key, messages in error.message_dict.items()}) from error


@contextmanager
def _advisory_locks(keys: list[str]) -> Iterator[None]:
    """Hold PostgreSQL session advisory locks on ``keys`` (taken in a fixed order) for the block."""
    ids = sorted({int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
                  for key in keys})
    taken: list[int] = []
    try:
        with connection.cursor() as cursor:
            for lock_id in ids:
                cursor.execute("SELECT pg_advisory_lock(%s)", [lock_id])
                taken.append(lock_id)
        yield
    finally:
        with connection.cursor() as cursor:
            for lock_id in reversed(taken):
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id])
