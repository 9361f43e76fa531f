"""The demo's gift cards sold as SKUs (``seed_demo`` step "gift cards", after the shipments' postings).

Through the services, as an agent would: two allocated demo orders with no payment taken yet get a
gift card line by ``order_edit`` (the catalog demo's gift card SKUs): a plastic card, inactive
until its order ships, and an e-gift card, sent at once (``lines_fulfil_electronically``, what the
release task does), so the demo has an active e-gift whose code an agent sees once on its order
page. Orders with a tender are left alone (a card tender is sized to its order's total). Seeding
again adds nothing; without demo orders (``--orders 0``) there is nothing to do.
"""

from __future__ import annotations

import time

MAX_LINES = 5  # the demo's orders have up to five lines: the card makes at most that many


def seed_gift_cards(*, stdout, options: dict) -> None:
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Exists, OuterRef

    from catalog.models import Sku
    from orders.fulfillment.electronic import lines_fulfil_electronically
    from orders.fulfillment.models import OPEN_SHIPMENT_STATUSES, Shipment
    from orders.models import Order, OrderStatus
    from orders.services import LineRequest, OrderError, order_edit
    from payments.giftcards.models import GiftCard
    from payments.tenders.models import Tender

    if GiftCard.objects.filter(source_order_line__isnull=False).exists():
        stdout.write("Demo gift cards: already sold on orders.")
        return
    kinds = (Sku.GiftCard.PHYSICAL, Sku.GiftCard.ELECTRONIC)
    skus = [Sku.objects.active().filter(gift_card=kind).order_by("code").first() for kind in kinds]
    orders = list(Order.objects.filter(status=OrderStatus.ALLOCATED).exclude(channel__startswith="marketplace")
                  .annotate(lines_count=Count("lines")).filter(lines_count__lt=MAX_LINES)
                  .exclude(Exists(Tender.objects.filter(order=OuterRef("pk"))))
                  .exclude(Exists(Shipment.objects.filter(order=OuterRef("pk"), status__in=OPEN_SHIPMENT_STATUSES)))
                  .order_by("-pk")[:2])
    if None in skus or len(orders) < 2:
        stdout.write("Demo gift cards: no gift card SKUs or no allocated orders to sell them on.")
        return
    started = time.monotonic()
    agent = get_user_model().objects.filter(username="agent").first()
    sold = []
    for sku, order in zip(skus, orders, strict=True):
        try:
            order = order_edit(order=order, user=agent, add_lines=[LineRequest(sku=sku, quantity=1)])
        except OrderError as error:  # the demo order cannot take it: leave it as it is
            stdout.write(f"Demo gift cards: order {order.number} refused {sku.code}: {error}")
            continue
        if sku.gift_card == Sku.GiftCard.ELECTRONIC:
            lines_fulfil_electronically(order_id=order.pk, user=agent)
        sold.append(f"{sku.code} on order {order.number}")
    stdout.write(f"Demo gift cards: {', '.join(sold) or 'none'} in {time.monotonic() - started:.1f} s.")
