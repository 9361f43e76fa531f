"""Customer and order screens. Each view binds a form, calls one service or selector, renders.

Domain errors become form errors or toasts in one place per kind: ``ValidationError`` from
the customer services (a dict of field errors) and ``OrderError`` from the order services
(``.field_errors``, plus its message).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import format_percent
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from catalog import selectors as catalog_selectors
from catalog.models import Sku
from inventory.models import Warehouse
from oms.templatetags.oms import money
from orders import forms, hooks, selectors
from orders import services as order_services
from orders.models import Address, Customer, Hold, Order, OrderLine, OrderStatus, ShippingMethod
from orders.services import customers as customer_services


def _wants_fragment(request: HttpRequest) -> bool:
    """An htmx swap asks for a fragment; a boosted link or a history restore needs the page."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def _add_errors(form: Form, error: ValidationError, *, field_map: dict[str, tuple[Form, str]] | None = None) -> None:
    """Put a service's ValidationError on the form fields it names (or other forms via ``field_map``)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages_ in error.message_dict.items():
        if field_map and name in field_map:
            target, target_name = field_map[name]
            target.add_error(target_name, messages_)
        else:
            form.add_error(name if name in form.fields else None, messages_)


def _render(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """``render`` with the shop's time zone, in which every screen here shows times."""
    context.setdefault("shop_time_zone", settings.SHOP_TIME_ZONE)
    return render(request, template, context, status=status)


STATUS_BADGE_CLASSES = {
    "placed": "text-bg-primary", "released": "text-bg-primary", "on_hold": "text-bg-warning",
    "allocated": "text-bg-info", "picking": "text-bg-info", "packed": "text-bg-info",
    "partially_shipped": "text-bg-success", "shipped": "text-bg-success", "delivered": "text-bg-success",
    "cancelled": "text-bg-danger", "return_requested": "text-bg-dark", "returned": "text-bg-dark",
}


def _decorate_rows(orders: list[Order], *, user=None) -> list[Order]:
    """Give list rows their labels and badge classes, worked out once per page.

    The flags higher apps register (``orders.hooks.order_list_flags``) show to ``user`` when
    they hold the flag's permission.

    ``get_status_display`` hashes every lazy choice label on each call, and an include per
    row costs a template context each; on a page of 100 rows that was most of the time.
    """
    status_labels = {value: str(label) for value, label in OrderStatus.choices}
    # One reverse() per page, not two per row.
    order_url = reverse("orders:order_detail", args=[0]).removesuffix("0/")
    customer_url = reverse("orders:customer_detail", args=[0]).removesuffix("0/")
    hold_labels = {value: _("%(reason)s hold") % {"reason": label} for value, label in Hold.Reason.choices}
    flags = [flag for flag in hooks.order_list_flags()
             if flag.permission is None or (user is not None and user.has_perm(flag.permission))]
    for order in orders:
        order.flag_badges = [flag for flag in flags if getattr(order, f"flag_{flag.key}", False)]
        order.row_class = " ".join(flag.row_class for flag in order.flag_badges if flag.row_class)
        order.status_label = status_labels.get(order.status, order.status)
        order.status_class = STATUS_BADGE_CLASSES.get(order.status, "text-bg-secondary")
        order.hold_badges = [(reason, hold_labels.get(reason, reason)) for reason in (order.open_holds or [])]
        order.placed_iso = order.placed_at.isoformat() if order.placed_at else ""
        order.url = f"{order_url}{order.pk}/"
        order.customer_url = f"{customer_url}{order.customer_id}/"
    return orders


# --- customers --------------------------------------------------------------------------------


