"""Steps every app may take that a higher app performs, so the arrows keep pointing down (DESIGN.md).

**ledger_post.** Every business event that moves money or stock value posts one journal entry
through :func:`ledger_post`, inside the transaction of the business change (so both commit
together or not at all). The ledger (``payments``) registers the poster with
:func:`on_ledger_post` in ``PaymentsConfig.ready``. The poster is idempotent on
``(source, kind)``: posting the same event twice returns the entry written the first time.
With no poster registered :func:`ledger_post` raises, because a posting must never be lost
silently.

``source`` is the model instance the entry comes from (its ``app_label.model`` and pk are
stored), or a ``(source_type, source_id)`` pair for sources that are not one row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ZERO = Decimal("0")


@dataclass(frozen=True)
class PostingLine:
    """One line to post: a debit or a credit (never both, never negative) on an account.

    The account is a posting-map ``role`` (``"inventory"``, ``"grni"``…), resolved by the ledger
    for ``warehouse_id`` when the map has a per-warehouse account, or an ``account_code``
    (manual entries). A role ``"base:qualifier"`` with no rule of its own falls back to ``"base"``
    (``"adjustment.loss:damaged"`` → ``"adjustment.loss"``), so the map can send one reason
    elsewhere without a code change.
    """

    role: str | None = None
    account_code: str | None = None
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    warehouse_id: int | None = None
    memo: str = ""

    @classmethod
    def signed(cls, amount: Decimal, **fields) -> PostingLine:
        """A debit for a positive ``amount``, a credit for a negative one."""
        if amount >= 0:
            return cls(debit=amount, **fields)
        return cls(credit=-amount, **fields)


LedgerPoster = Callable[..., Any]
_posters: list[LedgerPoster] = []


def on_ledger_post(poster: LedgerPoster) -> LedgerPoster:
    """Register the ledger's posting service (one only; registering it again has no effect)."""
    if poster not in _posters:
        _posters[:] = [poster]
    return poster


def ledger_post(*, source, kind: str, lines: list[PostingLine], on_date, user, memo: str = "",
                currency: str | None = None, net_same_account: bool = False):
    """Post one journal entry for ``(source, kind)`` in the caller's transaction; returns the entry.

    ``net_same_account``: lines that land on the same account are netted first, and when nothing
    remains no entry is written and ``None`` comes back (a transfer between two warehouses that
    share one inventory account).
    """
    if not _posters:
        raise RuntimeError("No ledger poster is registered (is the payments app installed?); "
                           "a posting must never be lost.")
    return _posters[0](source=source, kind=kind, lines=lines, on_date=on_date, user=user, memo=memo,
                       currency=currency, net_same_account=net_same_account)
