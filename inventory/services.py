"""Stock writes. Every change of on_hand posts a StockMovement in the same transaction.

Locking: stock rows are locked in (sku id, warehouse id) order, and a SKU row (for its
average cost) before any stock row, so two operations can never wait on each other in a
cycle. Reservations use one guarded UPDATE per stock row, issued last so the row lock is
held only until the commit that follows; a reservation on a single stock row is one statement
that both updates and inserts, so outside a transaction it commits at once.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import psycopg
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Sku
from catalog.selectors import kit_expand
from inventory import hooks
from inventory.errors import InsufficientStock, InventoryError
from inventory.models import PurchaseOrder, PurchaseOrderLine, Reservation, StockLevel, StockMovement, Warehouse
from inventory.postings import business_date, movement_lines, movement_post, movements_post, transfer_post
from inventory.valuation import movement_value, movement_value_sql
from oms.hooks import ledger_post

COST_STEP = Decimal("0.001")


def _lock_levels(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], StockLevel]:
    """Lock the stock rows of (sku id, warehouse id) pairs in a fixed order, creating missing ones."""
    pairs = sorted(set(pairs))
    StockLevel.objects.bulk_create(
        [StockLevel(sku_id=sku_id, warehouse_id=warehouse_id) for sku_id, warehouse_id in pairs],
        ignore_conflicts=True,
    )
    levels: dict[tuple[int, int], StockLevel] = {}
    for sku_id, warehouse_id in pairs:  # one row at a time: the lock order is the loop order
        level = StockLevel.objects.select_for_update(no_key=True).get(sku_id=sku_id, warehouse_id=warehouse_id)
        levels[(sku_id, warehouse_id)] = level
    return levels


def _refuse_kit(sku: Sku) -> None:
    if sku.is_kit:
        raise InventoryError(_("%(code)s is a kit: kits hold no stock of their own; move its components.")
                             % {"code": sku.code})


def _post(level: StockLevel, *, kind: str, quantity: int, user, reason: str = "", reference: str = "",
          unit_cost: Decimal | None = None, purchase_order_line: PurchaseOrderLine | None = None,
          value: Decimal | None = None, post: bool = True) -> StockMovement:
    """Add ``quantity`` to a locked stock row and record the movement, with its value and its entry.

    The movement's value follows :mod:`inventory.valuation` (moving average cost) unless
    ``value`` is given (a transfer's units arrive with the value they left with). With ``post``
    its journal entry (:mod:`inventory.postings`) is written in the same transaction.
    """
    if quantity == 0:
        raise InventoryError(_("A stock movement needs a quantity other than zero."))
    new_on_hand = level.on_hand + quantity
    if new_on_hand < level.reserved:
        raise InventoryError(
            _("Only %(free)d of %(code)s are free at %(warehouse)s (%(reserved)d reserved); "
              "cannot take away %(quantity)d.")
            % {"free": level.available, "code": level.sku.code, "warehouse": level.warehouse.code,
               "reserved": level.reserved, "quantity": -quantity}
        )
    if value is None:
        needs_standard_cost = quantity > 0 and unit_cost is None and level.on_hand <= 0
        value = movement_value(on_hand=level.on_hand, value=level.value, quantity=quantity, unit_cost=unit_cost,
                               standard_cost=level.sku.cost if needs_standard_cost else Decimal("0"))
    StockLevel.objects.filter(pk=level.pk).update(on_hand=F("on_hand") + quantity, value=F("value") + value,
                                                  updated_at=timezone.now())
    level.on_hand = new_on_hand
    level.value += value
    movement = StockMovement.objects.create(
        sku_id=level.sku_id, warehouse_id=level.warehouse_id, kind=kind, quantity=quantity, reason=reason,
        reference=reference, unit_cost=unit_cost, purchase_order_line=purchase_order_line, created_by=user,
        value=value,
    )
    if post:
        movement_post(movement, user=user)
    return movement


def _announce_arrival(sku_ids: set[int], warehouse_id: int) -> None:
    transaction.on_commit(lambda: hooks.stock_arrived(sku_ids, warehouse_id))


def stock_adjust(*, sku: Sku, warehouse: Warehouse, quantity: int, reason: str, user) -> StockMovement:
    """Add (positive) or remove (negative) units with a reason, e.g. damage or found stock."""
    if not reason.strip():
        raise InventoryError(_("An adjustment needs a reason."))
    _refuse_kit(sku)
    with transaction.atomic(durable=True):
        level = _lock_levels([(sku.pk, warehouse.pk)])[(sku.pk, warehouse.pk)]
        movement = _post(level, kind=StockMovement.Kind.ADJUSTMENT, quantity=quantity, user=user,
                         reason=reason.strip())
        if quantity > 0:
            _announce_arrival({sku.pk}, warehouse.pk)
    return movement


def stock_missing(*, sku: Sku, warehouse: Warehouse, quantity: int, reason: str, user,
                  reference: str = "") -> list[StockMovement]:
    """Units found missing where they should have been (a short pick), inside the caller's transaction.

    Each stocked SKU (a kit's components) loses the missing units, as far as its free units
    allow, as an adjustment movement with its posting, so the next allocation does not send a
    picker back to the same empty bin. Call after releasing the reservation of the units.
    """
    if quantity <= 0:
        return []
    needs = sorted(kit_expand(sku=sku, quantity=quantity).items())
    movements = []
    with transaction.atomic(savepoint=False):
        levels = _lock_levels([(sku_id, warehouse.pk) for sku_id, _units in needs])
        for sku_id, units in needs:
            level = levels[(sku_id, warehouse.pk)]
            gone = min(units, level.on_hand - level.reserved)
            if gone > 0:
                movements.append(_post(level, kind=StockMovement.Kind.ADJUSTMENT, quantity=-gone, user=user,
                                       reason=reason.strip()[:200], reference=reference))
    return movements


def stock_count(*, sku: Sku, warehouse: Warehouse, counted: int, user, reason: str = "") -> StockMovement | None:
    """Set on_hand to a counted quantity; posts the difference as a count movement (None if equal)."""
    if counted < 0:
        raise InventoryError(_("A count cannot be negative."))
    _refuse_kit(sku)
    # A savepoint of its own: an import that counts row by row goes on past a refused row.
    with transaction.atomic():
        level = _lock_levels([(sku.pk, warehouse.pk)])[(sku.pk, warehouse.pk)]
        difference = counted - level.on_hand
        if difference == 0:
            return None
        movement = _post(level, kind=StockMovement.Kind.COUNT, quantity=difference, user=user,
                         reason=reason or _("Counted %(counted)d") % {"counted": counted})
        if difference > 0:
            _announce_arrival({sku.pk}, warehouse.pk)
    return movement


class StockCountConflict(InventoryError):
    """Orders reserved more than a count leaves on hand since the count was checked; nothing was written."""


def stock_count_lock(*, pairs: str) -> None:
    """Lock, in (sku, warehouse) order, the existing stock rows of ``pairs`` until the transaction ends.

    ``pairs`` is a SQL relation (a table or a parenthesised query, trusted: written by the
    caller, never from user input) with ``sku_id`` and ``warehouse_id`` columns. A caller that
    judges counts against ``reserved`` takes this first, so what it judged cannot change before
    :func:`stock_count_many` writes.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT l.id FROM inventory_stocklevel l "
                       f"JOIN {pairs} p ON p.sku_id = l.sku_id AND p.warehouse_id = l.warehouse_id "
                       f"ORDER BY l.sku_id, l.warehouse_id FOR NO KEY UPDATE OF l) AS locked")


def stock_count_many(*, counts: str, user, reference: str, source=None) -> int:
    """Post a whole set of counts at once, as :func:`stock_count` posts one, in set-based statements.

    ``counts`` is a SQL relation (trusted, as for :func:`stock_count_lock`) of ``sku_id``,
    ``warehouse_id`` and ``counted``: one row per stock row, no kits, counts of zero or more.
    On hand becomes the count and every difference is a ``count`` movement with ``reference``;
    a count below what is reserved raises :class:`StockCountConflict` and writes nothing. Stock
    that grew is announced after commit (backorders wait for it). Each movement is valued at
    moving average cost (``inventory.valuation``, its SQL form), the stock row's value moves with
    on hand, and the movements post as one journal entry for ``source`` (the import job; the
    first movement when none is given). Runs in the caller's transaction (or its own). Returns
    the number of movements posted.
    """
    from oms.imports.engine import insert_columns

    levels_of_counts = (f"FROM inventory_stocklevel l JOIN {counts} c "
                        f"ON c.sku_id = l.sku_id AND c.warehouse_id = l.warehouse_id")
    template = _("Counted %(counted)d")
    before, _marker, after = template.partition("%(counted)d")
    level_columns, level_expressions, level_params = insert_columns(StockLevel, {
        "sku_id": "c.sku_id", "warehouse_id": "c.warehouse_id", "on_hand": "0", "reserved": "0"})
    movement_columns, movement_expressions, movement_params = insert_columns(StockMovement, {
        "sku_id": "d.sku_id", "warehouse_id": "d.warehouse_id",
        "kind": ("%s", [StockMovement.Kind.COUNT.value]), "quantity": "d.quantity",
        "reason": ("%s || d.counted::text || %s", [before, after]),
        "reference": ("%s", [reference]), "created_by_id": ("%s", [getattr(user, "pk", None)]),
        "value": "d.value",
    })
    value = movement_value_sql(on_hand="l.on_hand", value="l.value", quantity="c.counted - l.on_hand",
                               standard_cost="s.cost")
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO inventory_stocklevel ({level_columns}) SELECT {level_expressions} "
                       f"FROM {counts} c WHERE c.counted > 0 ORDER BY c.sku_id, c.warehouse_id "
                       f"ON CONFLICT (sku_id, warehouse_id) DO NOTHING", level_params)
        # Every stock row of the counts, locked in (sku, warehouse) order: the next statements then
        # see the on hand and reserved that no one else can change before this transaction ends.
        stock_count_lock(pairs=counts)
        cursor.execute(f"SELECT count(*) {levels_of_counts} WHERE c.counted < l.reserved")
        if cursor.fetchone()[0]:
            raise StockCountConflict(_("Orders reserved some of these SKUs while the counts were being posted."))
        cursor.execute(
            f"WITH differences AS (SELECT l.id, l.sku_id, l.warehouse_id, c.counted, "
            f"  c.counted - l.on_hand AS quantity, {value} AS value "
            f"  {levels_of_counts} JOIN catalog_sku s ON s.id = l.sku_id WHERE l.on_hand <> c.counted), "
            f"moved AS (UPDATE inventory_stocklevel l SET on_hand = d.counted, value = l.value + d.value, "
            f"  updated_at = now() FROM differences d WHERE l.id = d.id RETURNING l.id), "
            f"posted AS (INSERT INTO inventory_stockmovement ({movement_columns}) SELECT {movement_expressions} "
            f"  FROM differences d ORDER BY d.sku_id, d.warehouse_id RETURNING id, sku_id, warehouse_id, quantity) "
            f"SELECT warehouse_id, array_agg(sku_id) FILTER (WHERE quantity > 0), array_agg(id) "
            f"FROM posted GROUP BY warehouse_id", movement_params)
        movement_ids: list[int] = []
        for warehouse_id, grown_sku_ids, ids in cursor.fetchall():
            movement_ids += ids
            if grown_sku_ids:
                _announce_arrival(set(grown_sku_ids), warehouse_id)
        if movement_ids:
            first = ("inventory.stockmovement", str(min(movement_ids)))
            movements_post(movement_ids=movement_ids, source=source or first, kind="stock.count_import", user=user,
                           memo=_("Stock count %(reference)s") % {"reference": reference})
    return len(movement_ids)


