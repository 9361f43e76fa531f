"""Gift card screens: per role and URL, the balance enquiry, the goodwill issue and its one-time code."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from payments.giftcards.codes import code_normalize
from payments.giftcards.models import GiftCard
from payments.giftcards.services import gift_card_issue, gift_card_redeem, gift_card_sell
from payments.models import JournalEntry
from tests.screens_helpers import ROLES, count_queries

pytestmark = pytest.mark.django_db

ALLOWED, DENIED = 200, 403
# Who may open what: written out, not derived from oms.roles, so a change of roles shows up here.
ACCESS = {
    #                  Agent    Warehouse Manager  Accountant Admin
    "list":           (ALLOWED, DENIED, ALLOWED, ALLOWED, ALLOWED),
    "enquiry":        (ALLOWED, DENIED, ALLOWED, ALLOWED, ALLOWED),
    "enquiry_post":   (ALLOWED, DENIED, ALLOWED, ALLOWED, ALLOWED),
    "detail":         (ALLOWED, DENIED, ALLOWED, ALLOWED, ALLOWED),
    "issue":          (DENIED, DENIED, ALLOWED, DENIED, ALLOWED),
    "issue_post":     (DENIED, DENIED, ALLOWED, DENIED, ALLOWED),
}


@pytest.fixture
def card(make_user):
    issued = gift_card_issue(amount=Decimal("75.00"), currency="USD", user=make_user("Manager"), reason="Late parcel")
    return issued


def _request(client, view: str, card):
    calls = {
        "list": ("get", reverse("giftcards:list"), {"q": card.last4}),
        "enquiry": ("get", reverse("giftcards:enquiry"), {}),
        "enquiry_post": ("post", reverse("giftcards:enquiry"), {"code": card.code}),
        "detail": ("get", reverse("giftcards:detail", args=[card.pk]), {}),
        "issue": ("get", reverse("giftcards:issue"), {}),
        "issue_post": ("post", reverse("giftcards:issue"),
                       {"amount": "10.00", "currency": "USD", "reason": "Sorry", "expires_on": ""}),
    }
    method, url, data = calls[view]
    return getattr(client, method)(url, data)


@pytest.mark.parametrize("view", list(ACCESS))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_the_gift_card_screens_its_table_row_allows(role_client, card, view, role):
    response = _request(role_client(role), view, card)

    assert response.status_code == ACCESS[view][ROLES.index(role)]


@pytest.mark.parametrize("view", list(ACCESS))
def test_anonymous_visitors_are_sent_to_sign_in(client, card, view):
    response = _request(client, view, card)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role, shown", [("Agent", True), ("Manager", True), ("Accountant", True),
                                         ("Warehouse", False)])
def test_the_navigation_shows_gift_cards_to_those_who_may_see_them(role_client, role, shown):
    response = role_client(role).get(reverse("home"))

    assert (reverse("giftcards:list") in response.content.decode()) is shown


def test_the_list_finds_a_card_by_its_last_four_and_shows_it_masked(role_client, card, make_user):
    other = gift_card_sell(amount=Decimal("5.00"), currency="USD", user=None)
    client = role_client("Agent")

    page = client.get(reverse("giftcards:list"), {"q": card.last4.lower()}).content.decode()

    assert f"•••• {card.last4}" in page
    assert "$75.00" in page
    assert code_normalize(card.code) not in code_normalize(page) and card.code not in page
    assert (f"•••• {other.last4}" in page) is (other.last4 == card.last4)


def test_the_list_as_you_type_answers_with_the_results_fragment(role_client, card):
    response = role_client("Agent").get(reverse("giftcards:list"), {"q": card.last4}, HTTP_HX_REQUEST="true")

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="results"')
    assert f"•••• {card.last4}" in content


def test_the_list_reads_a_fixed_number_of_queries_for_2_or_20_cards(role_client, make_user):
    manager = make_user("Manager")
    client = role_client("Agent")
    for _ in range(2):
        gift_card_issue(amount=Decimal("1.00"), currency="USD", user=manager, reason="x")
    few = count_queries(client, reverse("giftcards:list"))
    for _ in range(18):
        gift_card_issue(amount=Decimal("1.00"), currency="USD", user=manager, reason="x")

    assert count_queries(client, reverse("giftcards:list")) == few


def test_a_balance_enquiry_by_code_shows_the_balance_and_never_the_code(role_client, card):
    response = role_client("Agent").post(reverse("giftcards:enquiry"), {"code": card.code.lower().replace("-", " ")})

    page = response.content.decode()
    assert response.status_code == 200
    assert "$75.00" in page and card.masked_code in page
    assert card.code not in page and code_normalize(card.code) not in code_normalize(page)
    assert "no-store" in response["Cache-Control"]


def test_a_balance_enquiry_with_an_unknown_code_says_so(role_client):
    response = role_client("Agent").post(reverse("giftcards:enquiry"), {"code": "AAAA-BBBB-CCCC-DDDD"})

    assert 'id="unknown-code"' in response.content.decode()


def test_the_enquiry_form_refuses_a_post_without_csrf(client, make_user):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_user("Agent"))

    assert csrf_client.post(reverse("giftcards:enquiry"), {"code": "X"}).status_code == 403


def test_a_manager_issues_goodwill_and_sees_the_full_code_once(role_client):
    client = role_client("Manager")

    response = client.post(reverse("giftcards:issue"),
                           {"amount": "20.50", "currency": "usd", "reason": "Broken mug", "expires_on": "2030-01-31"})

    card = GiftCard.objects.get()
    page = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert (card.kind, card.balance, card.currency, card.reason, str(card.expires_on)) == (
        "goodwill", Decimal("20.500"), "USD", "Broken mug", "2030-01-31")
    code = page.split('id="full-code">', 1)[1].split("<", 1)[0]
    assert code_normalize(code)[-4:] == card.last4 and len(code_normalize(code)) == 16
    detail = client.get(reverse("giftcards:detail", args=[card.pk])).content.decode()
    assert code not in detail and card.masked_code in detail


def test_an_invalid_issue_form_says_why_and_issues_nothing(role_client):
    response = role_client("Manager").post(reverse("giftcards:issue"),
                                           {"amount": "0", "currency": "US", "reason": ""})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"amount", "currency", "reason"}
    assert GiftCard.objects.count() == 0 and not JournalEntry.objects.filter(kind__startswith="gift_card").exists()


def test_the_card_page_lists_its_transactions_in_order(role_client, card):
    gift_card_redeem(card=card, amount=Decimal("25.25"), user=None, memo="Phone order")

    page = role_client("Accountant").get(reverse("giftcards:detail", args=[card.pk])).content.decode()

    assert page.index("Issue") < page.index("Redeem")
    assert "-$25.25" in page or "−$25.25" in page
    assert "$49.75" in page


def test_the_admin_shows_cards_read_only_and_never_their_hash(role_client, card):
    client = role_client("Admin")

    listing = client.get(reverse("admin:payments_giftcard_changelist")).content.decode()
    page = client.get(reverse("admin:payments_giftcard_change", args=[card.pk])).content.decode()

    assert card.masked_code in listing
    assert GiftCard.objects.get(pk=card.pk).code_hash not in page and card.code not in page
    assert client.post(reverse("admin:payments_giftcard_change", args=[card.pk]), {}).status_code == 403
