"""Reading the PDFs we make, as the tests check them: the extracted text (pypdf) and the barcodes
decoded from the rendered pages (pypdfium2 rasterises, zxing-cpp reads; both wheels from PyPI)."""

from __future__ import annotations

import io


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def decoded_barcodes(content: bytes) -> list[tuple[str, str]]:
    """Render each page at 300 dpi and decode every barcode on it: (format, text), top to bottom."""
    import pypdfium2
    import zxingcpp

    found = []
    for page in pypdfium2.PdfDocument(content):
        results = zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())
        found.extend((str(result.format), result.text) for result in sorted(
            results, key=lambda result: (result.position.top_left.y, result.position.top_left.x)))
    return found