def stock_history_many(*, shipped: str, params: dict, reason: str, source) -> int:
    """Past units that came in and went out again, as pairs of movements that net to zero: a demo's
    shipments from before its opening stock (``orders.fulfillment.demo``).

    ``shipped`` is a SQL query (trusted, with ``params``) of ``number`` (the shipment's, the
    movements' reference), ``warehouse_id``, ``shipped_at``, ``sku_id`` (no kits), ``units`` and
    ``unit_cost``. Each row becomes a ``receipt`` the day before, with ``reason``, and the
    ``shipment`` of those units at that time; stock rows are made where missing, and on hand and
    the stock value stay as they are (``on_hand == Σ movements`` holds). The receipts post as one
    entry for ``source`` against opening equity, as opening stock does (the shipments are booked
    with their ship confirmations). Runs in the caller's transaction; returns the number of
    shipment movements.
    """
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(f"""
            WITH leaf AS ({shipped}), levels AS (
                INSERT INTO inventory_stocklevel (sku_id, warehouse_id, on_hand, reserved, value, updated_at)
                SELECT DISTINCT sku_id, warehouse_id, 0, 0, 0, now() FROM leaf
                ON CONFLICT (sku_id, warehouse_id) DO NOTHING
            ), receipts AS (
                INSERT INTO inventory_stockmovement (sku_id, warehouse_id, kind, quantity, unit_cost, value, reason,
                                                     reference, purchase_order_line_id, created_by_id, created_at)
                SELECT sku_id, warehouse_id, 'receipt', units, unit_cost, round(units * unit_cost, 2),
                       %(history_reason)s, 'history:' || number, NULL, NULL, shipped_at - interval '1 day' FROM leaf
                RETURNING id
            ), shipments AS (
                INSERT INTO inventory_stockmovement (sku_id, warehouse_id, kind, quantity, unit_cost, value, reason,
                                                     reference, purchase_order_line_id, created_by_id, created_at)
                SELECT sku_id, warehouse_id, 'shipment', -units, unit_cost, -round(units * unit_cost, 2), '', number,
                       NULL, NULL, shipped_at FROM leaf
                RETURNING id
            )
            SELECT (SELECT array_agg(id) FROM receipts), (SELECT count(*) FROM shipments)
            """, {**params, "history_reason": reason})
        receipt_ids, shipments = cursor.fetchone()
        if receipt_ids:
            movements_post(movement_ids=receipt_ids, source=source, kind="stock.opening", user=None,
                           counter="opening_equity", memo=reason)
    return shipments


