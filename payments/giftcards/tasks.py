from celery import shared_task

from payments.giftcards.services import gift_cards_expire_due


@shared_task
def gift_cards_expire_task() -> int:
    """Expire the cards past their date (beat, daily); safe to retry: an expired card is skipped."""
    return gift_cards_expire_due()
