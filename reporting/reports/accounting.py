"""Accounting reports: receivables aging (the receivables' own selector), refunds, gift card
liability and tax collected by jurisdiction."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from payments.giftcards.models import GiftCard
from payments.receivables import selectors as receivables
from payments.refunds.models import Refund
from reporting.db import reporting_alias
from reporting.reports.base import Column, DateRangeForm, Query, Report, ReportFilterForm, SortOption, SqlReport
from reporting.reports.registry import register
from reporting.rollups.definitions import day_start

PERMISSION = "reporting.view_accounting_reports"


class AgingForm(ReportFilterForm):
    as_of = forms.DateField(label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("Today when left empty."))
    search = forms.CharField(label=_("Customer"), required=False, max_length=100)
    past_due_only = forms.BooleanField(label=_("Past due only"), required=False)


@register
class ReceivablesAgingReport(Report):
    key = "receivables-aging"
    title = _("Receivables aging")
    group = "Accounting"
    permission = PERMISSION
    description = _("What each customer owes on open invoices, by days past due.")
    source = _("Open invoices (the receivables' aging selector).")
    filter_form = AgingForm
    columns = [Column("customer_number", _("Customer"), "text"), Column("customer_name", _("Name"), "text"),
               *(Column(bucket, label, "money") for bucket, label in receivables.BUCKET_LABELS.items()),
               Column("total", _("Total"), "money"), Column("invoice_count", _("Invoices"), "int")]
    sort_options = [SortOption("customer", _("Customer"), ("customer_number",)),
                    SortOption("total", _("Most owed"), ("total",), descending=True),
                    SortOption("over_90", _("Most over 90 days"), ("over_90",), descending=True)]

    def _options(self, filters: dict) -> dict:
        return {"as_of": filters.get("as_of") or timezone.localdate(), "search": filters.get("search") or "",
                "past_due_only": bool(filters.get("past_due_only")), "using": reporting_alias()}

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        sort = self.sort_option(sort).key
        column = receivables.SORTS[sort][0]
        found, _next = receivables.aging_rows(**self._options(filters), sort=sort,
                                              after=after[0] if after else "", limit=limit)
        rows = []
        for row in found:
            values = {name: getattr(row, name) for name in row.__dataclass_fields__}
            values["_cursor"] = [f"{getattr(row, column)}|{row.customer_id}|{row.currency}"]
            rows.append(values)
        return rows

    def totals(self, filters: dict) -> dict | None:
        options = self._options(filters)
        options.pop("using")
        per_currency = receivables.aging_totals(**options, using=reporting_alias())
        if len(per_currency) != 1:
            return None  # no open invoices, or several currencies: no single total line
        currency, amounts = next(iter(per_currency.items()))
        return {**amounts, "currency": currency}


class RefundForm(DateRangeForm):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any"))] + list(Refund.Status.choices),
                               required=False)


def _moment_bounds(filters: dict, column: str, params: dict) -> list[str]:
    conditions = []
    if filters.get("date_from"):
        conditions.append(f"{column} >= %(start)s")
        params["start"] = day_start(filters["date_from"])
    if filters.get("date_to"):
        conditions.append(f"{column} < %(end)s")
        params["end"] = day_start(filters["date_to"] + timedelta(days=1))
    return conditions


_REFUND_STATUSES = dict(Refund.Status.choices)


@register
class RefundsReport(SqlReport):
    key = "refunds"
    title = _("Refunds")
    group = "Accounting"
    permission = PERMISSION
    description = _("Refunds asked for, approved and paid back, with their orders.")
    source = _("Refunds, newest first.")
    filter_form = RefundForm
    columns = [Column("moment", _("Asked"), "date"), Column("order_number", _("Order"), "link"),
               Column("amount", _("Amount"), "money"), Column("status", _("Status"), "text"),
               Column("reason", _("Reason"), "text"), Column("approved_by", _("Approved by"), "text")]
    sort_options = [SortOption("newest", _("Newest first"), ("moment", "id"), descending=True),
                    SortOption("amount", _("Largest"), ("amount", "id"), descending=True)]

    def query(self, filters: dict) -> Query:
        params: dict = {}
        conditions = _moment_bounds(filters, "r.created_at", params)
        if filters.get("status"):
            conditions.append("r.status = %(status)s")
            params["status"] = filters["status"]
        sql = f"""SELECT r.id, r.created_at AS moment, o.id AS order_id, o.number AS order_number, r.amount,
            r.currency, r.status, r.reason, COALESCE(u.username, '') AS approved_by
            FROM payments_refund r JOIN orders_order o ON o.id = r.order_id
            LEFT JOIN auth_user u ON u.id = r.approved_by_id
            {"WHERE " + " AND ".join(conditions) if conditions else ""}"""
        return Query(sql, params)

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        rows = super().rows(filters, sort=sort, after=after, limit=limit)
        for row in rows:
            row["status"] = str(_REFUND_STATUSES.get(row["status"], row["status"]))
            row["order_number_url"] = reverse("orders:order_detail", args=[row["order_id"]])
        return rows

    def totals(self, filters: dict) -> dict | None:
        query = self.query({**filters, "status": Refund.Status.DONE})
        with connections[reporting_alias()].cursor() as cursor:
            cursor.execute(f"SELECT SUM(amount), MIN(currency), COUNT(DISTINCT currency) FROM ({query.sql}) AS r",
                           query.params)
            amount, currency, currencies = cursor.fetchone()
        if currencies != 1:
            return None
        return {"amount": amount, "currency": currency, "status": _("refunded")}


class GiftCardForm(ReportFilterForm):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("", _("Active and not yet activated"))] + list(GiftCard.Status.choices))
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any"))] + list(GiftCard.Kind.choices))


_CARD_STATUSES = dict(GiftCard.Status.choices)
_CARD_KINDS = dict(GiftCard.Kind.choices)


@register
class GiftCardLiabilityReport(SqlReport):
    key = "gift-card-liability"
    title = _("Gift card liability")
    group = "Accounting"
    permission = PERMISSION
    description = _("What the shop owes on gift cards: each card's balance (last four digits only).")
    source = _("Gift cards' balances (each change is a gift card transaction and a ledger posting).")
    filter_form = GiftCardForm
    columns = [Column("last4", _("Card"), "text"), Column("kind", _("Kind"), "text"),
               Column("status", _("Status"), "text"), Column("issued", _("Issued"), "date"),
               Column("expires_on", _("Expires"), "date"), Column("initial_amount", _("Issued for"), "money"),
               Column("balance", _("Balance"), "money")]
    sort_options = [SortOption("balance", _("Highest balance"), ("balance", "id"), descending=True),
                    SortOption("newest", _("Newest first"), ("issued", "id"), descending=True)]

    def query(self, filters: dict) -> Query:
        params: dict = {}
        if filters.get("status"):
            conditions, params["status"] = ["g.status = %(status)s"], filters["status"]
        else:
            conditions = ["g.status IN ('active', 'inactive')", "g.balance > 0"]
        if filters.get("kind"):
            conditions.append("g.kind = %(kind)s")
            params["kind"] = filters["kind"]
        sql = f"""SELECT g.id, '…' || g.last4 AS last4, g.kind, g.status, g.created_at AS issued, g.expires_on,
            g.initial_amount, g.balance, g.currency FROM payments_giftcard g WHERE {" AND ".join(conditions)}"""
        return Query(sql, params)

    def rows(self, filters: dict, *, sort: str, after=None, limit: int) -> list[dict]:
        rows = super().rows(filters, sort=sort, after=after, limit=limit)
        for row in rows:
            row["status"] = str(_CARD_STATUSES.get(row["status"], row["status"]))
            row["kind"] = str(_CARD_KINDS.get(row["kind"], row["kind"]))
        return rows

    def totals(self, filters: dict) -> dict | None:
        query = self.query(filters)
        with connections[reporting_alias()].cursor() as cursor:
            cursor.execute(f"SELECT SUM(balance), MIN(currency), COUNT(DISTINCT currency) FROM ({query.sql}) AS g",
                           query.params)
            balance, currency, currencies = cursor.fetchone()
        return {"balance": balance, "currency": currency} if currencies == 1 else None


class TaxForm(DateRangeForm):
    period = forms.ChoiceField(label=_("By"), required=False, initial="month",
                               choices=[("month", _("Month")), ("day", _("Day")), ("week", _("Week"))])
    country = forms.CharField(label=_("Country"), required=False, max_length=2)


@register
class TaxCollectedReport(SqlReport):
    key = "tax-collected"
    title = _("Tax collected by jurisdiction")
    group = "Accounting"
    permission = PERMISSION
    description = _("Tax charged on placed orders by ship-to country and state or province, per month.")
    source = _("Orders placed and not cancelled (index order_recent), by their ship-to address.")
    filter_form = TaxForm
    columns = [Column("period", _("Period"), "date"), Column("country", _("Country"), "text"),
               Column("region", _("State / region"), "text"), Column("orders", _("Orders"), "int"),
               Column("taxable", _("Sales"), "money"), Column("shipping", _("Shipping"), "money"),
               Column("tax", _("Tax"), "money")]
    sort_options = [SortOption("newest", _("Newest first"), ("period", "country", "region", "currency"),
                               descending=True),
                    SortOption("jurisdiction", _("Jurisdiction"), ("country", "region", "period", "currency"))]

    def query(self, filters: dict) -> Query:
        params: dict = {"zone": settings.SHOP_TIME_ZONE,
                        "period": filters.get("period") if filters.get("period") in ("day", "week") else "month"}
        conditions = ["o.placed_at IS NOT NULL", "o.status NOT IN ('draft', 'cancelled')",
                      *_moment_bounds(filters, "o.placed_at", params)]
        if filters.get("country"):
            conditions.append("upper(o.ship_to->>'country') = %(country)s")
            params["country"] = filters["country"].upper()
        sql = f"""SELECT date_trunc(%(period)s, o.placed_at AT TIME ZONE %(zone)s)::date AS period,
            COALESCE(upper(o.ship_to->>'country'), '') AS country, COALESCE(o.ship_to->>'region', '') AS region,
            COUNT(*) AS orders, SUM(o.subtotal - o.discount_total) AS taxable, SUM(o.shipping_total) AS shipping,
            SUM(o.tax_total) AS tax, o.currency
            FROM orders_order o WHERE {" AND ".join(conditions)} GROUP BY 1, 2, 3, o.currency"""
        return Query(sql, params)
