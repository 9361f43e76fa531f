"""Gift cards as a tender at order entry: ``{"kind": "gift_card", "code": "...", "amount": "10.00"}``.

**Validation** (``orders.hooks.payment_validate``, quote and placement, nothing written): every
gift card instruction names a known, active, unexpired card in the order's currency whose
balance covers what the instruction is to pay (an ``amount`` left out means the rest of the
order total, as for every tender). Anything else refuses the order with a message in the
payment field, nothing written: the agent asks for another card or a smaller amount.

**Redemption** (``orders.hooks.payment_check``, inside the placement transaction): one tender
per instruction, ``captured`` for its amount, redeemed from the card in a savepoint of the
placement (the card's guarded UPDATE, its transaction row and the posting Dr gift card
liability, Cr customer deposits). When the card can no longer pay although it passed
validation a moment before (another order took its balance in between), the order is still
placed but goes on a payment hold: the tender is ``declined`` with the card's message in
``failure_message``, nothing was taken from the card, and the agent adds another tender.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.db import connection
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.postings import business_date
from oms.money import round_money
from payments.giftcards.errors import GiftCardError
from payments.giftcards.models import GiftCard, GiftCardTransaction
from payments.giftcards.selectors import gift_card_balance
from payments.giftcards.services import gift_card_redeem_in_transaction
from payments.tenders.models import Tender
from payments.tenders.services import PaymentError, payment_amounts

KIND = Tender.Kind.GIFT_CARD


def _gift_card_instructions(payment: Sequence[Mapping], *, total: Decimal, currency: str):
    """(instruction, amount) of the gift card instructions; [] when the amounts are malformed
    (the payments core's validator says so)."""
    try:
        amounts = payment_amounts(total=total, currency=currency, payment=payment)
    except PaymentError:
        return []
    return [(instruction, amount) for instruction, amount in zip(payment, amounts)
            if instruction.get("kind") == KIND]


def _problem(card: GiftCard | None, amount: Decimal, currency: str, today) -> str:
    """Why ``card`` cannot pay ``amount`` now ("" when it can); no lock, a read."""
    if card is None:
        return _("There is no gift card with that code.")
    masked = card.masked_code
    if card.status == GiftCard.Status.EXPIRED or (card.expires_on is not None and card.expires_on < today):
        return _("Gift card %(card)s has expired.") % {"card": masked}
    if card.status != GiftCard.Status.ACTIVE:
        return _("Gift card %(card)s is %(status)s.") % {"card": masked,
                                                          "status": card.get_status_display().lower()}
    if card.currency != currency:
        return _("Gift card %(card)s is in %(card_currency)s, the order in %(order_currency)s.") % {
            "card": masked, "card_currency": card.currency, "order_currency": currency}
    if card.balance < amount:
        return _("Gift card %(card)s has %(balance)s left, less than %(amount)s.") % {
            "card": masked, "balance": card.balance.quantize(Decimal("0.01")), "amount": amount}
    return ""


def _tender_create(*, order, amount: Decimal, user, reference: str) -> Tender:
    """A gift card tender of ``order``, numbered next, in the placement transaction (as the payments
    core numbers its card tenders)."""
    sequence = (Tender.objects.filter(order=order).aggregate(last=Max("sequence"))["last"] or 0) + 1
    return Tender.objects.create(order=order, kind=KIND, status=Tender.Status.PENDING, currency=order.currency,
                                 amount=round_money(amount, order.currency), reference=reference[:100],
                                 created_by=user, sequence=sequence)


def gift_card_payment_validate(basket, payment: Sequence[Mapping]) -> dict[str, list[str]]:
    """``orders.hooks.payment_validate`` for gift cards: each card exists and covers its amount. No writes."""
    priced = basket.priced
    instructions = _gift_card_instructions(payment or (), total=priced.total, currency=priced.currency)
    if not instructions:
        return {}
    today = business_date()
    errors: list[str] = []
    wanted: dict[int, Decimal] = defaultdict(Decimal)  # one card named twice must cover both
    cards: dict[int, GiftCard] = {}
    for instruction, amount in instructions:
        card = gift_card_balance(code=str(instruction.get("code") or ""))
        if card is not None:
            wanted[card.pk] += amount
            cards[card.pk] = card
        elif _problem(None, amount, priced.currency, today) not in errors:
            errors.append(_problem(None, amount, priced.currency, today))
    for card_id, amount in wanted.items():
        problem = _problem(cards[card_id], amount, priced.currency, today)
        if problem:
            errors.append(problem)
    return {"payment": errors} if errors else {}


def gift_card_payment_check(order, payment: Sequence[Mapping]):
    """``orders.hooks.payment_check`` for gift cards: a captured tender per instruction, redeemed
    in the placement transaction; a payment hold when a card can no longer pay."""
    from orders.hooks import PaymentCheckFailure

    instructions = [(instruction, amount) for instruction, amount in
                    _gift_card_instructions(payment or (), total=order.total, currency=order.currency) if amount > 0]
    if not instructions:
        return None
    failures = []
    for instruction, amount in instructions:
        card = gift_card_balance(code=str(instruction.get("code") or ""))
        tender = _tender_create(order=order, amount=amount, user=order.created_by,
                                reference=card.masked_code if card else "")
        try:
            if card is None:
                raise GiftCardError(_("There is no gift card with that code."), reason="unknown")
            gift_card_redeem_in_transaction(card=card, amount=amount, order=order, user=order.created_by,
                                            tender_id=tender.pk)
        except GiftCardError as refused:
            Tender.objects.filter(pk=tender.pk).update(status=Tender.Status.DECLINED,
                                                       failure_message=str(refused)[:500])
            failures.append(str(refused))
        else:
            Tender.objects.filter(pk=tender.pk).update(
                status=Tender.Status.CAPTURED, authorized_amount=tender.amount, captured_amount=tender.amount,
                authorized_at=timezone.now())
    if failures:
        return PaymentCheckFailure(note=" ".join(failures))
    return None


def gift_card_tenders_return(*, order, user) -> list[Tender]:
    """Put a cancelled order's gift card payments back on their cards; the tenders changed.

    Each gift card tender's captured amount not yet refunded is refunded to the card it was
    redeemed from (Dr customer deposits, Cr gift card liability) and recorded as refunded on the
    tender, in one transaction. Safe to run again: a tender fully refunded is skipped. A card that
    no longer takes money back (expired, void) keeps its tender unrefunded, with the card's
    message in ``failure_message``, for a refund to another tender.
    """
    from django.db import transaction

    from payments.giftcards.services import gift_card_refund

    changed = []
    with transaction.atomic(durable=True):
        tenders = list(Tender.objects.filter(order_id=order.pk, kind=KIND).order_by("pk")
                       .select_for_update(no_key=True))
        for tender in tenders:
            left = tender.captured_amount - tender.refunded_amount
            redemption = (GiftCardTransaction.objects.filter(tender_id=tender.pk, kind=GiftCardTransaction.Kind.REDEEM)
                          .select_related("card").first())
            if left <= 0 or redemption is None:
                continue
            try:
                gift_card_refund(card=redemption.card, amount=left, order=redemption.order, user=user,
                                 tender_id=tender.pk, memo=_("Order cancelled"))
            except GiftCardError as refused:
                Tender.objects.filter(pk=tender.pk).update(failure_message=str(refused)[:500])
                continue
            Tender.objects.filter(pk=tender.pk).update(refunded_amount=tender.captured_amount)
            changed.append(tender)
    return changed


def shipment_confirmed(order_id: int, amount: Decimal, reference: str) -> None:
    """``orders.hooks.shipment_confirmed``: gift cards sold on the order become active as they ship (a task)."""
    from payments.giftcards.tasks import gift_cards_activate_shipped_task

    # Plain SQL: this runs after every shipment's commit, and most orders sell no gift card.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM payments_giftcard g JOIN orders_orderline l ON l.id = g.source_order_line_id "
                       "WHERE l.order_id = %s AND g.status = %s LIMIT 1", [order_id, GiftCard.Status.INACTIVE.value])
        sold_inactive = cursor.fetchone() is not None
    if sold_inactive:
        gift_cards_activate_shipped_task.delay(order_id=order_id)


