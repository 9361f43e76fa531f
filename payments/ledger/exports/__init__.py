"""The GL export formats: each a streaming writer of journal entries (see ``base``).

``FORMATS`` names them as the screens and ``export_gl --format`` do. Each format belongs to a
*target*, the accounting package it feeds: an entry goes to each target at most once (across
its live export batches), whichever of the target's formats carried it, so GP's XML and CSV
share the target ``gp``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from payments.ledger.exports import gp_csv, gp_xml, iif, plain_csv, sage50
from payments.ledger.exports.base import ExportEntry, ExportLine, ExportRefused, clean_text

__all__ = ["FORMATS", "TARGETS", "ExportEntry", "ExportFormat", "ExportLine", "ExportRefused", "clean_text",
           "get_format"]

Writer = Callable[..., Iterator[bytes]]


@dataclass(frozen=True)
class ExportFormat:
    key: str
    target: str
    label: str | Promise
    extension: str
    content_type: str
    writer: Writer
    account_field: str  # the Account field that holds this target's account code ("" = the code itself)
    writes_source: bool = False  # whether the file names each entry's source document

    @property
    def target_label(self) -> str:
        return str(TARGETS[self.target])

    def write(self, entries: Iterable[ExportEntry], *, batch_number: str) -> Iterator[bytes]:
        return self.writer(entries, batch_number=batch_number)


GP, SAGE50, QUICKBOOKS, CSV = "gp", "sage50", "quickbooks", "csv"
TARGETS = {
    GP: _("Microsoft Dynamics GP"),
    SAGE50: _("Sage 50"),
    QUICKBOOKS: _("QuickBooks Desktop"),
    CSV: _("Plain CSV"),
}

FORMATS: dict[str, ExportFormat] = {
    spec.key: spec for spec in (
        ExportFormat("gp-xml", GP, _("Dynamics GP, eConnect XML"), "xml", "application/xml", gp_xml.write,
                     "gp_account_number"),
        ExportFormat("gp-csv", GP, _("Dynamics GP, Integration Manager CSV"), "csv", "text/csv", gp_csv.write,
                     "gp_account_number"),
        ExportFormat("sage50", SAGE50, _("Sage 50 General Journal CSV"), "csv", "text/csv", sage50.write,
                     "sage50_account_id"),
        ExportFormat("iif", QUICKBOOKS, _("QuickBooks Desktop IIF"), "iif", "application/octet-stream",
                     iif.write, "quickbooks_account_name"),
        ExportFormat("csv", CSV, _("Plain CSV"), "csv", "text/csv", plain_csv.write, "", writes_source=True),
    )
}


def get_format(key: str) -> ExportFormat:
    try:
        return FORMATS[key]
    except KeyError:
        raise ExportRefused(_("There is no export format “%(format)s”.") % {"format": key}) from None
