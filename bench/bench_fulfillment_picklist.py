"""Pick list PDF: seconds to render a 500-order wave's pick list, with a Code 128 barcode per line.

``fulfillment.picklist_pdf``
    ``value``     seconds to render (``orders.fulfillment.documents``) the pick list of 500
                  orders of 2 lines each (1,000 lines, bin order) to PDF bytes, barcodes
                  included: python-barcode SVGs inline in the HTML WeasyPrint lays out.
    ``baseline``  seconds for WeasyPrint to render the same pick list without the barcodes.
    ``ratio``     value / baseline (the price of the barcodes).
    ``pages``     pages of the PDF; ``lines`` its lines.

The lines are built in memory in the shape ``selectors.pick_lines`` returns: the benchmark
measures the rendering, not the query (which is one indexed read).
"""

from __future__ import annotations

import io
import time
from types import SimpleNamespace

from bench.common import iterations

NAME = "fulfillment.picklist_pdf"


def _wave(orders: int, lines_per_order: int):
    wave = SimpleNamespace(number="W000500", warehouse=SimpleNamespace(code="MAIN"))
    lines = []
    for order in range(orders):
        for position in range(lines_per_order):
            sku = (order * 7 + position * 13) % 400
            lines.append(SimpleNamespace(
                bin_code=f"{chr(65 + sku % 20)}-{sku // 20:02d}-{sku % 5 + 1:02d}", quantity=1 + order % 3,
                order_line=SimpleNamespace(sku_code=f"SKU{sku:06d}", description=f"Bench item {sku} in blue"),
                shipment=SimpleNamespace(number=f"{100000 + order}-1", order_id=order)))
    lines.sort(key=lambda line: (line.bin_code, line.order_line.sku_code, line.shipment.number))
    return wave, lines


def _render(wave, lines, *, barcodes: bool) -> tuple[float, bytes]:
    from orders.fulfillment.documents import html_to_pdf, pick_list_html_of

    started = time.perf_counter()
    pdf = html_to_pdf(pick_list_html_of(wave, lines, barcodes=barcodes))
    return time.perf_counter() - started, pdf


def run() -> list[dict]:
    from pypdf import PdfReader

    orders = iterations(full=500, quick=20)
    wave, lines = _wave(orders, 2)
    _render(wave, lines[:10], barcodes=True)  # warm up fonts and the template
    repeats = iterations(full=3, quick=1)
    # Alternate the two renders so a busy machine slows both alike; keep each one's best.
    with_codes, without = [], []
    for _n in range(repeats):
        with_codes.append(_render(wave, lines, barcodes=True)[0])
        without.append(_render(wave, lines, barcodes=False))
    value = min(with_codes)
    baseline, plain = min(without, key=lambda r: r[0])
    _seconds, pdf = _render(wave, lines, barcodes=True)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return [{"name": NAME, "value": round(value, 3), "unit": "s", "baseline": round(baseline, 3),
             "ratio": round(value / baseline, 3), "orders": orders, "lines": len(lines), "pages": pages,
             "bytes": len(pdf), "baseline_bytes": len(plain)}]
