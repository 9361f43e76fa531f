"""Receivables screens: the aging report (page, CSV, XLSX), a customer's account with its
statement and invoice PDFs, payments received and applied, checks on hand and deposit batches.

Thin views: bind a form, call a selector or one service, render. Every view checks its permission.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory.postings import business_date
from oms.money import round_money
from orders.models import Customer
from payments.receivables import documents, selectors, services
from payments.receivables.exports import csv_bytes, xlsx_bytes
from payments.receivables.forms import AgingFilterForm, ApplyForm, PaymentReceiveForm, StatementForm
from payments.receivables.models import CustomerPayment, DepositBatch, Invoice, ReceivedCheck

PAGE_SIZE = 50
VIEW = "payments.view_receivables"


def _aging_filters(request: HttpRequest) -> dict:
    form = AgingFilterForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    return {"form": form, "as_of": data.get("as_of") or business_date(), "search": data.get("q") or "",
            "past_due_only": bool(data.get("past_due")), "sort": data.get("sort") or "customer",
            "after": data.get("after") or ""}


def _export_header() -> list[str]:
    return [_("Customer"), _("Name"), _("Terms"), _("Credit limit"), _("Currency")] + [
        str(selectors.BUCKET_LABELS[bucket]) for bucket in selectors.BUCKETS] + [_("Total open"), _("Invoices")]


def _export_rows(rows):
    terms = dict(Customer.Terms.choices)
    for row in rows:
        amounts = [round_money(amount, row.currency) for amount in (row.credit_limit, *row.bucket_amounts(), row.total)]
        yield [row.customer_number, row.customer_name, str(terms.get(row.terms, row.terms)), amounts[0], row.currency,
               *amounts[1:], row.invoice_count]


@login_required
@permission_required(VIEW, raise_exception=True)
def aging_report(request: HttpRequest) -> HttpResponse:
    filters = _aging_filters(request)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        rows, _cursor = selectors.aging_rows(as_of=filters["as_of"], search=filters["search"],
                                             past_due_only=filters["past_due_only"], sort=filters["sort"])
        name = f"aging-{filters['as_of'].isoformat()}"
        if export == "csv":
            response = HttpResponse(csv_bytes(_export_header(), _export_rows(rows)), content_type="text/csv")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        else:
            response = HttpResponse(
                xlsx_bytes(_export_header(), _export_rows(rows), title=_("Aging")),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    page = selectors.aging_page(as_of=filters["as_of"], search=filters["search"],
                                past_due_only=filters["past_due_only"], sort=filters["sort"], after=filters["after"],
                                size=PAGE_SIZE)
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("export", None)
    context = {"page": page, "form": filters["form"], "labels": [selectors.BUCKET_LABELS[b] for b in selectors.BUCKETS],
               "query": query.urlencode(), "is_first_page": not filters["after"]}
    template = "payments/aging.html#results" if getattr(request, "htmx", False) else "payments/aging.html"
    return render(request, template, context)


@login_required
@permission_required(VIEW, raise_exception=True)
def customer_account(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    today = business_date()
    invoices = list(Invoice.objects.filter(customer=customer).select_related("order").order_by("-issued_on", "-pk")[:100])
    payments = list(CustomerPayment.objects.filter(customer=customer).order_by("-received_on", "-pk")[:100])
    open_invoices = [invoice for invoice in invoices if invoice.status == Invoice.Status.OPEN]
    context = {
        "customer": customer, "invoices": invoices, "payments": payments, "today": today,
        "open_invoices": open_invoices,
        "open_receivables": selectors.open_receivables(customer=customer),
        "unapplied": selectors.unapplied_credit(customer=customer),
        "aging": [(selectors.BUCKET_LABELS[b], amount) for b, amount in
                  selectors.customer_aging(customer=customer, as_of=today).items() if b != "total"],
        "receive_form": PaymentReceiveForm(initial={"received_on": today, "apply_to_oldest": True}),
        "statement_form": StatementForm(initial={"starts_on": today.replace(day=1), "ends_on": today}),
    }
    return render(request, "payments/customer_account.html", context)


@login_required
@permission_required(VIEW, raise_exception=True)
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice.objects.select_related("customer", "order"), pk=pk)
    response = HttpResponse(documents.invoice_pdf(invoice=invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invoice-{invoice.number}.pdf"'
    return response


@login_required
@permission_required(VIEW, raise_exception=True)
def statement_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = StatementForm(request.GET)
    if not form.is_valid():
        today = business_date()
        starts_on, ends_on = today.replace(day=1), today
    else:
        starts_on, ends_on = form.cleaned_data["starts_on"], form.cleaned_data["ends_on"]
    statement = selectors.customer_statement(customer=customer, starts_on=starts_on, ends_on=ends_on)
    response = HttpResponse(documents.statement_pdf(statement=statement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{customer.number}-{ends_on.isoformat()}.pdf"'
    return response


@require_POST
@login_required
@permission_required("payments.receive_payment", raise_exception=True)
def payment_receive(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = PaymentReceiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the payment: %(errors)s") % {"errors": "; ".join(
            f"{form.fields[name].label if name in form.fields else ''} {' '.join(errors)}".strip()
            for name, errors in form.errors.items())})
        return redirect("receivables:customer_account", pk=customer.pk)
    data = form.cleaned_data
    try:
        payment = services.customer_payment_receive(
            customer=customer, amount=data["amount"], method=data["method"], reference=data["reference"],
            received_on=data["received_on"], check_date=data.get("check_date"), user=request.user)
        applications = (services.payment_apply_oldest(payment=payment, user=request.user,
                                                      applied_on=data["received_on"])
                        if data.get("apply_to_oldest") else [])
    except services.ReceivablesError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Payment of %(amount)s recorded; %(count)s invoices paid from it.") % {
            "amount": payment.amount, "count": len(applications)})
    return redirect("receivables:customer_account", pk=customer.pk)


@require_POST
@login_required
@permission_required("payments.receive_payment", raise_exception=True)
def payment_apply(request: HttpRequest, pk: int) -> HttpResponse:
    payment = get_object_or_404(CustomerPayment, pk=pk)
    form = ApplyForm(request.POST)
    if form.is_valid():
        invoice = get_object_or_404(Invoice, pk=form.cleaned_data["invoice"])
        try:
            services.payment_apply(payment=payment, amounts={invoice: form.cleaned_data["amount"]}, user=request.user)
        except services.ReceivablesError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Applied to invoice %(number)s.") % {"number": invoice.number})
    else:
        messages.error(request, _("Enter the amount to apply."))
    return redirect("receivables:customer_account", pk=payment.customer_id)


@require_POST
@login_required
@permission_required("payments.void_invoice", raise_exception=True)
def invoice_void(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = get_object_or_404(Invoice, pk=pk)
    try:
        services.invoice_void(invoice=invoice, user=request.user, reason=request.POST.get("reason", ""))
    except services.ReceivablesError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Invoice %(number)s is void.") % {"number": invoice.number})
    return redirect("receivables:customer_account", pk=invoice.customer_id)


@login_required
@permission_required("payments.deposit_checks", raise_exception=True)
def deposits(request: HttpRequest) -> HttpResponse:
    on_hand = list(ReceivedCheck.objects.filter(batch__isnull=True).select_related("customer", "order")
                   .order_by("received_on", "pk")[:500])
    batches = list(DepositBatch.objects.annotate(total=Sum("checks__amount"), check_count=Count("checks"))
                   .select_related("deposited_by").order_by("-created_at", "-pk")[:50])
    return render(request, "payments/deposits.html", {"on_hand": on_hand, "batches": batches,
                                                      "today": business_date()})


@require_POST
@login_required
@permission_required("payments.deposit_checks", raise_exception=True)
def batch_create(request: HttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("check") if value.isdigit()]
    try:
        batch = services.deposit_batch_create(checks=ReceivedCheck.objects.filter(pk__in=ids), user=request.user)
    except services.ReceivablesError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Deposit batch %(number)s made.") % {"number": batch.number})
    return redirect(reverse("receivables:deposits"))


@require_POST
@login_required
@permission_required("payments.deposit_checks", raise_exception=True)
def batch_deposit(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(DepositBatch, pk=pk)
    try:
        deposited_on = date.fromisoformat(request.POST.get("deposited_on") or business_date().isoformat())
    except ValueError:
        deposited_on = business_date()
    try:
        services.deposit_batch_deposit(batch=batch, user=request.user, deposited_on=deposited_on)
    except services.ReceivablesError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Deposit batch %(number)s deposited.") % {"number": batch.number})
    return redirect(reverse("receivables:deposits"))
