"""The end-of-day manifest PDF of one carrier at one warehouse."""

from __future__ import annotations

from decimal import Decimal

from django.template.loader import render_to_string

from oms.money import round_money
from orders.fulfillment.carriers import labels as label_pdfs


def manifest_pdf(*, manifest, labels: list) -> bytes:
    for label in labels:  # attributes for the template only
        label.barcode_uri = label_pdfs.code128_data_uri(label.tracking_number)
        label.weight_kg = f"{label.weight_grams / 1000:.2f}"
        label.cost_display = round_money(label.cost, label.currency)
    currency = labels[0].currency if labels else ""
    total_cost = round_money(sum((label.cost for label in labels), Decimal("0")), currency) if labels else Decimal("0")
    html = render_to_string("fulfillment/carriers/manifest.html", {
        "manifest": manifest,
        "labels": labels,
        "total_cost": total_cost,
        "currency": currency,
        "total_weight_kg": f"{sum(label.weight_grams for label in labels) / 1000:.2f}",
    })
    return label_pdfs.render_pdf(html)
