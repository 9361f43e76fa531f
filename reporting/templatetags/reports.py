import datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import format_html

from oms.templatetags.oms import money, number

register = template.Library()


@register.simple_tag
def report_cell(column, row) -> str:
    """A row's value for a column, as the column's kind shows it (money in the row's currency)."""
    value = row.get(column.key)
    if value is None or value == "":
        return "—"
    if column.kind == "money":
        return money(value, row.get("currency", ""))
    if column.kind in ("int", "decimal"):
        return number(value)
    if column.kind == "date":
        if isinstance(value, datetime.datetime):
            return date_filter(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
        return date_filter(value, "SHORT_DATE_FORMAT")
    if column.kind == "link" and row.get(f"{column.key}_url"):
        return format_html('<a href="{}">{}</a>', row[f"{column.key}_url"], value)
    return str(value)


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)
