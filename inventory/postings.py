"""The journal entries of stock movements, posted through ``oms.hooks.ledger_post``.

Every movement changes the stock's value (:mod:`inventory.valuation`), and the inventory
account moves with it, in the same transaction, against the account its kind posts to
(the posting map's roles; a ``role:qualifier`` falls back to ``role`` in the ledger):

============  ===============================  ===============================
movement      value in (> 0)                   value out (< 0)
============  ===============================  ===============================
receipt       Dr inventory, Cr ``grni``        (not made)
shipment      (not made)                       Dr ``cogs``, Cr inventory
return        Dr inventory, Cr ``cogs``        (not made)
adjustment    Dr inventory, Cr                 Dr ``adjustment.loss[:reason]``,
              ``adjustment.gain[:reason]``     Cr inventory
count         Dr inventory, Cr ``count.gain``  Dr ``count.loss``, Cr inventory
opening       Dr inventory, Cr ``opening_equity``
transfer      between the two warehouses' inventory accounts, only when they differ
============  ===============================  ===============================

The seeded map sends losses to shrinkage and gains to inventory adjustments.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.text import slugify

from oms.hooks import PostingLine, ledger_post

INVENTORY = "inventory"
OPENING = "opening"
IN_ROLES = {"receipt": "grni", "return": "cogs", "adjustment": "adjustment.gain", "count": "count.gain",
            "transfer": "inventory", OPENING: "opening_equity"}
OUT_ROLES = {"shipment": "cogs", "adjustment": "adjustment.loss", "count": "count.loss", "transfer": "inventory",
             "receipt": "grni", "return": "cogs"}


def business_date(moment=None) -> date:
    """The shop's calendar date of ``moment`` (now by default): what an entry is dated."""
    return timezone.localtime(moment or timezone.now(), ZoneInfo(settings.SHOP_TIME_ZONE)).date()


def counter_role(*, kind: str, value: Decimal, reason: str = "") -> str:
    """The role a movement's value posts against (the other side of the inventory line)."""
    role = (IN_ROLES if value > 0 else OUT_ROLES)[kind]
    if kind == "adjustment" and reason and slugify(reason):
        role = f"{role}:{slugify(reason)[:60]}"
    return role


def movement_lines(*, kind: str, value: Decimal, warehouse_id: int, reason: str = "", memo: str = "",
                   role: str | None = None) -> list[PostingLine]:
    """Inventory against the kind's counter role, for ``value`` (signed) at one warehouse."""
    other = role or counter_role(kind=kind, value=value, reason=reason)
    return [
        PostingLine.signed(value, role=INVENTORY, warehouse_id=warehouse_id, memo=memo),
        PostingLine.signed(-value, role=other, warehouse_id=warehouse_id, memo=memo),
    ]


def movement_post(movement, *, user):
    """The entry of one stock movement (None when it moved no value). In the caller's transaction."""
    if movement.value == 0:
        return None
    memo = movement.reason or movement.reference
    return ledger_post(
        source=movement, kind=f"stock.{movement.kind}", user=user, on_date=business_date(movement.created_at),
        memo=memo[:500],
        lines=movement_lines(kind=movement.kind, value=movement.value, warehouse_id=movement.warehouse_id,
                             reason=movement.reason, memo=f"{movement.sku_id}: {movement.quantity:+d}"),
    )


def transfer_post(*, out, into, user):
    """A transfer's entry: between the two warehouses' inventory accounts, or nothing when they share one."""
    value = into.value
    if value == 0:
        return None
    return ledger_post(
        source=into, kind="stock.transfer", user=user, on_date=business_date(into.created_at),
        memo=into.reference, net_same_account=True,
        lines=[PostingLine(role=INVENTORY, warehouse_id=into.warehouse_id, debit=value),
               PostingLine(role=INVENTORY, warehouse_id=out.warehouse_id, credit=value)],
    )


_MOVEMENT_TOTALS = """
SELECT warehouse_id, kind, CASE WHEN kind = 'adjustment' THEN reason ELSE '' END, value > 0, sum(value)
FROM inventory_stockmovement WHERE id = ANY(%s) AND value <> 0
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
"""


def movements_post(*, movement_ids: Iterable[int], source, kind: str, user, on_date: date | None = None,
                   memo: str = "", counter: str | None = None):
    """One entry for many (already valued) movements, set-based: for writers that insert movements
    in bulk (the demo's opening stock, a stock-count import). In the caller's transaction.

    The movements' values are summed per warehouse, movement kind and direction (and reason,
    for adjustments), each sum posting inventory against its counter role (``counter`` for
    all of them when given, e.g. ``"opening_equity"``). Idempotent on ``(source, kind)`` like
    every posting; None when the movements moved no value.
    """
    with connection.cursor() as cursor:
        cursor.execute(_MOVEMENT_TOTALS, [list(movement_ids)])
        totals = cursor.fetchall()
    lines: list[PostingLine] = []
    for warehouse_id, movement_kind, reason, _is_in, value in totals:
        lines += movement_lines(kind=movement_kind, value=value, warehouse_id=warehouse_id, reason=reason,
                                role=counter)
    if not lines:
        return None
    return ledger_post(source=source, kind=kind, user=user, on_date=on_date or business_date(), memo=memo,
                       lines=lines)
