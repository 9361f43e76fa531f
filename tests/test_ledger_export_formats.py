"""The GL export writers: golden files from a fixed scenario, and properties for random entries.

The writers are pure (entries in, bytes out), so these tests need no database. Each format's
file must parse with an ordinary parser, every entry in it must balance, and every field must
fit its format's limit, whatever the text: long, accented, or hostile (tabs, newlines,
formulas, control and bidi characters).
"""

from __future__ import annotations

import csv
import io
import os
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments.ledger.exports import FORMATS, ExportEntry, ExportLine, ExportRefused, clean_text
from payments.ledger.exports import gp_xml, iif, plain_csv, sage50
from payments.ledger.exports.base import CHUNK_SIZE, cut_at_word

GOLDEN = Path(__file__).parent / "golden" / "ledger"
BATCH = "OMS-GL-000042"
ENCODINGS = {"gp-xml": "utf-8", "gp-csv": "cp1252", "sage50": "cp1252", "iif": "cp1252", "csv": "utf-8-sig"}
HOSTILE = [
    "=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1", "-2-2", "@SUM(A1:A9)", "\t=tab\tinside",
    "line one\nline two\r\nline three\rfour", "nul\x00byte", "bidi \u202eevil\u202c text", "zero\u200bwidth",
    "emoji 🧾 receipt", "ünïcödé çafé ﬁnal Ωmega ½", "  spaces   everywhere  ", "\"quoted\", with, commas",
    "<tag attr='x'>&amp; ]]></tag>", "x" * 400, ("word " * 80).strip(), "\ufffe\uffff noncharacters",
]


def D(text: str) -> Decimal:
    return Decimal(text)


def scenario() -> list[ExportEntry]:
    """The fixed scenario of the golden files: a receipt, an adjustment, a manual entry with hostile
    text, a reversal, and a three-decimal and a no-decimal currency."""
    return [
        ExportEntry(1001, date(2026, 11, 2), "Receipt PO-00012 from Acme Café", "Purchase order PO-00012", "USD", (
            ExportLine("1200", D("1250.000"), D("0"), "Inventory received: 50 × Widget"),
            ExportLine("2050", D("0"), D("1250.000"), "Goods received not invoiced"),
        )),
        ExportEntry(1002, date(2026, 11, 15), "Stock count at Main warehouse, shrinkage", "Stock count 7", "USD", (
            ExportLine("5100", D("37.450"), D("0")),
            ExportLine("1200", D("0"), D("37.450")),
        )),
        ExportEntry(1003, date(2026, 11, 30), "=cmd|' /C calc'!A0\tmonth-end accrual\nsecond line", "", "USD", (
            ExportLine("5400", D("100.000"), D("0"), "Freight in: a very long description that goes on and on "
                                                      "well past any of the limits of the formats we write"),
            ExportLine("5900", D("0.010"), D("0"), "+rounding"),
            ExportLine("2000", D("0"), D("100.010"), "@vendor Ünïcode Ærø Łódź"),
        )),
        ExportEntry(1004, date(2026, 11, 30), "Reversal of entry 1002: counted twice", "Journal entry 1002", "USD", (
            ExportLine("1200", D("37.450"), D("0")),
            ExportLine("5100", D("0"), D("37.450")),
        )),
        ExportEntry(1005, date(2026, 11, 30), "Kuwait store receipt", "Purchase order PO-00013", "KWD", (
            ExportLine("1200", D("12.345"), D("0")),
            ExportLine("2050", D("0"), D("12.345")),
        ), places=3),
        ExportEntry(1006, date(2026, 11, 30), "Tokyo store receipt", "Purchase order PO-00014", "JPY", (
            ExportLine("1200", D("1500"), D("0")),
            ExportLine("2050", D("0"), D("1500")),
        ), places=0),
    ]


ACCOUNTS = {"1200": "000-1200-00", "2050": "000-2050-00", "5100": "000-5100-00", "5400": "000-5400-00",
            "5900": "000-5900-00", "2000": "000-2000-00"}


def for_format(key: str, entries: list[ExportEntry]) -> list[ExportEntry]:
    """The entries with the target's account codes, as the export's selector gives them."""
    if not key.startswith("gp"):
        return entries
    return [ExportEntry(entry.number, entry.date, entry.memo, entry.source, entry.currency, tuple(
        ExportLine(ACCOUNTS.get(line.account, line.account), line.debit, line.credit, line.memo)
        for line in entry.lines), entry.places) for entry in entries]


