"""The demo's gift cards sold as SKUs (``seed_demo`` step "gift cards", after the shipments' postings).

Through the services, as an agent would: two phone orders (``order_place``), each of a stocked
item and a gift card (the catalog demo's gift card SKUs), paid by check: a plastic card, inactive
until its order ships, and an e-gift card, sent at once (``lines_fulfil_electronically``, what the
release task does), so the demo has an active e-gift whose code an agent sees once on its order
page. The orders are the step's own (the generated orders' statuses depend on the hour the demo
is loaded at, and most of the open ones carry a card tender sized to their total). Seeding again
adds nothing; without demo orders (``--orders 0``) there is nothing to do.
"""

from __future__ import annotations

import time

NOTE = "Demo gift card"


def seed_gift_cards(*, stdout, options: dict) -> None:
    from django.contrib.auth import get_user_model

    from catalog.models import Sku
    from inventory.models import StockLevel
    from orders.demo import demo_ship_to
    from orders.fulfillment.electronic import lines_fulfil_electronically
    from orders.models import Customer, OrderStatus
    from orders.services import LineRequest, OrderError, order_place
    from payments.giftcards.models import GiftCard

    if options.get("orders") == 0:
        stdout.write("Demo gift cards: skipped (no demo orders asked for).")
        return
    if GiftCard.objects.filter(source_order_line__isnull=False).exists():
        stdout.write("Demo gift cards: already sold on orders.")
        return
    kinds = (Sku.GiftCard.PHYSICAL, Sku.GiftCard.ELECTRONIC)
    cards = [Sku.objects.active().filter(gift_card=kind).order_by("code").first() for kind in kinds]
    customers = list(Customer.objects.filter(terms=Customer.Terms.PREPAID).order_by("-pk")[:len(kinds)])
    level = (StockLevel.objects.filter(warehouse__ships=True, warehouse__is_active=True, sku__is_kit=False,
                                       sku__status=Sku.Status.ACTIVE, sku__gift_card="", sku__list_price__gt=0,
                                       sku__personalization_template__isnull=True, on_hand__gte=10)
             .select_related("sku").order_by("sku_id").first())
    if None in cards or level is None or len(customers) < len(kinds):
        stdout.write("Demo gift cards: skipped (no gift card SKUs, stocked SKUs or customers).")
        return
    started = time.monotonic()
    agent = get_user_model().objects.filter(username="agent").first()
    sold = []
    for number, (card, customer) in enumerate(zip(cards, customers, strict=True), start=1):
        try:
            order = order_place(user=agent, channel="phone", customer=customer, ship_to=demo_ship_to(customer),
                                lines=[LineRequest(sku=level.sku, quantity=1), LineRequest(sku=card, quantity=1)],
                                notes=NOTE, payment=[{"kind": "check", "number": f"{8000 + number}"}])
        except OrderError as error:  # the demo's data cannot take it: say so and go on
            stdout.write(f"Demo gift cards: {card.code} refused: {error}")
            continue
        if order.status != OrderStatus.ALLOCATED:
            stdout.write(f"Demo gift cards: order {order.number} is {order.get_status_display().lower()}.")
        if card.gift_card == Sku.GiftCard.ELECTRONIC:
            lines_fulfil_electronically(order_id=order.pk, user=agent)
        sold.append(f"{card.code} on order {order.number}")
    stdout.write(f"Demo gift cards: {', '.join(sold) or 'none'} in {time.monotonic() - started:.1f} s.")
