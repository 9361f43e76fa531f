"""GL export batches: each entry once per target, voids that free entries, files that never change."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, connections, transaction

from payments.ledger import export_services
from payments.ledger.export_services import ExportError, export_batch_create, export_batch_void
from payments.ledger.models import Account
from payments.ledger.models_export import ExportBatch, ExportBatchChunk, ExportedEntry
from tests.ledger_export_helpers import file_bytes, post
from tests.test_ledger_export_formats import parse

NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)


@pytest.fixture
def accountant(make_user):
    return make_user("Accountant")


def exported_ids(batch) -> list[int]:
    return sorted(batch.exported_entries.values_list("entry_id", flat=True))


@pytest.mark.django_db
def test_a_batch_holds_the_entries_of_its_range_and_its_file_parses_and_balances(accountant):
    inside = [post(accountant, date(2026, 11, 3), "12.50"), post(accountant, date(2026, 11, 30), "7.25")]
    post(accountant, date(2026, 10, 31), "99.00")
    post(accountant, date(2026, 12, 1), "98.00")

    batch = export_batch_create(format="sage50", date_from=NOV_1, date_to=NOV_30, user=accountant)

    assert (batch.status, batch.target, batch.entry_count, batch.line_count) == ("made", "sage50", 2, 4)
    assert exported_ids(batch) == [entry.pk for entry in inside]
    data = file_bytes(batch)
    entries = parse("sage50", data)
    assert sorted(entries) == [f"OMS-{entry.pk}" for entry in inside]
    assert [[amount for _account, amount, _texts in lines] for lines in entries.values()] == [
        [Decimal("12.50"), Decimal("-12.50")], [Decimal("7.25"), Decimal("-7.25")]]
    assert (batch.file_size, batch.file_sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert batch.file_name == f"gl-{batch.pk:06d}-sage50.csv"


@pytest.mark.django_db
def test_every_download_is_the_same_bytes(accountant):
    for day in range(1, 20):
        post(accountant, date(2026, 11, day), f"{day}.10", memo=f"Entry of the {day}th, café")
    batch = export_batch_create(format="gp-xml", date_from=NOV_1, date_to=NOV_30, user=accountant)

    first, second = file_bytes(batch), file_bytes(batch)

    assert first == second and len(first) == batch.file_size
    assert f"<BACHNUMB>{batch.batch_number}</BACHNUMB>".encode() in first
    assert len(batch.batch_number) <= 15


@pytest.mark.django_db
def test_an_entry_goes_to_each_target_once(accountant):
    entry = post(accountant, date(2026, 11, 3))
    export_batch_create(format="gp-xml", date_from=NOV_1, date_to=NOV_30, user=accountant)
    batches = ExportBatch.objects.count()

    with pytest.raises(ExportError, match="nothing to export"):
        export_batch_create(format="gp-csv", date_from=NOV_1, date_to=NOV_30, user=accountant)
    with pytest.raises(ExportError, match="nothing to export"):
        export_batch_create(format="gp-xml", unexported=True, user=accountant)

    assert ExportBatch.objects.count() == batches
    for other in ("sage50", "iif", "csv"):
        batch = export_batch_create(format=other, unexported=True, user=accountant)
        assert exported_ids(batch) == [entry.pk]
    assert ExportedEntry.objects.filter(entry=entry, is_active=True).count() == 4


@pytest.mark.django_db
def test_unexported_takes_only_what_no_live_batch_of_the_target_holds(accountant):
    first = post(accountant, date(2026, 10, 3))
    export_batch_create(format="iif", date_from=date(2026, 10, 1), date_to=date(2026, 10, 31), user=accountant)
    later = [post(accountant, date(2026, 11, 3)), post(accountant, date(2027, 1, 2))]

    batch = export_batch_create(format="iif", unexported=True, user=accountant)

    assert exported_ids(batch) == [entry.pk for entry in later]
    assert first.pk not in exported_ids(batch)
    assert (batch.date_from, batch.date_to, batch.unexported_only) == (None, None, True)


@pytest.mark.django_db
def test_voiding_frees_the_entries_and_is_recorded(accountant):
    entries = [post(accountant, date(2026, 11, 3)), post(accountant, date(2026, 11, 4))]
    batch = export_batch_create(format="sage50", date_from=NOV_1, date_to=NOV_30, user=accountant)
    data = file_bytes(batch)

    voided = export_batch_void(batch=batch, reason="Imported into the wrong company", user=accountant)
    again = export_batch_create(format="sage50", date_from=NOV_1, date_to=NOV_30, user=accountant)

    assert (voided.status, voided.void_reason, voided.voided_by) == ("voided", "Imported into the wrong company",
                                                                     accountant)
    assert voided.voided_at is not None
    assert exported_ids(again) == [entry.pk for entry in entries]
    assert ExportedEntry.objects.filter(batch=batch, is_active=False).count() == 2
    assert file_bytes(voided) == data, "a voided batch keeps its file, for the record"


@pytest.mark.django_db
def test_a_void_needs_a_reason_and_a_made_batch(accountant):
    post(accountant, date(2026, 11, 3))
    batch = export_batch_create(format="csv", date_from=NOV_1, date_to=NOV_30, user=accountant)

    with pytest.raises(ExportError, match="Say why"):
        export_batch_void(batch=batch, reason="  ", user=accountant)
    batch.refresh_from_db()
    assert batch.status == "made"
    export_batch_void(batch=batch, reason="wrong range", user=accountant)
    with pytest.raises(ExportError, match="cannot be voided"):
        export_batch_void(batch=batch, reason="again", user=accountant)


@pytest.mark.django_db
def test_a_range_must_be_complete_and_in_order(accountant):
    with pytest.raises(ExportError, match="Choose a date range"):
        export_batch_create(format="csv", date_from=NOV_1, user=accountant)
    with pytest.raises(ExportError, match="before its start"):
        export_batch_create(format="csv", date_from=NOV_30, date_to=NOV_1, user=accountant)
    assert not ExportBatch.objects.exists()


@pytest.mark.django_db
def test_summary_has_one_entry_per_day_with_each_accounts_net(accountant):
    first = post(accountant, date(2026, 11, 3), "10.00")
    post(accountant, date(2026, 11, 3), "4.00", debit="2050", credit="1200")
    post(accountant, date(2026, 11, 3), "2.50", debit="5100", credit="1200")
    post(accountant, date(2026, 11, 5), "1.00")
    post(accountant, date(2026, 11, 5), "1.00", debit="2050", credit="1200")  # the day nets to nothing

    batch = export_batch_create(format="csv", date_from=NOV_1, date_to=NOV_30, summary=True, user=accountant)

    rows = list(csv.reader(io.StringIO(file_bytes(batch).decode("utf-8-sig"))))
    assert rows[1:] == [
        [str(first.pk), "2026-11-03", "1200", "3.50", "", "Inventory", ""],
        [str(first.pk), "2026-11-03", "2050", "", "6.00", "Goods received not invoiced", ""],
        [str(first.pk), "2026-11-03", "5100", "2.50", "", "Shrinkage", ""],
    ]
    assert (batch.detail, batch.entry_count, batch.file_name) == ("summary", 5,
                                                                 f"gl-{batch.pk:06d}-csv-summary.csv")


@pytest.mark.django_db
def test_the_targets_own_account_codes_are_used(accountant):
    Account.objects.filter(code="1200").update(gp_account_number="000-1200-00", sage50_account_id="10200",
                                               quickbooks_account_name="Inventory Asset")
    post(accountant, date(2026, 11, 3))

    texts = {key: file_bytes(export_batch_create(format=key, unexported=True, user=accountant))
             for key in ("gp-xml", "sage50", "iif", "csv")}

    assert b"<ACTNUMST>000-1200-00</ACTNUMST>" in texts["gp-xml"]
    assert b",10200," in texts["sage50"]
    assert b"\tInventory Asset\t" in texts["iif"]
    assert b",1200," in texts["csv"] and b",2050," in texts["csv"], "no code of its own: the account's code"


@pytest.mark.django_db
def test_a_file_that_cannot_be_written_fails_the_batch_and_frees_its_entries(accountant):
    Account.objects.filter(code="1200").update(sage50_account_id="")
    Account.objects.filter(code="1200").update(code="1200-INVENTORY-MAIN")  # too long for Sage 50's 15
    post(accountant, date(2026, 11, 3), debit="1200-INVENTORY-MAIN")

    batch = export_batch_create(format="sage50", unexported=True, user=accountant)

    assert batch.status == "failed"
    assert "1200-INVENTORY-MAIN" in batch.error and "at most 15 characters" in batch.error
    assert not ExportedEntry.objects.filter(is_active=True).exists()
    assert not ExportBatchChunk.objects.filter(batch=batch).exists()
    with pytest.raises(ExportError, match="has no file"):
        file_bytes(batch)


@pytest.mark.django_db
def test_the_database_refuses_a_second_live_claim_on_an_entry(accountant):
    entry = post(accountant, date(2026, 11, 3))
    batch = export_batch_create(format="iif", unexported=True, user=accountant)
    other = ExportBatch.objects.create(target="quickbooks", format="iif", unexported_only=True, created_by=accountant)

    with pytest.raises(IntegrityError, match="exported_entry_once_per_target"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO payments_exportedentry (batch_id, entry_id, target, is_active) "
                           "VALUES (%s, %s, 'quickbooks', TRUE)", [other.pk, entry.pk])
    assert exported_ids(batch) == [entry.pk]


@pytest.mark.django_db(transaction=True)
def test_two_accountants_exporting_at_once_never_share_an_entry(make_user):
    accountant = make_user("Accountant")
    entries = [post(accountant, date(2026, 11, day)) for day in range(1, 29)]
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def export() -> None:
        try:
            barrier.wait()
            outcomes.append(export_batch_create(format="sage50", unexported=True, user=accountant))
        except ExportError as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=export) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    made = [outcome for outcome in outcomes if isinstance(outcome, ExportBatch)]
    assert len(outcomes) == 4 and len(made) == 1, outcomes
    assert exported_ids(made[0]) == [entry.pk for entry in entries]
    assert ExportedEntry.objects.filter(is_active=True).count() == len(entries)


@pytest.mark.django_db
def test_a_big_batch_is_left_to_the_worker(accountant, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(export_services, "SYNC_LINE_LIMIT", 3)
    for day in (3, 4):
        post(accountant, date(2026, 11, day))
    queued = []
    monkeypatch.setattr("payments.ledger.export_tasks.export_batch_write_task.delay",
                        lambda **kwargs: queued.append(kwargs))

    with django_capture_on_commit_callbacks(execute=True):
        batch = export_batch_create(format="sage50", unexported=True, user=accountant)

    assert (batch.status, batch.line_count, batch.progress_percent, queued) == ("making", 4, 0, [{"batch_id": batch.pk}])
    written = export_services.export_batch_write(batch_id=batch.pk)
    assert (written.status, written.processed_lines, written.progress_percent) == ("made", 4, 100)
    assert export_services.export_batch_write(batch_id=batch.pk).file_sha256 == written.file_sha256


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page_size", [2, 5_000])
def test_outside_a_transaction_pages_are_read_ahead_and_skip_entries_of_other_batches(make_user, monkeypatch,
                                                                                      page_size):
    from payments.ledger import export_selectors

    monkeypatch.setattr(export_selectors, "PAGE_ENTRIES", page_size)
    accountant = make_user("Accountant")
    days = [3, 1, 5, 2, 30, 4, 6]  # December days are interleaved between the November ones
    entries = [post(accountant, date(2026, 11 if index % 2 == 0 else 12, day), f"{index + 1}.00")
               for index, day in enumerate(days)]
    read_ahead = []
    original = export_selectors._pages_read_ahead
    monkeypatch.setattr(export_selectors, "_pages_read_ahead",
                        lambda batch_id: read_ahead.append(batch_id) or original(batch_id))

    batch = export_batch_create(format="sage50", date_from=NOV_1, date_to=NOV_30, user=accountant)

    november = [entry for index, entry in enumerate(entries) if index % 2 == 0]
    assert read_ahead == [batch.pk]
    parsed = parse("sage50", file_bytes(batch))
    assert list(parsed) == [f"OMS-{entry.pk}" for entry in november]
    assert [lines[0][1] for lines in parsed.values()] == [Decimal("1.00"), Decimal("3.00"), Decimal("5.00"),
                                                          Decimal("7.00")]


@pytest.mark.django_db(transaction=True)
def test_a_refusal_on_a_later_page_stops_the_reader_and_fails_the_batch(make_user, monkeypatch):
    from payments.ledger import export_selectors

    monkeypatch.setattr(export_selectors, "PAGE_ENTRIES", 1)
    accountant = make_user("Accountant")
    for day in (1, 2, 3):
        post(accountant, date(2026, 11, day))
    Account.objects.filter(code="5100").update(code="5100-SHRINKAGE-ALL", sage50_account_id="")
    post(accountant, date(2026, 11, 4), debit="5100-SHRINKAGE-ALL")
    threads = threading.active_count()

    batch = export_batch_create(format="sage50", unexported=True, user=accountant)

    assert batch.status == "failed" and "5100-SHRINKAGE-ALL" in batch.error
    assert threading.active_count() == threads, "the reader thread has ended"
    assert not ExportedEntry.objects.filter(is_active=True).exists()
