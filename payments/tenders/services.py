"""Tender services: add tenders, authorize, capture, void and re-authorize cards (see models' docstring).

Signatures are the payments contract; the bodies come in the next commits of ``wave3-paycore``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from orders.models import Order
from payments.tenders.models import PaymentCard, Tender


def payment_amounts(*, total: Decimal, payment: Sequence[Mapping]) -> list[Decimal]:
    """What each payment instruction covers: its ``amount``, or for the first without one, the rest."""
    raise NotImplementedError


def tender_add(*, order: Order, kind: str, user, amount: Decimal | None = None, card: PaymentCard | None = None,
               payment_method: str = "", card_details: Mapping | None = None, reference: str = "",
               status: str = Tender.Status.PENDING, authorize: bool = True) -> Tender:
    """Add a tender to ``order`` (``amount`` None: what the live tenders leave uncovered)."""
    raise NotImplementedError


def payment_authorize(*, tender: Tender, user=None) -> Tender:
    """Authorize a card tender (PaymentIntent, manual capture), exactly once; release the hold on success."""
    raise NotImplementedError


def payment_capture(*, order: Order, amount: Decimal, user) -> list[Tender]:
    """Capture ``amount`` (the shipped amount) from the order's authorized card tenders, oldest first."""
    raise NotImplementedError


def payment_void(*, order: Order, user, reason: str = "") -> list[Tender]:
    """Void what is left of the order's card authorizations (cancel their PaymentIntents)."""
    raise NotImplementedError


def payment_reauthorize(*, tender: Tender, user=None, amount: Decimal | None = None) -> Tender:
    """Authorize a tender's uncaptured remainder again, off-session, with a new PaymentIntent."""
    raise NotImplementedError