def render(key: str, entries: list[ExportEntry]) -> bytes:
    return b"".join(FORMATS[key].write(for_format(key, entries), batch_number=BATCH))


# --- parsing each format back into (entry key, account, signed amount, texts) -----------------------


def parse(key: str, data: bytes) -> dict[str, list[tuple[str, Decimal, list[str]]]]:
    """Each entry of the file: its lines as (account, debit - credit, the line's text fields)."""
    return {"gp-xml": parse_gp_xml, "gp-csv": parse_gp_csv, "sage50": parse_sage50, "iif": parse_iif,
            "csv": parse_plain_csv}[key](data)


def parse_gp_xml(data: bytes):
    root = ElementTree.fromstring(data)
    assert root.tag == "eConnect"
    entries = {}
    for transaction in root:
        assert transaction.tag == "GLTransactionType"
        assert [child.tag for child in transaction] == ["taGLTransactionLineInsert_Items",
                                                        "taGLTransactionHeaderInsert"]
        header = transaction.find("taGLTransactionHeaderInsert")
        assert [child.tag for child in header] == ["BACHNUMB", "JRNENTRY", "REFRENCE", "TRXDATE", "TRXTYPE"]
        batch, number = header.findtext("BACHNUMB"), header.findtext("JRNENTRY")
        assert len(batch) <= 15 and len(header.findtext("REFRENCE")) <= 30
        date.fromisoformat(header.findtext("TRXDATE"))
        lines = []
        for line in transaction.find("taGLTransactionLineInsert_Items"):
            assert line.tag == "taGLTransactionLineInsert"
            assert (line.findtext("BACHNUMB"), line.findtext("JRNENTRY")) == (batch, number)
            amounts = [child.tag for child in line if child.tag in ("DEBITAMT", "CRDTAMNT")]
            assert len(amounts) == 1, "exactly one of DEBITAMT or CRDTAMNT"
            amount = Decimal(line.findtext(amounts[0]))
            assert amount > 0
            assert len(line.findtext("DSCRIPTN")) <= 30
            lines.append((line.findtext("ACTNUMST"), amount if amounts[0] == "DEBITAMT" else -amount,
                          [line.findtext("DSCRIPTN")]))
        entries[number] = (lines, [header.findtext("REFRENCE")])
    return {number: [(account, amount, texts + header_texts) for account, amount, texts in lines]
            for number, (lines, header_texts) in entries.items()}


def _csv_rows(data: bytes, encoding: str) -> list[list[str]]:
    text = data.decode(encoding)
    assert "\n" not in text.replace("\r\n", ""), "only CRLF line ends"
    return list(csv.reader(io.StringIO(text, newline="")))


def parse_gp_csv(data: bytes):
    rows = _csv_rows(data, "cp1252")
    assert rows[0] == ["Batch ID", "Journal Entry", "Reference", "Transaction Date", "Account", "Debit", "Credit",
                       "Distribution Reference"]
    entries = defaultdict(list)
    for batch, number, reference, day, account, debit, credit, description in rows[1:]:
        assert batch == rows[1][0] and len(batch) <= 15, "one batch number on every row"
        assert len(reference) <= 30 and len(description) <= 30
        assert (Decimal(debit) > 0) != (Decimal(credit) > 0)
        entries[(batch, number)].append((account, Decimal(debit) - Decimal(credit), [reference, description]))
    return entries


def parse_sage50(data: bytes):
    rows = _csv_rows(data, "cp1252")
    assert rows[0] == ["Date", "Reference", "Number of Distributions", "G/L Account", "Description", "Amount"]
    entries = defaultdict(list)
    counts = {}
    for day, reference, count, account, description, amount in rows[1:]:
        assert len(day) == 8 and day[2] == day[5] == "/"
        assert len(reference) <= 20 and len(account) <= 15 and len(description) <= 160
        assert 2 <= int(count) <= 560
        counts.setdefault(reference, int(count))
        entries[reference].append((account, Decimal(amount), [reference, description]))
    for reference, lines in entries.items():
        assert len(lines) == counts[reference], "Number of Distributions is the entry's row count"
    return entries


