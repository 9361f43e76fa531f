"""Vendor bill screens (Accountant): the bill list, entry, the bill with its match, and the reconciliation.

Each binds a form, calls one service and renders; a BillError becomes a message on the form,
and nothing is written.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inventory.postings import business_date
from payments.ledger.errors import LedgerError
from payments.payables import exports, selectors, services
from payments.payables.errors import BillError, BillMatchRefused
from payments.payables.forms import (
    BillFilterForm,
    BillPostForm,
    BillVoidForm,
    ReconciliationFilterForm,
    VendorBillForm,
)
from payments.payables.models import MatchTolerance, VendorBill

BILL_PAGE_SIZE = 25


def _wants_fragment(request: HttpRequest) -> bool:
    """An htmx swap asks for a fragment; a boosted link or a history restore needs the page."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


@require_GET
@login_required
@permission_required("payments.view_vendorbill", raise_exception=True)
def bill_list(request: HttpRequest) -> HttpResponse:
    form = BillFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    bills = selectors.bill_list(vendor=filters.get("vendor"), status=filters.get("status") or "",
                                query=(filters.get("q") or "").strip())
    page = Paginator(bills, BILL_PAGE_SIZE).get_page(request.GET.get("page"))
    query = {key: value for key, value in request.GET.items() if key in ("status", "vendor", "q") and value}
    template = "payments/bill_list.html#results" if _wants_fragment(request) else "payments/bill_list.html"
    return render(request, template, {
        "form": form, "page": page, "query": urlencode(query),
        "can_create": request.user.has_perm("payments.add_vendorbill"),
    })


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("payments.add_vendorbill", raise_exception=True)
def bill_create(request: HttpRequest) -> HttpResponse:
    chosen = (request.POST.get("purchase_order") or request.GET.get("purchase_order") or "").strip()
    order = selectors.billable_purchase_orders().filter(pk=chosen).first() if chosen.isdigit() else None
    lines = selectors.order_line_facts(order) if order else []
    initial = {"purchase_order": order.pk} if order else {}
    form = VendorBillForm(request.POST or None, lines=lines, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bill = services.vendor_bill_create(
                purchase_order=data["purchase_order"], bill_number=data["bill_number"],
                bill_date=data["bill_date"], due_date=data["due_date"],
                freight=data["freight"] or Decimal("0"), notes=data["notes"], lines=form.bill_lines(),
                user=request.user)
        except BillError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request,
                             _("Bill %(number)s was entered as a draft: check the match and post it.")
                             % {"number": bill.bill_number})
            return redirect(bill)
    context = {"form": form, "order": order}
    if request.method == "GET" and _wants_fragment(request):
        return render(request, "payments/bill_form.html#lines", context)
    return render(request, "payments/bill_form.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("payments.change_vendorbill", raise_exception=True)
def bill_edit(request: HttpRequest, pk: int) -> HttpResponse:
    bill = _get_bill(pk)
    if bill.status != VendorBill.Status.DRAFT:
        messages.error(request, _("Bill %(number)s is %(status)s: only a draft can be changed.")
                       % {"number": bill.bill_number, "status": bill.get_status_display()})
        return redirect(bill)
    order = bill.purchase_order
    form = VendorBillForm(request.POST or None, lines=selectors.order_line_facts(order, exclude_bill=bill),
                          bill=bill)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bill = services.vendor_bill_update(
                bill=bill, bill_number=data["bill_number"], bill_date=data["bill_date"],
                due_date=data["due_date"], freight=data["freight"] or Decimal("0"), notes=data["notes"],
                lines=form.bill_lines(), user=request.user)
        except BillError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Bill %(number)s was changed.") % {"number": bill.bill_number})
            return redirect(bill)
    return render(request, "payments/bill_form.html", {"form": form, "order": order, "bill": bill})


def _bill_page(request: HttpRequest, bill: VendorBill, *, post_form=None, void_form=None,
               problems: list[str] | None = None, status: int = 200) -> HttpResponse:
    lines = {line.purchase_order_line_id: line
             for line in bill.lines.select_related("purchase_order_line__sku").order_by("pk")}
    match = None
    if bill.status == VendorBill.Status.DRAFT:
        try:
            match = selectors.bill_match(bill)
        except BillError as error:  # a draft the purchase order no longer fits
            problems = [*(problems or []), str(error)]
    is_draft = bill.status == VendorBill.Status.DRAFT
    return render(request, "payments/bill_detail.html", {
        "bill": bill,
        "lines": list(lines.values()),
        "match": match,
        "problems": problems,
        "tolerance": MatchTolerance.current(),
        "post_form": post_form or BillPostForm(),
        "void_form": void_form or BillVoidForm(),
        "can_post": is_draft and request.user.has_perm("payments.post_vendorbill"),
        "can_void": is_draft and request.user.has_perm("payments.change_vendorbill"),
        "can_edit": is_draft and request.user.has_perm("payments.change_vendorbill"),
        "shop_time_zone": settings.SHOP_TIME_ZONE,
    }, status=status)


def _get_bill(pk: int) -> VendorBill:
    return get_object_or_404(
        VendorBill.objects.select_related("vendor", "purchase_order__warehouse", "entered_by", "posted_by",
                                          "posted_entry"), pk=pk)


@require_GET
@login_required
@permission_required("payments.view_vendorbill", raise_exception=True)
def bill_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _bill_page(request, _get_bill(pk))


@require_POST
@login_required
@permission_required("payments.post_vendorbill", raise_exception=True)
def bill_post(request: HttpRequest, pk: int) -> HttpResponse:
    bill = _get_bill(pk)
    form = BillPostForm(request.POST)
    if form.is_valid():
        try:
            bill = services.vendor_bill_post(bill=bill, user=request.user,
                                             override_reason=form.cleaned_data["override_reason"])
        except BillMatchRefused as refused:
            form.add_error(None, str(refused))
            return _bill_page(request, bill, post_form=form, problems=refused.problems, status=409)
        except (BillError, LedgerError) as error:  # the ledger's: an account missing from the map, say
            form.add_error(None, str(error))
            return _bill_page(request, bill, post_form=form, status=409)
        messages.success(request, _("Bill %(number)s was posted.") % {"number": bill.bill_number})
        return redirect(bill)
    return _bill_page(request, bill, post_form=form, status=400)


@require_POST
@login_required
@permission_required("payments.change_vendorbill", raise_exception=True)
def bill_void(request: HttpRequest, pk: int) -> HttpResponse:
    bill = _get_bill(pk)
    form = BillVoidForm(request.POST)
    if form.is_valid():
        try:
            bill = services.vendor_bill_void(bill=bill, reason=form.cleaned_data["reason"], user=request.user)
        except BillError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Bill %(number)s was voided.") % {"number": bill.bill_number})
            return redirect(bill)
    return _bill_page(request, bill, void_form=form, status=400)


# --- the reconciliation report -----------------------------------------------------------------


def _reconciliation_csv(report: selectors.Reconciliation) -> StreamingHttpResponse:
    header = [_("Section"), _("Vendor"), _("Purchase order"), _("SKU"), _("Received"), _("Billed"),
              _("Quantity"), _("Order unit cost"), _("Bill unit cost"), _("Amount"), _("Bills")]
    sections = (
        (_("Received, not billed"), report.received_not_billed),
        (_("Billed, not received"), report.billed_not_received),
    )

    def rows():
        yield header
        for label, gaps in sections:
            for gap in gaps:
                line = gap.line
                yield [label, line.purchase_order.vendor.name, line.purchase_order.number, line.sku.code,
                       gap.received, gap.billed, gap.quantity, line.unit_cost, "", gap.value,
                       " ".join(bill.bill_number for bill in gap.bills)]
        for variance in report.variances:
            order_line = variance.purchase_order_line
            yield [_("Price variance"), variance.bill.vendor.name, variance.bill.purchase_order.number,
                   order_line.sku.code, "", variance.quantity, variance.quantity, order_line.unit_cost,
                   variance.unit_cost, variance.variance_amount, variance.bill.bill_number]

    response = StreamingHttpResponse(exports.csv_rows(rows()), content_type="text/csv; charset=utf-8")
    filename = f"po-reconciliation-{report.date_to.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@login_required
@permission_required("payments.view_po_reconciliation", raise_exception=True)
def reconciliation(request: HttpRequest) -> HttpResponse:
    form = ReconciliationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    report = selectors.po_reconciliation(date_to=filters.get("date_to") or business_date(),
                                         date_from=filters.get("date_from"), vendor=filters.get("vendor"))
    if request.GET.get("format") == "csv" and not form.errors:
        return _reconciliation_csv(report)
    query = {key: value for key, value in request.GET.items()
             if key in ("vendor", "date_from", "date_to") and value}
    template = ("payments/reconciliation.html#report" if _wants_fragment(request)
                else "payments/reconciliation.html")
    return render(request, template, {"form": form, "report": report, "totals": report.totals(),
                                      "csv_query": urlencode({**query, "format": "csv"})})
