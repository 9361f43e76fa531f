"""Screens for managers (campaigns, source codes, price lists, promotions, coupons) and the pricing simulator."""

from __future__ import annotations

import csv
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from marketing import selectors, services
from marketing.errors import MarketingError
from marketing.forms import (
    BASKET_ROWS,
    CHANNEL_CHOICES,
    BasketFormSet,
    CampaignForm,
    CouponForm,
    CouponGenerateForm,
    PriceListEntryForm,
    PriceListForm,
    PriceListImportForm,
    PromotionForm,
    SimulatorForm,
    SourceCodeForm,
)
from marketing.imports import FIXED_PRICE_LIST, PRICE_LIST_ENTRIES
from marketing.models import Campaign, CouponBatch, PriceList, PriceListEntry, Promotion, SourceCode
from marketing.pricing import CustomerContext, LineInput, PricingError, ShippingInput, price_order
from oms.exports import spreadsheet_safe_row
from oms.imports import exports
from oms.imports.services import import_job_start
from oms.imports.views import export_response

PAGE_SIZE = 50


def _page(request, queryset, size: int = PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _list_template(request, name: str) -> str:
    """The whole page, or only its results when htmx asks (searching as you type, paging)."""
    return f"marketing/{name}.html#results" if request.htmx and not request.htmx.boosted else f"marketing/{name}.html"


def _edit(request, *, form, service, template: str, saved: str, context: dict | None = None, then=None):
    """Bind, validate, save through ``service``, then go to ``then(saved object)`` or the saved object's page."""
    if request.method == "POST" and form.is_valid():
        saved_object = service(form=form, user=request.user)
        messages.success(request, saved % {"name": str(saved_object)})
        return redirect(then(saved_object) if then else saved_object)
    return render(request, template, {"form": form, **(context or {})})


# --- campaigns -----------------------------------------------------------------------------------


@require_GET
@login_required
@permission_required("marketing.view_campaign", raise_exception=True)
def campaign_list(request):
    query, medium = request.GET.get("q", "").strip(), request.GET.get("medium", "")
    page = _page(request, selectors.campaign_search(query=query, medium=medium))
    return render(request, _list_template(request, "campaign_list"),
                  {"page": page, "query": query, "medium": medium, "media": Campaign.Medium.choices})


@require_GET
@login_required
@permission_required("marketing.view_campaign", raise_exception=True)
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    source_codes = selectors.source_code_search(campaign=campaign)
    cost_per_piece = (campaign.cost / campaign.quantity_circulated) if campaign.quantity_circulated else None
    return render(request, "marketing/campaign_detail.html", {
        "campaign": campaign, "source_codes": source_codes, "cost_per_piece": cost_per_piece,
        "promotions": campaign.promotions.order_by("priority", "pk"),
        "batches": campaign.coupon_batches.select_related("promotion")[:20],
    })


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("marketing.add_campaign", raise_exception=True)
def campaign_create(request):
    return _edit(request, form=CampaignForm(request.POST or None), service=services.campaign_save,
                 template="marketing/form.html", saved=_("Campaign %(name)s saved."),
                 context={"title": _("New campaign"), "back": reverse("marketing:campaign_list")})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("marketing.change_campaign", raise_exception=True)
def campaign_edit(request, pk: int):
    campaign = get_object_or_404(Campaign, pk=pk)
    return _edit(request, form=CampaignForm(request.POST or None, instance=campaign),
                 service=services.campaign_save, template="marketing/form.html",
                 saved=_("Campaign %(name)s saved."),
                 context={"title": _("Edit campaign %(code)s") % {"code": campaign.code},
                          "back": campaign.get_absolute_url()})


# --- source codes --------------------------------------------------------------------------------


@require_GET
@login_required
@permission_required("marketing.view_sourcecode", raise_exception=True)
def sourcecode_list(request):
    query = request.GET.get("q", "").strip()
    page = _page(request, selectors.source_code_search(query=query))
    return render(request, _list_template(request, "sourcecode_list"), {"page": page, "query": query})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("marketing.add_sourcecode", raise_exception=True)
def sourcecode_create(request):
    initial = {}
    campaign = Campaign.objects.filter(pk=request.GET.get("campaign") or None).first() \
        if str(request.GET.get("campaign", "")).isdigit() else None
    if campaign is not None:
        initial["campaign"] = campaign
    back = campaign.get_absolute_url() if campaign else reverse("marketing:sourcecode_list")
    return _edit(request, form=SourceCodeForm(request.POST or None, initial=initial),
                 service=services.source_code_save, template="marketing/form.html",
                 saved=_("Source code %(name)s saved."), context={"title": _("New source code"), "back": back},
                 then=lambda source_code: source_code.campaign.get_absolute_url())


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("marketing.change_sourcecode", raise_exception=True)
def sourcecode_edit(request, pk: int):
    source_code = get_object_or_404(SourceCode, pk=pk)
    return _edit(request, form=SourceCodeForm(request.POST or None, instance=source_code),
                 service=services.source_code_save, template="marketing/form.html",
                 saved=_("Source code %(name)s saved."),
                 context={"title": _("Edit source code %(code)s") % {"code": source_code.code},
                          "back": source_code.campaign.get_absolute_url()},
                 then=lambda saved: saved.campaign.get_absolute_url())


# --- price lists ---------------------------------------------------------------------------------


@require_GET
@login_required
@permission_required("marketing.view_pricelist", raise_exception=True)
def pricelist_list(request):
    query = request.GET.get("q", "").strip()
    page = _page(request, selectors.price_list_search(query=query))
    return render(request, _list_template(request, "pricelist_list"), {"page": page, "query": query})


def _pricelist_context(request, price_list: PriceList, *, entry_form=None, import_form=None) -> dict:
    query = request.GET.get("q", "").strip()
    return {
        "price_list": price_list, "query": query,
        "page": _page(request, selectors.price_list_entries(price_list=price_list, query=query)),
        "entry_form": entry_form or PriceListEntryForm(),
        "import_form": import_form or PriceListImportForm(),
    }


@require_GET
@login_required
@permission_required("marketing.view_pricelist", raise_exception=True)
def pricelist_detail(request, pk: int):
    price_list = get_object_or_404(PriceList, pk=pk)
    template = "marketing/pricelist_detail.html#results" if request.htmx and not request.htmx.boosted \
        else "marketing/pricelist_detail.html"
    return render(request, template, _pricelist_context(request, price_list))


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("marketing.add_pricelist", raise_exception=True)
def pricelist_create(request):
    return _edit(request, form=PriceListForm(request.POST or None), service=services.price_list_save,
                 template="marketing/form.html", saved=_("Price list %(name)s saved."),
                 context={"title": _("New price list"), "back": reverse("marketing:pricelist_list")})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("marketing.change_pricelist", raise_exception=True)
def pricelist_edit(request, pk: int):
    price_list = get_object_or_404(PriceList, pk=pk)
    return _edit(request, form=PriceListForm(request.POST or None, instance=price_list),
                 service=services.price_list_save, template="marketing/form.html",
                 saved=_("Price list %(name)s saved."),
                 context={"title": _("Edit price list %(code)s") % {"code": price_list.code},
                          "back": price_list.get_absolute_url()})


@require_POST
@login_required
@permission_required("marketing.change_pricelistentry", raise_exception=True)
def pricelist_entry_set(request, pk: int):
    price_list = get_object_or_404(PriceList, pk=pk)
    form = PriceListEntryForm(request.POST)
    if form.is_valid():
        try:
            entry = services.price_list_entry_set(price_list=price_list, user=request.user, **form.cleaned_data)
        except MarketingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(sku)s now costs %(price)s on %(list)s.")
                             % {"sku": entry.sku.code, "price": entry.price, "list": price_list.code})
            return redirect(price_list)
    return render(request, "marketing/pricelist_detail.html",
                  _pricelist_context(request, price_list, entry_form=form), status=400)