def stock_transfer(*, sku: Sku, source: Warehouse, destination: Warehouse, quantity: int, user,
                   reason: str = "") -> tuple[StockMovement, StockMovement]:
    """Move free units from one warehouse to another: a pair of transfer movements."""
    if quantity <= 0:
        raise InventoryError(_("Transfer a positive quantity."))
    if source.pk == destination.pk:
        raise InventoryError(_("Choose two different warehouses."))
    _refuse_kit(sku)
    reference = f"transfer:{uuid.uuid4().hex[:12]}"
    with transaction.atomic(durable=True):
        levels = _lock_levels([(sku.pk, source.pk), (sku.pk, destination.pk)])
        out = _post(levels[(sku.pk, source.pk)], kind=StockMovement.Kind.TRANSFER, quantity=-quantity, user=user,
                    reason=reason or _("To %(code)s") % {"code": destination.code}, reference=reference, post=False)
        into = _post(levels[(sku.pk, destination.pk)], kind=StockMovement.Kind.TRANSFER, quantity=quantity,
                     user=user, reason=reason or _("From %(code)s") % {"code": source.code}, reference=reference,
                     value=-out.value, post=False)
        transfer_post(out=out, into=into, user=user)
        _announce_arrival({sku.pk}, destination.pk)
    return out, into


def stock_receive(*, sku: Sku, warehouse: Warehouse, quantity: int, unit_cost: Decimal, user, reference: str = "",
                  purchase_order_line: PurchaseOrderLine | None = None) -> StockMovement:
    """Receive units at a cost; the SKU's average cost moves to the weighted average."""
    if quantity <= 0:
        raise InventoryError(_("Receive a positive quantity."))
    _refuse_kit(sku)
    with transaction.atomic(savepoint=False):
        locked_sku = Sku.objects.select_for_update(no_key=True).get(pk=sku.pk)
        on_hand_before = StockLevel.objects.filter(sku=locked_sku).aggregate(total=Sum("on_hand"))["total"] or 0
        level = _lock_levels([(sku.pk, warehouse.pk)])[(sku.pk, warehouse.pk)]
        movement = _post(level, kind=StockMovement.Kind.RECEIPT, quantity=quantity, user=user, reference=reference,
                         unit_cost=unit_cost, purchase_order_line=purchase_order_line)
        base = max(on_hand_before, 0)
        average = (locked_sku.average_cost * base + unit_cost * quantity) / (base + quantity)
        Sku.objects.filter(pk=sku.pk).update(average_cost=average.quantize(COST_STEP, rounding=ROUND_HALF_UP))
        _announce_arrival({sku.pk}, warehouse.pk)
    return movement


def stock_return(*, sku: Sku, warehouse: Warehouse, quantity: int, user, reference: str = "",
                 unit_cost: Decimal | None = None, reason: str = "", post: bool = True) -> StockMovement:
    """Returned units back on the shelf (orders' returns call this), in the caller's transaction.

    They come back at ``unit_cost`` (the cost they left with, when the caller knows it), else at
    the current average cost; the entry is inventory against COGS. Without ``post`` the caller
    puts the movement's lines (``inventory.postings.movement_lines``) in its own entry.
    """
    if quantity <= 0:
        raise InventoryError(_("Return a positive quantity."))
    _refuse_kit(sku)
    with transaction.atomic(savepoint=False):
        level = _lock_levels([(sku.pk, warehouse.pk)])[(sku.pk, warehouse.pk)]
        movement = _post(level, kind=StockMovement.Kind.RETURN, quantity=quantity, user=user, reference=reference,
                         unit_cost=unit_cost, reason=reason[:200], post=post)
        _announce_arrival({sku.pk}, warehouse.pk)
    return movement


