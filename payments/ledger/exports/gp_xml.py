"""Microsoft Dynamics GP: an eConnect XML document of general ledger transactions.

eConnect's schema reference: an ``<eConnect>`` document holds one ``<GLTransactionType>`` per
journal entry, with its lines in ``<taGLTransactionLineInsert_Items>`` and then one
``<taGLTransactionHeaderInsert>``. Header: BACHNUMB (batch, up to 15 characters), JRNENTRY
(the journal entry number), REFRENCE (up to 30), TRXDATE, TRXTYPE 0 (a standard entry). Line:
BACHNUMB and JRNENTRY again, SQNCLINE (GP's line sequence, in steps of 16384), exactly one of
CRDTAMNT or DEBITAMT, ACTNUMST (the account number string, "000-4100-00") and DSCRIPTN (up to
30). The elements come in the schema's sequence order. UTF-8.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

from payments.ledger.exports.base import ChunkBuffer, ExportEntry, amount_text, check_code, clean_text

BATCH_LIMIT = 15
REFERENCE_LIMIT = 30
DESCRIPTION_LIMIT = 30
ACCOUNT_LIMIT = 75  # ACTNUMST: the account number string as GP's account format shows it
SEQUENCE_STEP = 16384
ENCODING = "utf-8"
DOCUMENT_START = '<?xml version="1.0" encoding="utf-8"?>\n<eConnect xmlns:dt="urn:schemas-microsoft-com:datatypes">\n'
DOCUMENT_END = "</eConnect>\n"


def reference(entry: ExportEntry) -> str:
    return clean_text(entry.memo, REFERENCE_LIMIT) or _("OMS journal entry %(entry)s") % {"entry": entry.number}


def write(entries: Iterable[ExportEntry], *, batch_number: str) -> Iterator[bytes]:
    """The eConnect document of ``entries``, all in GP batch ``batch_number``."""
    batch = escape(check_code(batch_number, BATCH_LIMIT, what=_("batch number")))
    buffer = ChunkBuffer(ENCODING)
    buffer.add(DOCUMENT_START)
    accounts: dict[str, str] = {}
    for entry in entries:
        number, places = entry.number, entry.places
        parts = ["  <GLTransactionType>\n    <taGLTransactionLineInsert_Items>\n"]
        for index, line in enumerate(entry.lines, start=1):
            account = accounts.get(line.account)
            if account is None:
                account = accounts[line.account] = escape(check_code(
                    line.account, ACCOUNT_LIMIT, what=_("Dynamics GP account number"), entry=entry))
            if line.debit:
                amount = f"<DEBITAMT>{amount_text(line.debit, places)}</DEBITAMT>"
            else:
                amount = f"<CRDTAMNT>{amount_text(line.credit, places)}</CRDTAMNT>"
            description = escape(clean_text(line.memo or entry.memo, DESCRIPTION_LIMIT))
            parts.append(
                f"      <taGLTransactionLineInsert><BACHNUMB>{batch}</BACHNUMB><JRNENTRY>{number}</JRNENTRY>"
                f"<SQNCLINE>{index * SEQUENCE_STEP}</SQNCLINE>{amount}<ACTNUMST>{account}</ACTNUMST>"
                f"<DSCRIPTN>{description}</DSCRIPTN></taGLTransactionLineInsert>\n")
        parts.append(
            f"    </taGLTransactionLineInsert_Items>\n    <taGLTransactionHeaderInsert><BACHNUMB>{batch}</BACHNUMB>"
            f"<JRNENTRY>{number}</JRNENTRY><REFRENCE>{escape(reference(entry))}</REFRENCE>"
            f"<TRXDATE>{entry.date.isoformat()}</TRXDATE><TRXTYPE>0</TRXTYPE></taGLTransactionHeaderInsert>\n"
            "  </GLTransactionType>\n")
        chunk = buffer.add("".join(parts))
        if chunk:
            yield chunk
    buffer.add(DOCUMENT_END)
    yield buffer.take()