@require_POST
@login_required
@permission_required("marketing.delete_pricelistentry", raise_exception=True)
def pricelist_entry_delete(request, pk: int, entry_pk: int):
    entry = get_object_or_404(PriceListEntry.objects.select_related("sku"), pk=entry_pk, price_list_id=pk)
    services.price_list_entry_remove(entry=entry, user=request.user)
    messages.success(request, _("%(sku)s removed from the price list.") % {"sku": entry.sku.code})
    return redirect("marketing:pricelist_detail", pk=pk)


@require_POST
@login_required
@permission_required(["marketing.add_pricelistentry", "marketing.change_pricelistentry"], raise_exception=True)
def pricelist_import(request, pk: int):
    """Upload a file of entries into this price list: it becomes an import job (checked first, here or in
    Celery when large), whose page shows the problems or commits it, all rows or none."""
    price_list = get_object_or_404(PriceList, pk=pk)
    form = PriceListImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        job = import_job_start(kind=PRICE_LIST_ENTRIES, file=upload, user=request.user, file_name=upload.name,
                               options={FIXED_PRICE_LIST: price_list.code})
        url = job.get_absolute_url()
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        # htmx swaps only a 2xx answer: the form's errors come back as one.
        return render(request, "marketing/pricelist_detail.html#import_result",
                      {"price_list": price_list, "import_form": form})
    return render(request, "marketing/pricelist_detail.html",
                  _pricelist_context(request, price_list, import_form=form), status=400)


