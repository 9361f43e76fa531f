"""Printed documents of the pick: the wave's pick list as a PDF (WeasyPrint), a Code 128 barcode per line.

The barcodes are Code 128 SVGs (encoded by python-barcode) written inline into the HTML
WeasyPrint renders (no image files, no network). Each line's barcode encodes its SKU code, the value the scan
screen expects.
"""

from __future__ import annotations

import itertools

from barcode import Code128
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from orders.fulfillment import selectors
from orders.fulfillment.models import PickWave

QUIET_MODULES = 10  # Code 128 asks for a quiet zone of at least 10 modules on each side
BAR_HEIGHT = 30  # in modules: the SVG scales to the width and height the stylesheet gives it


def barcode_svg(value: str) -> SafeString:
    """A Code 128 barcode of ``value`` as an inline ``<svg>``: one ``<path>`` of its bars.

    python-barcode encodes (``Code128(value).build()``: the module pattern, with its code set
    switches and check digit); the bars are drawn as a single path rather than its writer's
    one ``<rect>`` per bar, which WeasyPrint lays out an order of magnitude faster.
    """
    modules = Code128(value).build()[0]
    runs = []
    x = QUIET_MODULES
    for bar, group in itertools.groupby(modules):
        width = len(list(group))
        if bar == "1":
            runs.append(f"M{x} 0h{width}v{BAR_HEIGHT}h-{width}z")
        x += width
    total = x + QUIET_MODULES
    return mark_safe(  # nothing but digits and path letters: no user input reaches the markup
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total} {BAR_HEIGHT}" preserveAspectRatio="none">'
        f'<rect width="{total}" height="{BAR_HEIGHT}" fill="white"/><path fill="black" d="{"".join(runs)}"/></svg>')


def pick_list_html(wave: PickWave, *, barcodes: bool = True) -> str:
    return pick_list_html_of(wave, list(selectors.pick_lines(wave)), barcodes=barcodes)


def pick_list_html_of(wave, lines: list, *, barcodes: bool = True) -> str:
    """The pick list's HTML for ``lines`` already in bin order (``bin_code``, ``order_line``, ``shipment``)."""
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
