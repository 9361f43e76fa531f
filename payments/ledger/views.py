"""The accountant's screens: trial balance, account ledger, journal, manual entry, periods, GL export,
the chart of accounts and the posting map.

Each view checks its permission, binds a form, calls one service or selector and renders; a
LedgerError or ExportError becomes a message, and nothing is written.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from payments.ledger import screens
from payments.ledger.errors import LedgerError
from payments.ledger.export_services import (
    ExportError,
    export_batch_create,
    export_batch_file,
    export_batch_void,
)
from payments.ledger.exports import FORMATS
from payments.ledger.forms import (
    AccountForm,
    ExportBatchForm,
    ManualEntryForm,
    ManualLineFormSet,
    PostingRuleDeleteForm,
    PostingRuleForm,
    ReasonForm,
    TrialBalanceForm,
)
from payments.ledger.models import Account, FiscalPeriod, JournalEntry, PostingRule
from payments.ledger.models_export import ExportBatch
from payments.ledger.selectors import account_ledger_page, trial_balance
from payments.ledger.services import (
    StockWouldMove,
    account_create,
    account_update,
    journal_entry_manual,
    journal_entry_reverse,
    period_close,
    period_reopen,
    posting_rule_delete,
    posting_rule_set,
)

VIEW_LEDGER = "payments.view_ledger"
JOURNAL_PAGE_SIZE = 50
LEDGER_PAGE_SIZE = 50
RECENT_BATCHES = 50


def _wants_fragment(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# --- trial balance and account ledger ---------------------------------------------------------


@require_GET
@login_required
@permission_required(VIEW_LEDGER, raise_exception=True)
def trial_balance_view(request):
    periods = FiscalPeriod.objects.order_by("-starts_on")
    form = TrialBalanceForm(request.GET or None, periods=periods)
    on_date, period = timezone.localdate(), None
    if form.is_valid():
        period = form.cleaned_data["period"]
        on_date = form.cleaned_data["on_date"] or on_date
    balance = trial_balance(period=period) if period else trial_balance(on_date=on_date)
    template = "payments/trial_balance.html#report" if _wants_fragment(request) else "payments/trial_balance.html"
    return render(request, template, {"form": form, "balance": balance, "period": period,
                                      "rows": screens.trial_balance_rows(balance)})


def _ledger_cursor(value: str | None) -> tuple[date, int] | None:
    """The ``after`` cursor of the account ledger: "2026-11-03.1234" (the last line's date and id)."""
    if not value:
        return None
    try:
        day, _dot, line_id = value.partition(".")
        return date.fromisoformat(day), int(line_id)
    except ValueError:
        return None


@require_GET
@login_required
@permission_required(VIEW_LEDGER, raise_exception=True)
def account_ledger(request, pk: int):
    account = get_object_or_404(Account, pk=pk)
    date_from = screens.parse_date(request.GET.get("from"))
    date_to = screens.parse_date(request.GET.get("to"))
    after = _ledger_cursor(request.GET.get("after"))
    page = account_ledger_page(account=account, after=after, size=LEDGER_PAGE_SIZE, date_from=date_from,
                               date_to=date_to)
    filters = {key: value for key, value in (("from", date_from), ("to", date_to)) if value}
    next_url = ""
    if page.next_after:
        next_url = reverse("payments:account_ledger", args=[account.pk]) + "?" + urlencode(
            {**filters, "after": f"{page.next_after[0].isoformat()}.{page.next_after[1]}"})
    context = {"account": account, "page": page, "date_from": date_from, "date_to": date_to,
               "next_url": next_url, "is_first_page": after is None}
    template = "payments/account_ledger.html#lines" if _wants_fragment(request) else "payments/account_ledger.html"
    return render(request, template, context)


# --- journal ----------------------------------------------------------------------------------


@require_GET
@login_required
@permission_required(VIEW_LEDGER, raise_exception=True)
def journal(request):
    before = _int_or_none(request.GET.get("before"))
    entries = JournalEntry.objects.select_related("created_by").order_by("-pk")
    if before:
        entries = entries.filter(pk__lt=before)
    page = list(entries[:JOURNAL_PAGE_SIZE + 1])
    next_url = ""
    if len(page) > JOURNAL_PAGE_SIZE:
        page = page[:JOURNAL_PAGE_SIZE]
        next_url = reverse("payments:journal") + "?" + urlencode({"before": page[-1].pk})
    template = "payments/journal.html#entries" if _wants_fragment(request) else "payments/journal.html"
    return render(request, template, {"entries": screens.entry_rows(page), "next_url": next_url,
                                      "can_post": request.user.has_perm("payments.post_manual_entry")})


@require_GET
@login_required
@permission_required(VIEW_LEDGER, raise_exception=True)
def journal_entry(request, pk: int):
    entry = get_object_or_404(JournalEntry.objects.select_related("period", "created_by", "reversal_of"), pk=pk)
    return render(request, "payments/journal_entry.html", screens.entry_context(entry, user=request.user))


@require_POST
@login_required
@permission_required("payments.reverse_entry", raise_exception=True)
def journal_entry_reverse_view(request, pk: int):
    entry = get_object_or_404(JournalEntry, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the entry is reversed."))
        return redirect("payments:journal_entry", pk=entry.pk)
    try:
        reversal = journal_entry_reverse(entry=entry, reason=form.cleaned_data["reason"], user=request.user)
    except LedgerError as error:
        messages.error(request, str(error))
        return redirect("payments:journal_entry", pk=entry.pk)
    messages.success(request, _("Entry %(entry)s is reversed by entry %(reversal)s.")
                     % {"entry": entry.pk, "reversal": reversal.pk})
    return redirect("payments:journal_entry", pk=reversal.pk)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("payments.post_manual_entry", raise_exception=True)
def manual_entry(request):
    data = request.POST if request.method == "POST" else None
    form = ManualEntryForm(data, initial={"on_date": timezone.localdate()})
    formset = ManualLineFormSet(data, prefix="lines")
    if data is not None and "add_line" in data:
        # Without JavaScript, "Add lines" posts the form back: the same rows, and empty ones after them.
        form = ManualEntryForm(initial={"on_date": data.get("on_date"), "memo": data.get("memo")})
        formset = ManualLineFormSet(initial=_rows_posted(data), prefix="lines")
    elif data is not None and form.is_valid() and formset.is_valid():
        try:
            entry = journal_entry_manual(on_date=form.cleaned_data["on_date"], memo=form.cleaned_data["memo"],
                                         lines=formset.posting_lines(), user=request.user)
        except LedgerError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Entry %(entry)s is posted.") % {"entry": entry.pk})
            return redirect("payments:journal_entry", pk=entry.pk)
    return render(request, "payments/manual_entry.html", {"form": form, "formset": formset})


def _rows_posted(data) -> list[dict]:
    try:
        count = min(int(data.get("lines-TOTAL_FORMS", "0")), ManualLineFormSet.max_num)
    except ValueError:
        count = 0
    fields = ("account", "debit", "credit", "memo")
    return [{field: data.get(f"lines-{index}-{field}", "") for field in fields} for index in range(count)]


# --- fiscal periods ---------------------------------------------------------------------------


@require_GET
@login_required
@permission_required(VIEW_LEDGER, raise_exception=True)
def period_list(request):
    return render(request, "payments/period_list.html", screens.period_context(user=request.user))


@require_POST
@login_required
@permission_required("payments.close_period", raise_exception=True)
def period_close_view(request, pk: int):
    period = get_object_or_404(FiscalPeriod, pk=pk)
    try:
        period_close(period=period, user=request.user)
    except LedgerError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Period %(period)s is closed.") % {"period": period})
    return redirect("payments:period_list")


@require_POST
@login_required
@permission_required("payments.close_period", raise_exception=True)
def period_reopen_view(request, pk: int):
    period = get_object_or_404(FiscalPeriod, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the period is reopened."))
        return redirect("payments:period_list")
    try:
        period_reopen(period=period, reason=form.cleaned_data["reason"], user=request.user)
    except LedgerError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Period %(period)s is open again.") % {"period": period})
    return redirect("payments:period_list")


# --- GL export --------------------------------------------------------------------------------

EXPORT_GL = "payments.export_gl"


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(EXPORT_GL, raise_exception=True)
def export_list(request):
    form = ExportBatchForm(request.POST or None, initial=screens.export_initial())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unexported = data["scope"] == ExportBatchForm.Scope.UNEXPORTED
        try:
            batch = export_batch_create(format=data["format"], user=request.user, unexported=unexported,
                                        date_from=None if unexported else data["date_from"],
                                        date_to=None if unexported else data["date_to"], summary=data["summary"])
        except ExportError as error:
            form.add_error(None, str(error))
        else:
            if batch.status == ExportBatch.Status.FAILED:
                messages.error(request, batch.error)
            elif batch.status == ExportBatch.Status.MADE:
                messages.success(request, _("Batch %(number)s is made: %(entries)d entries, %(lines)d lines.")
                                 % {"number": batch.pk, "entries": batch.entry_count, "lines": batch.line_count})
            return redirect(batch)
    batches = ExportBatch.objects.select_related("created_by", "voided_by")[:RECENT_BATCHES]
    return render(request, "payments/export_list.html", {"form": form, "batches": batches, "formats": FORMATS})


def _batch(pk: int) -> ExportBatch:
    return get_object_or_404(ExportBatch.objects.select_related("created_by", "voided_by"), pk=pk)


@require_GET
@login_required
@permission_required(EXPORT_GL, raise_exception=True)
def export_batch(request, pk: int):
    batch = _batch(pk)
    template = "payments/export_batch.html#batch" if _wants_fragment(request) else "payments/export_batch.html"
    return render(request, template, {"batch": batch, "spec": FORMATS.get(batch.format), "void_form": ReasonForm()})


@require_GET
@login_required
@permission_required(EXPORT_GL, raise_exception=True)
def export_batch_download(request, pk: int):
    batch = _batch(pk)
    spec = FORMATS.get(batch.format)
    if spec is None:
        raise Http404
    try:
        file = export_batch_file(batch=batch)
    except ExportError:
        raise Http404 from None
    response = FileResponse(file, as_attachment=True, filename=batch.file_name, content_type=spec.content_type)
    response.block_size = 256 * 1024
    response["Content-Length"] = str(batch.file_size)
    response["X-Content-SHA256"] = batch.file_sha256
    return response


@require_POST
@login_required
@permission_required(EXPORT_GL, raise_exception=True)
def export_batch_void_view(request, pk: int):
    batch = _batch(pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the batch is voided."))
        return redirect(batch)
    try:
        export_batch_void(batch=batch, reason=form.cleaned_data["reason"], user=request.user)
    except ExportError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Batch %(number)s is voided; its entries can be exported again.")
                         % {"number": batch.pk})
    return redirect(batch)


# --- chart of accounts and posting map --------------------------------------------------------


def _posted(request):
    return request.POST if request.method == "POST" else None


def _form_errors(form, error: LedgerError) -> None:
    """An AccountInvalid's messages on their fields (the others, and a plain LedgerError, on the form)."""
    for field, field_messages in getattr(error, "errors", {None: [str(error)]}).items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


@require_GET
@login_required
@permission_required("payments.change_account", raise_exception=True)
def account_list(request):
    return render(request, "payments/account_list.html", screens.chart_context(user=request.user))


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("payments.add_account", raise_exception=True)
def account_create_view(request):
    form = AccountForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = account_create(code=data["code"], user=request.user, **form.changes())
        except LedgerError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Account %(account)s is added.") % {"account": account})
            return redirect("payments:account_list")
    return render(request, "payments/account_form.html", {"form": form, "account": None})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("payments.change_account", raise_exception=True)
def account_edit_view(request, pk: int):
    account = get_object_or_404(Account, pk=pk)
    form = AccountForm(_posted(request), account=account, type_locked=account.lines.exists())
    if request.method == "POST" and form.is_valid():
        try:
            account = account_update(account=account, user=request.user, **form.changes())
        except LedgerError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Account %(account)s is saved.") % {"account": account})
            return redirect("payments:account_list")
    return render(request, "payments/account_form.html", {"form": form, "account": account})


@require_GET
@login_required
@permission_required("payments.change_postingrule", raise_exception=True)
def posting_rule_list(request):
    return render(request, "payments/posting_rule_list.html", screens.posting_map_context(user=request.user))


def _rule_form_page(request, form, rule):
    return render(request, "payments/posting_rule_form.html", {"form": form, "rule": rule})


def _set_rule(request, form, *, role, warehouse, rule):
    """Call posting_rule_set with the form's account; the stock warning goes back to the form."""
    try:
        saved = posting_rule_set(role=role, warehouse=warehouse, account=form.cleaned_data["account"],
                                 user=request.user, confirm_stock=form.cleaned_data["confirm_stock"])
    except StockWouldMove as warning:
        form.warn_stock(str(warning))
    except LedgerError as error:
        form.add_error(None, str(error))
    else:
        messages.success(request, _("“%(role)s” for %(warehouse)s now posts to %(account)s.")
                         % {"role": saved.role, "warehouse": saved.warehouse or _("all warehouses"),
                            "account": saved.account})
        return redirect("payments:posting_rule_list")
    return _rule_form_page(request, form, rule)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("payments.change_postingrule", raise_exception=True)
def posting_rule_edit_view(request, pk: int):
    rule = get_object_or_404(PostingRule.objects.select_related("warehouse", "account"), pk=pk)
    form = PostingRuleForm(_posted(request), rule=rule)
    if request.method == "POST" and form.is_valid():
        return _set_rule(request, form, role=rule.role, warehouse=rule.warehouse, rule=rule)
    return _rule_form_page(request, form, rule)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("payments.add_postingrule", raise_exception=True)
def posting_rule_create_view(request):
    form = PostingRuleForm(_posted(request), initial={"role": request.GET.get("role", "")[:100]},
                           roles=screens.posting_roles(), warehouses=screens.warehouses())
    if request.method == "POST" and form.is_valid():
        return _set_rule(request, form, role=form.cleaned_data["role"], warehouse=form.cleaned_data["warehouse"],
                         rule=None)
    return _rule_form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("payments.delete_postingrule", raise_exception=True)
def posting_rule_delete_view(request, pk: int):
    rule = get_object_or_404(PostingRule.objects.select_related("warehouse", "account"), pk=pk)
    if rule.warehouse_id is None:
        messages.error(request, _("The default rule of “%(role)s” cannot be removed; point it to another account "
                                  "instead.") % {"role": rule.role})
        return redirect("payments:posting_rule_list")
    form = PostingRuleDeleteForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            posting_rule_delete(rule=rule, user=request.user, confirm_stock=form.cleaned_data["confirm_stock"])
        except StockWouldMove as warning:
            form.warn_stock(str(warning))
        except LedgerError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The rule of “%(role)s” for %(warehouse)s is removed; it posts by the "
                                        "default rule again.") % {"role": rule.role, "warehouse": rule.warehouse})
            return redirect("payments:posting_rule_list")
    return render(request, "payments/posting_rule_delete.html", {"form": form, "rule": rule})
