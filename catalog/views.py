"""Catalog screens: SKU search, style and SKU pages, the kit editor.

Stock figures on these pages come from the reads inventory registers for them
(:mod:`catalog.hooks`): inventory sits above the catalog, so the catalog never imports it.
"""

from __future__ import annotations

from operator import attrgetter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from catalog import selectors, services
from catalog.hooks import sku_panels, stock_reads
from catalog.errors import KitCycleError
from catalog.forms import KitComponentAddForm, KitComponentQuantityForm, SkuSearchForm
from catalog.models import KitComponent, Sku, Style, VendorItem

SEARCH_LIMIT = 25


def _wants_fragment(request: HttpRequest) -> bool:
    """An htmx swap asks for a fragment; a boosted link or a history restore needs the page."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


@require_GET
@login_required
@permission_required("catalog.view_sku", raise_exception=True)
def sku_search(request: HttpRequest) -> HttpResponse:
    form = SkuSearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    skus = list(selectors.sku_search(query=query, limit=SEARCH_LIMIT)) if query else []
    available = stock_reads().available_totals(skus) if skus else {}
    context = {
        "form": form,
        "query": query,
        "results": [(sku, available.get(sku.pk, 0)) for sku in skus],
        "limit": SEARCH_LIMIT,
    }
    template = "catalog/sku_search.html#results" if _wants_fragment(request) else "catalog/sku_search.html"
    return render(request, template, context)


@require_GET
@login_required
@permission_required("catalog.view_sku", raise_exception=True)
def sku_options(request: HttpRequest) -> HttpResponse:
    """``<option>``s for the SKU ``<datalist>`` of the forms that take a SKU code."""
    # The inputs that ask send their own value under their own name ("component", "lines-0-sku"...).
    query = (request.GET.get("q") or next((value for value in request.GET.values() if value.strip()), ""))[:100]
    skus = list(selectors.sku_search(query=query, limit=15)) if query.strip() else []
    return render(request, "catalog/sku_search.html#options", {"skus": skus})


@require_GET
@login_required
@permission_required("catalog.view_style", raise_exception=True)
def style_detail(request: HttpRequest, pk: int) -> HttpResponse:
    style = get_object_or_404(Style, pk=pk)
    skus = list(style.skus.order_by("pk"))
    table = stock_reads().stock_table(skus)
    matrix = _variant_matrix(style, skus, table.totals)
    return render(request, "catalog/style_detail.html", {
        "style": style,
        "skus": skus,
        "matrix": matrix,
        "warehouses": table.warehouses,
        "stock_rows": [(sku, table.rows(sku), table.totals.get(sku.pk, 0))
                       for sku in sorted(skus, key=attrgetter("code"))],
        "can_view_stock": request.user.has_perm("inventory.view_stocklevel"),
    })


def _variant_matrix(style: Style, skus: list[Sku], totals: dict[int, int]) -> dict:
    """Rows along the first option axis, columns along the second; a list for fewer axes.

    Values keep the order in which their SKUs were created, which is the order the range
    was set up in (S, M, L rather than L, M, S).
    """
    axes = [str(axis) for axis in (style.option_axes or [])]

    def cell(sku: Sku) -> dict:
        return {"sku": sku, "available": totals.get(sku.pk, 0)}

    if len(axes) < 2:
        axis = axes[0] if axes else ""
        return {"kind": "list", "axis": axis,
                "items": [{**cell(sku), "value": str(sku.option_values.get(axis, "")) if axis else ""}
                          for sku in skus]}
    rows_axis, columns_axis = axes[0], axes[1]
    row_values: list[str] = []
    column_values: list[str] = []
    cells: dict[tuple[str, str], list[dict]] = {}
    for sku in skus:
        row = str(sku.option_values.get(rows_axis, "—"))
        column = str(sku.option_values.get(columns_axis, "—"))
        if row not in row_values:
            row_values.append(row)
        if column not in column_values:
            column_values.append(column)
        cells.setdefault((row, column), []).append(cell(sku))
    return {
        "kind": "grid",
        "rows_axis": rows_axis,
        "columns_axis": columns_axis,
        "columns": column_values,
        "rows": [{"value": row, "cells": [cells.get((row, column), []) for column in column_values]}
                 for row in row_values],
    }


@require_GET
@login_required
@permission_required("catalog.view_sku", raise_exception=True)
def sku_detail(request: HttpRequest, pk: int) -> HttpResponse:
    reads = stock_reads()
    sku = get_object_or_404(Sku.objects.select_related("style", "personalization_template"), pk=pk)
    user = request.user
    can_view_movements = user.has_perm("inventory.view_stockmovement")
    if _wants_fragment(request) and can_view_movements:
        page = reads.movement_page(sku=sku, after=request.GET.get("after"), before=request.GET.get("before"))
        return render(request, "catalog/sku_detail.html#movements",
                      {"sku": sku, "page": page, "shop_time_zone": settings.SHOP_TIME_ZONE})

    components = list(sku.components.select_related("component").order_by("component__code")) if sku.is_kit else []
    component_skus = [line.component for line in components]
    table = reads.stock_table([sku, *component_skus])
    template = sku.personalization_template
    context = {
        "sku": sku,
        "warehouses": table.warehouses,
        "stock_rows": table.rows(sku),
        "total_available": table.totals.get(sku.pk, 0),
        "components": [{"line": line, "available": table.totals.get(line.component_id, 0)} for line in components],
        "used_in": list(KitComponent.objects.filter(component=sku).select_related("kit").order_by("kit__code")),
        "personalization_fields": list(template.fields.all()) if template else [],
        "vendor_items": list(VendorItem.objects.filter(sku=sku).select_related("vendor").order_by("vendor__name")),
        "can_view_stock": user.has_perm("inventory.view_stocklevel"),
        "can_view_movements": can_view_movements,
        "can_view_reservations": user.has_perm("inventory.view_reservation"),
        "can_edit_kit": user.has_perm("catalog.change_kitcomponent"),
        "shop_time_zone": settings.SHOP_TIME_ZONE,
        "panels": sku_panels(request, sku),
    }
    if context["can_view_reservations"]:
        context["reservations"] = reads.open_reservations(sku=sku)
    if can_view_movements:
        context["page"] = reads.movement_page(sku=sku, after=request.GET.get("after"),
                                              before=request.GET.get("before"))
    return render(request, "catalog/sku_detail.html", context)


# --- kit editor -------------------------------------------------------------------------------


def _kit_editor(request: HttpRequest, kit: Sku, *, add_form: KitComponentAddForm | None = None,
                row_errors: dict[int, KitComponentQuantityForm] | None = None) -> HttpResponse:
    """The editor (whole page, or its ``editor`` partial for htmx) with any forms that failed."""
    row_errors = row_errors or {}
    lines = list(
        KitComponent.objects.filter(kit=kit).select_related("component").order_by("component__code")
    )
    rows = [{"line": line,
             "form": row_errors.get(line.component_id)
             or KitComponentQuantityForm(initial={"quantity": line.quantity}, prefix=f"c{line.component_id}")}
            for line in lines]
    context = {"kit": kit, "rows": rows, "add_form": add_form or KitComponentAddForm()}
    template = "catalog/kit_edit.html#editor" if _wants_fragment(request) else "catalog/kit_edit.html"
    return render(request, template, context)


def _after_kit_change(request: HttpRequest, kit: Sku) -> HttpResponse:
    if request.htmx:
        return _kit_editor(request, kit)
    return redirect("catalog:kit_edit", pk=kit.pk)


@require_GET
@login_required
@permission_required("catalog.change_kitcomponent", raise_exception=True)
def kit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    kit = get_object_or_404(Sku.objects.select_related("style"), pk=pk)
    return _kit_editor(request, kit)


@require_POST
@login_required
@permission_required("catalog.add_kitcomponent", raise_exception=True)
def kit_component_add(request: HttpRequest, pk: int) -> HttpResponse:
    kit = get_object_or_404(Sku.objects.select_related("style"), pk=pk)
    form = KitComponentAddForm(request.POST)
    if form.is_valid():
        component = form.cleaned_data["component"]
        try:
            services.kit_component_set(kit=kit, component=component, quantity=form.cleaned_data["quantity"],
                                       user=request.user)
        except KitCycleError as error:
            form.add_error("component", str(error))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            kit.refresh_from_db()
            messages.success(request, _("%(quantity)d × %(code)s is in kit %(kit)s.")
                             % {"quantity": form.cleaned_data["quantity"], "code": component.code, "kit": kit.code})
            return _after_kit_change(request, kit)
    return _kit_editor(request, kit, add_form=form)


@require_POST
@login_required
@permission_required("catalog.change_kitcomponent", raise_exception=True)
def kit_component_update(request: HttpRequest, pk: int, component_pk: int) -> HttpResponse:
    line = get_object_or_404(KitComponent.objects.select_related("kit__style", "component"), kit_id=pk,
                             component_id=component_pk)
    form = KitComponentQuantityForm(request.POST, prefix=f"c{component_pk}")
    if form.is_valid():
        try:
            services.kit_component_set(kit=line.kit, component=line.component,
                                       quantity=form.cleaned_data["quantity"], user=request.user)
        except KitCycleError as error:
            form.add_error("quantity", str(error))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(code)s: %(quantity)d per kit.")
                             % {"code": line.component.code, "quantity": form.cleaned_data["quantity"]})
            return _after_kit_change(request, line.kit)
    return _kit_editor(request, line.kit, row_errors={component_pk: form})


@require_POST
@login_required
@permission_required("catalog.delete_kitcomponent", raise_exception=True)
def kit_component_remove(request: HttpRequest, pk: int, component_pk: int) -> HttpResponse:
    line = get_object_or_404(KitComponent.objects.select_related("kit__style", "component"), kit_id=pk,
                             component_id=component_pk)
    services.kit_component_remove(kit=line.kit, component=line.component, user=request.user)
    messages.success(request, _("%(code)s was taken out of kit %(kit)s.")
                     % {"code": line.component.code, "kit": line.kit.code})
    return _after_kit_change(request, line.kit)
