from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal
from django import template
from django.conf import settings
from django.utils.translation import get_language, to_locale

from oms.money import format_money

register = template.Library()


def _locale() -> str:
    return to_locale(get_language() or settings.LANGUAGE_CODE)


@register.filter
def money(amount, currency: str = "") -> str:
    """``{{ amount|money:"EUR" }}`` in the user's locale; blank for no amount."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return ""
    return format_money(value, currency or settings.DEFAULT_CURRENCY, _locale())


@register.filter
def number(value) -> str:
    """An integer or decimal with the locale's grouping and decimal marks."""
    if value is None or value == "":
        return ""
    return format_decimal(value, locale=_locale())