_GUARDED_RESERVE = (
    "UPDATE inventory_stocklevel SET reserved = reserved + %s, updated_at = now() "
    "WHERE sku_id = %s AND warehouse_id = %s AND on_hand - reserved >= %s"
)
# One stock row: the guarded UPDATE and the reservation row it pays for, in one statement, prepared
# once per database session (see _reserve_one_row). Parameters: units, sku, warehouse, reference,
# group, requested sku, user, created at.
_ONE_ROW_STATEMENT = "inventory_reserve_one_row"
_ONE_ROW_PREPARE = f"""
PREPARE {_ONE_ROW_STATEMENT} (integer, bigint, bigint, text, uuid, bigint, bigint, timestamptz) AS
WITH held AS (
    UPDATE inventory_stocklevel SET reserved = reserved + $1, updated_at = now()
    WHERE sku_id = $2 AND warehouse_id = $3 AND on_hand - reserved >= $1
    RETURNING sku_id
)
INSERT INTO inventory_reservation
    (sku_id, warehouse_id, quantity, status, reference, "group", requested_sku_id, created_by_id, created_at)
SELECT sku_id, $3, $1, '{Reservation.Status.OPEN.value}', $4, $5, $6, $7, $8
FROM held
RETURNING id
"""
_ONE_ROW_EXECUTE = f"EXECUTE {_ONE_ROW_STATEMENT} (%s, %s, %s, %s, %s, %s, %s, %s)"
# The fields of the Reservation built from what the statement was given (and the id it returns).
_ONE_ROW_FIELDS = ("id", "sku_id", "warehouse_id", "quantity", "status", "reference", "group", "requested_sku_id",
                   "created_by_id", "created_at", "closed_at")
# The database sessions (psycopg connections) that have the statement prepared.
_prepared_sessions: weakref.WeakSet = weakref.WeakSet()


def stock_reserve(*, sku: Sku, warehouse: Warehouse, quantity: int, reference: str, user=None) -> list[Reservation]:
    """Hold ``quantity`` of ``sku`` at ``warehouse`` for ``reference``; a kit holds its components.

    All or nothing: raises InsufficientStock (and writes nothing) when any unit is missing.
    Each stock row moves by one guarded UPDATE in (sku, warehouse) order, so concurrent
    reservations neither oversell nor deadlock.
    """
    if quantity <= 0:
        raise InventoryError(_("Reserve a positive quantity."))
    group = uuid.uuid4()
    if not sku.is_kit:
        return [_reserve_one_row(sku_id=sku.pk, units=quantity, warehouse=warehouse, reference=reference,
                                 group=group, requested_sku=sku, user=user)]
    needs = sorted(kit_expand(sku=sku, quantity=quantity).items())
    if len(needs) == 1:
        sku_id, units = needs[0]
        return [_reserve_one_row(sku_id=sku_id, units=units, warehouse=warehouse, reference=reference, group=group,
                                 requested_sku=sku, user=user)]
    # A savepoint of its own: allocation catches InsufficientStock and backorders the line, so
    # the rows of a kit's components reserved before the one that ran short must be undone.
    with transaction.atomic():
        # Rows first, guarded UPDATEs last: the stock row locks are then held only until commit.
        reservations = Reservation.objects.bulk_create([
            Reservation(sku_id=sku_id, warehouse=warehouse, quantity=units, reference=reference, group=group,
                        requested_sku=sku, created_by=user)
            for sku_id, units in needs
        ])
        with connection.cursor() as cursor:
            for sku_id, units in needs:
                cursor.execute(_GUARDED_RESERVE, [units, sku_id, warehouse.pk, units])
                if cursor.rowcount != 1:
                    raise _insufficient(sku_id=sku_id, warehouse=warehouse, units=units)
    return reservations


def _prepare_one_row() -> None:
    """Prepare the one-row reservation in this database session, once.

    A SQL ``PREPARE`` lives as long as the session (a transaction rolled back keeps it) and is
    sent outside Django's cursor, as set-up rather than work: a reservation stays one logged
    statement. Django reconnects with a new session, which then prepares it again.
    """
    session = connection.connection
    if session not in _prepared_sessions:
        with connection.wrap_database_errors:
            session.execute(_ONE_ROW_PREPARE)
        _prepared_sessions.add(session)


def _reserve_one_row(*, sku_id: int, units: int, warehouse: Warehouse, reference: str, group: uuid.UUID,
                     requested_sku: Sku, user) -> Reservation:
    """Reserve on a single stock row with one statement.

    A statement is atomic on its own: the reservation row exists exactly when the guarded
    UPDATE matched. Outside a transaction it also commits on its own, so the stock row stays
    locked for one round trip instead of two (the UPDATE, then the COMMIT); that is what
    limits how fast a hot SKU sells. Inside a caller's transaction it holds the lock until
    that transaction ends, like any other write.

    The hot path of a flash sale, where every process queues on one row and shares the CPUs
    with the server, so it spends as little as it can besides the round trip
    (``inventory.reserve_hot_sku`` in ``make bench``; profiled, parsing and planning the
    statement anew each time was the largest cost after the wait): the statement is prepared
    once per session, only the new id comes back, and the Reservation is built from the values
    it was given. A prepared statement needs the session to itself: a direct connection or a
    session-mode pooler, as Django's persistent connections assume anyway.
    """
    user_id = user.pk if user is not None else None
    now = timezone.now()
    params = (units, sku_id, warehouse.pk, reference, group, requested_sku.pk, user_id, now)
    with connection.cursor() as cursor:
        _prepare_one_row()
        try:
            cursor.execute(_ONE_ROW_EXECUTE, params)
        except ProgrammingError as error:
            # The session lost its prepared statements (DEALLOCATE ALL, DISCARD ALL): prepare again.
            # Outside a transaction nothing happened yet, so try once more; inside one, the
            # transaction is spoilt and the caller's retry finds the statement prepared.
            if not isinstance(error.__cause__, psycopg.errors.InvalidSqlStatementName):
                raise
            _prepared_sessions.discard(connection.connection)
            if connection.in_atomic_block:
                raise
            _prepare_one_row()
            cursor.execute(_ONE_ROW_EXECUTE, params)
        row = cursor.fetchone()
    if row is None:
        raise _insufficient(sku_id=sku_id, warehouse=warehouse, units=units)
    return Reservation.from_db(connection.alias, _ONE_ROW_FIELDS, (
        row[0], sku_id, warehouse.pk, units, Reservation.Status.OPEN.value, reference, group, requested_sku.pk,
        user_id, now, None))


@dataclass(frozen=True)
class ReserveRequest:
    """One reservation of :func:`stock_reserve_many`: ``quantity`` of ``sku`` at a warehouse for ``reference``."""

    sku: Sku
    warehouse_id: int
    quantity: int
    reference: str


