"""Gift cards sold as SKUs (``catalog.Sku.gift_card``): what payments plugs into the order flow.

- **Placement** (``orders.hooks.order_lines_placed``): each gift card line gets one inactive card
  per unit (:func:`~payments.giftcards.services.gift_cards_sell_for_line`). Their full codes are
  kept in the cache (Redis) until an agent's order page shows them, once; then they are masked.
- **Shipment** (``orders.hooks.stored_value_shipped``, inside the ship transaction): a physical
  card's unit that ships is activated there, without a posting of its own; the shipment's entry
  credits the gift card liability for it instead of revenue. So the liability and the sum of
  the balances move in one transaction (``check_invariants`` holds at every commit).
- **E-gift**: when the order reaches released (no hold left: its payment is authorized) a task
  fulfils the e-gift lines (``orders.fulfillment.electronic.lines_fulfil_electronically``): no
  stock, no pick, no shipment; its entry credits the liability the same way and its amount is
  captured as a shipment's would be.
- **Changes** (``orders.hooks.order_lines_changed``, inside the change's transaction): cancelling
  the order or some units, and editing it, void the cards of the units no longer wanted while they
  are still inactive (nothing was booked for them: nothing is posted); a line an edit adds or grows
  gets its cards as at placement. An e-gift already sent (active) is not voided by a cancellation
  (its units are shipped, which a cancellation leaves alone): it stays active, and giving its money
  back is a normal refund (``payments.refunds``), decided by an agent.
"""

from __future__ import annotations

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from payments.giftcards.models import GiftCard
from payments.giftcards.services import gift_cards_sell_for_line, gift_cards_ship

VIEW_GIFT_CARD = "payments.view_giftcard"
REVEAL_SECONDS = 7 * 24 * 3600  # a code never shown within a week is lost (the card can be voided and resold)
_SENDS_NOW = ("released", "allocated", "picking", "packed", "partially_shipped")


def _reveal_key(card_id: int) -> str:
    return f"giftcards:reveal:{card_id}"


def order_lines_placed(order, lines) -> None:
    """``orders.hooks.order_lines_placed``: the cards of the order's gift card lines (in its transaction),
    at placement or when an edit adds lines."""
    _cards_sync(order, lines)


def order_lines_changed(order, lines) -> None:
    """``orders.hooks.order_lines_changed``: after a cancellation or an edit (in its transaction) the
    gift card lines' cards follow their units: surplus inactive cards are voided, a grown line gets more
    (:func:`~payments.giftcards.services.gift_cards_sell_for_line`). An active card stays active."""
    _cards_sync(order, lines)


def _cards_sync(order, lines) -> None:
    from django.db import transaction

    codes, electronic = {}, False
    for line in lines:
        if line.sku.gift_card:
            for card in gift_cards_sell_for_line(line=line, user=order.created_by):
                codes[_reveal_key(card.pk)] = card.code
                electronic = electronic or card.kind == GiftCard.Kind.E_GIFT
    if codes:
        transaction.on_commit(lambda: cache.set_many(codes, REVEAL_SECONDS))
    # An order already released (an edit) sends a new e-gift now; at placement, its release does.
    if electronic and order.status in _SENDS_NOW:
        from payments.giftcards.tasks import gift_cards_send_electronic_task

        order_id = order.pk
        transaction.on_commit(lambda: gift_cards_send_electronic_task.delay(order_id=order_id))


def stored_value_shipped(order, units_by_line, user):
    """``orders.hooks.stored_value_shipped``: the cards of what ships become active (see the module docstring)."""
    return gift_cards_ship(units_by_line=dict(units_by_line), user=user)


def order_released(order_id: int, from_status: str, to_status: str) -> None:
    """``orders.hooks.status_changed``: an order that may go on sends its e-gift cards (a task)."""
    # Placement without a hold goes placed → released → allocated: one task for both.
    if to_status != "released" and not (to_status == "allocated" and from_status != "released"):
        return
    if GiftCard.objects.filter(source_order_line__order_id=order_id, kind=GiftCard.Kind.E_GIFT,
                               status=GiftCard.Status.INACTIVE).exists():
        from payments.giftcards.tasks import gift_cards_send_electronic_task

        gift_cards_send_electronic_task.delay(order_id=order_id)


def gift_card_order_panel(*, order, user) -> dict | None:
    """The order page's panel of the cards sold on the order: masked, except that a card's full
    code shows once (to the first user allowed to see gift cards who opens the page)."""
    if not user.has_perm(VIEW_GIFT_CARD) or not any(line.sku.gift_card for line in order.lines.all()):
        return None
    cards = list(GiftCard.objects.filter(source_order_line__order=order).select_related("source_order_line")
                 .order_by("source_order_line__line_number", "pk"))
    if not cards:
        return None
    keys = [_reveal_key(card.pk) for card in cards]
    codes = cache.get_many(keys)
    if codes:
        cache.delete_many(list(codes))
    for card in cards:
        card.code = codes.get(_reveal_key(card.pk))
    return {"template": "payments/giftcards/_order_panel.html", "cards": cards, "title": _("Gift cards sold"),
            "any_code": bool(codes)}
