"""An accountant, in a real browser, closes last month and hands it to three accounting packages."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from payments.ledger.models import FiscalPeriod
from payments.ledger.models_export import ExportBatch
from payments.ledger.screens import last_month
from tests.ledger_export_helpers import post
from tests.test_ledger_export_formats import parse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def download(page) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name="Download").click()
    return Path(info.value.path()).read_bytes()


def test_accountant_closes_last_month_and_exports_it_three_ways(page, sign_in, make_user):
    first, last = last_month()
    bookkeeper = make_user("Accountant")
    entries = [post(bookkeeper, first, "120.00", memo="Receipt of PO-1 from Café Ünïcode"),
               post(bookkeeper, last, "7.45", memo="Count, shrinkage", debit="5100", credit="1200")]
    post(bookkeeper, last + timedelta(days=1), "1.00", memo="This month")
    sign_in("Accountant")

    page.get_by_role("link", name="Fiscal periods").first.click()
    month = page.locator(f'#periods tr[data-period="{first:%Y-%m}"]')
    page.once("dialog", lambda dialog: dialog.accept())
    month.get_by_role("button", name=f"Close {first:%Y-%m}").click()
    expect(month).to_have_attribute("data-status", "closed")
    assert FiscalPeriod.objects.get(starts_on=first).status == "closed"

    files = {}
    for label, key in (("Dynamics GP, eConnect XML", "gp-xml"), ("Sage 50 General Journal CSV", "sage50"),
                       ("QuickBooks Desktop IIF", "iif")):
        page.goto("/payments/ledger/exports/")
        page.get_by_label("Format").select_option(label=label)
        expect(page.get_by_label("From", exact=True)).to_have_value(first.isoformat())
        expect(page.get_by_label("To", exact=True)).to_have_value(last.isoformat())
        page.get_by_role("button", name="Make batch").click()
        expect(page.locator("#batch")).to_have_attribute("data-status", "made")
        expect(page.locator('#batch-summary [data-count="entries"]')).to_have_text("2")

        data, again = download(page), download(page)

        assert data == again, f"{key}: the second download differs"
        batch = ExportBatch.objects.get(format=key)
        assert hashlib.sha256(data).hexdigest() == batch.file_sha256
        expect(page.locator("#batch-sha256")).to_have_text(batch.file_sha256)
        assert len(parse(key, data)) == len(entries)
        files[key] = data

    assert b"<JRNENTRY>%d</JRNENTRY>" % entries[0].pk in files["gp-xml"]
    assert f"OMS-{entries[1].pk}".encode() in files["sage50"]
    assert files["iif"].startswith(b"!TRNS\t")
