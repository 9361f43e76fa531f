"""The payments reconciliation page and its CSV (Accountant: ``payments.view_ledger``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from payments.payables.exports import csv_rows
from payments.reconciliation.forms import PaymentReconciliationForm
from payments.reconciliation.selectors import reconciliation

PERMISSION = "payments.view_ledger"


def _csv(request: HttpRequest, report) -> StreamingHttpResponse:
    base = request.build_absolute_uri("/")[:-1]

    def rows():
        yield [_("Difference"), _("Order"), _("Currency"), _("Shipped"), _("Captured"), _("Gateway"), _("Note"),
               _("Documents")]
        for item in report.differences:
            yield [str(item.label), item.order_number, item.currency, str(item.shipped), str(item.captured),
                   "" if item.gateway is None else str(item.gateway), item.note,
                   " ".join([base + item.order_url] + [base + document.url for document in item.documents])]

    response = StreamingHttpResponse(csv_rows(rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="payment-reconciliation-{report.date_from.isoformat()}'
                                       f'-{report.date_to.isoformat()}.csv"')
    return response


@require_GET
@login_required
@permission_required(PERMISSION, raise_exception=True)
def payment_reconciliation(request: HttpRequest) -> HttpResponse:
    form = PaymentReconciliationForm(request.GET)
    report = None
    if form.is_valid():
        report = reconciliation(date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"])
        if request.GET.get("format") == "csv":
            return _csv(request, report)
    query = {key: value for key, value in request.GET.items() if key in ("date_from", "date_to") and value}
    return render(request, "payments/payment_reconciliation.html", {
        "form": form, "report": report, "csv_query": urlencode({**query, "format": "csv"})})
