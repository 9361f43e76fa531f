"""What card payments add to the order screens: the order page's tender panel and the list flag.

**Who sees what.** The tender panel shows to users with ``payments.view_tender`` (agents,
managers, accountants); Warehouse has no payment permission, so it sees no payment data at all.
Cards show as brand and last four; Stripe ids show only to those who may see the gateway
attempts (``payments.view_paymentattempt``: accountants). Trying another card needs
``payments.take_payment``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from oms.money import round_money
from orders.hooks import OrderListFlag
from orders.models import Hold, Order
from payments.cards import gateway
from payments.tenders.models import Tender

VIEW_TENDER = "payments.view_tender"
VIEW_GATEWAY_IDS = "payments.view_paymentattempt"
TAKE_PAYMENT = "payments.take_payment"
ZERO = Decimal("0")
# An authorization is flagged on the order list when it lapses within this long.
EXPIRY_WARNING = dt.timedelta(days=1)
# Tenders that no longer cover anything.
DEAD_STATUSES = (Tender.Status.DECLINED, Tender.Status.VOIDED, Tender.Status.EXPIRED)
RETRYABLE_STATUSES = (Tender.Status.DECLINED, Tender.Status.REQUIRES_ACTION, Tender.Status.EXPIRED)
STATUS_BADGES = {
    Tender.Status.PENDING: "text-bg-secondary", Tender.Status.REQUIRES_ACTION: "text-bg-warning",
    Tender.Status.AUTHORIZED: "text-bg-info", Tender.Status.CAPTURED: "text-bg-success",
    Tender.Status.DECLINED: "text-bg-danger", Tender.Status.VOIDED: "text-bg-light border",
    Tender.Status.EXPIRED: "text-bg-danger",
}


@dataclass
class TenderSummary:
    """The money of an order's tenders, as the panel shows it."""

    currency: str
    total: Decimal
    authorized: Decimal  # authorized and not captured yet
    captured: Decimal
    refunded: Decimal
    covered: Decimal  # what live tenders are to cover

    @property
    def paid(self) -> Decimal:
        return self.captured - self.refunded

    @property
    def balance_due(self) -> Decimal:
        return round_money(max(self.total - self.paid, ZERO), self.currency)

    @property
    def uncovered(self) -> Decimal:
        return round_money(max(self.total - self.covered, ZERO), self.currency)


def order_tenders(order: Order) -> list[Tender]:
    """The order's tenders in payment order, with their cards (one query, then kept on the order
    for the rest of the request, so the order page's panels share it)."""
    cached = order.__dict__.get("_page_tenders")
    if cached is None:
        cached = order.__dict__["_page_tenders"] = list(
            Tender.objects.filter(order=order).select_related("card").order_by("sequence", "pk"))
    return cached


def tender_summary(order: Order, tenders: list[Tender]) -> TenderSummary:
    live = [tender for tender in tenders if tender.status not in DEAD_STATUSES]
    return TenderSummary(
        currency=order.currency, total=order.total,
        authorized=sum((tender.uncaptured_amount for tender in tenders
                        if tender.status == Tender.Status.AUTHORIZED), ZERO),
        captured=sum((tender.captured_amount for tender in tenders), ZERO),
        refunded=sum((tender.refunded_amount for tender in tenders), ZERO),
        covered=sum((tender.amount for tender in live), ZERO),
    )


def _has_open_payment_hold(order: Order) -> bool:
    rows = getattr(order, "hold_rows", None)
    if rows is not None:
        return any(row.is_open and row.reason == Hold.Reason.PAYMENT for row in rows)
    return order.holds.filter(reason=Hold.Reason.PAYMENT, released_at__isnull=True).exists()


def tender_panel_context(*, order: Order, user) -> dict:
    tenders = order_tenders(order)
    now = timezone.now()
    for tender in tenders:
        tender.badge_class = STATUS_BADGES.get(tender.status, "text-bg-secondary")
        tender.expires_soon = bool(tender.status == Tender.Status.AUTHORIZED and tender.authorization_expires_at
                                   and tender.authorization_expires_at <= now + EXPIRY_WARNING)
    failed = [tender for tender in tenders if tender.kind == Tender.Kind.CARD and tender.status in RETRYABLE_STATUSES]
    live_cards = [tender for tender in tenders if tender.kind == Tender.Kind.CARD and tender.status not in DEAD_STATUSES]
    summary = tender_summary(order, tenders)
    # The newest failed card matters only while nothing newer covers the order.
    latest_failure = failed[-1] if failed and not any(t.sequence > failed[-1].sequence for t in live_cards) else None
    return {
        "template": "payments/cards/_tender_panel.html",
        "order": order,
        "tenders": tenders,
        "summary": summary,
        "latest_failure": latest_failure,
        "is_pending": any(tender.status == Tender.Status.PENDING for tender in tenders),
        # A card waiting for authentication still covers its amount; "another card" voids it first.
        "can_retry": (user.has_perm(TAKE_PAYMENT) and latest_failure is not None
                      and (latest_failure.status == Tender.Status.REQUIRES_ACTION
                           or _has_open_payment_hold(order) or summary.uncovered > 0)),
        "can_recheck": (user.has_perm(TAKE_PAYMENT) and latest_failure is not None
                        and latest_failure.status == Tender.Status.REQUIRES_ACTION),
        "show_gateway_ids": user.has_perm(VIEW_GATEWAY_IDS),
        "is_test_gateway": gateway.is_test_gateway(),
    }


def order_tender_panel(*, order: Order, user) -> dict | None:
    """The order page's tender panel, or nothing for users who may not see payments (Warehouse)."""
    if not user.has_perm(VIEW_TENDER):
        return None
    return tender_panel_context(order=order, user=user)


def authorization_expiring() -> Exists:
    """True for an order with a card authorization that lapses within a day (the tender expiry index)."""
    return Exists(Tender.objects.filter(order_id=OuterRef("pk"), status=Tender.Status.AUTHORIZED,
                                        authorization_expires_at__lte=timezone.now() + EXPIRY_WARNING))


AUTHORIZATION_EXPIRING_FLAG = OrderListFlag(
    key="authorization_expiring", annotation=authorization_expiring, label=_("Authorization expiring"),
    permission=VIEW_TENDER, css_class="text-bg-danger",
    title=_("A card authorization lapses within a day: capture it or authorize again."))
