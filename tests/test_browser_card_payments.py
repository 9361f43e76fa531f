"""Card orders in a real browser: Stripe Elements served by localstripe, a real Celery worker on
the payments queue authorizing after commit. Keyboard only after signing in, as the agents work."""

from __future__ import annotations

import re

import pytest

from orders.models import Hold, Order
from payments.tenders.models import PaymentCard, Tender
from tests.screens_orders_helpers import entry_world
from tests.test_browser_order_entry import add_line, find_customer, wait_focus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOOD_CARD = "4242424242424242"
DECLINED_AT_CONFIRMATION = "4000000000000341"


def key_card(page, number: str, *, month: str = "12", year: str = "30", cvc: str = "123", postcode: str = "10001"):
    """Alt+K to the card field and type the card, as the caller reads it out."""
    page.keyboard.press("Alt+k")
    page.wait_for_function("() => document.activeElement && document.activeElement.closest('#card-element')")
    for part in (number, month, year, cvc, postcode):
        page.keyboard.type(part)  # the field moves on by itself when a part is complete


def enter_order(page, world) -> None:
    page.goto("/orders/new/")
    find_customer(page, "(212) 555-0123", number=world.customer.number)
    wait_focus(page, "source-code")
    page.keyboard.press("Enter")
    add_line(page, "MUG-RED", 2, code="MUG-RED")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def wait_tender(order: Order, status: str, *, count: int | None = None, timeout: float = 30) -> list[Tender]:
    import time

    deadline = time.monotonic() + timeout
    while True:
        tenders = list(Tender.objects.filter(order=order).order_by("sequence"))
        if tenders and tenders[-1].status == status and (count is None or len(tenders) == count):
            return tenders
        if time.monotonic() > deadline:
            raise AssertionError(f"tenders are {[(t.sequence, t.status) for t in tenders]}, not ending {status}")
        time.sleep(0.3)


def test_an_agent_takes_a_card_order_through_elements_and_it_ends_authorized(page, sign_in, payments_worker):
    world = entry_world()
    sign_in("Agent")
    enter_order(page, world)
    assert page.locator("#test-gateway-badge").inner_text() == "test gateway"

    key_card(page, GOOD_CARD)
    page.keyboard.press("Control+Enter")

    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get()
    (tender,) = wait_tender(order, Tender.Status.AUTHORIZED)
    page.locator('#tender-panel tr.tender[data-status="authorized"]').wait_for()  # the panel reloads by itself
    assert (tender.authorized_amount, tender.card.brand, tender.card.last4) == (order.total, "visa", "4242")
    assert tender.card.stripe_payment_method_id.startswith("pm_")
    assert tender.stripe_payment_intent_id.startswith("pi_")
    assert not Hold.objects.filter(order=order, reason=Hold.Reason.PAYMENT, released_at__isnull=True).exists()
    assert "•••• 4242" in page.locator("#tender-panel").inner_text()
    assert PaymentCard.objects.filter(customer=world.customer, is_saved=False).count() == 1  # not kept


def test_a_declined_card_then_a_good_one_ends_authorized(page, sign_in, payments_worker):
    world = entry_world()
    sign_in("Agent")
    enter_order(page, world)

    key_card(page, DECLINED_AT_CONFIRMATION)
    page.keyboard.press("Control+Enter")

    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get()
    wait_tender(order, Tender.Status.DECLINED)
    problem = page.locator("#payment-problem")
    problem.wait_for()
    assert "Card •••• 0341 was declined. Your card was declined." in problem.inner_text()
    assert Hold.objects.filter(order=order, reason=Hold.Reason.PAYMENT, released_at__isnull=True).exists()

    page.locator("#try-another-card").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/another-card/$"))
    key_card(page, GOOD_CARD)
    page.keyboard.press("Control+Enter")

    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    declined, good = wait_tender(order, Tender.Status.AUTHORIZED, count=2)
    assert (declined.status, declined.card.last4, good.card.last4, good.authorized_amount) == (
        Tender.Status.DECLINED, "0341", "4242", order.total)
    page.locator('#tender-panel tr.tender[data-status="authorized"]').wait_for()
    assert page.locator("#payment-problem").count() == 0
    assert not Hold.objects.filter(order=order, reason=Hold.Reason.PAYMENT, released_at__isnull=True).exists()


def test_a_returning_caller_pays_with_the_card_kept_last_time(page, sign_in, payments_worker):
    world = entry_world()
    sign_in("Agent")
    enter_order(page, world)
    key_card(page, GOOD_CARD)
    page.keyboard.press("Tab")  # from the card field's last part to "keep the card"
    wait_focus(page, "card-save")
    page.keyboard.press("Space")
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    first = Order.objects.get()
    wait_tender(first, Tender.Status.AUTHORIZED)
    saved = PaymentCard.objects.get(customer=world.customer, is_saved=True)

    enter_order(page, world)  # the next call: the kept card is offered, and chosen
    choice = page.locator(f"#card-choice-{saved.pk}")
    assert choice.is_checked()
    assert "•••• 4242" in page.locator(f'label[for="card-choice-{saved.pk}"]').inner_text()
    page.keyboard.press("Control+Enter")

    page.wait_for_url(re.compile(rf"/orders/(?!{first.pk}/)\d+/$"))
    second = Order.objects.exclude(pk=first.pk).get()
    (tender,) = wait_tender(second, Tender.Status.AUTHORIZED)
    assert tender.card_id == saved.pk
    assert PaymentCard.objects.filter(customer=world.customer).count() == 1


def test_a_card_refused_when_it_is_set_up_is_said_under_the_card_field_and_nothing_is_placed(page, sign_in,
                                                                                            stripe_gateway):
    world = entry_world()
    sign_in("Agent")
    enter_order(page, world)

    key_card(page, "4000000000000002")  # localstripe declines it when it is attached (set up)
    page.keyboard.press("Control+Enter")

    page.wait_for_function("() => document.querySelector('#card-errors').textContent.includes('declined')")
    assert page.locator("#card-errors").inner_text() == "Your card was declined."
    assert page.locator("#place-order").is_enabled()  # the agent can key another card and place again
    assert page.evaluate("document.activeElement.closest('#card-element') !== null")
    assert (Order.objects.count(), Tender.objects.count()) == (0, 0)