# Several reservations in one statement, all or nothing: the stock rows they need are locked in
# (sku, warehouse) order (the LockRows step runs above the sort), each is checked for enough
# free stock for all of them together, and only when every one has it do the rows move and the
# reservation rows appear. Otherwise nothing is written and no row comes back.
_RESERVE_MANY = """
WITH wanted AS (
    SELECT * FROM unnest(%(skus)s::bigint[], %(warehouses)s::bigint[], %(units)s::integer[], %(groups)s::uuid[],
                         %(requested)s::bigint[], %(references)s::text[])
        WITH ORDINALITY AS w (sku_id, warehouse_id, units, grp, requested_sku_id, reference, ordinal)
), totals AS (
    SELECT sku_id, warehouse_id, sum(units) AS units FROM wanted GROUP BY sku_id, warehouse_id
), locked AS (
    SELECT l.id, t.units, l.on_hand - l.reserved >= t.units AS enough
    FROM inventory_stocklevel l JOIN totals t ON t.sku_id = l.sku_id AND t.warehouse_id = l.warehouse_id
    ORDER BY l.sku_id, l.warehouse_id FOR NO KEY UPDATE OF l
), verdict AS (
    SELECT count(*) = (SELECT count(*) FROM totals) AND coalesce(bool_and(enough), false) AS ok FROM locked
), held AS (
    UPDATE inventory_stocklevel l SET reserved = l.reserved + k.units, updated_at = now()
    FROM locked k WHERE l.id = k.id AND (SELECT ok FROM verdict) AND l.on_hand - l.reserved >= k.units
    RETURNING l.id
)
INSERT INTO inventory_reservation
    (sku_id, warehouse_id, quantity, status, reference, "group", requested_sku_id, created_by_id, created_at)
SELECT sku_id, warehouse_id, units, %(status)s, reference, grp, requested_sku_id, %(user)s, %(now)s
FROM wanted WHERE (SELECT ok FROM verdict) AND (SELECT count(*) FROM held) = (SELECT count(*) FROM totals)
ORDER BY ordinal
RETURNING {columns}
"""


def stock_reserve_many(*, requests: list[ReserveRequest], user=None) -> list[list[Reservation]]:
    """Make several reservations at once, in one statement: the reservations of each request, in order.

    All or nothing, like :func:`stock_reserve` (kits hold their components, each request its
    own group): raises InsufficientStock, naming the first stock row short, and writes nothing
    when any unit is missing. For callers that reserve many rows in one transaction (an order's
    lines), where one round trip per row would hold every earlier row's lock the longer.
    """
    rows: list[tuple[int, int, int, uuid.UUID, int, str, int]] = []  # ..., index of the request
    for index, request in enumerate(requests):
        if request.quantity <= 0:
            raise InventoryError(_("Reserve a positive quantity."))
        group = uuid.uuid4()
        for sku_id, units in sorted(kit_expand(sku=request.sku, quantity=request.quantity).items()):
            rows.append((sku_id, request.warehouse_id, units, group, request.sku.pk, request.reference, index))
    if not rows:
        return [[] for _request in requests]
    fields = Reservation._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(_RESERVE_MANY.format(columns=columns), {
            "skus": [row[0] for row in rows], "warehouses": [row[1] for row in rows],
            "units": [row[2] for row in rows], "groups": [row[3] for row in rows],
            "requested": [row[4] for row in rows], "references": [row[5] for row in rows],
            "status": Reservation.Status.OPEN, "user": user.pk if user is not None else None, "now": timezone.now(),
        })
        made = cursor.fetchall()
    if not made:
        raise _first_short(rows)
    names = [field.attname for field in fields]
    result: list[list[Reservation]] = [[] for _request in requests]
    for row, values in zip(rows, made, strict=True):
        result[row[6]].append(Reservation.from_db(connection.alias, names, values))
    return result


def _first_short(rows: list[tuple]) -> InventoryError:
    """The InsufficientStock of the first (sku, warehouse) that cannot give what ``rows`` ask of it
    (an InventoryError when every one can now: the stock changed in between)."""
    wanted: dict[tuple[int, int], int] = {}
    for sku_id, warehouse_id, units, *_rest in rows:
        wanted[(sku_id, warehouse_id)] = wanted.get((sku_id, warehouse_id), 0) + units
    free = {(sku_id, warehouse_id): on_hand - reserved for sku_id, warehouse_id, on_hand, reserved in
            StockLevel.objects.filter(sku_id__in={key[0] for key in wanted}).values_list(
                "sku_id", "warehouse_id", "on_hand", "reserved")}
    for (sku_id, warehouse_id), units in sorted(wanted.items()):
        if free.get((sku_id, warehouse_id), 0) < units:
            return _insufficient(sku_id=sku_id, warehouse=Warehouse.objects.get(pk=warehouse_id), units=units)
    return InventoryError(_("The stock changed while reserving; try again."))


def _insufficient(*, sku_id: int, warehouse: Warehouse, units: int) -> InsufficientStock:
    on_hand, reserved = (StockLevel.objects.filter(sku_id=sku_id, warehouse=warehouse)
                         .values_list("on_hand", "reserved").first() or (0, 0))
    code = Sku.objects.values_list("code", flat=True).get(pk=sku_id)
    return InsufficientStock(
        _("Only %(available)d of %(code)s available at %(warehouse)s; %(units)d needed.")
        % {"available": on_hand - reserved, "code": code, "warehouse": warehouse.code, "units": units},
        sku_id=sku_id, warehouse_id=warehouse.pk, requested=units, available=on_hand - reserved,
    )


def stock_release(*, reference: str | None = None, group: uuid.UUID | None = None, user=None) -> int:
    """Release the open reservations of a reference or group; returns the units released."""
    if (reference is None) == (group is None):
        raise InventoryError(_("Release by reference or by group, not both."))
    with transaction.atomic(savepoint=False):
        open_rows = Reservation.objects.filter(status=Reservation.Status.OPEN)
        open_rows = open_rows.filter(reference=reference) if reference is not None else open_rows.filter(group=group)
        rows = list(open_rows.select_for_update(of=("self",)).order_by("pk"))
        if not rows:
            return 0
        per_level: dict[tuple[int, int], int] = {}
        for row in rows:
            per_level[(row.sku_id, row.warehouse_id)] = per_level.get((row.sku_id, row.warehouse_id), 0) + row.quantity
        Reservation.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=Reservation.Status.RELEASED, closed_at=timezone.now())
        for (sku_id, warehouse_id), units in sorted(per_level.items()):
            StockLevel.objects.filter(sku_id=sku_id, warehouse_id=warehouse_id).update(
                reserved=F("reserved") - units, updated_at=timezone.now())
        released = sum(per_level.values())
        for warehouse_id in {warehouse_id for _s, warehouse_id in per_level}:
            _announce_arrival({sku_id for sku_id, w in per_level if w == warehouse_id}, warehouse_id)
    return released


