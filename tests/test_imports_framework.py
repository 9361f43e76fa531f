"""The shared import framework: the kind registry, update files, control characters, exports safe to open
in a spreadsheet, and the life of a job's file (deleted when the job ends, stalled jobs failed)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from catalog.models import Sku
from oms.exports import spreadsheet_safe, spreadsheet_unquote
from oms.imports.exports import export_csv, export_xlsx
from oms.imports.kinds import get_kind, kinds
from oms.imports.models import ImportJob
from oms.imports.services import (
    STALLED_AFTER_SECONDS, ImportJobError, import_file, import_job_cancel, import_job_commit, import_job_start,
    import_jobs_fail_stalled,
)
from tests.factories import SkuFactory, StyleFactory
from tests.test_imports import SKU_HEADER, csv_bytes, sku_row

pytestmark = pytest.mark.django_db
D = Decimal
FORMULA = '=HYPERLINK("http://x","click")'


# --- the registry ----------------------------------------------------------------------------------


def test_each_app_registers_its_own_kinds():
    owners = {kind.key: type(kind).__module__ for kind in kinds()}

    assert owners == {"skus": "catalog.imports.kinds", "prices": "catalog.imports.kinds",
                      "vendor_items": "catalog.imports.kinds", "stock_counts": "inventory.imports",
                      "price_list_entries": "marketing.imports", "bin_locations": "orders.fulfillment.imports",
                      "shipment_confirmations": "orders.fulfillment.tpl"}
    with pytest.raises(ValueError, match="unknown import kind 'nope'"):
        get_kind("nope")


@pytest.mark.parametrize(("role", "can_import", "can_export"), [
    ("Agent", False, False), ("Warehouse", False, False), ("Manager", True, True), ("Accountant", False, False)])
def test_price_list_files_follow_the_marketing_permissions(role_client, role, can_import, can_export):
    client = role_client(role)
    page = client.get(reverse("imports:import_list"))
    response = client.post(reverse("imports:import_list"), {
        "kind": "price_list_entries", "file": SimpleUploadedFile("p.csv", b"price_list,sku_code,price\n")})

    if page.status_code == 200:
        assert ('value="price_list_entries"' in page.content.decode()) == can_import
        assert ('href="/exports/price_list_entries.csv"' in page.content.decode()) == can_export
    else:
        assert (page.status_code, can_import) == (403, False)
    assert ImportJob.objects.filter(kind="price_list_entries").exists() == can_import
    assert response.status_code in ((302,) if can_import else (200, 403))
    assert client.get(reverse("imports:import_export", args=["price_list_entries", "csv"])).status_code == (
        200 if can_export else 403)


def test_the_old_catalog_addresses_lead_to_the_import_screens(role_client):
    client = role_client("Manager")

    assert client.get("/catalog/imports/")["Location"] == "/imports/"
    assert client.get("/catalog/imports/7/")["Location"] == "/imports/7/"
    assert client.get("/catalog/exports/skus.csv")["Location"] == "/exports/skus.csv"


# --- update files ----------------------------------------------------------------------------------


def test_an_update_file_of_key_and_changed_columns_keeps_every_other_value():
    style = StyleFactory(code="TEE", name="Tee", category="Shirts", option_axes=["size"])
    SkuFactory(style=style, code="TEE-M", name="Tee M", list_price=D("12.000"), cost=D("4.000"), barcode="0042",
               option_values={"size": "M"})
    before = list(Sku.objects.values_list("code", "style_id", "name", "barcode", "cost", "option_values"))

    checked = import_file(kind="skus", file=b"sku_code,list_price\nTEE-M,14.50\n", user=None, dry_run=True)
    written = import_file(kind="skus", file=b"sku_code,list_price\nTEE-M,14.50\n", user=None, dry_run=False)

    assert (checked.ok, checked.updated, checked.missing_columns) == (
        True, 1, [name for name in SKU_HEADER if name not in ("sku_code", "list_price")])
    assert (written.ok, written.updated, written.details) == (True, 1, {"styles_new": 0, "styles_updated": 0})
    assert list(Sku.objects.values_list("code", "style_id", "name", "barcode", "cost", "option_values")) == before
    assert Sku.objects.get().list_price == D("14.500")


def test_a_new_row_in_an_update_file_is_refused_and_nothing_is_written():
    SkuFactory(code="TEE-M", list_price=D("12.000"))

    result = import_file(kind="skus", file=b"sku_code,list_price\nTEE-M,14.50\nTEE-XL,15\n", user=None,
                         dry_run=False)

    assert [(error.row, error.column, error.message) for error in result.row_errors] == [
        (3, "sku_code", "“TEE-XL” is not a SKU yet, and this file leaves out style_code, style_name, category, "
                        "sku_name, barcode, option_values, weight_kg, cost, currency, status, tax_class, gift_card, "
                        "so it can only change what exists. Import new records from a file with every column.")]
    assert list(Sku.objects.values_list("code", "list_price")) == [("TEE-M", D("12.000"))]


def test_the_job_page_says_a_file_is_an_update_file_or_was_read_as_windows_1252(role_client):
    SkuFactory(code="MUG", name="Mug")
    client = role_client("Manager")

    client.post(reverse("imports:import_list"), {"kind": "skus", "file": SimpleUploadedFile(
        "u.csv", "sku_code,sku_name\nMUG,Mug café\n".encode("cp1252"))})
    page = client.get(ImportJob.objects.get().get_absolute_url()).content.decode()

    assert 'data-note="encoding"' in page and "read as Windows-1252" in page
    assert 'data-note="update-file"' in page and "It can only change records that exist." in page


# --- control characters ----------------------------------------------------------------------------


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f"])
def test_a_control_character_in_a_cell_is_a_row_error_never_a_database_error(character):
    SkuFactory(code="MUG", name="Mug")
    data = csv_bytes(["sku_code", "sku_name"], ["MUG", f"Mu{character}g"], ["CUP", "Cup"])

    for dry_run in (True, False):
        result = import_file(kind="skus", file=data, user=None, dry_run=dry_run)

        assert [(error.row, error.column) for error in result.row_errors][0] == (2, "sku_name")
        assert result.row_errors[0].message == ("“Mu�g” holds a control character (shown as �), such as a NUL byte, "
                                                "which no cell may hold. Remove it from the file.")
    assert list(Sku.objects.values_list("code", "name")) == [("MUG", "Mug")]


def test_a_nul_in_a_header_or_a_file_name_is_refused_cleanly():
    SkuFactory(code="MUG")

    header = import_file(kind="skus", file=b"sku_code,list\x00price\nMUG,1\n", user=None, dry_run=True)
    job = import_job_start(kind="skus", file=io.BytesIO(b"sku_code,list_price\nM\x00UG,1\n"), user=None,
                           file_name="bad\x00name.csv")

    assert header.file_errors[0] == "Unknown columns: list�price."
    assert (job.file_name, job.status, job.result["row_errors"][0]["column"]) == (
        "badname.csv", ImportJob.Status.INVALID, "sku_code")


# --- exports safe to open ------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "written"), [
    ("=1+1", "'=1+1"), ("+33 1 23", "'+33 1 23"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("plain", "plain"), ("", ""), ("-3.50", "-3.50"), ("+7", "+7"), (D("-3.5"), D("-3.5")),
    (-2, -2), (None, None), ("- 3", "'- 3"), ("-1e5", "-1e5"), ("-inf", "'-inf"), ("'=x", "''=x"), ("'x", "'x"),
])
def test_spreadsheet_safe_quotes_text_that_would_start_a_formula_and_keeps_numbers(value, written):
    assert spreadsheet_safe(value) == written
    if isinstance(value, str):
        assert spreadsheet_unquote(written) == value  # an import reads the export back


def test_a_formula_imported_as_a_name_comes_back_out_as_text_in_csv_and_xlsx():
    rows = [sku_row("MUG", sku_name=FORMULA, barcode="0007"), sku_row("CUP", sku_name="-minus", cost="0")]
    assert import_file(kind="skus", file=csv_bytes(SKU_HEADER, *rows), user=None, dry_run=False).ok
    Sku.objects.filter(code="CUP").update(weight_kg=D("0.000"))

    csv_text = "".join(export_csv(kind="skus"))
    exported = list(csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))))
    sheet = openpyxl.load_workbook(io.BytesIO(export_xlsx(kind="skus"))).worksheets[0]
    by_code = {sheet.cell(row, 4).value: row for row in range(2, sheet.max_row + 1)}
    name_column = SKU_HEADER.index("sku_name") + 1

    assert [(row["sku_code"], row["sku_name"], row["cost"]) for row in exported] == [
        ("CUP", "'-minus", "0.000"), ("MUG", "'" + FORMULA, "4.500")]
    mug = sheet.cell(by_code["MUG"], name_column)
    assert (mug.value, mug.data_type) == (FORMULA, "s")  # a string, not a formula ("f")
    assert sheet.cell(by_code["CUP"], name_column).data_type == "s"
    assert sheet.cell(by_code["MUG"], SKU_HEADER.index("cost") + 1).value == 4.5  # numbers stay numbers
    # Both files import back unchanged: the quote the CSV added is the import's to take away.
    for data in (csv_text.encode(), export_xlsx(kind="skus")):
        again = import_file(kind="skus", file=data, user=None, dry_run=False)
        assert (again.ok, again.unchanged, again.updated) == (True, 2, 0), again.row_errors
    assert list(Sku.objects.order_by("code").values_list("name", flat=True)) == ["-minus", FORMULA]


def test_coupon_codes_and_names_in_the_coupon_download_are_safe(role_client):
    from marketing.models import CouponBatch
    from tests.test_pricing_service import make_campaign, make_promotion

    client = role_client("Manager")
    campaign = make_campaign()
    promotion = make_promotion("=cmd|' /C calc'!A0", campaign=campaign, requires_coupon=True)
    client.post(reverse("marketing:coupon_generate", args=[promotion.pk]),
                {"quantity": "1", "prefix": "m", "length": "8", "max_uses": "1", "campaign": campaign.pk})

    download = client.get(reverse("marketing:coupon_batch_download", args=[CouponBatch.objects.get().pk]))
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))

    assert rows[1][1:] == ["'=cmd|' /C calc'!A0", "1"]


# --- the job's file --------------------------------------------------------------------------------


def _job(data: bytes = b"sku_code,list_price\nMUG,9\n") -> ImportJob:
    SkuFactory(code="MUG", list_price=D("8.000"))
    return import_job_start(kind="skus", file=io.BytesIO(data), user=None, file_name="prices.csv")


def _content(job: ImportJob) -> bytes:
    return bytes(ImportJob.objects.get(pk=job.pk).content)


def test_the_file_is_kept_until_the_job_ends_then_deleted(make_user):
    user = make_user("Manager")
    job = _job()
    assert (job.status, _content(job)) == (ImportJob.Status.READY, b"sku_code,list_price\nMUG,9\n")

    job = import_job_commit(job=job, user=user)

    assert (job.status, _content(job), job.file_size, job.file_name) == (ImportJob.Status.DONE, b"", 26, "prices.csv")
    invalid = import_job_start(kind="skus", file=io.BytesIO(b"sku_code,list_price\nMUG,-1\n"), user=None)
    assert (invalid.status, _content(invalid)) == (ImportJob.Status.INVALID, b"")


def test_a_checked_job_can_be_cancelled_which_deletes_its_file_and_writes_nothing(role_client):
    client = role_client("Manager")
    job = _job()

    page = client.get(job.get_absolute_url()).content.decode()
    response = client.post(reverse("imports:import_job_cancel", args=[job.pk]))
    job.refresh_from_db()

    assert f'action="{reverse("imports:import_job_cancel", args=[job.pk])}"' in page
    assert response["Location"] == job.get_absolute_url()
    assert (job.status, bytes(job.content)) == (ImportJob.Status.CANCELLED, b"")
    assert Sku.objects.get().list_price == D("8.000")
    assert "The import was cancelled. Nothing was written." in client.get(job.get_absolute_url()).content.decode()
    with pytest.raises(ImportJobError):
        import_job_cancel(job=job, user=None)
    with pytest.raises(ImportJobError):
        import_job_commit(job=job, user=None)


def test_a_job_left_checking_or_writing_by_a_lost_worker_is_failed_with_a_message(role_client):
    client = role_client("Manager")
    stalled_at = timezone.now() - timedelta(seconds=STALLED_AFTER_SECONDS + 60)
    checking = _job()
    writing = import_job_start(kind="skus", file=io.BytesIO(b"sku_code,list_price\nMUG,10\n"), user=None)
    moving = import_job_start(kind="skus", file=io.BytesIO(b"sku_code,list_price\nMUG,11\n"), user=None)
    ImportJob.objects.filter(pk=checking.pk).update(status=ImportJob.Status.VALIDATING, updated_at=stalled_at)
    ImportJob.objects.filter(pk=writing.pk).update(status=ImportJob.Status.COMMITTING, updated_at=stalled_at)
    ImportJob.objects.filter(pk=moving.pk).update(status=ImportJob.Status.COMMITTING)

    assert import_jobs_fail_stalled() == 2
    assert import_jobs_fail_stalled() == 0

    jobs = {job.pk: job for job in ImportJob.objects.all()}
    assert [jobs[job.pk].status for job in (checking, writing, moving)] == [
        ImportJob.Status.FAILED, ImportJob.Status.FAILED, ImportJob.Status.COMMITTING]
    assert (bytes(jobs[checking.pk].content), bytes(jobs[moving.pk].content)) == (b"", b"sku_code,list_price\nMUG,11\n")
    page = client.get(writing.get_absolute_url()).content.decode()
    assert "The import stopped: the worker doing it was lost, and nothing has happened for 30 minutes." in page
    assert "The check stopped" in client.get(checking.get_absolute_url()).content.decode()
    assert Sku.objects.get().list_price == D("8.000")


def test_beat_runs_the_stalled_job_sweep():
    from django.conf import settings

    from oms.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["import-jobs-fail-stalled"]
    assert entry["task"] == "oms.imports.tasks.import_jobs_fail_stalled_task"
    assert entry["task"] in app.tasks
    assert entry["schedule"] * 2 < STALLED_AFTER_SECONDS
