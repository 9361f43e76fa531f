"""Price list entries in and out through django-import-export: dry run, row-level problems, all or nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from marketing import services
from marketing.models import PriceListEntry
from tests.factories import SkuFactory
from tests.test_pricing_service import make_price_list

pytestmark = pytest.mark.django_db
D = Decimal


def read_csv(text: str):
    return services.read_table(file_name="entries.csv", content=text.encode())


@pytest.fixture
def skus():
    return [SkuFactory(code="A-1", list_price=D("10")), SkuFactory(code="B-2", list_price=D("20"))]


def test_dry_run_reports_what_would_change_and_changes_nothing(skus):
    make_price_list("CAT26", prices={skus[0]: "9.00"})

    outcome = services.price_list_entries_import(
        dataset=read_csv("price_list,sku_code,price,effective_from,effective_to\n"
                         "CAT26,A-1,8.50,,\nCAT26,B-2,18.00,2026-03-01,2026-04-30\n"),
        dry_run=True, user=None)

    assert (outcome.is_valid, outcome.new, outcome.updated, outcome.unchanged) == (True, 1, 1, 0)
    assert not outcome.imported
    assert list(PriceListEntry.objects.values_list("sku__code", "price")) == [("A-1", D("9.000"))]


def test_import_saves_every_row(skus):
    price_list = make_price_list("CAT26", prices={skus[0]: "9.00"})

    outcome = services.price_list_entries_import(
        dataset=read_csv("sku_code,price,effective_from,effective_to\nA-1,9.00,,\nB-2,18.00,2026-03-01,2026-04-30\n"),
        dry_run=False, user=None, price_list=price_list)

    assert (outcome.imported, outcome.new, outcome.updated, outcome.unchanged) == (True, 1, 0, 1)
    entry = PriceListEntry.objects.get(sku__code="B-2")
    assert (entry.price_list_id, entry.price, entry.effective_from, entry.effective_to) == (
        price_list.pk, D("18.000"), date(2026, 3, 1), date(2026, 4, 30))


def test_one_bad_row_imports_nothing_and_names_row_column_and_problem(skus):
    make_price_list("CAT26")
    make_price_list("OTHER")

    outcome = services.price_list_entries_import(
        dataset=read_csv("price_list,sku_code,price,effective_from,effective_to\n"
                         "CAT26,A-1,8.50,,\n"
                         "CAT26,NOPE,1.00,,\n"
                         "CAT26,B-2,-3,,\n"
                         "MISSING,B-2,3,2026-05-01,2026-04-01\n"
                         "CAT26,B-2,5,2026-05-01,2026-04-01\n"),
        dry_run=False, user=None)

    assert not outcome.imported
    assert [(problem.row, problem.column) for problem in outcome.problems] == [
        (2, "sku_code"), (3, "price"), (4, "price_list"), (5, "effective_to")]
    assert outcome.problems[0].message == "There is no SKU NOPE."
    assert not PriceListEntry.objects.exists()


def test_a_row_for_another_price_list_is_refused_when_importing_into_one(skus):
    price_list = make_price_list("CAT26")
    make_price_list("OTHER")

    outcome = services.price_list_entries_import(dataset=read_csv("price_list,sku_code,price\nOTHER,A-1,1\n"),
                                                 dry_run=False, user=None, price_list=price_list)

    assert [(problem.row, problem.column, problem.message) for problem in outcome.problems] == [
        (1, "price_list", "This file imports into CAT26, not OTHER.")]


def test_missing_columns_and_unreadable_files_are_reported(skus):
    outcome = services.price_list_entries_import(dataset=read_csv("sku,amount\nA-1,1\n"), dry_run=True, user=None)

    assert [(problem.row, problem.column) for problem in outcome.problems] == [(None, "price_list, sku_code, price")]
    with pytest.raises(services.MarketingError):
        services.read_table(file_name="entries.txt", content=b"x")
    with pytest.raises(services.MarketingError):
        services.read_table(file_name="entries.xlsx", content=b"not a workbook")


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_exported_file_imports_back_unchanged(skus, file_format):
    price_list = make_price_list("CAT26", prices={skus[0]: "9.50", skus[1]: "19.125"})
    PriceListEntry.objects.filter(sku=skus[1]).update(effective_from=date(2026, 3, 1))

    exported = services.price_list_entries_export(price_list=price_list)
    content = exported.export(file_format)
    dataset = services.read_table(file_name=f"entries.{file_format}",
                                  content=content if isinstance(content, bytes) else content.encode())
    outcome = services.price_list_entries_import(dataset=dataset, dry_run=False, user=None)

    assert exported.headers == ["price_list", "sku_code", "price", "effective_from", "effective_to"]
    assert (outcome.is_valid, outcome.new, outcome.updated, outcome.unchanged) == (True, 0, 0, 2)
