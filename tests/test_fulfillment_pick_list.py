"""The pick list PDF: right by its extracted text (bin order) and by its decoded Code 128 barcodes.

Barcodes are decoded from the rendered page: pypdfium2 rasterises it, zxing-cpp reads the
codes (both wheels from PyPI, no system library).
"""

from __future__ import annotations

import io
import re

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader

from orders.fulfillment.documents import barcode_svg, pick_list_pdf
from orders.fulfillment.selectors import pick_lines
from orders.fulfillment.services import bin_set, wave_create
from tests.factories import SkuFactory, UserFactory
from tests.fulfillment_helpers import allocated_orders

pytestmark = pytest.mark.django_db


def decoded_barcodes(pdf: bytes, *, page: int = 0) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    image = document[page].render(scale=4).to_pil()
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.Code128)
    return [result.text for result in sorted(results, key=lambda r: (r.position.top_left.y, r.position.top_left.x))]


def test_the_pick_list_lists_the_wave_in_bin_order_with_a_barcode_per_line():
    picker = UserFactory(role="Warehouse")
    main, (far, near), orders = allocated_orders(2, lines_per_order=2, units=3)
    wave = wave_create(warehouse=main, user=picker, limit=2)

    pdf = pick_list_pdf(wave)

    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert f"Pick list {wave.number} · MAIN" in text
    assert "2 orders, 12 units" in text
    assert re.findall(r"(B-0\d)\s*(SKU\d{6})", text) == [("B-01", near.code), ("B-01", near.code),
                                                           ("B-02", far.code), ("B-02", far.code)]
    assert f"{orders[0].number}-1" in text and f"{orders[1].number}-1" in text
    # zxing reports identical symbols once: each distinct SKU, in bin order.
    assert decoded_barcodes(pdf) == [near.code, far.code]


def test_each_line_barcode_decodes_to_its_sku_in_bin_order():
    picker = UserFactory(role="Warehouse")
    main, skus, _orders = allocated_orders(1)
    for code in ("C-03", "A-01", "B-02"):
        sku = SkuFactory()
        allocated_orders(1, warehouse=main, skus=[sku])
        bin_set(sku=sku, warehouse=main, code=code)
    wave = wave_create(warehouse=main, user=picker, limit=4)

    pdf = pick_list_pdf(wave)

    expected = [line.order_line.sku_code for line in pick_lines(wave)]
    assert [bin_ for bin_, _code in re.findall(r"([A-C]-0\d|B-01)\s*(SKU\d{6})",
                                               PdfReader(io.BytesIO(pdf)).pages[0].extract_text())] == [
        "A-01", "B-01", "B-02", "C-03"]
    assert len(expected) == 4
    assert decoded_barcodes(pdf) == expected


def test_a_barcode_is_inline_svg_of_the_value():
    svg = barcode_svg("SKU-42")
    assert svg.startswith("<svg") and "<?xml" not in svg
