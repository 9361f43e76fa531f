"""Gift card screens: list and search by last four, balance enquiry, goodwill issue, a card's page.

A full code appears once, on the page that answers the issue; everywhere else cards are masked.
Codes travel only in POST bodies (never in a URL, where logs would keep them).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods

from inventory.postings import business_date
from payments.giftcards import selectors
from payments.giftcards.errors import GiftCardError
from payments.giftcards.forms import GiftCardEnquiryForm, GiftCardIssueForm, GiftCardSearchForm
from payments.giftcards.models import GiftCard
from payments.giftcards.services import gift_card_issue

SEARCH_LIMIT = 50


@require_GET
@login_required
@permission_required("payments.view_giftcard", raise_exception=True)
def gift_card_list(request: HttpRequest) -> HttpResponse:
    form = GiftCardSearchForm(request.GET)
    query = form.cleaned_data if form.is_valid() else {"q": "", "status": ""}
    cards = selectors.gift_card_search(last4=query["q"], status=query["status"], limit=SEARCH_LIMIT)
    template = "payments/giftcards/list.html#results" if request.htmx and not request.htmx.boosted \
        else "payments/giftcards/list.html"
    return render(request, template, {"form": form, "cards": cards, "limit": SEARCH_LIMIT,
                                      "can_issue": request.user.has_perm("payments.issue_goodwill_giftcard")})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("payments.view_giftcard", raise_exception=True)
def gift_card_enquiry(request: HttpRequest) -> HttpResponse:
    form = GiftCardEnquiryForm(request.POST or None)
    card, looked_up = None, False
    if request.method == "POST" and form.is_valid():
        card, looked_up = selectors.gift_card_balance(code=form.cleaned_data["code"]), True
        form = GiftCardEnquiryForm()  # the code is not sent back to the page
    response = render(request, "payments/giftcards/enquiry.html",
                      {"form": form, "card": card, "looked_up": looked_up, "today": business_date()})
    add_never_cache_headers(response)
    return response


@require_GET
@login_required
@permission_required(("payments.view_giftcard", "payments.view_giftcardtransaction"), raise_exception=True)
def gift_card_detail(request: HttpRequest, pk: int) -> HttpResponse:
    card = get_object_or_404(GiftCard.objects.select_related("issued_by", "source_order_line__order"), pk=pk)
    return render(request, "payments/giftcards/detail.html",
                  {"card": card, "transactions": selectors.gift_card_transactions(card=card)})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("payments.issue_goodwill_giftcard", raise_exception=True)
def gift_card_issue_goodwill(request: HttpRequest) -> HttpResponse:
    form = GiftCardIssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            card = gift_card_issue(user=request.user, **form.cleaned_data)
        except GiftCardError as error:
            form.add_error(None, str(error))
        else:
            # The one page that shows the full code; never cached, never shown again.
            response = render(request, "payments/giftcards/issued.html", {"card": card, "code": card.code})
            add_never_cache_headers(response)
            return response
    return render(request, "payments/giftcards/issue.html", {"form": form}, status=400 if form.errors else 200)
