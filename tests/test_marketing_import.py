"""Price list entries in and out through the shared staged import: dry run, row-level problems, all or nothing."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from marketing.imports import PRICE_LIST_ENTRIES
from marketing.models import PriceListEntry
from oms.imports.exports import export_csv, export_xlsx
from oms.imports.services import import_file
from tests.factories import SkuFactory
from tests.test_pricing_service import make_price_list

pytestmark = pytest.mark.django_db
D = Decimal
HEADER = "price_list,sku_code,price,effective_from,effective_to\n"


def run(text: str | bytes, *, dry_run: bool, price_list=None):
    data = text.encode() if isinstance(text, str) else text
    options = {"price_list": price_list.code} if price_list is not None else None
    return import_file(kind=PRICE_LIST_ENTRIES, file=data, user=None, dry_run=dry_run, options=options)


def problems(result) -> list[tuple[int, str, str]]:
    return [(error.row, error.column, error.message) for error in result.row_errors]


def entries() -> list[tuple]:
    return list(PriceListEntry.objects.order_by("price_list__code", "sku__code").values_list(
        "price_list__code", "sku__code", "price", "effective_from", "effective_to"))


@pytest.fixture
def skus():
    return [SkuFactory(code="A-1", list_price=D("10")), SkuFactory(code="B-2", list_price=D("20"))]


def test_dry_run_reports_what_would_change_and_changes_nothing(skus):
    make_price_list("CAT26", prices={skus[0]: "9.00"})

    result = run(HEADER + "CAT26,A-1,8.50,,\nCAT26,B-2,18.00,2026-03-01,2026-04-30\n", dry_run=True)

    assert (result.ok, result.new, result.updated, result.unchanged) == (True, 1, 1, 0)
    assert entries() == [("CAT26", "A-1", D("9.000"), None, None)]


def test_import_into_one_price_list_saves_every_row_without_a_price_list_column(skus):
    price_list = make_price_list("CAT26", prices={skus[0]: "9.00"})

    result = run("sku_code,price,effective_from,effective_to\nA-1,9.00,,\nB-2,18.00,2026-03-01,2026-04-30\n",
                 dry_run=False, price_list=price_list)

    assert (result.ok, result.new, result.updated, result.unchanged, result.missing_columns) == (True, 1, 0, 1, [])
    assert entries() == [("CAT26", "A-1", D("9.000"), None, None),
                         ("CAT26", "B-2", D("18.000"), date(2026, 3, 1), date(2026, 4, 30))]


def test_one_bad_row_imports_nothing_and_names_row_column_and_problem(skus):
    make_price_list("CAT26")

    result = run(HEADER
                 + "CAT26,A-1,8.50,,\n"
                 + "CAT26,NOPE,1.00,,\n"
                 + "CAT26,B-2,-3,,\n"
                 + "MISSING,B-2,3,2026-05-01,\n"
                 + "CAT26,A-1,5,,\n"
                 + "CAT26,B-2,5,2026-02-30,\n", dry_run=False)

    assert not result.ok
    assert problems(result) == [
        (3, "sku_code", "There is no SKU “NOPE”."),
        (4, "price", "“-3” is negative; it must be zero or more."),
        (5, "price_list", "There is no price list “MISSING”."),
        (6, "sku_code", "“A-1” is also on row 2."),
        (7, "sku_code", "“B-2” is also on row 4."),
        (7, "effective_from", "“2026-02-30” is not a date (write it like 2026-03-31)."),
    ]
    assert entries() == []


def test_a_span_that_ends_before_it_starts_is_refused_with_the_stored_dates_counted(skus):
    price_list = make_price_list("CAT26", prices={skus[0]: "9.00"})
    PriceListEntry.objects.filter(sku=skus[0]).update(effective_from=date(2026, 5, 1))

    result = run("sku_code,effective_to\nA-1,2026-04-01\n", dry_run=True, price_list=price_list)

    assert problems(result) == [(2, "effective_to", "“2026-04-01” comes before the start of the entry’s span "
                                                    "(2026-05-01).")]


def test_a_row_for_another_price_list_is_refused_when_importing_into_one(skus):
    price_list = make_price_list("CAT26")
    make_price_list("OTHER")

    result = run("price_list,sku_code,price\nOTHER,A-1,1\n", dry_run=False, price_list=price_list)

    assert problems(result) == [(2, "price_list", "This file imports into CAT26, not OTHER.")]
    assert entries() == []


def test_a_new_entry_needs_a_price(skus):
    make_price_list("CAT26")

    result = run(HEADER + "CAT26,A-1,,,\n", dry_run=True)

    assert problems(result) == [(2, "price", "A value is required to create a new price list entry.")]


def test_an_update_file_changes_only_its_columns_and_refuses_a_new_entry(skus):
    price_list = make_price_list("CAT26", prices={skus[0]: "9.00"})
    PriceListEntry.objects.filter(sku=skus[0]).update(effective_from=date(2026, 3, 1))

    refused = run("sku_code,effective_to\nA-1,2026-06-30\nB-2,2026-06-30\n", dry_run=False, price_list=price_list)
    written = run("sku_code,effective_to\nA-1,2026-06-30\n", dry_run=False, price_list=price_list)

    assert problems(refused) == [(3, "sku_code", "“B-2” is not a price list entry yet, and this file leaves out "
                                                 "price, so it can only change what exists. Import new records from "
                                                 "a file with every column.")]
    assert (written.ok, written.updated, written.missing_columns) == (True, 1, ["price"])
    assert entries() == [("CAT26", "A-1", D("9.000"), date(2026, 3, 1), date(2026, 6, 30))]


def test_missing_columns_and_unreadable_files_are_file_errors(skus):
    result = run("sku,amount\nA-1,1\n", dry_run=True)

    assert result.file_errors[:2] == ["Unknown columns: sku, amount.", "Missing columns: price_list, sku_code."]
    assert run(b"PK\x03\x04not a workbook", dry_run=True).file_errors == ["The file is not a readable XLSX workbook."]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_exported_price_list_imports_back_unchanged(skus, file_format):
    price_list = make_price_list("CAT26", prices={skus[0]: "9.50", skus[1]: "19.125"})
    other = make_price_list("OTHER", prices={skus[0]: "1.00"})
    PriceListEntry.objects.filter(price_list=price_list, sku=skus[1]).update(effective_from=date(2026, 3, 1))

    if file_format == "csv":
        content = "".join(export_csv(kind=PRICE_LIST_ENTRIES, price_list=price_list)).encode()
        assert content.decode("utf-8-sig").splitlines() == [
            "price_list,sku_code,price,effective_from,effective_to", "CAT26,A-1,9.500,,", "CAT26,B-2,19.125,2026-03-01,"]
    else:
        content = export_xlsx(kind=PRICE_LIST_ENTRIES, price_list=price_list)
        sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
        row = [cell.value for cell in sheet[3]]
        assert row[:3] == ["CAT26", "B-2", 19.125] and row[3].date() == date(2026, 3, 1)
    result = run(content, dry_run=False)

    assert (result.ok, result.total_rows, result.new, result.updated, result.unchanged) == (True, 2, 0, 0, 2), (
        result.file_errors, result.row_errors)
    assert PriceListEntry.objects.filter(price_list=other).count() == 1
