"""Money: Decimal amounts rounded to the currency's minor unit, in one place."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel import Locale
from babel.numbers import format_currency, get_currency_precision


@cache
def minor_unit_exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-get_currency_precision(currency))


def round_money(amount: Decimal | int | str, currency: str) -> Decimal:
    """Round to the currency's minor unit (USD 2, JPY 0, KWD 3) with ROUND_HALF_UP."""
    if isinstance(amount, float):
        raise TypeError("money is never a float; pass a Decimal or a string")
    return Decimal(amount).quantize(minor_unit_exponent(currency), rounding=ROUND_HALF_UP)


@cache
def _locale(name: str) -> Locale:
    return Locale.parse(name.replace("-", "_"))


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    return format_currency(round_money(amount, currency), currency, locale=_locale(locale))