def parse_iif(data: bytes):
    text = data.decode("cp1252")
    lines = text.split("\r\n")
    assert lines[-1] == ""
    rows = [line.split("\t") for line in lines[:-1]]
    assert rows[0][0] == "!TRNS" and rows[1][0] == "!SPL" and rows[2] == ["!ENDTRNS"]
    columns = rows[0][1:]
    entries, current = {}, None
    for row in rows[3:]:
        if row == ["ENDTRNS"]:
            assert current is not None
            entries[len(entries)] = current
            current = None
            continue
        assert row[0] == ("TRNS" if current is None else "SPL")
        assert len(row) == len(columns) + 1
        fields = dict(zip(columns, row[1:], strict=True))
        assert fields["TRNSTYPE"] == "GENERAL JOURNAL"
        assert len(fields["DOCNUM"]) <= 11 and len(fields["MEMO"]) <= 4095
        current = (current or []) + [(fields["ACCNT"], Decimal(fields["AMOUNT"]), [fields["MEMO"]])]
    assert current is None, "every transaction ends with ENDTRNS"
    return entries


def parse_plain_csv(data: bytes):
    assert data.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(data, "utf-8-sig")
    assert rows[0] == ["entry", "date", "account", "debit", "credit", "memo", "source"]
    entries = defaultdict(list)
    for number, day, account, debit, credit, memo, source in rows[1:]:
        date.fromisoformat(day)
        assert (debit == "") != (credit == "")
        amount = Decimal(debit) if debit else -Decimal(credit)
        assert amount != 0
        entries[number].append((account, amount, [memo, source]))
    return entries


def assert_clean(texts: list[str]) -> None:
    for text in texts:
        assert "\t" not in text and "\n" not in text and "\r" not in text, repr(text)
        assert not text.startswith(("=", "+", "-", "@")), repr(text)


# --- golden files ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(FORMATS))
def test_each_format_matches_its_golden_file(key):
    path = GOLDEN / f"scenario.{key}.{FORMATS[key].extension}"
    produced = render(key, scenario())
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(produced)

    assert produced == path.read_bytes()


@pytest.mark.parametrize("key", sorted(FORMATS))
def test_the_golden_scenario_parses_and_balances(key):
    entries = parse(key, render(key, scenario()))

    assert len(entries) == len(scenario())
    for lines in entries.values():
        assert sum(amount for _account, amount, _texts in lines) == 0
        assert_clean([text for _account, _amount, texts in lines for text in texts])


def test_amounts_keep_their_currency_decimals():
    rows = _csv_rows(render("sage50", scenario()), "cp1252")

    assert [row[5] for row in rows if row[1] in ("OMS-1005", "OMS-1006")] == ["12.345", "-12.345", "1500", "-1500"]


# --- properties ---------------------------------------------------------------------------------

texts = st.one_of(st.text(max_size=300), st.sampled_from(HOSTILE),
                  st.lists(st.sampled_from(HOSTILE + ["ok", "Café", "naïve"]), max_size=6).map(" ".join))
codes = st.sampled_from(sorted(ACCOUNTS))
cents = st.integers(min_value=1, max_value=10**11)


@st.composite
def entries_strategy(draw):
    count = draw(st.integers(min_value=1, max_value=12))
    result = []
    for number in range(1, count + 1):
        debits = draw(st.lists(cents, min_size=1, max_size=5))
        total = sum(debits)
        splits = sorted(draw(st.sets(st.integers(min_value=1, max_value=max(1, total - 1)), max_size=4)))
        splits = [point for point in splits if 0 < point < total]
        credits = [b - a for a, b in zip([0] + splits, splits + [total], strict=True)]
        lines = [ExportLine(draw(codes), Decimal(amount) / 100, Decimal("0"), draw(texts)) for amount in debits]
        lines += [ExportLine(draw(codes), Decimal("0"), Decimal(amount) / 100, draw(texts)) for amount in credits]
        lines = draw(st.permutations(lines))
        result.append(ExportEntry(number, draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))),
                                  draw(texts), draw(texts), "USD", tuple(lines)))
    return result