@require_GET
@login_required
@permission_required(["marketing.view_pricelist", "marketing.view_pricelistentry"], raise_exception=True)
def pricelist_export(request, pk: int, file_format: str):
    if file_format not in exports.FORMATS:
        raise Http404(file_format)
    price_list = get_object_or_404(PriceList, pk=pk)
    return export_response(kind=PRICE_LIST_ENTRIES, file_format=file_format, file_stem=f"price-list-{price_list.code}",
                           price_list=price_list)


# --- promotions and coupons -------------------------------------------------------------------------


@require_GET
@login_required
@permission_required("marketing.view_promotion", raise_exception=True)
def promotion_list(request):
    query, kind, state = request.GET.get("q", "").strip(), request.GET.get("kind", ""), request.GET.get("state", "")
    page = _page(request, selectors.promotion_search(query=query, kind=kind, state=state))
    return render(request, _list_template(request, "promotion_list"),
                  {"page": page, "query": query, "kind": kind, "state": state, "kinds": Promotion.Kind.choices})


def _promotion_context(request, promotion: Promotion, **forms) -> dict:
    coupons = promotion.coupons.filter(batch__isnull=True).order_by("code")
    return {
        "promotion": promotion,
        "source_codes": promotion.source_codes.select_related("campaign").order_by("code"),
        "coupons": coupons[:100],
        "batches": promotion.coupon_batches.select_related("campaign", "created_by"),
        "usage_count": promotion.usages.count(),
        "coupon_form": forms.get("coupon_form") or CouponForm(),
        "generate_form": forms.get("generate_form") or CouponGenerateForm(initial={"campaign": promotion.campaign}),
    }


@require_GET
@login_required
@permission_required("marketing.view_promotion", raise_exception=True)
def promotion_detail(request, pk: int):
    promotion = get_object_or_404(Promotion.objects.select_related("campaign", "get_sku", "gift_sku"), pk=pk)
    return render(request, "marketing/promotion_detail.html", _promotion_context(request, promotion))


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("marketing.add_promotion", raise_exception=True)
def promotion_create(request):
    initial = {}
    if str(request.GET.get("campaign", "")).isdigit():
        initial["campaign"] = Campaign.objects.filter(pk=request.GET["campaign"]).first()
    return _edit(request, form=PromotionForm(request.POST or None, initial=initial),
                 service=services.promotion_save, template="marketing/promotion_form.html",
                 saved=_("Promotion %(name)s saved."),
                 context={"title": _("New promotion"), "back": reverse("marketing:promotion_list")})


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("marketing.change_promotion", raise_exception=True)
def promotion_edit(request, pk: int):
    promotion = get_object_or_404(Promotion, pk=pk)
    return _edit(request, form=PromotionForm(request.POST or None, instance=promotion),
                 service=services.promotion_save, template="marketing/promotion_form.html",
                 saved=_("Promotion %(name)s saved."),
                 context={"title": _("Edit promotion %(name)s") % {"name": promotion.name},
                          "back": promotion.get_absolute_url()})


