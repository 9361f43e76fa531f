"""A large import file goes through the real Celery worker, with the job reporting its progress."""

import os
import time
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Sku, Style
from oms.imports.models import ImportJob
from oms.imports.services import SYNC_ROW_LIMIT
from tests.test_imports import SKU_HEADER, csv_bytes, sku_row

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(job: ImportJob, *statuses: str, timeout: float = 60) -> ImportJob:
    deadline = time.monotonic() + timeout
    while True:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        assert time.monotonic() < deadline, f"the job is still {job.status}"
        time.sleep(0.2)


def test_a_file_over_the_limit_is_checked_and_written_by_the_worker(celery_worker, celery_queue, role_client):
    from oms.celery import app

    client = role_client("Manager")
    rows = [sku_row(f"TEE-{number:05d}", style_code=f"TEE-{number // 10}", barcode=f"B{number:07d}")
            for number in range(SYNC_ROW_LIMIT + 1)]
    data = csv_bytes(SKU_HEADER, *rows)

    response = client.post(reverse("imports:import_list"),
                           {"kind": "skus", "file": SimpleUploadedFile("big.csv", data)})
    job = ImportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert job.total_rows == SYNC_ROW_LIMIT + 1
    page = client.get(job.get_absolute_url()).content.decode()
    if job.is_running:  # the worker may already be done; while it is not, the page polls
        assert 'hx-trigger="every 1s"' in page and 'role="progressbar"' in page

    wait_for(job, ImportJob.Status.READY, ImportJob.Status.INVALID, ImportJob.Status.FAILED)
    assert job.status == ImportJob.Status.READY, job.result
    assert (job.result["new"], job.processed_rows, job.progress_percent) == (SYNC_ROW_LIMIT + 1, SYNC_ROW_LIMIT + 1, 100)
    assert not Sku.objects.exists()

    client.post(reverse("imports:import_job_commit", args=[job.pk]))
    wait_for(job, ImportJob.Status.DONE, ImportJob.Status.FAILED)

    assert job.status == ImportJob.Status.DONE, job.result
    assert (job.progress_percent, job.result["new"], job.result["error_count"]) == (100, SYNC_ROW_LIMIT + 1, 0)
    assert Sku.objects.count() == SYNC_ROW_LIMIT + 1
    assert Style.objects.count() == (SYNC_ROW_LIMIT + 1 + 9) // 10
    assert "Imported: all 5,001 rows were written." in client.get(job.get_absolute_url()).content.decode()
    worker = f"{celery_queue}@{os.uname().nodename}"
    processed = app.control.inspect(destination=[worker], timeout=5).stats()[worker]["total"]
    assert processed == {"oms.imports.tasks.import_job_check_task": 1,
                         "oms.imports.tasks.import_job_write_task": 1}


PRICE_LIST_ROWS = 100_000


def test_a_price_list_of_100000_rows_imports_as_a_celery_job_with_a_progress_bar(
        celery_worker, celery_queue, role_client):
    from django.db import connection

    from marketing.models import PriceListEntry
    from oms.imports.engine import insert_columns
    from tests.test_pricing_service import make_price_list

    client = role_client("Manager")
    price_list = make_price_list("BIG26", prices={})
    style = Style.objects.create(code="BULK", name="Bulk")
    columns, expressions, params = insert_columns(Sku, {
        "style_id": ("%s", [style.pk]), "code": "'SKU-' || lpad(n::text, 6, '0')", "name": "'SKU ' || n"})
    with connection.cursor() as cursor:  # the SKUs the file prices, made at once
        cursor.execute(f"INSERT INTO catalog_sku ({columns}) SELECT {expressions} "
                       f"FROM generate_series(1, %s) AS n", [*params, PRICE_LIST_ROWS])
    data = ("sku_code,price,effective_from\n" + "".join(
        f"SKU-{number:06d},{number % 97}.{number % 100:02d},2026-03-01\n"
        for number in range(1, PRICE_LIST_ROWS + 1))).encode()

    response = client.post(reverse("marketing:pricelist_import", args=[price_list.pk]),
                           {"file": SimpleUploadedFile("big-price-list.csv", data)})
    job = ImportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert (job.kind, job.total_rows, job.options) == ("price_list_entries", PRICE_LIST_ROWS, {"price_list": "BIG26"})

    seen = watch(job, client, ImportJob.Status.READY, ImportJob.Status.INVALID, ImportJob.Status.FAILED)
    assert job.status == ImportJob.Status.READY, job.result
    assert (job.result["new"], job.processed_rows, job.progress_percent) == (PRICE_LIST_ROWS, PRICE_LIST_ROWS, 100)
    assert not PriceListEntry.objects.exists()

    client.post(reverse("imports:import_job_commit", args=[job.pk]))
    seen += watch(job, client, ImportJob.Status.DONE, ImportJob.Status.FAILED)

    assert job.status == ImportJob.Status.DONE, job.result
    assert (job.result["new"], job.result["error_count"], bytes(job.content)) == (PRICE_LIST_ROWS, 0, b"")
    assert PriceListEntry.objects.filter(price_list=price_list).count() == PRICE_LIST_ROWS
    assert PriceListEntry.objects.get(sku__code="SKU-000150").price == Decimal("53.50")
    # The page showed a progress bar part of the way through, while the worker read the file in chunks.
    assert any(0 < percent < 90 for percent in seen), seen
    worker = f"{celery_queue}@{os.uname().nodename}"
    processed = app_stats(worker)
    assert processed == {"oms.imports.tasks.import_job_check_task": 1, "oms.imports.tasks.import_job_write_task": 1}


def watch(job: ImportJob, client, *statuses: str, timeout: float = 120) -> list[int]:
    """Poll the job's page as the browser does until the job reaches one of ``statuses``; returns the
    percentages its progress bar showed on the way."""
    import re

    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while True:
        page = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
        bar = re.search(r'role="progressbar"[^>]*aria-valuenow="(\d+)"', page)
        if bar:
            assert 'hx-trigger="every 1s"' in page
            seen.append(int(bar.group(1)))
        job.refresh_from_db()
        if job.status in statuses:
            return seen
        assert time.monotonic() < deadline, f"the job is still {job.status}"
        time.sleep(0.05)


def app_stats(worker: str) -> dict:
    from oms.celery import app

    return app.control.inspect(destination=[worker], timeout=5).stats()[worker]["total"]
