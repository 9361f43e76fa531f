"""A large import file goes through the real Celery worker, with the job reporting its progress."""

import os
import time

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