def order_cancelled(order_id: int, from_status: str, to_status: str) -> None:
    """``orders.hooks.status_changed``: a cancelled order's gift card payments go back (a task)."""
    if to_status == "cancelled":
        from payments.giftcards.tasks import gift_card_tenders_return_task

        gift_card_tenders_return_task.delay(order_id=order_id)


# --- the order-entry page ------------------------------------------------------------------------

ENTRY_CODE, ENTRY_AMOUNT = "gift_card_code", "gift_card_amount"


def gift_card_entry_panel(*, user, customer=None, quote=None) -> dict | None:
    """``orders.hooks.entry_panels``: the gift card inputs of the order-entry page, for those who redeem."""
    if user is None or not user.has_perm("payments.redeem_giftcard"):
        return None
    return {"template": "payments/giftcards/_entry_panel.html", "code_name": ENTRY_CODE,
            "amount_name": ENTRY_AMOUNT}


def gift_card_entry_payment(data: Mapping) -> list[dict]:
    """``orders.hooks.entry_payment``: a gift card instruction when the entry POST carries a code
    (no amount: the card pays the rest of the order)."""
    code = str(data.get(ENTRY_CODE) or "").strip()
    if not code:
        return []
    instruction = {"kind": KIND, "code": code}
    amount = str(data.get(ENTRY_AMOUNT) or "").strip()
    if amount:
        instruction["amount"] = amount
    return [instruction]


def gift_card_refund_tender(*, allocation, tender: Tender, user) -> None:
    """A refund allocation to a gift-card tender, as the refunds' registry calls it: the money goes
    back on the card that paid (its redemption names the card), posted against customer deposits."""
    from payments.giftcards.services import gift_card_refund

    redemption = (GiftCardTransaction.objects.select_related("card")
                  .filter(tender_id=tender.pk, kind=GiftCardTransaction.Kind.REDEEM).order_by("pk").first())
    if redemption is None:
        raise GiftCardError(_("No gift card redemption belongs to this tender."))
    gift_card_refund(card=redemption.card, amount=allocation.amount, order=tender.order, user=user,
                     tender_id=tender.pk, memo=_("Refund, order %(number)s") % {"number": tender.order.number})