# --- locking stock for a plan ---------------------------------------------------------------
#
# For callers that decide what to reserve from the figures (order allocation): they lock the
# rows first, plan from what they read under the lock, then reserve with stock_reserve_many,
# all in their transaction. Every lock of stock rows that spans several of them is taken in
# (sku id, warehouse id) order, here, as _lock_levels and the reservation statements do.


@dataclass(frozen=True)
class LockedStock:
    """Stock rows locked by :func:`stock_lock_and_read`, with what was free on each."""

    available: dict[tuple[int, int], int]  # (stocked sku id, warehouse id) -> on hand - reserved
    warehouses: dict[int, Warehouse]  # the warehouses of those rows: pk, code and priority loaded


def _lock_stock_rows(*, sku_ids: set[int], columns: str, join: str = "", where: str = "",
                     params: tuple = ()) -> list[tuple]:
    """``SELECT columns`` of the stock rows (alias ``l``) of ``sku_ids``, locked in (sku, warehouse) order.

    ``FOR NO KEY UPDATE``: the rows' counters change, their keys never do, so this does not
    block the inserts of movements and reservations that reference them. Raw SQL: it runs on
    every order placed, where the ORM's compiling would cost more than the query.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM inventory_stocklevel l {join} WHERE l.sku_id = ANY(%s) {where} "
            "ORDER BY l.sku_id, l.warehouse_id FOR NO KEY UPDATE OF l", [sorted(sku_ids), *params])
        return cursor.fetchall()


def stock_lock_and_read(*, sku_ids: Iterable[int], warehouse_ids: Iterable[int] | None = None,
                        shipping_only: bool = False) -> LockedStock:
    """Lock the stock rows of stocked ``sku_ids`` at the active warehouses and read what is free.

    ``warehouse_ids`` narrows the warehouses, ``shipping_only`` keeps those that ship. The locks
    last until the caller's transaction ends, so what it plans from these figures can be
    reserved (``stock_reserve_many``) without a race; two callers queue instead of deadlocking.
    Rows with nothing free are locked too, so a receipt cannot slip in unseen: it waits. One query.
    """
    sku_ids = set(sku_ids)
    if not sku_ids:
        return LockedStock(available={}, warehouses={})
    where, params = "AND w.is_active", []
    if shipping_only:
        where += " AND w.ships"
    if warehouse_ids is not None:
        where += " AND w.id = ANY(%s)"
        params.append(sorted(set(warehouse_ids)))
    rows = _lock_stock_rows(sku_ids=sku_ids, columns="l.sku_id, l.warehouse_id, l.on_hand, l.reserved, w.code, "
                            "w.priority", join="JOIN inventory_warehouse w ON w.id = l.warehouse_id",
                            where=where, params=tuple(params))
    available: dict[tuple[int, int], int] = {}
    warehouses: dict[int, Warehouse] = {}
    for sku_id, warehouse_id, on_hand, reserved, code, priority in rows:
        available[(sku_id, warehouse_id)] = on_hand - reserved
        if warehouse_id not in warehouses:
            warehouses[warehouse_id] = Warehouse(pk=warehouse_id, code=code, priority=priority)
    return LockedStock(available=available, warehouses=warehouses)


def stock_lock(*, sku_ids: Iterable[int]) -> None:
    """Lock every stock row of stocked ``sku_ids``, at every warehouse, in (sku, warehouse) order.

    For changes that release some reservations and make others (cancel, edit, substitute):
    ``stock_release`` takes its rows one reservation group at a time, so without this first
    lock two such changes (or one and a placement) could take the same rows in different
    orders and deadlock. With it, every later statement finds its rows locked already.
    """
    sku_ids = set(sku_ids)
    if sku_ids:
        _lock_stock_rows(sku_ids=sku_ids, columns="1")


# --- purchase orders -----------------------------------------------------------------------


def _next_po_number() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('inventory_po_number_seq')")
        return f"PO{cursor.fetchone()[0]}"


def purchase_order_create(*, vendor, warehouse: Warehouse, lines: list[tuple[Sku, int, Decimal]], user,
                          expected_on=None, notes: str = "") -> PurchaseOrder:
    """A draft purchase order with (sku, quantity, unit cost) lines."""
    if not lines:
        raise InventoryError(_("A purchase order needs at least one line."))
    seen: set[int] = set()
    for sku, quantity, unit_cost in lines:
        _refuse_kit(sku)
        if quantity <= 0:
            raise InventoryError(_("Order a positive quantity of %(code)s.") % {"code": sku.code})
        if unit_cost < 0:
            raise InventoryError(_("The cost of %(code)s cannot be negative.") % {"code": sku.code})
        if sku.pk in seen:
            raise InventoryError(_("%(code)s is on the order twice.") % {"code": sku.code})
        seen.add(sku.pk)
    with transaction.atomic():
        order = PurchaseOrder.objects.create(number=_next_po_number(), vendor=vendor, warehouse=warehouse,
                                             currency=vendor.currency, expected_on=expected_on, notes=notes,
                                             created_by=user)
        PurchaseOrderLine.objects.bulk_create([
            PurchaseOrderLine(purchase_order=order, sku=sku, quantity_ordered=quantity, unit_cost=unit_cost)
            for sku, quantity, unit_cost in lines
        ])
    return order


def _lock_purchase_order(purchase_order: PurchaseOrder) -> PurchaseOrder:
    return PurchaseOrder.objects.select_for_update(no_key=True).get(pk=purchase_order.pk)


def _move(order: PurchaseOrder, status: str) -> None:
    if status not in PurchaseOrder.TRANSITIONS[order.status]:
        raise InventoryError(_("A purchase order that is %(current)s cannot become %(new)s.") % {
            "current": order.get_status_display(), "new": PurchaseOrder.Status(status).label})
    order.status = status


def _purchase_order_stamp(purchase_order: PurchaseOrder, status: str, stamp_field: str) -> PurchaseOrder:
    """Lock, move to ``status`` if the transitions table allows it, and stamp the time."""
    with transaction.atomic():
        order = _lock_purchase_order(purchase_order)
        _move(order, status)
        setattr(order, stamp_field, timezone.now())
        order.save(update_fields=["status", stamp_field])
    return order


def purchase_order_send(*, purchase_order: PurchaseOrder, user) -> PurchaseOrder:
    return _purchase_order_stamp(purchase_order, PurchaseOrder.Status.SENT, "sent_at")


def purchase_order_close(*, purchase_order: PurchaseOrder, user) -> PurchaseOrder:
    """Close: nothing more is expected (short-shipped lines stay short)."""
    return _purchase_order_stamp(purchase_order, PurchaseOrder.Status.CLOSED, "closed_at")


def purchase_order_cancel(*, purchase_order: PurchaseOrder, user) -> PurchaseOrder:
    return _purchase_order_stamp(purchase_order, PurchaseOrder.Status.CANCELLED, "closed_at")


def purchase_order_receive(*, purchase_order: PurchaseOrder, quantities: dict[int, int], user,
                           allow_over_receipt: bool = False) -> list[StockMovement]:
    """Receive quantities per line id; posts one receipt movement per line and moves the status.

    Over-receipt (more than still open on a line) is refused unless ``allow_over_receipt``,
    which views grant only to users with ``inventory.over_receive``. All or nothing.
    """
    wanted = {int(line_id): int(quantity) for line_id, quantity in quantities.items() if int(quantity) != 0}
    if any(quantity < 0 for quantity in wanted.values()):
        raise InventoryError(_("Received quantities cannot be negative."))
    if not wanted:
        raise InventoryError(_("Enter a quantity for at least one line."))
    with transaction.atomic():
        order = _lock_purchase_order(purchase_order)
        if order.status not in PurchaseOrder.RECEIVABLE_STATUSES:
            raise InventoryError(_("Purchase order %(number)s is %(status)s and cannot be received.")
                                 % {"number": order.number, "status": order.get_status_display()})
        lines = {line.pk: line for line in order.lines.select_related("sku").order_by("pk")}
        unknown = set(wanted) - set(lines)
        if unknown:
            raise InventoryError(_("Those lines are not on purchase order %(number)s.") % {"number": order.number})
        for line_id, quantity in wanted.items():
            line = lines[line_id]
            if quantity > line.quantity_open and not allow_over_receipt:
                raise InventoryError(
                    _("%(code)s: %(quantity)d received but only %(open)d still expected. "
                      "A manager may allow over-receipt.")
                    % {"code": line.sku.code, "quantity": quantity, "open": line.quantity_open})
        movements = []
        for line_id in sorted(wanted, key=lambda pk: lines[pk].sku_id):
            line, quantity = lines[line_id], wanted[line_id]
            movements.append(stock_receive(sku=line.sku, warehouse=order.warehouse, quantity=quantity,
                                           unit_cost=line.unit_cost, user=user, reference=order.number,
                                           purchase_order_line=line))
            PurchaseOrderLine.objects.filter(pk=line.pk).update(quantity_received=F("quantity_received") + quantity)
            line.quantity_received += quantity
        fully = all(line.quantity_received >= line.quantity_ordered for line in lines.values())
        _move(order, PurchaseOrder.Status.RECEIVED if fully else PurchaseOrder.Status.PARTIALLY_RECEIVED)
        order.save(update_fields=["status"])
    return movements


def integrity_error_message(error: IntegrityError) -> str:
    """A user-facing message for a stock constraint the database refused."""
    text = str(error)
    if "stock_reserved_within_on_hand" in text:
        return _("That would leave less stock on hand than is reserved.")
    if "stock_movements are never" in text or "never edited or deleted" in text:
        return _("Stock movements are never edited or deleted; post a correcting movement.")
    return _("The change was refused by a database rule.")


# --- shipping ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShipConsumption:
    """Units of one stocked SKU that leave ``warehouse_id`` from the open reservation of ``group`` (an
    order line's allocation; a kit's group holds a row per component)."""

    group: uuid.UUID
    sku_id: int
    warehouse_id: int
    units: int


@dataclass(frozen=True)
class ShippedStock:
    """What :func:`stock_ship` took out: the movements (one per stock row), their value (positive), and
    the lines of their entry (Dr COGS, Cr inventory) when the caller posts them in its own entry."""

    movements: list[StockMovement]
    value: Decimal
    posting_lines: list


# stock_ship's writes: the reservations consumed whole, the stock rows (locked already) down by the
# units and the value, and the ``shipment`` movements (their ids back, in the order given).
_SHIP_WRITES = """
WITH consumed AS (
    UPDATE inventory_reservation SET status = %(consumed)s, closed_at = %(now)s WHERE id = ANY(%(whole)s::bigint[])
), levels AS (
    UPDATE inventory_stocklevel l SET on_hand = l.on_hand - u.units, reserved = l.reserved - u.units,
        value = l.value + u.value, updated_at = now()
    FROM unnest(%(levels)s::bigint[], %(units)s::integer[], %(values)s::numeric[]) AS u (id, units, value)
    WHERE l.id = u.id
)
INSERT INTO inventory_stockmovement (sku_id, warehouse_id, kind, quantity, unit_cost, value, reason, reference,
                                     purchase_order_line_id, created_by_id, created_at)
