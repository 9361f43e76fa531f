"""Bulk data: the set-based import of catalog, price, vendor-item and stock-count files."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError

from catalog.imports import kinds
from oms.imports import engine
from oms.imports.engine import ERROR_LIMIT
from oms.imports.exports import export_csv, export_xlsx
from oms.imports.kinds import get_kind
from oms.imports.services import import_file
from catalog.models import Sku, Style, VendorItem
from inventory.invariants import violations
from inventory.models import StockLevel, StockMovement
from inventory.services import stock_reserve
from tests.factories import SkuFactory, StyleFactory, VendorFactory, WarehouseFactory, kit, stock

pytestmark = pytest.mark.django_db

SKU_HEADER = get_kind("skus").column_names


def csv_bytes(header: list[str], *rows: list, delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def sku_row(code: str, **cells) -> list[str]:
    row = {"style_code": "TEE", "style_name": "Organic tee", "category": "Shirts", "sku_code": code,
           "sku_name": f"Organic tee {code}", "barcode": "", "option_values": "size=M;colour=Red",
           "weight_kg": "0.200", "cost": "4.50", "list_price": "12.99", "currency": "USD", "status": "active",
           "tax_class": "standard", "gift_card": ""}
    row.update(cells)
    return [row[name] for name in SKU_HEADER]


def errors_of(result) -> list[tuple[int, str]]:
    return [(error.row, error.column) for error in result.row_errors]


def catalog_snapshot() -> tuple:
    return (list(Style.objects.values_list("code", "name", "category", "option_axes")),
            list(Sku.objects.values_list("code", "name", "barcode", "cost", "list_price", "option_values")))


# --- file-level errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("dry_run", [True, False])
def test_wrong_columns_are_a_file_error_and_nothing_is_written(dry_run):
    header = [name for name in SKU_HEADER if name not in ("list_price", "sku_code")] + ["price", "colour"]

    result = import_file(kind="skus", file=csv_bytes(header, ["TEE"] * len(header)), user=None, dry_run=dry_run)

    assert not result.ok
    assert result.row_errors == []
    assert result.file_errors[:2] == ["Unknown columns: price, colour.", "Missing columns: sku_code."]
    assert result.file_errors[2].startswith("A Styles and SKUs file has these columns: style_code, style_name")
    assert result.file_errors[2].endswith("A file that only changes existing records may leave out any but sku_code.")
    assert not Sku.objects.exists() and not Style.objects.exists()


def test_a_windows_1252_file_is_read_as_such_and_the_dry_run_says_so():
    data = csv_bytes(SKU_HEADER, sku_row("TEE-M"), sku_row("TEE-L")).replace(
        b"Organic tee TEE-L", "Café crème – “best”".encode("cp1252"))

    checked = import_file(kind="skus", file=data, user=None, dry_run=True)
    written = import_file(kind="skus", file=data, user=None, dry_run=False)

    assert (checked.ok, checked.encoding, checked.read_as_windows_1252, checked.new) == (True, "windows-1252", True, 2)
    assert (written.ok, written.new) == (True, 2)
    assert Sku.objects.get(code="TEE-L").name == "Café crème – “best”"
    assert import_file(kind="skus", file=csv_bytes(SKU_HEADER, sku_row("TEE-S")), user=None,
                       dry_run=True).read_as_windows_1252 is False


def test_bytes_neither_utf8_nor_windows_1252_are_a_file_error_naming_the_line():
    # 0x81 is not a character in Windows-1252, and é (0xE9) then "x" is not UTF-8.
    data = csv_bytes(SKU_HEADER, sku_row("TEE-M"), sku_row("TEE-L")).replace(b"Organic tee TEE-L", b"Caf\xe9 \x81")

    result = import_file(kind="skus", file=data, user=None, dry_run=False)

    assert len(result.file_errors) == 1
    message = result.file_errors[0]
    assert message.startswith("The file is not UTF-8 text: line 3 has the byte 0xE9")
    assert "does not read as Windows-1252 either" in message
    assert "Save it as “CSV UTF-8”" in message
    assert not Sku.objects.exists()


def test_utf16_file_is_refused_with_a_clear_message():
    data = csv_bytes(SKU_HEADER, sku_row("TEE-M")).decode().encode("utf-16")

    result = import_file(kind="skus", file=data, user=None, dry_run=True)

    assert result.file_errors == ["The file is UTF-16 text (Excel’s “Unicode text”). Save it as “CSV UTF-8” "
                                  "and upload it again."]


def test_empty_file_and_header_only_file_are_file_errors():
    assert import_file(kind="prices", file=b"", user=None, dry_run=True).file_errors == ["The file is empty."]
    header_only = csv_bytes(["sku_code", "list_price", "cost", "currency"])
    assert import_file(kind="prices", file=header_only, user=None, dry_run=True).file_errors == [
        "The file has a header but no rows."]


# --- row-level errors ------------------------------------------------------------------------------


def test_duplicate_codes_and_barcodes_are_row_errors_naming_the_first_row():
    SkuFactory(code="OLD-1", barcode="4006381333931")
    data = csv_bytes(SKU_HEADER,
                     sku_row("TEE-M", barcode="111"),
                     sku_row("TEE-L", barcode="111"),
                     sku_row("TEE-M", barcode="222"),
                     sku_row("TEE-XL", barcode="4006381333931"))

    before = catalog_snapshot()

    result = import_file(kind="skus", file=data, user=None, dry_run=False)

    assert [(e.row, e.column, e.message) for e in result.row_errors] == [
        (3, "barcode", "“111” is also on row 2."),
        (4, "sku_code", "“TEE-M” is also on row 2."),
        (5, "barcode", "Barcode “4006381333931” already belongs to SKU OLD-1."),
    ]
    assert result.error_count == 3
    assert result.new == 0
    assert catalog_snapshot() == before


def test_negative_and_fractional_quantities_are_row_errors_and_nothing_is_written():
    warehouse, sku = WarehouseFactory(code="MAIN"), SkuFactory(code="MUG")
    stock(sku, warehouse, 5)
    data = csv_bytes(["warehouse_code", "sku_code", "counted"],
                     ["MAIN", "MUG", "-3"], ["MAIN", "MUG", "2.5"], ["MAIN", "MUG", "lots"], ["MAIN", "MUG", ""])

    result = import_file(kind="stock_counts", file=data, user=None, dry_run=False)

    assert [(e.row, e.column, e.message) for e in result.row_errors] == [
        (2, "counted", "“-3” is negative; it must be zero or more."),
        (3, "sku_code", "“MUG” is also on row 2."),
        (3, "counted", "“2.5” is not a whole number."),
        (4, "sku_code", "“MUG” is also on row 2."),
        (4, "counted", "“lots” is not a number (write it like 1234.50)."),
        (5, "sku_code", "“MUG” is also on row 2."),
        (5, "counted", "A value is required."),
    ]
    assert StockLevel.objects.get().on_hand == 5
    assert StockMovement.objects.count() == 1


def test_negative_prices_and_bad_cells_are_row_errors():
    SkuFactory(code="MUG")
    data = csv_bytes(["sku_code", "list_price", "cost", "currency"],
                     ["MUG", "-1.00", "1.2345", "usd"],
                     ["MUG2", "9", "123456789012.5", "XYZ"])

    result = import_file(kind="prices", file=data, user=None, dry_run=True)

    assert [(e.row, e.column, e.message) for e in result.row_errors] == [
        (2, "list_price", "“-1.00” is negative; it must be zero or more."),
        (2, "cost", "“1.2345” has more than 3 decimal places."),
        (3, "sku_code", "There is no SKU “MUG2”."),
        (3, "cost", "“123456789012.5” is too large."),
        (3, "currency", "“XYZ” is not an ISO currency code such as USD or EUR."),
    ]


def test_unknown_skus_vendors_and_warehouses_are_row_errors():
    VendorFactory(code="ACME")
    SkuFactory(code="MUG")
    WarehouseFactory(code="MAIN")
    counts = csv_bytes(["warehouse_code", "sku_code", "counted"], ["MAIN", "NOPE", "1"], ["EAST", "MUG", "1"])
    items = csv_bytes(get_kind("vendor_items").column_names,
                      ["ACME", "NOPE", "A-1", "2.00", "", "", ""], ["GLOBEX", "MUG", "G-1", "2.00", "", "", ""])

    count_result = import_file(kind="stock_counts", file=counts, user=None, dry_run=False)
    item_result = import_file(kind="vendor_items", file=items, user=None, dry_run=False)

    assert [(e.row, e.column, e.message) for e in count_result.row_errors] == [
        (2, "sku_code", "There is no SKU “NOPE”."), (3, "warehouse_code", "There is no warehouse “EAST”.")]
    assert [(e.row, e.column, e.message) for e in item_result.row_errors] == [
        (2, "sku_code", "There is no SKU “NOPE”."), (3, "vendor_code", "There is no vendor “GLOBEX”.")]
    assert not StockLevel.objects.exists() and not StockMovement.objects.exists()
    assert not VendorItem.objects.exists()


def test_cells_are_checked_for_length_choices_and_option_syntax():
    data = csv_bytes(SKU_HEADER,
                     sku_row("X" * 41, status="sold", tax_class="STANDARD"),
                     sku_row("TEE-2", option_values="size:M", weight_kg="heavy"),
                     sku_row("TEE-3", option_values="size=M;size=L", cost="", style_code=""),
                     ["TEE", "Organic tee", "Shirts", "TEE-4"])

    result = import_file(kind="skus", file=data, user=None, dry_run=True)

    assert [(e.row, e.column, e.message) for e in result.row_errors] == [
        (2, "sku_code", f"“{'X' * 41}” is longer than 40 characters."),
        (2, "status", "“sold” is not one of: draft, active, discontinued."),
        (3, "option_values", "“size:M” must be option=value pairs separated by semicolons, like size=M;colour=Red."),
        (3, "weight_kg", "“heavy” is not a number (write it like 1234.50)."),
        (4, "style_code", "A value is required."),
        (4, "option_values", "“size=M;size=L” names the same option twice."),
        (4, "cost", "A value is required to create a new SKU."),
        (5, "", "This row has 4 cells; the header has 14."),
        (5, "sku_name", "A value is required to create a new SKU."),
        (5, "cost", "A value is required to create a new SKU."),
        (5, "list_price", "A value is required to create a new SKU."),
    ]


def test_a_new_style_needs_a_name_and_one_style_has_one_name():
    data = csv_bytes(SKU_HEADER,
                     sku_row("A-1", style_code="NEW", style_name=""),
                     sku_row("B-1", style_code="TEE", style_name="Organic tee"),
                     sku_row("B-2", style_code="TEE", style_name="Cotton tee"))

    result = import_file(kind="skus", file=data, user=None, dry_run=True)

    assert [(e.row, e.column, e.message) for e in result.row_errors] == [
        (2, "style_name", "A value is required to create a new style."),
        (4, "style_name", "“Cotton tee” differs from row 3 for the same style."),
    ]


def test_the_error_list_is_capped_but_counts_every_error():
    rows = [["NOPE-%d" % number, "1.00", "", ""] for number in range(ERROR_LIMIT + 50)]

    result = import_file(kind="prices", file=csv_bytes(["sku_code", "list_price", "cost", "currency"], *rows),
                         user=None, dry_run=True)

    assert result.error_count == ERROR_LIMIT + 50
    assert len(result.row_errors) == ERROR_LIMIT
    assert result.row_errors[-1].row == ERROR_LIMIT + 1


# --- committing ------------------------------------------------------------------------------------


def test_a_good_sku_file_creates_styles_and_skus():
    data = csv_bytes(SKU_HEADER,
                     sku_row("TEE-M", barcode="0001", option_values="size=M; colour = Red"),
                     sku_row("TEE-L", barcode="", option_values="size=L;colour=Red;fit=slim", status="Draft"),
                     sku_row("CAP", style_code="CAP", style_name="Cap", category="", option_values="", cost="1",
                             list_price="5", currency="eur", weight_kg="", tax_class=""))

    preview = import_file(kind="skus", file=data, user=None, dry_run=True)
    result = import_file(kind="skus", file=data, user=None, dry_run=False)

    assert preview.ok and (preview.new, preview.updated, preview.unchanged) == (3, 0, 0)
    assert result.ok and (result.new, result.updated, result.unchanged) == (3, 0, 0)
    assert result.details == {"styles_new": 2, "styles_updated": 0}
    tee = Style.objects.get(code="TEE")
    assert (tee.name, tee.category, tee.option_axes) == ("Organic tee", "Shirts", ["size", "colour", "fit"])
    medium = Sku.objects.get(code="TEE-M")
    assert (medium.style, medium.barcode, medium.option_values) == (tee, "0001", {"size": "M", "colour": "Red"})
    assert (medium.cost, medium.list_price, medium.weight_kg) == (Decimal("4.500"), Decimal("12.990"), Decimal("0.200"))
    assert Sku.objects.get(code="TEE-L").status == Sku.Status.DRAFT
    cap = Sku.objects.get(code="CAP")
    assert (cap.barcode, cap.option_values, cap.currency, cap.weight_kg, cap.tax_class) == (
        None, {}, "EUR", Decimal("0"), Sku.TaxClass.STANDARD)


def test_reimport_updates_what_differs_and_blank_cells_keep_values():
    style = StyleFactory(code="TEE", name="Organic tee", category="Shirts", option_axes=["size"])
    SkuFactory(style=style, code="TEE-M", name="Tee M", barcode="0001", option_values={"size": "M"},
               cost=Decimal("4.000"), list_price=Decimal("10.000"))
    SkuFactory(style=style, code="TEE-L", name="Tee L", barcode="0002", option_values={"size": "L"},
               cost=Decimal("4.000"), list_price=Decimal("10.000"))
    data = csv_bytes(SKU_HEADER,
                     ["TEE", "", "", "TEE-M", "", "", "", "", "", "11.5", "", "", "", ""],
                     ["TEE", "", "", "TEE-L", "Tee L", "0002", "size=L", "0", "4", "10", "USD", "active", "standard",
                      ""])

    result = import_file(kind="skus", file=data, user=None, dry_run=False)

    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    medium = Sku.objects.get(code="TEE-M")
    assert (medium.name, medium.barcode, medium.cost, medium.list_price) == (
        "Tee M", "0001", Decimal("4.000"), Decimal("11.500"))
    assert Style.objects.get(code="TEE").name == "Organic tee"


def test_an_import_makes_a_sku_a_gift_card_and_none_makes_it_ordinary_again():
    data = csv_bytes(SKU_HEADER, sku_row("GC-50", gift_card="Physical"), sku_row("EGC-25", gift_card="electronic"),
                     sku_row("TEE-M"), sku_row("TEE-X", gift_card="plastic"))
    assert errors_of(import_file(kind="skus", file=data, user=None, dry_run=True)) == [(5, "gift_card")]

    import_file(kind="skus", file=csv_bytes(SKU_HEADER, *[sku_row(code, gift_card=kind) for code, kind in (
        ("GC-50", "physical"), ("EGC-25", "electronic"), ("TEE-M", ""))]), user=None, dry_run=False)
    assert dict(Sku.objects.values_list("code", "gift_card")) == {"GC-50": "physical", "EGC-25": "electronic",
                                                                  "TEE-M": ""}
    import_file(kind="skus", file=csv_bytes(SKU_HEADER, sku_row("GC-50", gift_card="none"), sku_row("EGC-25")),
                user=None, dry_run=False)
    assert dict(Sku.objects.values_list("code", "gift_card")) == {"GC-50": "", "EGC-25": "electronic",
                                                                  "TEE-M": ""}


def test_a_new_gift_card_sku_without_a_tax_class_is_imported_exempt():
    import_file(kind="skus", file=csv_bytes(SKU_HEADER, sku_row("GC-50", gift_card="physical", tax_class=""),
                                            sku_row("GC-TAXED", gift_card="electronic"),
                                            sku_row("TEE-M", tax_class="")), user=None, dry_run=False)
    assert dict(Sku.objects.values_list("code", "tax_class")) == {
        "GC-50": "exempt", "GC-TAXED": "standard", "TEE-M": "standard"}  # a class the file names stays


def test_commit_of_a_file_with_one_bad_row_writes_nothing():
    before = catalog_snapshot()
    data = csv_bytes(SKU_HEADER, *[sku_row(f"TEE-{number}") for number in range(20)], sku_row("TEE-X", cost="-1"))

    result = import_file(kind="skus", file=data, user=None, dry_run=False)

    assert errors_of(result) == [(22, "cost")]
    assert (result.new, result.updated) == (0, 0)
    assert catalog_snapshot() == before


def test_a_failure_while_writing_rolls_back_every_row(monkeypatch):
    StyleFactory(code="TEE", name="Old name")
    before = catalog_snapshot()
    write = kinds.SkuKind.write

    def write_then_fail(self, run):
        write(self, run)  # styles and SKUs are in the database now
        raise IntegrityError("the database refused something at the end")

    monkeypatch.setattr(kinds.SkuKind, "write", write_then_fail)

    result = import_file(kind="skus", file=csv_bytes(SKU_HEADER, sku_row("TEE-M"), sku_row("TEE-L")),
                         user=None, dry_run=False)

    assert result.file_errors == ["The database refused the import (a rule was broken). Nothing was written."]
    assert catalog_snapshot() == before


def test_prices_update_existing_skus_only():
    SkuFactory(code="MUG", cost=Decimal("2.000"), list_price=Decimal("8.000"), currency="USD")
    SkuFactory(code="CUP", cost=Decimal("1.000"), list_price=Decimal("3.000"))
    data = csv_bytes(["sku_code", "list_price", "cost", "currency"], ["MUG", "9.50", "", ""], ["CUP", "3", "1", "USD"])

    result = import_file(kind="prices", file=data, user=None, dry_run=False)

    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    assert Sku.objects.values_list("code", "list_price", "cost").get(code="MUG") == (
        "MUG", Decimal("9.500"), Decimal("2.000"))


def test_vendor_items_are_created_and_updated_but_kits_are_refused():
    acme = VendorFactory(code="ACME")
    mug, cup = SkuFactory(code="MUG"), SkuFactory(code="CUP")
    VendorItem.objects.create(vendor=acme, sku=cup, vendor_sku="A-CUP", cost=Decimal("1.000"), pack_size=6)
    kit((mug, 1), (cup, 1), code="GIFT")
    header = get_kind("vendor_items").column_names

    refused = import_file(kind="vendor_items", file=csv_bytes(header, ["ACME", "GIFT", "", "3", "", "", ""]),
                          user=None, dry_run=True)
    result = import_file(kind="vendor_items", user=None, dry_run=False, file=csv_bytes(
        header, ["ACME", "MUG", "A-MUG", "2.25", "10", "12", ""], ["ACME", "CUP", "", "1.10", "", "", ""]))

    assert [(e.row, e.column, e.message) for e in refused.row_errors] == [
        (2, "sku_code", "SKU “GIFT” is a kit: vendors supply its components, not the kit.")]
    assert (result.new, result.updated, result.unchanged) == (1, 1, 0)
    assert VendorItem.objects.values_list("vendor_sku", "cost", "lead_time_days", "minimum_order_quantity",
                                          "pack_size").get(sku=mug) == ("A-MUG", Decimal("2.250"), 10, 12, 1)
    assert VendorItem.objects.values_list("vendor_sku", "cost", "pack_size").get(sku=cup) == (
        "A-CUP", Decimal("1.100"), 6)


# --- stock counts ----------------------------------------------------------------------------------


def test_stock_count_posts_count_movements_and_keeps_the_invariants(make_user):
    user = make_user("Warehouse")
    main, store = WarehouseFactory(code="MAIN"), WarehouseFactory(code="STORE")
    mug, cup, pen = SkuFactory(code="MUG"), SkuFactory(code="CUP"), SkuFactory(code="PEN")
    stock(mug, main, 10)
    stock(cup, main, 4)
    stock_reserve(sku=mug, warehouse=main, quantity=3, reference="order:1")
    data = csv_bytes(["warehouse_code", "sku_code", "counted"],
                     ["MAIN", "MUG", "7"], ["MAIN", "CUP", "4"], ["STORE", "PEN", "12"], ["STORE", "CUP", "0"])

    preview = import_file(kind="stock_counts", file=data, user=user, dry_run=True)
    result = import_file(kind="stock_counts", file=data, user=user, dry_run=False, reference="count:spring")

    assert (preview.new, preview.updated, preview.unchanged) == (1, 1, 2)
    assert (result.new, result.updated, result.unchanged) == (1, 1, 2)
    assert result.details == {"units_found": 12, "units_missing": 3}
    assert StockLevel.objects.values_list("on_hand", "reserved").get(sku=mug, warehouse=main) == (7, 3)
    assert StockLevel.objects.get(sku=pen, warehouse=store).on_hand == 12
    assert not StockLevel.objects.filter(sku=cup, warehouse=store).exists()
    counts = StockMovement.objects.filter(kind=StockMovement.Kind.COUNT).order_by("sku__code")
    assert [(m.sku.code, m.warehouse.code, m.quantity, m.reason, m.reference, m.created_by) for m in counts] == [
        ("MUG", "MAIN", -3, "Counted 7", "count:spring", user), ("PEN", "STORE", 12, "Counted 12", "count:spring", user)]
    assert violations() == []


def test_a_count_below_reserved_or_of_a_kit_is_a_row_error():
    main = WarehouseFactory(code="MAIN")
    mug, cup = SkuFactory(code="MUG"), SkuFactory(code="CUP")
    stock(mug, main, 10)
    stock_reserve(sku=mug, warehouse=main, quantity=6, reference="order:1")
    kit((mug, 1), (cup, 1), code="GIFT")
    data = csv_bytes(["warehouse_code", "sku_code", "counted"], ["MAIN", "MUG", "5"], ["MAIN", "GIFT", "1"])

    result = import_file(kind="stock_counts", file=data, user=None, dry_run=False)

    assert [(e.row, e.column, e.message) for e in result.row_errors] == [
        (2, "counted", "Counted 5, but 6 are reserved for orders. Count again, or release the reservations first."),
        (3, "sku_code", "SKU “GIFT” is a kit: kits hold no stock of their own, so count its components."),
    ]
    assert StockLevel.objects.get(sku=mug, warehouse=main).on_hand == 10
    assert violations() == []


# --- file formats and exports ----------------------------------------------------------------------


def test_semicolon_separated_file_with_bom_and_spreadsheet_trailing_cells_is_read():
    SkuFactory(code="MUG", list_price=Decimal("8.000"))
    data = "\ufeffSKU code;List price;cost;currency;;\nMUG;9.5;;;;\n\n".encode()

    result = import_file(kind="prices", file=data, user=None, dry_run=False)

    assert result.ok and result.updated == 1
    assert Sku.objects.get(code="MUG").list_price == Decimal("9.500")


def _export_text(kind: str) -> str:
    return "".join(export_csv(kind=kind))


def test_exports_import_back_unchanged():
    style = StyleFactory(code="TEE", name="Tee, organic", category="Shirts", option_axes=["size", "colour"])
    SkuFactory(style=style, code="TEE-M", option_values={"colour": "Red", "size": "M"}, barcode="0042")
    SkuFactory(style=style, code="TEE-L", option_values={}, barcode=None, name='The "large" one')
    vendor, main = VendorFactory(code="ACME"), WarehouseFactory(code="MAIN")
    VendorItem.objects.create(vendor=vendor, sku=Sku.objects.get(code="TEE-M"), cost=Decimal("2.125"))
    stock(Sku.objects.get(code="TEE-L"), main, 9)

    for kind in ("skus", "prices", "vendor_items", "stock_counts"):
        text = _export_text(kind)
        result = import_file(kind=kind, file=text.encode(), user=None, dry_run=False)
        assert result.ok, (kind, result.file_errors, result.row_errors)
        assert (result.new, result.updated) == (0, 0), kind
        assert result.unchanged == result.total_rows > 0, kind
    assert _export_text("skus").splitlines()[0] == "\ufeff" + ",".join(SKU_HEADER)
    assert "TEE,\"Tee, organic\",Shirts,TEE-M," in _export_text("skus")
    assert "size=M;colour=Red" in _export_text("skus")


def test_xlsx_export_imports_back_unchanged_and_keeps_formulas_as_text():
    SkuFactory(code="MUG", name="=HYPERLINK(\"http://example.com\")", barcode="0007")

    data = export_xlsx(kind="skus")
    result = import_file(kind="skus", file=data, user=None, dry_run=True)

    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["E2"].data_type == "s"
    assert sheet["I2"].value == 4  # a number, not text
    assert result.ok and (result.unchanged, result.total_rows) == (1, 1)


def test_a_count_locks_the_stock_rows_in_order_before_changing_them():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    main = WarehouseFactory(code="MAIN")
    skus = [SkuFactory(code=f"SKU-{number}") for number in range(3)]
    for sku in skus:
        stock(sku, main, 5)
    data = csv_bytes(["warehouse_code", "sku_code", "counted"], *[["MAIN", sku.code, "4"] for sku in reversed(skus)])

    with CaptureQueriesContext(connection) as queries:
        result = import_file(kind="stock_counts", file=data, user=None, dry_run=False)

    assert result.updated == 3
    statements = [query["sql"] for query in queries.captured_queries]
    first_lock = next(index for index, sql in enumerate(statements) if "FOR NO KEY UPDATE" in sql)
    first_write = next(index for index, sql in enumerate(statements) if "UPDATE inventory_stocklevel" in sql)
    assert first_lock < first_write
    assert "ORDER BY l.sku_id, l.warehouse_id FOR NO KEY UPDATE OF l" in statements[first_lock]
    assert violations() == []


def test_a_reservation_made_between_the_checks_and_the_write_stops_the_count(monkeypatch):
    main, mug = WarehouseFactory(code="MAIN"), SkuFactory(code="MUG")
    stock(mug, main, 10)
    build_typed = engine.ImportRun.build_typed

    def reserve_meanwhile(run):
        build_typed(run)
        stock_reserve(sku=mug, warehouse=main, quantity=8, reference="order:late")

    monkeypatch.setattr(engine.ImportRun, "build_typed", reserve_meanwhile)

    result = import_file(kind="stock_counts", file=csv_bytes(["warehouse_code", "sku_code", "counted"],
                                                             ["MAIN", "MUG", "6"]), user=None, dry_run=False)

    assert result.file_errors == ["Orders reserved some of these SKUs while the file was being imported. "
                                  "Nothing was written; upload the file again to check it against the current data."]
    assert StockLevel.objects.values_list("on_hand", "reserved").get() == (10, 0)
    assert violations() == []


def test_xlsx_files_are_read_with_typed_cells():
    import openpyxl

    SkuFactory(code="00123", list_price=Decimal("1.000"))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["sku_code", "list_price", "cost", "currency"])
    sheet.append(["00123", 12.5, 3, None])
    sheet.append([None, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)

    result = import_file(kind="prices", file=buffer.getvalue(), user=None, dry_run=False)

    assert result.ok and (result.total_rows, result.updated) == (1, 1)
    assert Sku.objects.values_list("list_price", "cost").get() == (Decimal("12.500"), Decimal("3.000"))


# --- the django-import-export resources, row by row ------------------------------------------------


def test_the_sku_resource_imports_row_by_row_with_the_same_columns():
    import tablib

    from catalog.imports.resources import SkuResource

    dataset = tablib.Dataset().load(csv_bytes(SKU_HEADER, sku_row("TEE-M"), sku_row("TEE-L", option_values="size=L"))
                                    .decode(), format="csv")

    result = SkuResource().import_data(dataset, dry_run=False, raise_errors=True)

    assert result.totals["new"] == 2
    assert Style.objects.get(code="TEE").option_axes == ["size", "colour"]
    assert Sku.objects.get(code="TEE-L").option_values == {"size": "L"}
    assert import_file(kind="skus", file=_export_text("skus").encode(), user=None, dry_run=True).unchanged == 2


def test_the_stock_count_resource_posts_count_movements_row_by_row():
    import tablib

    from inventory.imports import StockCountResource

    main, mug = WarehouseFactory(code="MAIN"), SkuFactory(code="MUG")
    stock(mug, main, 10)
    dataset = tablib.Dataset().load("warehouse_code,sku_code,counted\nMAIN,MUG,7\n", format="csv")

    result = StockCountResource().import_data(dataset, dry_run=False, raise_errors=True)

    assert result.totals["update"] == 1
    assert StockMovement.objects.filter(kind=StockMovement.Kind.COUNT).values_list("quantity", flat=True).get() == -3
    assert violations() == []


@pytest.mark.parametrize("line_end", ["\r\n", "\r", "\n"])
def test_line_ends_of_any_system_and_quoted_line_breaks_are_read(line_end):
    SkuFactory(code="MUG")
    text = line_end.join(["sku_code,list_price,cost,currency", 'MUG,9,,', '"NO\nPE",1,,', ""])

    result = import_file(kind="prices", file=text.encode(), user=None, dry_run=True)

    assert [(e.row, e.column, e.message) for e in result.row_errors] == [(3, "sku_code", "There is no SKU “NO\nPE”.")]


def test_the_row_estimate_that_routes_large_files_counts_unsized_xlsx_sheets():
    from oms.imports.reader import estimate_rows

    SkuFactory.create_batch(3)

    assert estimate_rows(export_xlsx(kind="skus")) == 3
    assert estimate_rows(_export_text("skus").encode()) == 3


def test_a_price_update_locks_the_changing_skus_in_id_order_before_writing():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for code in ("A", "B", "C"):
        SkuFactory(code=code, list_price=Decimal("1.000"))
    data = csv_bytes(["sku_code", "list_price", "cost", "currency"], ["C", "2", "", ""], ["A", "2", "", ""],
                     ["B", "1", "", ""])

    with CaptureQueriesContext(connection) as queries:
        result = import_file(kind="prices", file=data, user=None, dry_run=False)

    assert (result.updated, result.unchanged) == (2, 1)
    statements = [query["sql"] for query in queries.captured_queries]
    lock = next(index for index, sql in enumerate(statements) if "FOR NO KEY UPDATE OF k" in sql)
    write = next(index for index, sql in enumerate(statements) if sql.startswith("UPDATE catalog_sku"))
    assert lock < write and "ORDER BY k.id" in statements[lock]


def test_an_existing_style_takes_the_new_name_and_gains_new_option_axes():
    style = StyleFactory(code="TEE", name="Tee", category="Shirts", option_axes=["size"])
    SkuFactory(style=style, code="TEE-M", option_values={"size": "M"})
    data = csv_bytes(SKU_HEADER, sku_row("TEE-M", style_name="Organic tee", category="",
                                         option_values="fit=slim;size=M"))

    preview = import_file(kind="skus", file=data, user=None, dry_run=True)
    result = import_file(kind="skus", file=data, user=None, dry_run=False)
    again = import_file(kind="skus", file=data, user=None, dry_run=False)

    assert preview.details == result.details == {"styles_new": 0, "styles_updated": 1}
    style.refresh_from_db()
    assert (style.name, style.category, style.option_axes) == ("Organic tee", "Shirts", ["size", "fit"])
    assert (again.details, again.updated, again.unchanged) == ({"styles_new": 0, "styles_updated": 0}, 0, 1)


# --- shortcuts that must not change an answer -----------------------------------------------------


@pytest.mark.parametrize(("cell", "message"), [
    ("12", None), ("12.5", None), ("12.500", None), ("12.5000", None), ("5.", None), (".5", None),
    ("+5", None), ("-0", None), ("-0.00", None), ("99999999999.999", None), ("00000000000012", None),
    ("12.3456", "“12.3456” has more than 3 decimal places."),
    ("-1", "“-1” is negative; it must be zero or more."),
    ("100000000000", "“100000000000” is too large."),
    ("1e5", "“1e5” is not a number (write it like 1234.50)."),
    ("1,5", "“1,5” is not a number (write it like 1234.50)."),
    ("5.5.5", "“5.5.5” is not a number (write it like 1234.50)."),
    ("١٢", "“١٢” is not a number (write it like 1234.50)."),
    (".", "“.” is not a number (write it like 1234.50)."),
])
def test_decimal_cells_get_the_same_answer_plain_or_not(cell, message):
    SkuFactory(code="MUG")

    result = import_file(kind="prices", file=csv_bytes(["sku_code", "list_price", "cost", "currency"],
                                                       ["MUG", cell, "", ""]), user=None, dry_run=True)

    assert [error.message for error in result.row_errors] == ([message] if message else [])


@pytest.mark.parametrize(("cell", "message"), [
    ("1", None), ("007", None), ("+3", None), ("1.0", None), ("2147483647", None), ("999999999", None),
    ("0", "“0” must be at least 1."), ("000", "“000” must be at least 1."),
    ("1.5", "“1.5” is not a whole number."),
    ("-1", "“-1” is negative; it must be zero or more."),
    ("2147483648", "“2147483648” is too large."),
    ("12a", "“12a” is not a number (write it like 1234.50)."),
])
def test_whole_number_cells_get_the_same_answer_plain_or_not(cell, message):
    VendorFactory(code="ACME")
    SkuFactory(code="MUG")

    result = import_file(kind="vendor_items", file=csv_bytes(get_kind("vendor_items").column_names,
                                                             ["ACME", "MUG", "", "1", "0", cell, ""]),
                         user=None, dry_run=True)

    assert [error.message for error in result.row_errors] == ([message] if message else [])


def test_choices_and_currencies_in_any_case_are_accepted_and_others_refused():
    data = csv_bytes(SKU_HEADER,
                     sku_row("A", status="active", tax_class="standard", currency="USD"),
                     sku_row("B", status="Active", tax_class="ZERO", currency="usd"),
                     sku_row("C", status="sold", tax_class="none", currency="XYZ"))

    result = import_file(kind="skus", file=data, user=None, dry_run=True)

    assert [(e.row, e.column, e.message) for e in result.row_errors] == [
        (4, "currency", "“XYZ” is not an ISO currency code such as USD or EUR."),
        (4, "status", "“sold” is not one of: draft, active, discontinued."),
        (4, "tax_class", "“none” is not one of: standard, reduced, zero, exempt."),
    ]


def test_style_axes_follow_the_order_in_which_the_file_first_names_them():
    data = csv_bytes(SKU_HEADER,
                     sku_row("TEE-1", option_values="colour=Red"),
                     sku_row("TEE-2", option_values="fit=slim;size=M"),
                     sku_row("TEE-3", option_values="size=L;colour=Blue;sleeve=long"),
                     sku_row("TEE-4", option_values=""),
                     sku_row("CAP-1", style_code="CAP", style_name="Cap", option_values=""))

    result = import_file(kind="skus", file=data, user=None, dry_run=False)

    assert result.ok and result.new == 5
    assert dict(Style.objects.values_list("code", "option_axes")) == {
        "TEE": ["colour", "fit", "size", "sleeve"], "CAP": []}


def test_style_conflicts_name_the_first_row_of_each_column_that_disagrees():
    data = csv_bytes(SKU_HEADER,
                     sku_row("A-1", style_name="", category="Shirts"),
                     sku_row("A-2", style_name="Organic tee", category="Shirts"),
                     sku_row("A-3", style_name="Cotton tee", category="Tops"),
                     sku_row("B-1", style_code="CAP", style_name="Cap", category=""),
                     sku_row("B-2", style_code="CAP", style_name="Cap", category="Hats"))

    result = import_file(kind="skus", file=data, user=None, dry_run=True)

    assert [(e.row, e.column, e.message) for e in result.row_errors] == [
        (4, "style_name", "“Cotton tee” differs from row 3 for the same style."),
        (4, "category", "“Tops” differs from row 2 for the same style."),
    ]


def test_a_sku_code_created_between_the_checks_and_the_write_stops_the_import(monkeypatch):
    StyleFactory(code="TEE", name="Organic tee")
    build_typed = engine.ImportRun.build_typed

    def create_meanwhile(run):
        build_typed(run)
        SkuFactory(code="TEE-L", style=Style.objects.get(code="TEE"))

    monkeypatch.setattr(engine.ImportRun, "build_typed", create_meanwhile)

    result = import_file(kind="skus", file=csv_bytes(SKU_HEADER, sku_row("TEE-M"), sku_row("TEE-L")),
                         user=None, dry_run=False)

    assert result.file_errors == ["Some of these SKU codes were created by someone else while the file was being "
                                  "imported. Nothing was written; upload the file again to check it against the "
                                  "current data."]
    assert (result.new, result.updated, result.unchanged) == (0, 0, 0)
    assert not Sku.objects.filter(code="TEE-M").exists()


def test_the_imported_tables_carry_no_pattern_copies_of_their_indexes():
    """unique=True or db_index=True on a CharField adds a varchar_pattern_ops index that no query uses
    and every import pays for: the catalog declares its unique keys and indexes in Meta instead."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexrelid::regclass::text FROM pg_index JOIN pg_class c ON c.oid = indrelid "
                       "WHERE c.relname IN ('catalog_sku', 'catalog_style') AND pg_get_indexdef(indexrelid) "
                       "LIKE '%pattern_ops%'")
        assert cursor.fetchall() == []
        cursor.execute("SELECT count(*) FROM pg_index WHERE indrelid = 'catalog_sku'::regclass")
        assert cursor.fetchone()[0] == 7  # pk, code, barcode, (style, code), two trigram, templated
