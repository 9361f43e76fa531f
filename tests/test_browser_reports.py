"""Reports in a real browser: filter and page a report, then an export too big to stream is made by the
worker while its page polls a progress bar, and its file is downloaded."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.reports_helpers import rollups_current, sale, stocked_sku

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_filters_a_report_and_downloads_a_big_export_made_in_the_background(
        page, sign_in, celery_worker, settings):
    settings.REPORT_SYNC_ROW_LIMIT = 2  # so that three rows are "too many" to stream
    shirt = stocked_sku("SHIRT")
    for offset in range(3):
        sale(sku=shirt, day=dt.date(2026, 3, 2) + dt.timedelta(days=offset), channel="web")
    rollups_current()
    sign_in("Manager")

    page.goto("/reports/")
    page.get_by_role("link", name="Sales by channel").click()
    expect(page.locator("#report-rows tbody tr")).to_have_count(3)
    page.get_by_label("From").fill("2026-03-03")
    page.get_by_label("Sort").select_option(label="Oldest first")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("#report-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("web")

    page.get_by_label("From").fill("")
    page.get_by_role("button", name="Show").click()
    page.locator('#report-files [data-format="csv"]').click()
    expect(page.locator("#export")).to_have_attribute("data-status", "made", timeout=60_000)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download").click()
    text = open(download_info.value.path(), encoding="utf-8-sig").read().splitlines()
    assert text[0] == "Period,Channel,Orders,Revenue" and len(text) == 4