SELECT m.sku_id, m.warehouse_id, %(kind)s, m.quantity, NULL, m.value, %(reason)s, %(reference)s, NULL, %(user)s,
       %(now)s
FROM unnest(%(skus)s::bigint[], %(warehouses)s::bigint[], %(quantities)s::integer[], %(values)s::numeric[])
     WITH ORDINALITY AS m (sku_id, warehouse_id, quantity, value, number)
ORDER BY m.number
RETURNING id
"""


def stock_ship(*, consumptions: list[ShipConsumption], user, reference: str, source=None, memo: str = "",
               post: bool = True) -> ShippedStock:
    """Units leave the warehouse for a customer: reservations are consumed, stock and its value go down.

    Every consumption takes ``units`` from the open reservation row of its group and SKU (the
    whole row becomes ``consumed``; a part splits the row into a consumed part and the open rest),
    and the stock row loses them from both ``on_hand`` and ``reserved``. Each stock row moves once,
    by one ``shipment`` movement valued at moving average cost (:mod:`inventory.valuation`).
    With ``post`` the movements post as one entry for ``source`` (Dr COGS, Cr inventory;
    :mod:`inventory.postings`); without it the caller puts ``posting_lines`` in its own entry in
    this transaction (the ship confirmation books revenue and cost as one entry). Stock rows are
    locked in (sku, warehouse) order, then the reservation rows in pk order, as everywhere else.
    Runs in the caller's transaction; raises :class:`InventoryError` (the caller's transaction is
    then spoilt) when a reservation does not hold the units.
    """
    if not consumptions:
        raise InventoryError(_("A shipment needs at least one unit."))
    wanted: dict[tuple[uuid.UUID, int], int] = {}
    per_level: dict[tuple[int, int], int] = {}
    for item in consumptions:
        if item.units <= 0:
            raise InventoryError(_("Ship a positive quantity."))
        wanted[(item.group, item.sku_id)] = wanted.get((item.group, item.sku_id), 0) + item.units
        per_level[(item.sku_id, item.warehouse_id)] = per_level.get((item.sku_id, item.warehouse_id), 0) + item.units
    now = timezone.now()
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        pairs = sorted(per_level)
        cursor.execute(
            "SELECT l.id, l.sku_id, l.warehouse_id, l.on_hand, l.reserved, l.value FROM inventory_stocklevel l "
            "JOIN unnest(%s::bigint[], %s::bigint[]) AS p (sku_id, warehouse_id) "
            "ON p.sku_id = l.sku_id AND p.warehouse_id = l.warehouse_id "
            "ORDER BY l.sku_id, l.warehouse_id FOR NO KEY UPDATE OF l",
            [[pair[0] for pair in pairs], [pair[1] for pair in pairs]])
        levels = {(sku_id, warehouse_id): (level_id, on_hand, reserved, value)
                  for level_id, sku_id, warehouse_id, on_hand, reserved, value in cursor.fetchall()}
        # The reservation rows, locked after the stock rows.
        cursor.execute("SELECT id, \"group\", sku_id, warehouse_id, quantity, reference, requested_sku_id "
                       "FROM inventory_reservation WHERE \"group\" = ANY(%s) AND status = %s "
                       "ORDER BY id FOR NO KEY UPDATE",
                       [sorted({group for group, _sku in wanted}), Reservation.Status.OPEN.value])
        by_key: dict[tuple[uuid.UUID, int], tuple] = {}
        for row in cursor.fetchall():
            by_key.setdefault((row[1], row[2]), row)
        consumed_whole: list[int] = []
        splits: list[Reservation] = []
        for (group, sku_id), units in wanted.items():
            row = by_key.get((group, sku_id))
            if row is None or row[4] < units or (sku_id, row[3]) not in per_level:
                raise InventoryError(_("Only %(held)d units are reserved for %(reference)s; %(units)d cannot ship.")
                                     % {"held": row[4] if row else 0, "reference": reference, "units": units})
            if row[4] == units:
                consumed_whole.append(row[0])
            else:
                Reservation.objects.filter(pk=row[0]).update(quantity=row[4] - units)
                splits.append(Reservation(sku_id=sku_id, warehouse_id=row[3], quantity=units,
                                          status=Reservation.Status.CONSUMED, reference=row[5], group=group,
                                          requested_sku_id=row[6], created_by=user, closed_at=now))
        movements: list[StockMovement] = []
        level_updates: list[tuple[int, int, Decimal]] = []
        for (sku_id, warehouse_id), units in sorted(per_level.items()):
            if (sku_id, warehouse_id) not in levels:
                raise InventoryError(_("The stock of %(reference)s is not on hand to ship.") % {"reference": reference})
            level_id, on_hand, reserved, level_value = levels[(sku_id, warehouse_id)]
            if on_hand < units or reserved < units:
                raise InventoryError(_("The stock of %(reference)s is not on hand to ship.") % {"reference": reference})
            value = movement_value(on_hand=on_hand, value=level_value, quantity=-units)
            level_updates.append((level_id, units, value))
            movements.append(StockMovement(sku_id=sku_id, warehouse_id=warehouse_id, kind=StockMovement.Kind.SHIPMENT,
                                           quantity=-units, reference=reference, created_by=user, value=value,
                                           reason=memo[:200]))
        if splits:
            Reservation.objects.bulk_create(splits)
        # The whole reservations consumed, the stock rows down and the movements in, in one statement.
        cursor.execute(_SHIP_WRITES, {
            "consumed": Reservation.Status.CONSUMED.value, "now": now, "whole": consumed_whole,
            "levels": [item[0] for item in level_updates], "units": [item[1] for item in level_updates],
            "values": [item[2] for item in level_updates], "skus": [movement.sku_id for movement in movements],
            "warehouses": [movement.warehouse_id for movement in movements],
            "quantities": [movement.quantity for movement in movements], "kind": StockMovement.Kind.SHIPMENT.value,
            "reason": memo[:200], "reference": reference, "user": user.pk if user is not None else None})
        for movement, (pk,) in zip(movements, cursor.fetchall(), strict=True):
            movement.pk, movement.created_at = pk, now
            movement._state.adding = False
        per_warehouse: dict[int, Decimal] = {}
        for movement in movements:
            per_warehouse[movement.warehouse_id] = per_warehouse.get(movement.warehouse_id, Decimal("0")) + movement.value
        posting_lines = []
        for warehouse_id, value in sorted(per_warehouse.items()):
            if value:
                posting_lines += movement_lines(kind=StockMovement.Kind.SHIPMENT, value=value,
                                                warehouse_id=warehouse_id, memo=reference)
        if post and posting_lines:
            if source is None:
                source = ("inventory.stockmovement", str(min(movement.pk for movement in movements)))
            ledger_post(source=source, kind="stock.shipment", user=user, on_date=business_date(now),
                        memo=(memo or reference)[:500], lines=posting_lines)
    total = sum((-movement.value for movement in movements), Decimal("0"))
    return ShippedStock(movements=movements, value=total, posting_lines=posting_lines)
