"""Gift card reads: balance enquiry, search by last four, a card's transactions."""

from __future__ import annotations

from django.db.models import QuerySet

from payments.giftcards.codes import code_hash, code_normalize
from payments.giftcards.models import GiftCard, GiftCardTransaction


def gift_card_balance(*, code: str) -> GiftCard | None:
    """The card a code belongs to (its balance, status and expiry), or None."""
    if not code_normalize(code):
        return None
    return GiftCard.objects.filter(code_hash=code_hash(code)).first()


def gift_card_search(*, last4: str = "", status: str = "", limit: int = 50) -> list[GiftCard]:
    """Cards whose code ends in ``last4`` (all cards when empty), newest first."""
    cards: QuerySet[GiftCard] = GiftCard.objects.select_related("issued_by")
    last4 = code_normalize(last4)[-4:]
    if last4:
        cards = cards.filter(last4=last4)
    if status:
        cards = cards.filter(status=status)
    return list(cards.order_by("-created_at", "-id")[:limit])


def gift_card_transactions(*, card: GiftCard) -> list[GiftCardTransaction]:
    return list(GiftCardTransaction.objects.filter(card=card).select_related("order", "created_by")
                .order_by("created_at", "id"))
