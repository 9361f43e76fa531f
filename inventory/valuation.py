"""Perpetual inventory at moving average cost: the value of every stock movement, in one place.

Each stock row (SKU × warehouse) carries ``value``, always the sum of its movements' values, so
its average cost is ``value / on_hand``. A movement's value is rounded once, to the books'
currency (:func:`books_currency`), here:

- units in with a cost (a receipt) add ``quantity × unit_cost``;
- units in without a cost (a found adjustment, a count gain, a return) come in at the row's
  current average cost, or the SKU's standard cost when the row holds nothing;
- units out (an issue, a loss, a count short, a transfer out, a shipment) leave at the current
  average: ``value × quantity / on_hand``; when the last unit leaves, the whole remaining value
  leaves with it, so no cents are ever stranded on an empty row.

:data:`MOVEMENT_VALUE_SQL` is the same rule as a SQL expression for set-based writers, which
must give the same cents as :func:`movement_value` (tests compare them).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from oms.money import minor_unit_exponent, round_money

ZERO = Decimal("0")


def books_currency() -> str:
    """The currency the books (and so stock values) are kept in."""
    return settings.DEFAULT_CURRENCY


def movement_value(*, on_hand: int, value: Decimal, quantity: int, unit_cost: Decimal | None = None,
                   standard_cost: Decimal = ZERO, currency: str | None = None) -> Decimal:
    """The value a movement of ``quantity`` adds to a stock row holding ``on_hand`` units worth ``value``.

    Signed like ``quantity``. Rounded once, to ``currency`` (the books' currency by default).
    """
    currency = currency or books_currency()
    if quantity == 0:
        return round_money(ZERO, currency)
    if quantity > 0:
        if unit_cost is not None:
            return round_money(unit_cost * quantity, currency)
        if on_hand > 0:
            return round_money(value * quantity / on_hand, currency)
        return round_money(standard_cost * quantity, currency)
    if on_hand + quantity <= 0:  # the last units leave: everything that is left goes with them
        return -value
    return round_money(value * quantity / on_hand, currency)


def decimal_places(currency: str | None = None) -> int:
    return -minor_unit_exponent(currency or books_currency()).as_tuple().exponent


def movement_value_sql(*, on_hand: str, value: str, quantity: str, unit_cost: str = "NULL",
                       standard_cost: str = "0", currency: str | None = None) -> str:
    """:func:`movement_value` as a SQL expression over the given column expressions.

    PostgreSQL's ``round(numeric, n)`` rounds half away from zero, as ROUND_HALF_UP does, and
    the division keeps more than enough digits for the tie cases to agree.
    """
    places = decimal_places(currency)
    return (
        f"(CASE WHEN ({quantity}) > 0 THEN "
        f"  CASE WHEN ({unit_cost}) IS NOT NULL THEN round(({unit_cost})::numeric * ({quantity}), {places}) "
        f"       WHEN ({on_hand}) > 0 THEN round(({value})::numeric * ({quantity}) / ({on_hand}), {places}) "
        f"       ELSE round(({standard_cost})::numeric * ({quantity}), {places}) END "
        f" WHEN ({on_hand}) + ({quantity}) <= 0 THEN -({value}) "
        f" ELSE round(({value})::numeric * ({quantity}) / ({on_hand}), {places}) END)"
    )
