"""Gift card writes: issue (goodwill), sell, activate, redeem, refund, expire.

Each change of a card's balance is one transaction row, one journal entry (through
``oms.hooks.ledger_post``) and one guarded UPDATE of the card, in one database transaction.
The UPDATE is the guard (``balance >= amount AND status = 'active'``): nothing reads the
balance to decide, so concurrent redemptions cannot overdraw a card, and the CHECK
``balance >= 0`` stands behind it.

Postings (posting-map roles; the chart's defaults in brackets):

===========  ====================================  ==================================
event        debit                                 credit
===========  ====================================  ==================================
goodwill     ``goodwill`` (6100 Customer goodwill)  ``gift_card_liability`` (2200)
activate     the card's ``funded_by`` role:         ``gift_card_liability``
             ``customer_deposits`` (2300) for a
             card sold on an order, ``cash`` or
             ``card_clearing`` over the counter
redeem       ``gift_card_liability``               ``customer_deposits`` (the order's
                                                   payment, held until it ships)
refund       ``customer_deposits`` (or the role    ``gift_card_liability``
             the refund names)
expire       ``gift_card_liability``               ``gift_card_breakage`` (4400)
===========  ====================================  ==================================

A sold card is not revenue: its sale only moves the order's money from deposits to the
liability when the card is activated (at shipment, or at once for an e-gift card). A card sold
as a gift card SKU on an order line (:func:`gift_cards_sell_for_line`, see
``payments.giftcards.sold``) is activated by :func:`gift_cards_ship` inside the shipment's (or
the e-gift fulfilment's) transaction *without* an entry of its own: that entry credits the
liability instead of revenue for the line, so the liability is booked once and moves in the
same transaction as the balances.

In a redemption or a refund the card's UPDATE is the last statement before COMMIT, so the
card's row lock is held for as short a time as possible (the transaction row and the journal
entry are written first; a refused UPDATE rolls them back).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.postings import business_date
from oms.hooks import PostingLine, ledger_post
from oms.money import round_money
from payments.giftcards.codes import code_generate, code_hash, code_last4
from payments.giftcards.errors import GiftCardError
from payments.giftcards.models import GiftCard, GiftCardTransaction

LIABILITY = "gift_card_liability"
DEPOSITS = "customer_deposits"
BREAKAGE = "gift_card_breakage"
GOODWILL = "goodwill"
ISSUE_GOODWILL_PERMISSION = "payments.issue_goodwill_giftcard"

Kind = GiftCardTransaction.Kind
Status = GiftCard.Status

# The guarded UPDATE; when it finds no row (balance too low, card not active or expired) the
# function of the migration "gift_cards" raises REFUSED_SQLSTATE, which aborts the transaction.
REFUSED_SQLSTATE = "GC001"
# Prepared once per database session (see _prepare_redeem): parsing and planning it anew was, after
# the wait, the largest cost of a redemption on a hot card. Parameters: amount, card, today,
# transaction id, order, tender, memo, user, created at.
_REDEEM_STATEMENT = "payments_gift_card_redeem"
_REDEEM_PREPARE = f"""
PREPARE {_REDEEM_STATEMENT} (numeric, bigint, date, bigint, bigint, bigint, text, bigint, timestamptz) AS
WITH debited AS (
    UPDATE payments_giftcard SET balance = balance - $1
    WHERE id = $2 AND balance >= $1 AND status = 'active' AND (expires_on IS NULL OR expires_on >= $3)
    RETURNING id, balance
), written AS (
    INSERT INTO payments_giftcardtransaction (id, card_id, kind, amount, order_id, tender_id, memo, created_by_id,
                                              created_at)
    SELECT $4, id, 'redeem', -$1, $5, $6, $7, $8, $9 FROM debited
)
SELECT balance FROM debited
UNION ALL
SELECT payments_gift_card_refuse($2) WHERE NOT EXISTS (SELECT 1 FROM debited)
"""
_REDEEM = (f"EXECUTE {_REDEEM_STATEMENT} (%(amount)s, %(card)s, %(today)s, %(id)s, %(order)s, %(tender)s, "
           "%(memo)s, %(user)s, %(now)s)")
_prepared_sessions: weakref.WeakSet = weakref.WeakSet()  # the psycopg connections that have it prepared


def _prepare_redeem() -> None:
    """Prepare the redemption in this database session, once (as inventory prepares its one-row
    reservation: a PREPARE lives as long as the session, and is sent outside Django's cursor)."""
    session = connection.connection
    if session not in _prepared_sessions:
        with connection.wrap_database_errors:
            session.execute(_REDEEM_PREPARE)
        _prepared_sessions.add(session)
# The ledger's deferred balance checks run before the card is locked, and COMMIT follows at once.
_REDEEM_AND_COMMIT = ("SET CONSTRAINTS journal_entry_balanced, journal_line_balanced IMMEDIATE;"
                      + _REDEEM + ";COMMIT")
_TRANSACTION_IDS = ("SELECT nextval(pg_get_serial_sequence('payments_giftcardtransaction', 'id'))"
                    " FROM generate_series(1, %s)")
_ids_in_hand: dict[tuple[int, str], list[int]] = {}  # per process (a fork must not reuse its parent's) and database


def _transaction_id() -> int:
    """A transaction row id drawn ahead (in blocks: no round trip for most redemptions). Sequence
    values are never given twice; ids drawn and not used only leave gaps."""
    ids = _ids_in_hand.setdefault((os.getpid(), connection.settings_dict["NAME"]), [])
    if not ids:
        with connection.cursor() as cursor:
            cursor.execute(_TRANSACTION_IDS, [50])
            ids[:] = [row[0] for row in reversed(cursor.fetchall())]
    return ids.pop()
_CREDIT = """
UPDATE payments_giftcard SET balance = balance + %(amount)s
WHERE id = %(card)s AND status = 'active'
RETURNING balance
"""
_ACTIVATE = """
UPDATE payments_giftcard SET status = 'active', balance = balance + initial_amount, activated_at = %(now)s
WHERE id = %(card)s AND status = 'inactive'
RETURNING initial_amount
"""


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _amount(amount: Decimal, currency: str) -> Decimal:
    if not isinstance(amount, Decimal):
        raise GiftCardError(_("A gift card amount is a Decimal."), reason="amount")
    rounded = round_money(amount, currency)
    if rounded <= 0:
        raise GiftCardError(_("A gift card amount must be more than zero."), reason="amount")
    return rounded


def _post(entry_for: GiftCardTransaction, *, debit: str, credit: str, currency: str, user, memo: str = "") -> None:
    amount = abs(entry_for.amount)
    ledger_post(
        source=entry_for, kind=f"gift_card.{entry_for.kind}", user=user, on_date=business_date(entry_for.created_at),
        currency=currency, memo=memo or entry_for.memo,
        lines=[PostingLine(role=debit, debit=amount, memo=entry_for.card.masked_code),
               PostingLine(role=credit, credit=amount, memo=entry_for.card.masked_code)],
    )


def _new_card(*, amount: Decimal, currency: str, kind: str, status: str, funded_by: str, user,
              expires_on: date | None, reason: str = "", order_line=None) -> GiftCard:
    """A card with a fresh code, loaded with ``amount`` when it is created active; the full code
    is on the returned object's ``code`` only."""
    # One code in 2**79: two cards drawing the same one is left to the unique constraint to refuse.
    code = code_generate()
    card = GiftCard.objects.create(
        code_hash=code_hash(code), last4=code_last4(code), kind=kind, status=status, currency=currency,
        initial_amount=amount, balance=amount if status == Status.ACTIVE else Decimal("0"),
        activated_at=timezone.now() if status == Status.ACTIVE else None, expires_on=expires_on, funded_by=funded_by,
        reason=reason.strip()[:500], source_order_line=order_line, issued_by=_user_or_none(user))
    card.code = code
    return card


def _load(card: GiftCard, amount: Decimal, *, kind: str, user, memo: str, post: bool = True) -> GiftCard:
    """Credit a new card with its first transaction (an issue or an activation) and post it
    (unless the caller's own entry credits the liability: a shipment of the card's order line)."""
    entry_for = GiftCardTransaction.objects.create(card=card, kind=kind, amount=amount, memo=memo,
                                                   created_by=_user_or_none(user))
    if post:
        _post(entry_for, debit=card.funded_by, credit=LIABILITY, currency=card.currency, user=user)
    return card


def gift_card_issue(*, amount: Decimal, currency: str | None = None, user, reason: str,
                    expires_on: date | None = None) -> GiftCard:
    """A goodwill card, active at once, issued by a Manager (``payments.issue_goodwill_giftcard``).

    Posts Dr customer goodwill (expense), Cr gift card liability. The returned card carries its
    full code in ``code``: show it once, it is stored only as a hash.
    """
    if user is None or not user.has_perm(ISSUE_GOODWILL_PERMISSION):
        raise GiftCardError(_("Only a manager may issue goodwill gift cards."), reason="permission")
    if not reason or not reason.strip():
        raise GiftCardError(_("A goodwill gift card needs a reason."), reason="reason")
    currency = currency or settings.DEFAULT_CURRENCY
    amount = _amount(amount, currency)
    with transaction.atomic(durable=True):
        card = _new_card(amount=amount, currency=currency, kind=GiftCard.Kind.GOODWILL, status=Status.ACTIVE,
                         funded_by=GOODWILL, user=user, expires_on=expires_on, reason=reason)
        return _load(card, amount, kind=Kind.ISSUE, user=user, memo=reason.strip()[:500])


def gift_card_sell(*, amount: Decimal, currency: str | None = None, user, kind: str = GiftCard.Kind.SOLD,
                   order_line=None, funded_by: str = DEPOSITS, expires_on: date | None = None) -> GiftCard:
    """A card sold for ``amount``: inactive until :func:`gift_card_activate` (a physical card, at
    shipment), or active at once when ``kind`` is e-gift. The card carries its code in ``code``.

    ``funded_by`` is the posting role the activation debits: the order's customer deposits for a
    card sold on an order (the default), ``cash`` or ``card_clearing`` for one sold over the counter.
    Runs in its own transaction, or in the caller's when there is one (order entry).
    """
    if kind not in (GiftCard.Kind.SOLD, GiftCard.Kind.E_GIFT):
        raise GiftCardError(_("A sold gift card is a card or an e-gift card."), reason="kind")
    currency = currency or (order_line.order.currency if order_line is not None else settings.DEFAULT_CURRENCY)
    amount = _amount(amount, currency)
    with transaction.atomic(durable=not connection.in_atomic_block):
        card = _new_card(amount=amount, currency=currency, kind=kind, status=Status.INACTIVE, funded_by=funded_by,
                         user=user, expires_on=expires_on, order_line=order_line)
        if kind == GiftCard.Kind.E_GIFT:
            code = card.code
            card = _activate(card, user=user)
            card.code = code
        return card


def _activate(card: GiftCard, *, user, post: bool = True) -> GiftCard:
    with connection.cursor() as cursor:
        cursor.execute(_ACTIVATE, {"card": card.pk, "now": timezone.now()})
        row = cursor.fetchone()
    if row is None:
        fresh = GiftCard.objects.get(pk=card.pk)
        raise GiftCardError(_("Gift card %(card)s is %(status)s, not waiting for activation.")
                            % {"card": fresh.masked_code, "status": fresh.get_status_display()}, reason="status")
    card = GiftCard.objects.get(pk=card.pk)
    return _load(card, row[0], kind=Kind.ACTIVATE, user=user, memo=_("Activated"), post=post)


def gift_card_activate(*, card: GiftCard, user) -> GiftCard:
    """Activate a sold card: its balance becomes its amount, posted Dr ``funded_by``, Cr liability.

    Refused for a card that is not inactive. In its own transaction, or the caller's (shipment).
    """
    with transaction.atomic(durable=not connection.in_atomic_block):
        return _activate(card, user=user)


def gift_cards_activate_for_order_lines(*, order_line_ids: Iterable[int], user) -> list[GiftCard]:
    """Activate the inactive cards sold on these order lines (what fulfillment calls at shipment),
    in the caller's transaction, in pk order."""
    with transaction.atomic(savepoint=False):
        cards = list(GiftCard.objects.filter(source_order_line_id__in=list(order_line_ids), status=Status.INACTIVE)
                     .order_by("pk"))
        return [_activate(card, user=user) for card in cards]


def gift_cards_activate_shipped(*, order_id: int, user) -> list[GiftCard]:
    """Activate the cards sold on an order's lines as far as the lines have shipped: a line with
    ``quantity_shipped`` n has its first n cards (in pk order) active. Safe to run again (what is
    active stays so); what fulfillment's ``shipment_confirmed`` sets off."""
    from orders.models import OrderLine

    with transaction.atomic(durable=True):
        shipped = dict(OrderLine.objects.filter(order_id=order_id).values_list("pk", "quantity_shipped"))
        cards = list(GiftCard.objects.filter(source_order_line_id__in=list(shipped)).order_by("pk")
                     .select_for_update(no_key=True))
        loaded: dict[int, int] = {}
        for card in cards:
            if card.status != Status.INACTIVE:
                loaded[card.source_order_line_id] = loaded.get(card.source_order_line_id, 0) + 1
        activated = []
        for card in cards:
            line_id = card.source_order_line_id
            if card.status == Status.INACTIVE and loaded.get(line_id, 0) < shipped[line_id]:
                activated.append(_activate(card, user=user))
                loaded[line_id] = loaded.get(line_id, 0) + 1
        return activated


def _unit_amounts(line) -> list:
    """What each open or shipped unit of a gift card line is worth: the line's amount net of tax
    shared out as a shipment shares it, so the cards add up to the line to the cent (a unit worth
    nothing, a free card, gets no card)."""
    order = line.order
    units = line.quantity - line.quantity_cancelled
    net = line.line_total - line.tax_amount
    amounts = [round_money(net * unit / units, order.currency) - round_money(net * (unit - 1) / units,
                                                                             order.currency)
               for unit in range(1, units + 1)]
    return [amount for amount in amounts if amount > 0]


def gift_cards_sell_for_line(*, line, user) -> list[GiftCard]:
    """The inactive cards of a gift card SKU's order line (``Sku.gift_card``), one per unit, in the
    caller's transaction (order placement, an edit); the new cards, each with its full code in ``code``.

    The units share the line's amount net of tax as a shipment shares it, so the cards add up
    to the line to the cent. Nothing is posted: the order's shipment (or its e-gift fulfilment)
    credits the liability for them instead of revenue when it activates them
    (:func:`gift_cards_ship`). ``funded_by`` is what that shipment debits (the order's deposits
    or receivables), for the record.

    Safe to call again after a change of the line (an edit, a cancellation): it brings the line's
    cards in line with its units not cancelled. Missing cards are made; surplus *inactive* cards
    are voided, newest first (nothing was booked for them, so nothing is posted); an inactive
    card's amount follows the line's new amount. An active card (an e-gift sent, a card shipped)
    is never voided here: its units are shipped, so no cancellation reaches them; giving its money
    back is a refund like any other.
    """
    from orders import hooks as order_hooks

    order = line.order
    wanted = _unit_amounts(line)
    live = list(GiftCard.objects.filter(source_order_line=line, status__in=(Status.INACTIVE, Status.ACTIVE))
                .order_by("pk").select_for_update(no_key=True))
    surplus = [card for card in live[len(wanted):] if card.status == Status.INACTIVE]
    if surplus:
        GiftCard.objects.filter(pk__in=[card.pk for card in surplus], status=Status.INACTIVE).update(
            status=Status.VOID)
    for card, amount in zip(live, wanted):
        if card.status == Status.INACTIVE and card.initial_amount != amount:
            GiftCard.objects.filter(pk=card.pk, status=Status.INACTIVE).update(initial_amount=amount)
    kind = GiftCard.Kind.E_GIFT if line.sku.gift_card == "electronic" else GiftCard.Kind.SOLD
    funded_by = order_hooks.shipment_debit_role(order) if len(wanted) > len(live) else DEPOSITS
    return [_new_card(amount=amount, currency=order.currency, kind=kind, status=Status.INACTIVE,
                      funded_by=funded_by, user=user, expires_on=None, order_line=line)
            for amount in wanted[len(live):]]


def gift_cards_ship(*, units_by_line: dict[int, int], user) -> dict[int, list[tuple[str, Decimal]]]:
    """Activate, without posting, ``units`` inactive cards (in pk order) of each order line, in the
    caller's transaction (a shipment, an e-gift fulfilment, whose entry credits the liability);
    ``{line id: [("gift_card_liability", the cards' amounts)]}``."""
    credits: dict[int, list[tuple[str, Decimal]]] = {}
    cards = list(GiftCard.objects.filter(source_order_line_id__in=list(units_by_line), status=Status.INACTIVE)
                 .order_by("pk").select_for_update(no_key=True))
    left = dict(units_by_line)
    for card in cards:
        line_id = card.source_order_line_id
        if left[line_id] > 0:
            left[line_id] -= 1
            loaded = _activate(card, user=user, post=False)
            credits.setdefault(line_id, [(LIABILITY, Decimal("0"))])
            credits[line_id][0] = (LIABILITY, credits[line_id][0][1] + loaded.initial_amount)
    return credits


def _refusal(card_id: int, amount: Decimal, today: date) -> GiftCardError:
    """Why a guarded UPDATE found no row to change, in words for the agent."""
    fresh = GiftCard.objects.get(pk=card_id)
    masked = fresh.masked_code
    if fresh.status == Status.EXPIRED or (fresh.expires_on is not None and fresh.expires_on < today):
        return GiftCardError(_("Gift card %(card)s has expired.") % {"card": masked}, reason="expired")
    if fresh.status != Status.ACTIVE:
        return GiftCardError(_("Gift card %(card)s is %(status)s.")
                             % {"card": masked, "status": fresh.get_status_display().lower()}, reason="status")
    return GiftCardError(
        _("Gift card %(card)s has %(balance)s left, less than %(amount)s.")
        % {"card": masked, "balance": round_money(fresh.balance, fresh.currency),
           "amount": amount}, reason="insufficient", balance=fresh.balance)


def gift_card_find(*, code: str) -> GiftCard:
    """The card with this code; GiftCardError (reason "unknown") when there is none."""
    card = GiftCard.objects.filter(code_hash=code_hash(code)).first() if code and code.strip() else None
    if card is None:
        raise GiftCardError(_("There is no gift card with that code."), reason="unknown")
    return card


class _Refused(Exception):
    """The guarded UPDATE found no row to change (raised inside the transaction, explained outside)."""

    def __init__(self, card_id: int, amount: Decimal, today: date):
        self.card_id, self.amount, self.today = card_id, amount, today


def _redeem(*, card: GiftCard | None, code: str | None, amount: Decimal, order, user, tender_id: int | None,
            memo: str, commit: bool) -> GiftCardTransaction:
    if card is None:
        card = gift_card_find(code=code or "")
    amount = _amount(amount, card.currency)
    if order is not None and order.currency != card.currency:
        raise GiftCardError(_("Gift card %(card)s is in %(card_currency)s, the order in %(order_currency)s.")
                            % {"card": card.masked_code, "card_currency": card.currency,
                               "order_currency": order.currency}, reason="currency")
    now = timezone.now()
    today = business_date(now)
    # The journal entry first, then the guarded UPDATE with the transaction row in one statement:
    # the card's row stays locked only from that statement to COMMIT, and the row's foreign key
    # check finds the card locked by this transaction itself.
    entry_for = GiftCardTransaction(id=_transaction_id(), card=card, kind=Kind.REDEEM, amount=-amount, order=order,
                                    tender_id=tender_id, memo=memo[:500], created_by=_user_or_none(user),
                                    created_at=now)
    _post(entry_for, debit=LIABILITY, credit=DEPOSITS, currency=card.currency, user=user,
          memo=memo or (_("Order %(number)s") % {"number": order.number} if order is not None else ""))
    statement = _REDEEM_AND_COMMIT if commit else _REDEEM
    try:
        with connection.cursor() as cursor:
            _prepare_redeem()
            cursor.execute(statement, {
                "card": card.pk, "amount": amount, "today": today, "id": entry_for.pk, "order": entry_for.order_id,
                "tender": tender_id, "memo": entry_for.memo, "user": entry_for.created_by_id, "now": now})
            if commit:
                cursor.nextset()  # past SET CONSTRAINTS, to the UPDATE's row
            card.balance = cursor.fetchone()[0]
    except DatabaseError as error:
        if getattr(error.__cause__, "sqlstate", None) == REFUSED_SQLSTATE:
            raise _Refused(card.pk, amount, today) from None
        if isinstance(error.__cause__, psycopg.errors.InvalidSqlStatementName):
            # The session lost its prepared statements (DISCARD ALL): this redemption fails (its
            # transaction is spoilt); the next one prepares the statement again.
            _prepared_sessions.discard(connection.connection)
        raise
    entry_for._state.adding = False
    return entry_for


def gift_card_redeem(*, card: GiftCard | None = None, code: str | None = None, amount: Decimal, order=None,
                     user, tender_id: int | None = None, memo: str = "") -> GiftCardTransaction:
    """Take ``amount`` off a card (given, or found by ``code``) for ``order``; the redemption row.

    Posts Dr gift card liability, Cr customer deposits. Refused (GiftCardError, nothing written)
    for an unknown code, a card that is not active or has expired, a currency other than the
    order's, or a balance below ``amount``; concurrent redemptions never overdraw.

    The guarded UPDATE and the COMMIT travel to the server in one message, so the card's row is
    locked for no round trip to this process (on a busy machine, waiting for the scheduler to run
    it again is what a hot card's redemptions would queue behind). Django's own COMMIT then finds
    the transaction closed and does nothing (psycopg skips it); on_commit callbacks still run.
    """
    # Only a transaction of our own may be committed early (inside a test's transaction, for one,
    # this atomic block is a savepoint and Django commits nothing).
    commit = not connection.in_atomic_block
    try:
        with transaction.atomic(durable=True):
            return _redeem(card=card, code=code, amount=amount, order=order, user=user, tender_id=tender_id,
                           memo=memo, commit=commit)
    except _Refused as refused:
        raise _refusal(refused.card_id, refused.amount, refused.today) from None


def gift_card_redeem_in_transaction(*, card: GiftCard | None = None, code: str | None = None, amount: Decimal,
                                    order=None, user, tender_id: int | None = None,
                                    memo: str = "") -> GiftCardTransaction:
    """:func:`gift_card_redeem` inside the caller's transaction (order placement), in a savepoint:
    when it is refused nothing of it remains and the caller's transaction goes on."""
    try:
        with transaction.atomic():
            return _redeem(card=card, code=code, amount=amount, order=order, user=user, tender_id=tender_id,
                           memo=memo, commit=False)
    except _Refused as refused:
        raise _refusal(refused.card_id, refused.amount, refused.today) from None


def gift_card_refund(*, card: GiftCard, amount: Decimal, order=None, user, tender_id: int | None = None,
                     debit_role: str = DEPOSITS, memo: str = "") -> GiftCardTransaction:
    """Put ``amount`` back on an active card (a refund to the gift card that paid); the refund row.

    Posts Dr ``debit_role`` (the order's customer deposits by default), Cr gift card liability:
    the redemption's posting reversed. Refused for a card that is not active (expired, void).
    Runs in its own transaction, or in the caller's (a refund service) in a savepoint.
    """
    amount = _amount(amount, card.currency)
    with transaction.atomic(durable=not connection.in_atomic_block):
        now = timezone.now()
        entry_for = GiftCardTransaction.objects.create(card=card, kind=Kind.REFUND, amount=amount, order=order,
                                                       tender_id=tender_id, memo=memo,
                                                       created_by=_user_or_none(user), created_at=now)
        _post(entry_for, debit=debit_role, credit=LIABILITY, currency=card.currency, user=user,
              memo=memo or (_("Refund, order %(number)s") % {"number": order.number} if order is not None else ""))
        with connection.cursor() as cursor:
            cursor.execute(_CREDIT, {"card": card.pk, "amount": amount})
            row = cursor.fetchone()
        if row is None:
            raise _refusal(card.pk, amount, business_date(now))
        card.balance = row[0]
        return entry_for


def _lock_card(card_id: int) -> GiftCard:
    # NO KEY UPDATE: the balance and status change, never the key; transaction rows inserted by
    # others (KEY SHARE on the card) need not wait.
    return GiftCard.objects.select_for_update(no_key=True).get(pk=card_id)


def gift_card_expire(*, card: GiftCard, user) -> GiftCard:
    """Expire a card: what is left on it becomes breakage (Dr liability, Cr gift card breakage)
    and it can no longer be used. A card already expired or void is returned unchanged."""
    with transaction.atomic(durable=True):
        locked = _lock_card(card.pk)
        if locked.status not in (Status.ACTIVE, Status.INACTIVE):
            return locked
        left = locked.balance
        if left > 0:
            entry_for = GiftCardTransaction.objects.create(card=locked, kind=Kind.EXPIRE, amount=-left,
                                                           memo=_("Expired"), created_by=_user_or_none(user))
            _post(entry_for, debit=LIABILITY, credit=BREAKAGE, currency=locked.currency, user=user)
        GiftCard.objects.filter(pk=locked.pk).update(balance=Decimal("0"), status=Status.EXPIRED)
        locked.balance, locked.status = Decimal("0"), Status.EXPIRED
        return locked


def gift_cards_expire_due(*, today: date | None = None) -> int:
    """Expire every active or inactive card whose ``expires_on`` is before ``today`` (the shop's
    date by default), each in its own transaction; how many were expired. For the beat job."""
    today = today or business_date()
    due = list(GiftCard.objects.filter(status__in=(Status.ACTIVE, Status.INACTIVE), expires_on__lt=today)
               .order_by("pk").values_list("pk", flat=True))
    for card_id in due:
        gift_card_expire(card=GiftCard(pk=card_id), user=None)
    return len(due)