@require_GET
@login_required
@permission_required("orders.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    form = forms.CustomerSearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    customers = list(selectors.customer_search(query=query, limit=50)) if query else []
    context = {"form": form, "query": query, "customers": customers, "limit": 50}
    template = "orders/customer_list.html#results" if _wants_fragment(request) else "orders/customer_list.html"
    return _render(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.add_customer", raise_exception=True)
def customer_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = forms.CustomerCreateForm(request.POST)
        ship_form = forms.AddressForm.optional(request.POST, prefix="ship")
        bill_form = forms.AddressForm.optional(request.POST, prefix="bill")
        bill_needed = not request.POST.get("bill_same_as_ship")
        addresses_valid = (ship_form.is_blank() or ship_form.is_valid()) and (
            not bill_needed or bill_form.is_blank() or bill_form.is_valid())
        if form.is_valid() and addresses_valid:
            field_map = {f"{prefix}_{key}": (address_form, key)
                         for prefix, address_form in (("ship", ship_form), ("bill", bill_form))
                         for key in forms.ADDRESS_KEYS}
            try:
                customer = customer_services.customer_create(
                    user=request.user, **form.service_values(),
                    ship_address=None if ship_form.is_blank() else ship_form.address(),
                    bill_address=None if not bill_needed or bill_form.is_blank() else bill_form.address(),
                )
            except ValidationError as error:
                _add_errors(form, error, field_map=field_map)
            else:
                messages.success(request, _("Customer %(number)s was created.") % {"number": customer.number})
                if request.POST.get("next") == "entry":
                    return redirect(f"{reverse('orders:order_entry')}?customer={customer.pk}")
                return redirect(customer)
    else:
        initial = {}
        query = request.GET.get("q", "").strip()
        if "@" in query:
            initial["emails"] = query
        elif query and selectors.PHONE_LIKE.match(query):
            initial["phones"] = query
        elif query:
            first, _space, last = query.rpartition(" ")
            initial.update(first_name=first, last_name=last)
        form = forms.CustomerCreateForm(initial=initial)
        ship_form = forms.AddressForm(prefix="ship", required=False)
        bill_form = forms.AddressForm(prefix="bill", required=False)
    return _render(request, "orders/customer_form.html", {
        "form": form, "ship_form": ship_form, "bill_form": bill_form, "creating": True,
        "duplicates": getattr(form, "duplicates", []), "next": request.GET.get("next") or request.POST.get("next", ""),
    })


@require_GET
@login_required
@permission_required("orders.view_customer", raise_exception=True)
def customer_duplicates(request: HttpRequest) -> HttpResponse:
    """The likely duplicates of what is being typed (emails and phones), as a fragment."""
    form = forms.DuplicateCheckForm(request.GET)
    duplicates = []
    if form.is_valid():
        duplicates = list(selectors.customer_duplicates(emails=form.cleaned_data["emails"],
                                                        phones=form.cleaned_data["phones"],
                                                        exclude_pk=form.cleaned_data["exclude"]))
    return _render(request, "orders/customer_form.html#duplicates", {"duplicates": duplicates})


@require_GET
@login_required
@permission_required("orders.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(
        Customer.objects.select_related("default_ship_address", "default_bill_address"), pk=pk)
    history = selectors.customer_history(customer=customer, after=request.GET.get("after"),
                                         before=request.GET.get("before"))
    _decorate_rows(history.orders.orders, user=request.user)
    context = {"customer": customer, "history": history, "page": history.orders}
    if _wants_fragment(request):
        return _render(request, "orders/customer_detail.html#orders", context)
    context.update({
        "addresses": list(Address.objects.filter(customer=customer).order_by("pk")),
        "note_form": forms.NoteForm(),
    })
    return _render(request, "orders/customer_detail.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.change_customer", raise_exception=True)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    if request.method == "POST":
        form = forms.CustomerForm(request.POST)
        if form.is_valid():
            try:
                customer_services.customer_update(customer=customer, user=request.user, **form.service_values())
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Customer %(number)s was saved.") % {"number": customer.number})
                return redirect(customer)
    else:
        form = forms.CustomerForm(initial={field: getattr(customer, field) for field in forms.CustomerForm.base_fields})
    duplicates = list(selectors.customer_duplicates(emails=customer.emails, phones=customer.phones,
                                                    exclude_pk=customer.pk))
    return _render(request, "orders/customer_form.html", {
        "form": form, "customer": customer, "creating": False, "duplicates": duplicates})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.add_address", raise_exception=True)
def address_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = forms.AddressBookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer_services.customer_address_add(
                customer=customer, user=request.user, address=form.address(),
                default_ship=form.cleaned_data["default_ship"], default_bill=form.cleaned_data["default_bill"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The address was added."))
            return redirect(customer)
    return _render(request, "orders/address_form.html", {"form": form, "customer": customer})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.change_address", raise_exception=True)
def address_edit(request: HttpRequest, pk: int, address_pk: int) -> HttpResponse:
    address = get_object_or_404(Address.objects.select_related("customer"), pk=address_pk, customer_id=pk)
    customer = address.customer
    if request.method == "POST":
        form = forms.AddressBookForm(request.POST)
        if form.is_valid():
            try:
                customer_services.customer_address_update(
                    address=address, user=request.user, values=form.address(),
                    default_ship=form.cleaned_data["default_ship"], default_bill=form.cleaned_data["default_bill"])
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("The address was saved."))
                return redirect(customer)
    else:
        form = forms.AddressBookForm.for_address(address, customer)
    return _render(request, "orders/address_form.html", {"form": form, "customer": customer, "address": address})


@require_POST
@login_required
@permission_required("orders.add_customernote", raise_exception=True)
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = forms.NoteForm(request.POST)
    if form.is_valid():
        try:
            customer_services.customer_note_add(customer=customer, user=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The note was added."))
    elif form.has_error("text", "card_number"):
        messages.error(request, " ".join(form.errors["text"]))
    else:
        messages.error(request, _("Write the note first."))
    return redirect(f"{customer.get_absolute_url()}#notes")


# --- the order list and the order page --------------------------------------------------------


@require_GET
@login_required
@permission_required("orders.view_order", raise_exception=True)
def order_list(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    data.setdefault("size", str(selectors.DEFAULT_PAGE_SIZE))
    form = forms.OrderFilterForm(data)
    if form.is_valid():
        page = selectors.order_search(**form.filters(), after=request.GET.get("after"),
                                      before=request.GET.get("before"))
        _decorate_rows(page.orders, user=request.user)
    else:
        page = selectors.OrderPage(orders=[])
    filter_query = request.GET.copy()
    for key in ("after", "before"):
        filter_query.pop(key, None)
    context = {
        "form": form, "page": page, "filter_query": filter_query.urlencode(), "channels": forms.CHANNELS,
        "can_view_customers": request.user.has_perm("orders.view_customer"),
        "is_filtered": any(value for key, value in request.GET.items() if key not in ("after", "before", "size")),
    }
    template = "orders/order_list.html#results" if _wants_fragment(request) else "orders/order_list.html"
    return _render(request, template, context)


def _order_page_context(request: HttpRequest, order: Order) -> dict:
    user = request.user
    lines = list(order.lines.all())
    holds = order.hold_rows
    status = order.status
    return {
        "order": order,
        "lines": lines,
        "holds": holds,
        "open_holds": [hold for hold in holds if hold.is_open],
        "releasable_hold_ids": {hold.pk for hold in holds if hold.is_open and order_services.can_release_hold(user, hold)},
        "events": list(order.events.all()),
        "explanation": [order_services.note_text(note) for note in (order.pricing or {}).get("explanation", [])],
        "open_lines": [line for line in lines if line.quantity_open > line.quantity_shipped],
        "can_view_customer": user.has_perm("orders.view_customer"),
        "can_hold": user.has_perm("orders.add_hold") and status in order_services.HOLDABLE_STATUSES,
        "can_cancel": user.has_perm("orders.cancel_order") and status in order_services.CANCELLABLE_STATUSES,
        "can_change": status in order_services.PRE_FULFILLMENT_STATUSES,
        "can_edit": user.has_perm("orders.edit_order") and status in order_services.PRE_FULFILLMENT_STATUSES,
        "hold_form": forms.HoldForm(),
        "cancel_form": forms.CancelOrderForm(),
        "panels": hooks.order_panels(order=order, user=user),  # payments' tender panel and others (orders.hooks)
        **_short_pick_context(user, order, lines),
    }


def _short_pick_context(user, order: Order, lines: list[OrderLine]) -> dict:
    """The order page's short-pick panel (orders/fulfillment): what the customer has not answered yet."""
    from orders.fulfillment.forms import ShortPickAnswerForm
    from orders.fulfillment.selectors import short_picks_open

    by_pk = {line.pk: line for line in lines}
    shorts = short_picks_open(order)
    for short in shorts:
        short.line = by_pk.get(short.data.get("line_id"))
    return {"short_picks": shorts, "can_answer_short_pick": user.has_perm("orders.answer_short_pick"),
            "short_pick_form": ShortPickAnswerForm()}


@require_GET
@login_required
@permission_required("orders.view_order", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = selectors.order_for_page(pk=pk)
    except Order.DoesNotExist as missing:
        raise Http404(_("No such order.")) from missing
    return _render(request, "orders/order_detail.html", _order_page_context(request, order))


def _order_error_message(error: order_services.OrderError) -> str:
    return " ".join(dict.fromkeys(error.messages)) or str(error)


def _add_order_errors(error: order_services.OrderError, field_map: dict[str, tuple[Form, str | None]],
                      form: Form) -> None:
    """Put each of ``error.field_errors`` next to its field: ``field_map`` names the form and field
    for a service key; other keys become errors of the whole ``form``."""
    for key, messages_ in error.field_errors.items():
        target, name = field_map.get(key, (form, None))
        target.add_error(name if name in target.fields else None, list(messages_))


def _after_action(request: HttpRequest, order: Order) -> HttpResponse:
    url = order.get_absolute_url()
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
@login_required
@permission_required("orders.add_hold", raise_exception=True)
def order_hold(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    form = forms.HoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reason for the hold."))
        return _after_action(request, order)
    try:
        order_services.order_hold(order=order, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"],
                                  user=request.user)
    except order_services.OrderError as error:
        messages.error(request, _order_error_message(error))
    else:
        messages.success(request, _("Order %(number)s is on %(reason)s hold.")
                         % {"number": order.number, "reason": Hold.Reason(form.cleaned_data["reason"]).label.lower()})
    return _after_action(request, order)


@require_POST
@login_required
def hold_release(request: HttpRequest, pk: int) -> HttpResponse:
    # Holds are released with orders.release_hold, credit-limit holds with orders.release_credit_hold
    # (accountants have only that one); the service checks the rest (fraud-level holds).
    if not (request.user.has_perm("orders.release_hold") or request.user.has_perm("orders.release_credit_hold")):
        raise PermissionDenied
    hold = get_object_or_404(Hold.objects.select_related("order"), pk=pk)
    if not request.user.has_perm("orders.release_hold") and hold.reason != Hold.Reason.CREDIT:
        raise PermissionDenied
    form = forms.ReleaseHoldForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        order_services.order_release_hold(hold=hold, user=request.user, note=note)
    except PermissionDenied:
        messages.error(request, _("You may not release a %(reason)s hold.") % {"reason": hold.get_reason_display()})
    except order_services.OrderError as error:
        messages.error(request, _order_error_message(error))
    else:
        messages.success(request, _("The %(reason)s hold was released.") % {"reason": hold.get_reason_display()})
    return _after_action(request, hold.order)


@require_POST
@login_required
@permission_required("orders.cancel_order", raise_exception=True)
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    form = forms.CancelOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the cancellation."))
        return _after_action(request, order)
    try:
        order_services.order_cancel(order=order, user=request.user, reason=form.cleaned_data["reason"])
    except order_services.OrderError as error:
        messages.error(request, _order_error_message(error))
    else:
        messages.success(request, _("Order %(number)s was cancelled.") % {"number": order.number})
    return _after_action(request, order)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.cancel_order", raise_exception=True)
def order_cancel_lines(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(
        Order.objects.select_related("customer").prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("line_number"))), pk=pk)
    lines = [line for line in order.lines.all() if line.quantity_open > line.quantity_shipped]
    form = forms.CancelLinesForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        try:
            order_services.order_cancel_lines(order=order, quantities=form.quantities(), user=request.user,
                                              reason=form.cleaned_data["reason"])
        except order_services.OrderError as error:
            _add_order_errors(error, {"reason": (form, "reason"), **{
                f"quantities-{line.pk}": (form, f"cancel_{line.pk}") for line in lines}}, form)
        else:
            messages.success(request, _("The units were cancelled."))
            return _after_action(request, order)
    rows = [(line, form[f"cancel_{line.pk}"]) for line in lines]
    return _render(request, "orders/order_cancel_lines.html", {"order": order, "form": form, "rows": rows})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.edit_order", raise_exception=True)
def line_substitute(request: HttpRequest, pk: int) -> HttpResponse:
    line = get_object_or_404(OrderLine.objects.select_related("order__customer", "sku"), pk=pk)
    order = line.order
    form = forms.SubstituteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order_services.order_substitute(line=line, substitute=form.cleaned_data["sku"], user=request.user,
                                            reason=form.cleaned_data["reason"])
        except order_services.OrderError as error:
            _add_order_errors(error, {"substitute": (form, "sku"), "reason": (form, "reason")}, form)
        else:
            messages.success(request, _("Line %(line)d now ships %(code)s.")
                             % {"line": line.line_number, "code": form.cleaned_data["sku"].code})
            return _after_action(request, order)
    return _render(request, "orders/line_substitute.html", {"order": order, "line": line, "form": form})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.edit_order", raise_exception=True)
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(
        Order.objects.select_related("customer", "shipping_method").prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("line_number"))), pk=pk)
    form = forms.OrderEditForm(request.POST or None, order=order)
    ship_form = forms.AddressForm(request.POST or None, prefix="ship", initial=order.ship_to or None)
    change_address = bool(request.POST.get("change_address"))
    if request.method == "POST":
        # Both forms are checked, so that every mistake shows at once.
        is_valid = form.is_valid() & (ship_form.is_valid() if change_address else True)
        if is_valid:
            add_lines = []
            if form.cleaned_data.get("add_sku"):
                add_lines.append(order_services.LineRequest(
                    sku=form.cleaned_data["add_sku"], quantity=form.cleaned_data.get("add_quantity") or 1))
            shipping_method = form.cleaned_data["shipping_method"]
            try:
                order_services.order_edit(
                    order=order, user=request.user, add_lines=add_lines, remove_line_ids=form.remove_line_ids(),
                    quantities=form.quantities() or None,
                    ship_to=ship_form.address() if change_address else None,
                    shipping_method=shipping_method if shipping_method and
                    shipping_method.pk != order.shipping_method_id else None,
                )
            except order_services.OrderError as error:
                field_map = {f"ship_{key}": (ship_form, key) for key in forms.ADDRESS_KEYS}
                field_map.update({f"quantities-{line.pk}": (form, f"quantity_{line.pk}") for line in form.open_lines})
                field_map.update({"add_lines-0-sku": (form, "add_sku"), "add_lines-0-quantity": (form, "add_quantity"),
                                  "shipping_method": (form, "shipping_method")})
                _add_order_errors(error, field_map, form)
            else:
                messages.success(request, _("Order %(number)s was changed.") % {"number": order.number})
                return redirect(order)
    return _render(request, "orders/order_edit.html", {"order": order, "form": form, "ship_form": ship_form})


# --- SKU lookup (order entry, substitution, edit) ---------------------------------------------


SKU_BOXES = ("q", "add_query", "sku", "add_sku")


@require_GET
@login_required
@permission_required("orders.view_order", raise_exception=True)
def sku_lookup(request: HttpRequest) -> HttpResponse:
    """Options for the SKU comboboxes: code, name, price and units available."""
    from inventory.selectors import available_totals

    # Each box sends its own value under its own name.
    query = next((request.GET[key] for key in SKU_BOXES if request.GET.get(key, "").strip()), "")[:100].strip()
    skus = list(catalog_selectors.sku_search(query=query, limit=12)) if query else []
    available = available_totals(skus) if skus else {}
    return _render(request, "orders/_sku_options.html", {
        "query": query, "results": [(sku, available.get(sku.pk, 0)) for sku in skus],
        "listbox": request.GET.get("listbox", "sku-results"),
    })


# --- order entry ------------------------------------------------------------------------------
#
# The order being entered lives in the page's form, not in the database: every change posts the
# whole form to ``entry_draft``, which quotes it (``order_quote``, no writes) and answers with the
# parts of the page that changed, as out-of-band swaps. ``order_entry`` places it.

ENTRY_CHANNEL = "phone"
ENTRY_TOKEN_PREFIX = "entry-"
ADD_LINE_RESET = "#add-line-query, #add-sku, #add-line-quantity"


@dataclass
class EntryState:
    """A bound entry form, its lines, and what the quote said about them."""

    form: forms.EntryForm
    lines: list[forms.DraftLine]
    customer: Customer | None = None
    addresses: list[Address] = field(default_factory=list)
    ship_form: forms.AddressForm | None = None
    ship_choice: str = ""
    methods: list = field(default_factory=list)
    method: object = None
    pickup_stores: list = field(default_factory=list)
    quote: object = None
    line_errors: dict[int, list[str]] = field(default_factory=dict)  # by line key
    errors: dict[str, list[str]] = field(default_factory=dict)  # other fields

    def ship_to(self) -> dict | None:
        if self.ship_choice == forms.NEW_ADDRESS:
            form = self.ship_form
            return {key: form.data.get(form.add_prefix(key), "") for key in forms.ADDRESS_KEYS}
        address = next((address for address in self.addresses if str(address.pk) == self.ship_choice), None)
        return address.as_snapshot() if address else None

    def quote_by_key(self) -> dict[int, object]:
        if self.quote is None:
            return {}
        return {line.key: quote_line for line, quote_line in zip(self.lines, self.quote.lines)}

    def general_errors(self) -> list[str]:
        """Errors not shown next to a field of their own (the basket, coupons, the channel...)."""
        shown = {"customer", "source_code", "shipping_method", "pickup_warehouse"}
        return [message for key, messages_ in self.errors.items()
                if key not in shown and not key.startswith("ship_") for message in messages_]

    def ship_errors(self) -> list[str]:
        return [message for key, messages_ in self.errors.items() if key.startswith("ship_") for message in messages_]

    def gift_lines(self) -> list:
        return [line for line in self.quote.lines if line.is_gift] if self.quote else []


def _entry_state(data, *, customer_changed: bool = False) -> EntryState:
    """Bind the entry form to ``data`` and read what it refers to (a fixed number of queries)."""
    form = forms.EntryForm(data)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    state = EntryState(form=form, lines=forms.draft_lines(data))
    state.customer = cleaned.get("customer")
    if state.customer is not None:
        state.addresses = list(Address.objects.filter(customer=state.customer).order_by("pk"))
    ship_choice = "" if customer_changed else str(data.get("ship_choice") or "")
    if not ship_choice or (ship_choice != forms.NEW_ADDRESS
                           and not any(str(address.pk) == ship_choice for address in state.addresses)):
        default = state.customer.default_ship_address_id if state.customer else None
        ship_choice = str(default or (state.addresses[0].pk if state.addresses else forms.NEW_ADDRESS))
    state.ship_choice = ship_choice
    state.ship_form = forms.AddressForm(data if ship_choice == forms.NEW_ADDRESS and not customer_changed else None,
                                        prefix="ship", compact=True,
                                        initial={"name": state.customer.display_name} if state.customer else None)
    state.methods = list(ShippingMethod.objects.filter(is_active=True).order_by("position", "code"))
    state.method = cleaned.get("shipping_method") or (state.methods[0] if state.methods else None)
    if state.method is not None and state.method.fulfillment_type != "ship":
        state.pickup_stores = list(Warehouse.objects.filter(is_active=True, allows_pickup=True))
    return state


def _quote(state: EntryState) -> None:
    """Ask the order services what the draft would cost and whether it could be placed."""
    if not state.lines:
        return
    cleaned = state.form.cleaned_data
    is_pickup = state.method is not None and state.method.fulfillment_type != "ship"
    state.quote = order_services.order_quote(
        channel=ENTRY_CHANNEL, customer=state.customer, lines=_line_requests(state), source_code=cleaned["source_code"],
        coupons=cleaned["coupons"], ship_to=None if is_pickup else state.ship_to(), shipping_method=state.method,
        fulfillment_type=state.method.fulfillment_type if state.method else "ship",
        pickup_warehouse=cleaned.get("pickup_warehouse") if is_pickup else None,
    )
    _spread_errors(state, state.quote.errors)


def _line_requests(state: EntryState) -> list:
    return [order_services.LineRequest(sku=line.sku, quantity=line.quantity, personalization=line.personalization)
            for line in state.lines]


def _spread_errors(state: EntryState, field_errors: dict[str, list[str]]) -> None:
    """File the services' errors under the line keys (``lines-<n>-...`` counts lines from 0) or fields."""
    state.line_errors, state.errors = {}, {}
    for key, messages_ in field_errors.items():
        match = re.match(r"^lines-(\d+)-", key)
        if match and int(match.group(1)) < len(state.lines):
            state.line_errors.setdefault(state.lines[int(match.group(1))].key, []).extend(messages_)
        else:
            state.errors.setdefault(key, []).extend(messages_)


@dataclass
class EntryRow:
    """What the page shows for one line: the line, its quote, its errors, its personalization inputs."""

    line: forms.DraftLine
    quote_line: object
    errors: list[str]
    fields: list[tuple[object, str, str]]  # (personalization field, value, where Enter goes next)


def _entry_rows(state: EntryState) -> list[EntryRow]:
    quotes = state.quote_by_key()
    rows = []
    for line in state.lines:
        inputs = line.personalization_fields
        # Enter in a personalization input goes to the next one, and from the last to the add-line box.
        next_focus = [f"#line-{line.key}-p-{following.key}" for following in inputs[1:]] + ["#add-line-query"]
        rows.append(EntryRow(line=line, quote_line=quotes.get(line.key), errors=state.line_errors.get(line.key, []),
                             fields=[(item, line.personalization.get(item.key, ""), focus)
                                     for item, focus in zip(inputs, next_focus)]))
    return rows


def _entry_context(state: EntryState, *, user=None, **extra) -> dict:
    quote = state.quote
    tax_rate = ""
    if quote is not None and quote.basket is not None:
        # Each rate the lines pay, highest first (a reduced-rate SKU pays its own); zero-rated lines add none.
        rule = quote.basket.tax_rule
        rates = sorted({rule.rate_for(line.sku.tax_class) for line in quote.lines if line.sku is not None}
                       - {Decimal("0")}, reverse=True) or [quote.tax_rate]
        locale = to_locale(get_language() or "en")
        tax_rate = " / ".join(format_percent(rate, format="#,##0.###%", locale=locale) for rate in rates)
    return {"state": state, "form": state.form, "quote": quote, "rows": _entry_rows(state), "tax_rate": tax_rate,
            "new_address": forms.NEW_ADDRESS, "channel": ENTRY_CHANNEL,
            "entry_panels": hooks.entry_panels(user=user, customer=state.customer, quote=quote) if user else [],
            **extra}


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.place_order", raise_exception=True)
def order_entry(request: HttpRequest) -> HttpResponse:
    """The order-entry page; its POST places the order (``order_place``) and opens it."""
    if request.method == "GET":
        data = {"customer": request.GET["customer"]} if request.GET.get("customer", "").isdigit() else {}
        data["entry_token"] = uuid.uuid4().hex
        state = _entry_state(data, customer_changed=True)
        return _render(request, "orders/order_entry.html", _entry_context(state, user=request.user))
    state = _entry_state(request.POST)
    cleaned = state.form.cleaned_data
    is_pickup = state.method is not None and state.method.fulfillment_type != "ship"
    ship_to = state.ship_to() or {}
    try:
        order = order_services.order_place(
            user=request.user, channel=ENTRY_CHANNEL, customer=state.customer, lines=_line_requests(state),
            ship_to={} if is_pickup else ship_to, shipping_method=state.method, source_code=cleaned["source_code"],
            coupons=cleaned["coupons"], notes=cleaned["notes"],
            fulfillment_type=state.method.fulfillment_type if state.method else "ship",
            pickup_warehouse=cleaned.get("pickup_warehouse") if is_pickup else None,
            external_id=f"{ENTRY_TOKEN_PREFIX}{cleaned['entry_token']}" if cleaned.get("entry_token") else None,
            payment=hooks.entry_payment(request.POST),
        )
    except order_services.OrderError as error:
        _quote(state)
        _spread_errors(state, error.field_errors)
        for key, messages_ in error.field_errors.items():
            if key.startswith("ship_") and state.ship_choice == forms.NEW_ADDRESS:
                state.ship_form.add_error(key[len("ship_"):] if key[5:] in forms.ADDRESS_KEYS else None, messages_)
        messages.error(request, _("The order was not placed: see what needs fixing."))
        return _render(request, "orders/order_entry.html", _entry_context(state, user=request.user), status=422)
    messages.success(request, _("Order %(number)s was placed: %(total)s.")
                     % {"number": order.number, "total": money(order.total, order.currency)})
    return redirect(order)


@require_GET
@login_required
@permission_required("orders.place_order", raise_exception=True)
def entry_customer_lookup(request: HttpRequest) -> HttpResponse:
    """Options of the entry's customer box: matching customers, then "new customer"."""
    query = (request.GET.get("customer_query") or request.GET.get("q") or "")[:200].strip()
    customers = list(selectors.customer_search(query=query, limit=10)) if query else []
    return _render(request, "orders/_customer_options.html", {"query": query, "customers": customers})


@require_POST
@login_required
@permission_required("orders.place_order", raise_exception=True)
def entry_draft(request: HttpRequest) -> HttpResponse:
    """Re-quote the draft after a change and send back the parts of the page that changed.

    ``action`` says what changed: ``quote`` (a quantity, a code, an address...), ``customer``,
    ``add`` (the add-line box), ``remove-<key>``, ``swap-<key>-<sku id>`` (take a substitute),
    ``ship`` (the ship-to choice) or ``method`` (the shipping method).
    """
    action = request.POST.get("action", "quote")
    data = request.POST.copy()
    focus = None
    if action == "customer-clear":
        data["customer"] = ""
    state = _entry_state(data, customer_changed=action in ("customer", "customer-clear"))
    if action == "add":
        focus = _add_line(state, data)
    elif action.startswith("remove-"):
        state.lines = [line for line in state.lines if str(line.key) != action.removeprefix("remove-")]
        focus = "#add-line-query"
    elif action.startswith("swap-"):
        focus = _swap_line(state, action)
    _quote(state)
    regions = {
        "customer": action in ("customer", "customer-clear"),
        "lines": action == "add" or action.startswith(("remove-", "swap-")),
        "ship": action in ("customer", "customer-clear", "ship"),
        "method": action in ("customer", "customer-clear", "method"),
    }
    # Entry panels (payments') are sent again only when the customer changed (their update_template).
    response = _render(request, "orders/order_entry.html#draft_update",
                       _entry_context(state, user=request.user if regions["customer"] else None, regions=regions))
    if action == "customer":
        focus = "#source-code"
    elif action == "customer-clear":
        focus = "#customer-query"
    if focus:
        # "target": the element that asked may have been swapped out; the event must reach the body.
        trigger_client_event(response, "entry:focus", {"target": "body", "focus": focus,
                                                       "reset": ADD_LINE_RESET if action == "add" else ""},
                             after="settle")
    return response


def _add_line(state: EntryState, data) -> str:
    """Add the SKU of the add-line box; returns where the focus goes next."""
    try:
        sku = Sku.objects.select_related("personalization_template").prefetch_related(
            "personalization_template__fields").get(pk=int(data.get("add_sku") or 0))
    except (Sku.DoesNotExist, ValueError):
        return "#add-line-query"
    key = max((line.key for line in state.lines), default=0) + 1
    quantity = str(data.get("add_quantity") or "1").strip() or "1"
    line = forms.DraftLine(key=key, sku=sku, quantity_text=quantity)
    state.lines.append(line)
    fields = line.personalization_fields
    return f"#line-{key}-p-{fields[0].key}" if fields else "#add-line-query"


def _swap_line(state: EntryState, action: str) -> str:
    """Put a suggested substitute in place of a line's SKU (``swap-<key>-<sku id>``)."""
    _swap, key, sku_id = (action.split("-") + ["", ""])[:3]
    substitute = Sku.objects.select_related("personalization_template").prefetch_related(
        "personalization_template__fields").filter(pk=int(sku_id) if sku_id.isdigit() else 0).first()
    for line in state.lines:
        if str(line.key) == key and substitute is not None:
            line.sku = substitute
            line.personalization = {}
    return f"#line-{key}-quantity"
