"""Printed documents of the pick: the wave's pick list as a PDF (WeasyPrint), a Code 128 barcode per line.

The barcodes are python-barcode SVGs written inline into the HTML WeasyPrint renders (no
image files, no network). Each line's barcode encodes its SKU code, the value the scan
screen expects.
"""

from __future__ import annotations

import io
import re

from barcode import Code128
from barcode.writer import SVGWriter
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from orders.fulfillment import selectors
from orders.fulfillment.models import PickWave

BARCODE_OPTIONS = {"module_width": 0.3, "module_height": 9.0, "quiet_zone": 3.0, "write_text": False}


def barcode_svg(value: str) -> SafeString:
    """A Code 128 barcode of ``value`` as an inline ``<svg>`` element (no XML declaration)."""
    out = io.BytesIO()
    Code128(value, writer=SVGWriter()).write(out, options=BARCODE_OPTIONS)
    svg = out.getvalue().decode()
    # WeasyPrint reads SVG presentation attributes, not ``style="fill:…"``.
    svg = re.sub(r'style="fill:(\w+);?"', r'fill="\1"', svg[svg.index("<svg"):])
    svg = re.sub(r'\sid="[^"]*"', "", svg)  # one barcode per line: no repeated ids
    return mark_safe(svg)  # python-barcode's own markup: no user input is unescaped


def pick_list_html(wave: PickWave, *, barcodes: bool = True) -> str:
    lines = list(selectors.pick_lines(wave))
    rows = [{"line": line, "bin": "" if line.bin_code == selectors.NO_BIN else line.bin_code,
             "barcode": barcode_svg(line.order_line.sku_code) if barcodes else ""} for line in lines]
    return render_to_string("fulfillment/pick_list_pdf.html", {
        "wave": wave, "rows": rows, "printed_at": timezone.now(),
        "orders": len({line.shipment.order_id for line in lines}),
        "units": sum(line.quantity for line in lines)})


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def pick_list_pdf(wave: PickWave, *, barcodes: bool = True) -> bytes:
    """The wave's pick list, sorted by bin, as PDF bytes."""
    return html_to_pdf(pick_list_html(wave, barcodes=barcodes))
