from celery import shared_task

from payments.giftcards.services import gift_cards_expire_due


@shared_task
def gift_cards_expire_task() -> int:
    """Expire the cards past their date (beat, daily); safe to retry: an expired card is skipped."""
    return gift_cards_expire_due()


@shared_task
def gift_card_tenders_return_task(*, order_id: int) -> int:
    """A cancelled order's gift card payments back onto their cards; safe to retry (refunded tenders are skipped)."""
    from orders.models import Order
    from payments.giftcards.tenders import gift_card_tenders_return

    return len(gift_card_tenders_return(order=Order.objects.get(pk=order_id), user=None))


@shared_task
def gift_cards_activate_shipped_task(*, order_id: int) -> int:
    """The cards sold on a shipped order's lines become active; safe to retry."""
    from payments.giftcards.services import gift_cards_activate_shipped

    return len(gift_cards_activate_shipped(order_id=order_id, user=None))


@shared_task
def gift_cards_send_electronic_task(*, order_id: int) -> str:
    """A released order's e-gift lines fulfilled and their cards activated; safe to retry."""
    from orders.fulfillment.electronic import lines_fulfil_electronically

    return str(lines_fulfil_electronically(order_id=order_id, user=None))