@require_POST
@login_required
@permission_required("marketing.add_coupon", raise_exception=True)
def coupon_create(request, pk: int):
    promotion = get_object_or_404(Promotion, pk=pk)
    form = CouponForm(request.POST)
    if form.is_valid():
        try:
            coupon = services.coupon_create(promotion=promotion, code=form.cleaned_data["code"],
                                            max_uses=form.cleaned_data["max_uses"], user=request.user)
        except MarketingError as error:
            form.add_error("code", str(error))
        else:
            messages.success(request, _("Coupon %(code)s added.") % {"code": coupon.code})
            return redirect(promotion)
    return render(request, "marketing/promotion_detail.html",
                  _promotion_context(request, promotion, coupon_form=form), status=400)


@require_POST
@login_required
@permission_required("marketing.add_coupon", raise_exception=True)
def coupon_generate(request, pk: int):
    promotion = get_object_or_404(Promotion, pk=pk)
    form = CouponGenerateForm(request.POST)
    if form.is_valid():
        try:
            batch = services.coupon_generate(promotion=promotion, user=request.user, **form.cleaned_data)
        except MarketingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(count)s coupons generated.") % {"count": batch.quantity})
            return redirect(promotion)
    return render(request, "marketing/promotion_detail.html",
                  _promotion_context(request, promotion, generate_form=form), status=400)


@require_GET
@login_required
@permission_required("marketing.view_coupon", raise_exception=True)
def coupon_batch_download(request, pk: int):
    batch = get_object_or_404(CouponBatch.objects.select_related("promotion"), pk=pk)

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())
    header = [_("code"), _("promotion"), _("uses allowed")]
    rows = batch.coupons.order_by("code").values_list("code", "max_uses").iterator(chunk_size=2000)
    body = (writer.writerow(spreadsheet_safe_row([code, batch.promotion.name, "" if uses is None else uses]))
            for code, uses in rows)
    response = StreamingHttpResponse(_chain([writer.writerow(header)], body), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="coupons-{batch.pk}.csv"'
    return response


def _chain(*iterables):
    for iterable in iterables:
        yield from iterable


# --- the simulator ------------------------------------------------------------------------------------


def _price_from_forms(form: SimulatorForm, basket) -> tuple[object | None, str]:
    """The priced order and "" when the forms are valid and pricing works, else None and why not."""
    if not form.is_valid() or not basket.is_valid():
        return None, ""
    lines = [
        LineInput(sku_code=row["sku_code"].strip(), quantity=row.get("quantity") or 1,
                  personalized=bool(row.get("personalized")))
        for row in basket.cleaned_data if row.get("sku_code", "").strip()
    ]
    if not lines:
        return None, _("Enter at least one SKU code.")
    data = form.cleaned_data
    shipping = None
    if data["shipping_charge"] is not None:
        shipping = ShippingInput(method_code=data["shipping_method"] or "standard",
                                 charge=Decimal(data["shipping_charge"]), currency=data["currency"])
    try:
        priced = price_order(
            channel=data["channel"], lines=lines,
            customer=CustomerContext(customer_id=data["customer_id"], customer_type=data["customer_type"],
                                     segment_codes=frozenset(data["segments"])),
            source_code=data["source_code"], coupon_codes=data["coupons"], shipping=shipping,
            at=data["at"], currency=data["currency"],
        )
    except PricingError as error:
        return None, str(error)
    return priced, ""


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("marketing.use_simulator", raise_exception=True)
def simulator(request):
    """A basket, a customer and codes in; the priced order and its explanation out, as you type."""
    priced, problem, focus_row = None, "", None
    if request.method == "POST":
        data = request.POST
        if "add_row" in data:
            data = data.copy()
            rows = int(data.get("lines-TOTAL_FORMS") or 0)
            data["lines-TOTAL_FORMS"] = str(min(rows + 1, 200))
            focus_row = rows
        form, basket = SimulatorForm(data), BasketFormSet(data, prefix="lines")
        priced, problem = _price_from_forms(form, basket)
    else:
        form = SimulatorForm()
        basket = BasketFormSet(prefix="lines", initial=[{"quantity": 1}] + [{}] * (BASKET_ROWS - 1))
    context = {"form": form, "basket": basket, "priced": priced, "problem": problem, "focus_row": focus_row,
               "channel_choices": CHANNEL_CHOICES, "submitted": request.method == "POST"}
    if request.htmx and "add_row" in request.POST:
        template = "marketing/simulator.html#simulator"
    elif request.htmx:
        template = "marketing/simulator.html#result"
    else:
        template = "marketing/simulator.html"
    return render(request, template, context)