@pytest.mark.parametrize("key", sorted(FORMATS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=entries_strategy())
def test_every_file_parses_balances_and_fits_for_random_entries(key, entries):
    data = render(key, entries)

    parsed = parse(key, data)
    assert len(parsed) == len(entries)
    for (_key, lines), entry in zip(parsed.items(), entries, strict=True):
        assert sum(amount for _account, amount, _texts in lines) == 0
        assert sorted(amount for _account, amount, _texts in lines) == sorted(
            line.debit - line.credit for line in entry.lines)
        assert_clean([text for _account, _amount, texts in lines for text in texts])
    assert render(key, entries) == data, "the same entries give the same bytes"


@settings(max_examples=300, deadline=None)
@given(value=texts, limit=st.integers(min_value=1, max_value=200), legacy=st.booleans())
def test_clean_text_fits_is_one_line_and_is_stable(value, limit, legacy):
    cleaned = clean_text(value, limit, legacy=legacy)

    assert len(cleaned) <= limit
    assert_clean([cleaned])
    assert cleaned == cleaned.strip()
    assert clean_text(cleaned, limit, legacy=legacy) == cleaned
    if legacy:
        cleaned.encode("cp1252")


def test_text_is_cut_at_a_word_boundary():
    assert cut_at_word("Receipt of purchase order PO-00012", 20) == "Receipt of purchase"
    assert cut_at_word("Receipt of purchase order", 19) == "Receipt of purchase"
    assert cut_at_word("Supercalifragilistic", 5) == "Super"
    assert clean_text("=SUM(A1)\tand\nmore", 30) == "SUM(A1) and more"
    assert clean_text("Łódź ½ café", 30, legacy=True) == "Lódz ½ café"
    assert clean_text("emoji 🧾 Ωmega", 30, legacy=True) == "emoji ? ?mega"


def test_big_files_come_in_chunks():
    lines = tuple(ExportLine("1200" if index % 2 else "2050", Decimal("0") if index % 2 else Decimal("1.00"),
                             Decimal("1.00") if index % 2 else Decimal("0"), f"line {index}") for index in range(200))
    entries = [ExportEntry(number, date(2026, 11, 1), "memo", "", "USD", lines) for number in range(1, 101)]

    chunks = list(FORMATS["sage50"].write(entries, batch_number=BATCH))

    assert len(chunks) > 10
    assert max(len(chunk) for chunk in chunks) < 2 * CHUNK_SIZE


# --- refusals and Sage's distribution limits -----------------------------------------------------


def test_sage50_combines_the_lines_of_an_entry_bigger_than_560_distributions():
    lines = tuple(ExportLine(f"{1000 + index % 3}", Decimal("1.00"), Decimal("0"), f"sku {index}") for index in range(600))
    entry = ExportEntry(7, date(2026, 11, 1), "Big count", "", "USD", lines + (
        ExportLine("5100", Decimal("0"), Decimal("600.00")),))

    rows = _csv_rows(render("sage50", [entry]), "cp1252")[1:]

    assert [(row[2], row[3], row[5]) for row in rows] == [
        ("4", "1000", "200.00"), ("4", "1001", "200.00"), ("4", "1002", "200.00"), ("4", "5100", "-600.00")]


def test_sage50_refuses_an_entry_of_more_than_560_accounts():
    lines = tuple(ExportLine(f"A{index}", Decimal("1.00"), Decimal("0")) for index in range(600))
    entry = ExportEntry(8, date(2026, 11, 1), "Too wide", "", "USD", lines + (
        ExportLine("5100", Decimal("0"), Decimal("600.00")),))

    with pytest.raises(ExportRefused, match="Journal entry 8 has 601 lines .* at most 560"):
        render("sage50", [entry])


@pytest.mark.parametrize("key, account", [("sage50", "1234567890123456"), ("iif", "Bad\tname"),
                                          ("csv", "=cmd"), ("gp-xml", "")])
def test_an_account_code_that_does_not_fit_is_refused_not_cut(key, account):
    entry = ExportEntry(9, date(2026, 11, 1), "memo", "", "USD", (
        ExportLine(account, Decimal("1.00"), Decimal("0")), ExportLine("2050", Decimal("0"), Decimal("1.00"))))

    with pytest.raises(ExportRefused):
        b"".join(FORMATS[key].write([entry], batch_number=BATCH))


def test_the_layout_constants_are_the_vendors():
    assert (sage50.REFERENCE_LIMIT, sage50.ACCOUNT_LIMIT, sage50.DESCRIPTION_LIMIT, sage50.MAX_DISTRIBUTIONS) == (
        20, 15, 160, 560)
    assert (gp_xml.BATCH_LIMIT, gp_xml.REFERENCE_LIMIT, gp_xml.DESCRIPTION_LIMIT) == (15, 30, 30)
    assert iif.TRANSACTION_TYPE == "GENERAL JOURNAL"
    assert plain_csv.HEADINGS == ("entry", "date", "account", "debit", "credit", "memo", "source")
