"""Shipping labels we make ourselves: a 4×6 inch PDF with a Code 128 barcode of the tracking number
(python-barcode's SVG inside WeasyPrint), or ZPL for a thermal printer (``^BC``, Code 128)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from io import BytesIO

import barcode
from barcode.writer import SVGWriter
from django.template.loader import render_to_string


@dataclass(frozen=True)
class LabelContent:
    carrier_name: str
    service: str
    tracking_number: str
    from_address: dict
    to_address: dict
    weight_grams: int
    reference: str = ""


def code128_svg(value: str) -> bytes:
    """A Code 128 barcode of ``value`` as SVG (no text under it; the label prints the number itself)."""
    out = BytesIO()
    barcode.get_barcode_class("code128")(value, writer=SVGWriter()).write(
        out, options={"write_text": False, "module_width": 0.35, "module_height": 18.0, "quiet_zone": 4.0}
    )
    return out.getvalue()


def code128_data_uri(value: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(code128_svg(value)).decode("ascii")


def _address_lines(address: dict) -> list[str]:
    city_line = " ".join(part for part in (address.get("city", ""), address.get("region", ""),
                                           address.get("postal_code", "")) if part)
    lines = [address.get("name", ""), address.get("company", ""), address.get("line1", ""),
             address.get("line2", ""), city_line, address.get("country", "")]
    return [line for line in lines if line]


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def label_pdf(content: LabelContent) -> bytes:
    html = render_to_string("fulfillment/carriers/label.html", {
        "label": content,
        "from_lines": _address_lines(content.from_address),
        "to_lines": _address_lines(content.to_address),
        "barcode": code128_data_uri(content.tracking_number),
        "weight_kg": f"{content.weight_grams / 1000:.2f}",
    })
    return render_pdf(html)


def _zpl_text(value: str) -> str:
    # ZPL's field data may not contain its own command characters.
    return value.replace("^", " ").replace("~", " ")


def label_zpl(content: LabelContent) -> bytes:
    """A 4×6 in label at 203 dpi (812 × 1218 dots) in ZPL II."""
    lines = ["^XA", "^CI28", "^PW812", "^LL1218"]
    y = 40
    lines.append(f"^FO40,{y}^A0N,40,40^FD{_zpl_text(content.carrier_name)} {_zpl_text(content.service)}^FS")
    y += 70
    for text in _address_lines(content.from_address):
        lines.append(f"^FO40,{y}^A0N,24,24^FD{_zpl_text(text)}^FS")
        y += 30
    y += 40
    lines.append(f"^FO40,{y}^A0N,30,30^FDSHIP TO^FS")
    y += 45
    for text in _address_lines(content.to_address):
        lines.append(f"^FO60,{y}^A0N,40,40^FD{_zpl_text(text)}^FS")
        y += 50
    y += 40
    lines.append(f"^FO60,{y}^BY3^BCN,200,N,N,N^FD{_zpl_text(content.tracking_number)}^FS")
    y += 230
    lines.append(f"^FO60,{y}^A0N,36,36^FD{_zpl_text(content.tracking_number)}^FS")
    y += 60
    lines.append(f"^FO60,{y}^A0N,24,24^FD{content.weight_grams / 1000:.2f} kg  {_zpl_text(content.reference)}^FS")
    lines.append("^XZ")
    return ("\n".join(lines) + "\n").encode("utf-8")


def make_label(content: LabelContent, label_format: str) -> bytes:
    return label_zpl(content) if label_format == "zpl" else label_pdf(content)
