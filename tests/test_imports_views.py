"""The import and export screens: permissions per role, the dry-run preview, commit, exports."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Sku
from inventory.models import StockLevel
from oms.imports.models import ImportJob
from tests.factories import SkuFactory, WarehouseFactory
from tests.test_imports import SKU_HEADER, csv_bytes, sku_row

pytestmark = pytest.mark.django_db

PRICE_HEADER = ["sku_code", "list_price", "cost", "currency"]
COUNT_HEADER = ["warehouse_code", "sku_code", "counted"]

# What each role may do on the import and export screens.
EXPECTED = {
    #              page,  import SKUs, import counts, export SKUs, export counts
    "Agent":      (False, False,       False,         False,       False),
    "Warehouse":  (True,  False,       True,          True,        True),
    "Manager":    (True,  True,        True,          True,        True),
    "Accountant": (False, False,       False,         False,       False),
    "Admin":      (True,  True,        True,          True,        True),
}


def upload(client, kind: str, data: bytes, name: str = "file.csv"):
    return client.post(reverse("imports:import_list"), {"kind": kind, "file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_gets_exactly_its_import_and_export_screens(role_client, role):
    page, import_skus, import_counts, export_skus, export_counts = EXPECTED[role]
    client = role_client(role)
    SkuFactory(code="MUG")
    WarehouseFactory(code="MAIN")

    assert client.get(reverse("imports:import_list")).status_code == (200 if page else 403)
    sku_upload = upload(client, "skus", csv_bytes(SKU_HEADER, sku_row("TEE-M")))
    count_upload = upload(client, "stock_counts", csv_bytes(COUNT_HEADER, ["MAIN", "MUG", "1"]))
    assert ImportJob.objects.filter(kind="skus").exists() == import_skus
    assert ImportJob.objects.filter(kind="stock_counts").exists() == import_counts
    assert sku_upload.status_code == (302 if import_skus else 200 if page else 403)
    assert count_upload.status_code == (302 if import_counts else 403)
    for kind, allowed in (("skus", export_skus), ("stock_counts", export_counts)):
        response = client.get(reverse("imports:import_export", args=[kind, "csv"]))
        assert response.status_code == (200 if allowed else 403), kind


@pytest.mark.parametrize("role, allowed", [("Agent", False), ("Warehouse", False), ("Manager", True),
                                           ("Accountant", False), ("Admin", True)])
def test_a_sku_job_and_its_commit_belong_to_catalog_importers(role_client, make_user, role, allowed):
    manager = role_client("Manager")
    upload(manager, "skus", csv_bytes(SKU_HEADER, sku_row("TEE-M")))
    job = ImportJob.objects.get()
    client = role_client(role)

    assert client.get(job.get_absolute_url()).status_code == (200 if allowed else 403)
    response = client.post(reverse("imports:import_job_commit", args=[job.pk]))

    assert response.status_code == (302 if allowed else 403)
    assert Sku.objects.filter(code="TEE-M").exists() == allowed


def test_the_import_page_lists_kinds_exports_and_recent_jobs_without_extra_queries(role_client):
    client = role_client("Manager")
    upload(client, "prices", csv_bytes(PRICE_HEADER, ["NOPE", "1", "", ""]))
    with CaptureQueriesContext(connection) as one_job:
        client.get(reverse("imports:import_list"))
    for _ in range(3):
        upload(client, "prices", csv_bytes(PRICE_HEADER, ["NOPE", "1", "", ""]))

    with CaptureQueriesContext(connection) as four_jobs:
        response = client.get(reverse("imports:import_list"))

    assert len(four_jobs) == len(one_job)
    html = response.content.decode()
    assert html.count('data-job="') == 4
    for kind in ("skus", "prices", "vendor_items", "stock_counts"):
        assert f'href="/exports/{kind}.csv"' in html and f'href="/exports/{kind}.xlsx"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_a_dry_run_with_errors_shows_each_bad_row_and_offers_no_commit(role_client):
    client = role_client("Manager")
    SkuFactory(code="MUG", list_price=Decimal("8.000"))

    response = upload(client, "prices", csv_bytes(PRICE_HEADER, ["MUG", "9", "", ""], ["NOPE", "-2", "", ""]))
    page = client.get(response["Location"])

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.INVALID
    html = page.content.decode()
    assert '<tr data-row="3" data-column="sku_code">' in html
    assert "There is no SKU “NOPE”." in html
    assert '<tr data-row="3" data-column="list_price">' in html
    assert "“-2” is negative; it must be zero or more." in html
    assert "Commit import" not in html
    assert Sku.objects.get(code="MUG").list_price == Decimal("8.000")


def test_a_clean_dry_run_previews_and_the_commit_writes(role_client):
    client = role_client("Manager")
    SkuFactory(code="MUG", list_price=Decimal("8.000"))
    SkuFactory(code="CUP", list_price=Decimal("3.000"))

    response = upload(client, "prices", csv_bytes(PRICE_HEADER, ["MUG", "9", "", ""], ["CUP", "3", "", ""]))
    job = ImportJob.objects.get()
    preview = client.get(response["Location"]).content.decode()

    assert job.status == ImportJob.Status.READY
    assert '<dd class="col-sm-8" data-count="updated">1</dd>' in preview
    assert '<dd class="col-sm-8" data-count="unchanged">1</dd>' in preview
    assert "Commit import" in preview and 'data-confirm="Write 0 new and 1 updated rows now?"' in preview
    assert Sku.objects.get(code="MUG").list_price == Decimal("8.000")

    committed = client.post(reverse("imports:import_job_commit", args=[job.pk]), follow=True)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.progress_percent == 100
    assert Sku.objects.get(code="MUG").list_price == Decimal("9.000")
    assert "Imported file.csv: 0 new, 1 updated, 1 unchanged." in committed.content.decode()


def test_a_job_cannot_be_committed_twice(role_client):
    client = role_client("Warehouse")
    main, mug = WarehouseFactory(code="MAIN"), SkuFactory(code="MUG")
    upload(client, "stock_counts", csv_bytes(COUNT_HEADER, ["MAIN", "MUG", "4"]))
    job = ImportJob.objects.get()
    commit = reverse("imports:import_job_commit", args=[job.pk])

    client.post(commit)
    again = client.post(commit, follow=True)

    assert StockLevel.objects.get(sku=mug, warehouse=main).on_hand == 4
    assert mug.movements.count() == 1
    assert "This import is “Imported”, so it cannot be committed." in again.content.decode()


def test_a_running_job_polls_with_a_progress_bar_and_htmx_gets_only_the_fragment(role_client, make_user):
    client = role_client("Manager")
    job = ImportJob.objects.create(kind="skus", status=ImportJob.Status.VALIDATING, file_name="big.csv",
                                   file_format="csv", file_size=10, content=b"", total_rows=80_000,
                                   processed_rows=20_000)

    page = client.get(job.get_absolute_url()).content.decode()
    fragment = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()

    assert 'hx-trigger="every 1s"' in page
    assert 'role="progressbar"' in page and 'aria-valuenow="22"' in page
    assert fragment.lstrip().startswith('<div id="job"')
    assert "<html" not in fragment


def test_an_upload_that_is_not_csv_or_xlsx_is_refused_by_the_form(role_client):
    client = role_client("Manager")

    response = upload(client, "skus", b"%PDF-1.4", name="catalog.pdf")

    assert response.status_code == 200
    assert "Upload a .csv or .xlsx file." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_old_excel_file_is_a_file_error_on_the_job_page(role_client):
    client = role_client("Manager")

    response = upload(client, "skus", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, name="old.xlsx")
    page = client.get(response["Location"]).content.decode()

    assert "This is an Excel 97-2003 (.xls) file." in page
    assert ImportJob.objects.get().status == ImportJob.Status.INVALID


def test_exports_download_csv_and_xlsx(role_client):
    client = role_client("Manager")
    SkuFactory(code="MUG")

    csv_response = client.get(reverse("imports:import_export", args=["prices", "csv"]))
    xlsx_response = client.get(reverse("imports:import_export", args=["skus", "xlsx"]))

    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response["Content-Disposition"].startswith('attachment; filename="prices-')
    assert b"".join(csv_response.streaming_content).decode() == "\ufeffsku_code,list_price,cost,currency\r\nMUG,10.000,4.000,USD\r\n"
    assert xlsx_response.content.startswith(b"PK")
    assert client.get("/exports/skus.pdf").status_code == 404


@pytest.mark.parametrize("role, shown", [("Agent", False), ("Warehouse", True), ("Manager", True),
                                         ("Accountant", False), ("Admin", True)])
def test_the_navigation_offers_import_and_export_to_importers(role_client, role, shown):
    html = role_client(role).get(reverse("home")).content.decode()

    assert ('href="/imports/"' in html) == shown
