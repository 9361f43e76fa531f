"""The accountant's screens: only accountants (and superusers) get them, and each does its one job."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments.ledger.models import FiscalPeriod, JournalEntry, PeriodEvent
from payments.ledger.models_export import ExportBatch
from payments.ledger.screens import last_month
from tests.ledger_export_helpers import post
from tests.screens_helpers import ROLES, messages_of

pytestmark = pytest.mark.django_db
ALLOWED = {"Agent": False, "Warehouse": False, "Manager": False, "Accountant": True, "Admin": True}


@pytest.fixture
def accountant(make_user):
    return make_user("Accountant")


@pytest.fixture
def entry(accountant):
    return post(accountant, date(2026, 11, 3), "12.50", memo="Opening stock")


def get_urls(entry) -> list[str]:
    batch = ExportBatch.objects.first()
    urls = [reverse("payments:trial_balance"), reverse("payments:account_ledger", args=[entry.lines.first().account_id]),
            reverse("payments:journal"), reverse("payments:journal_entry", args=[entry.pk]),
            reverse("payments:manual_entry"), reverse("payments:period_list"), reverse("payments:export_list")]
    if batch:
        urls += [reverse("payments:export_batch", args=[batch.pk]),
                 reverse("payments:export_batch_download", args=[batch.pk])]
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_every_ledger_screen_is_for_accountants_only(role_client, role, entry, accountant):
    from payments.ledger.export_services import export_batch_create

    export_batch_create(format="csv", unexported=True, user=accountant)
    client = role_client(role)

    statuses = {url: client.get(url).status_code for url in get_urls(entry)}

    assert statuses == {url: 200 if ALLOWED[role] else 403 for url in statuses}


@pytest.mark.parametrize("role", ROLES)
def test_every_ledger_action_is_refused_to_others(role_client, role, entry, accountant):
    from payments.ledger.export_services import export_batch_create

    batch = export_batch_create(format="csv", unexported=True, user=accountant)
    period = entry.period
    client = role_client(role)
    if ALLOWED[role]:
        return
    posts = [
        (reverse("payments:journal_entry_reverse", args=[entry.pk]), {"reason": "x"}),
        (reverse("payments:manual_entry"), {}),
        (reverse("payments:period_close", args=[period.pk]), {}),
        (reverse("payments:period_reopen", args=[period.pk]), {"reason": "x"}),
        (reverse("payments:export_list"), {"format": "csv", "scope": "unexported"}),
        (reverse("payments:export_batch_void", args=[batch.pk]), {"reason": "x"}),
    ]

    assert [client.post(url, data).status_code for url, data in posts] == [403] * len(posts)
    assert JournalEntry.objects.count() == 1 and ExportBatch.objects.get().status == "made"
    assert FiscalPeriod.objects.get(pk=period.pk).status == "open"


@pytest.mark.parametrize("role, shown", list(ALLOWED.items()))
def test_the_ledger_is_in_the_navigation_of_accountants_only(role_client, role, shown):
    page = role_client(role).get(reverse("home")).content.decode()

    assert (reverse("payments:trial_balance") in page) is shown
    assert (reverse("payments:export_list") in page) is shown


def test_the_trial_balance_totals_agree(role_client, accountant):
    post(accountant, date(2026, 11, 3), "12.50")
    post(accountant, date(2026, 11, 4), "2.50", debit="5100", credit="1200")
    client = role_client("Accountant")

    response = client.get(reverse("payments:trial_balance"), {"on_date": "2026-11-30"})

    rows = response.context["rows"]
    assert (rows.debit, rows.credit, rows.difference, rows.is_balanced) == (
        Decimal("15.00"), Decimal("15.00"), Decimal("0"), True)
    assert {row.account.code: row.balance for row in rows.rows if row.balance} == {
        "1200": Decimal("10.00"), "2050": Decimal("-12.50"), "5100": Decimal("2.50")}
    page = response.content.decode()
    assert 'data-balanced="true"' in page and 'data-total="difference">$0.00<' in page


def test_the_account_ledger_runs_its_balance_and_pages_by_keyset(role_client, accountant, settings, monkeypatch):
    from payments.ledger import views
    from payments.ledger.models import Account

    monkeypatch.setattr(views, "LEDGER_PAGE_SIZE", 2)
    entries = [post(accountant, date(2026, 11, day), f"{day}.00") for day in (1, 2, 3)]
    inventory = Account.objects.get(code="1200")
    client = role_client("Accountant")
    url = reverse("payments:account_ledger", args=[inventory.pk])

    first = client.get(url)
    second = client.get(first.context["next_url"])
    fragment = client.get(first.context["next_url"], HTTP_HX_REQUEST="true").content.decode()

    assert [row.balance for row in first.context["page"].lines] == [Decimal("1.00"), Decimal("3.00")]
    assert first.context["next_url"].endswith(f"after=2026-11-02.{entries[1].lines.get(account=inventory).pk}")
    assert second.context["page"].opening_balance == Decimal("3.00")
    assert [row.balance for row in second.context["page"].lines] == [Decimal("6.00")]
    assert second.context["next_url"] == ""
    assert f'href="{reverse("payments:journal_entry", args=[entries[2].pk])}"' in fragment
    assert "<html" not in fragment and 'id="opening-balance"' not in fragment, "an htmx request gets the rows only"
    assert 'data-balance="running">$6.00<' in fragment
    with CaptureQueriesContext(connection) as captured:
        client.get(first.context["next_url"])
    sql = [query["sql"].upper() for query in captured.captured_queries]
    assert len(sql) <= 10
    assert not [query for query in sql if "OFFSET" in query or "COUNT(" in query], "keyset pages: no COUNT, no OFFSET"


def test_the_journal_entry_page_shows_the_source_and_reversal_both_ways(role_client, entry):
    client = role_client("Accountant")

    response = client.post(reverse("payments:journal_entry_reverse", args=[entry.pk]), {"reason": "Keyed twice"})

    reversal = JournalEntry.objects.get(reversal_of=entry)
    assert response["Location"] == reverse("payments:journal_entry", args=[reversal.pk])
    original_page = client.get(reverse("payments:journal_entry", args=[entry.pk])).content.decode()
    reversal_page = client.get(reverse("payments:journal_entry", args=[reversal.pk])).content.decode()
    assert f'id="reversed-by" href="{reverse("payments:journal_entry", args=[reversal.pk])}"' in original_page
    assert f'id="reverses" href="{reverse("payments:journal_entry", args=[entry.pk])}"' in reversal_page
    assert 'id="reverse-form"' not in original_page, "an entry is reversed once"
    assert "Keyed twice" in reversal.memo


def test_a_reversal_needs_a_reason(role_client, entry):
    response = role_client("Accountant").post(reverse("payments:journal_entry_reverse", args=[entry.pk]),
                                              {"reason": ""}, follow=True)

    assert not JournalEntry.objects.filter(reversal_of=entry).exists()
    assert "Say why the entry is reversed." in messages_of(response)


def manual_data(**overrides) -> dict:
    data = {"on_date": "2026-11-20", "memo": "Accrue freight", "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000",
            "lines-0-account": "5400", "lines-0-debit": "40.00", "lines-0-credit": "", "lines-0-memo": "Carrier",
            "lines-1-account": "2000", "lines-1-debit": "", "lines-1-credit": "40.00", "lines-1-memo": "",
            "lines-2-account": "", "lines-2-debit": "", "lines-2-credit": "", "lines-2-memo": ""}
    data.update(overrides)
    return data


def test_an_accountant_posts_a_balanced_manual_entry(role_client):
    client = role_client("Accountant")

    response = client.post(reverse("payments:manual_entry"), manual_data())

    entry = JournalEntry.objects.get()
    assert response["Location"] == reverse("payments:journal_entry", args=[entry.pk])
    assert (entry.kind, entry.memo, entry.entry_date) == ("manual", "Accrue freight", date(2026, 11, 20))
    assert sorted((line.account.code, line.debit, line.credit) for line in entry.lines.all()) == [
        ("2000", Decimal("0"), Decimal("40.000")), ("5400", Decimal("40.000"), Decimal("0"))]


@pytest.mark.parametrize("overrides, message", [
    ({"lines-1-credit": "39.99"}, "The debits (40.00) and the credits (39.99) differ."),
    ({"lines-1-account": "", "lines-1-credit": ""}, "An entry needs at least two lines."),
    ({"lines-0-credit": "40.00"}, "A line is a debit or a credit, not both."),
    ({"memo": ""}, "This field is required."),
])
def test_a_manual_entry_that_does_not_balance_is_refused(role_client, overrides, message):
    response = role_client("Accountant").post(reverse("payments:manual_entry"), manual_data(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not JournalEntry.objects.exists()


def test_a_manual_entry_in_a_closed_period_is_refused(role_client, accountant):
    from payments.ledger.services import period_close, period_for

    period_close(period=period_for(date(2026, 11, 20)), user=accountant)

    response = role_client("Accountant").post(reverse("payments:manual_entry"), manual_data())

    assert response.status_code == 200
    assert "closed" in response.context["form"].non_field_errors()[0]
    assert not JournalEntry.objects.exists()


def test_add_a_line_without_javascript_keeps_what_was_typed(role_client):
    response = role_client("Accountant").post(reverse("payments:manual_entry"), manual_data(add_line="1"))

    formset = response.context["formset"]
    assert formset.total_form_count() == 3 + 4
    assert formset.forms[0].initial["account"] == "5400" and not JournalEntry.objects.exists()
    assert "This field is required" not in response.content.decode()


def test_an_accountant_closes_and_reopens_a_period_with_a_reason(role_client, entry):
    client = role_client("Accountant")
    period = entry.period

    client.post(reverse("payments:period_close", args=[period.pk]))
    refused = client.post(reverse("payments:period_reopen", args=[period.pk]), {"reason": ""}, follow=True)
    assert FiscalPeriod.objects.get(pk=period.pk).status == "closed"
    assert "Say why the period is reopened." in messages_of(refused)
    client.post(reverse("payments:period_reopen", args=[period.pk]), {"reason": "Late vendor bill"})

    assert FiscalPeriod.objects.get(pk=period.pk).status == "open"
    assert list(PeriodEvent.objects.order_by("pk").values_list("action", "reason")) == [
        ("close", ""), ("reopen", "Late vendor bill")]
    assert "Late vendor bill" in client.get(reverse("payments:period_list")).content.decode()


def test_export_screens_make_download_and_void_a_batch(role_client, accountant):
    first, last = last_month()
    entry = post(accountant, first, "12.50")
    client = role_client("Accountant")

    response = client.post(reverse("payments:export_list"), {
        "format": "sage50", "scope": "range", "date_from": first.isoformat(), "date_to": last.isoformat()})

    batch = ExportBatch.objects.get()
    assert response["Location"] == batch.get_absolute_url()
    assert (batch.status, batch.entry_count) == ("made", 1)
    downloads = [b"".join(client.get(reverse("payments:export_batch_download", args=[batch.pk])).streaming_content)
                 for _ in range(2)]
    assert downloads[0] == downloads[1] and hashlib.sha256(downloads[0]).hexdigest() == batch.file_sha256
    response = client.get(reverse("payments:export_batch_download", args=[batch.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="{batch.file_name}"'
    assert response["Content-Length"] == str(len(downloads[0]))
    assert f"OMS-{entry.pk}".encode() in downloads[0]

    client.post(reverse("payments:export_batch_void", args=[batch.pk]), {"reason": "Wrong company"})
    batch.refresh_from_db()
    assert (batch.status, batch.void_reason) == ("voided", "Wrong company")
    assert "Wrong company" in client.get(batch.get_absolute_url()).content.decode()


def test_an_empty_export_says_so_and_makes_nothing(role_client):
    response = role_client("Accountant").post(reverse("payments:export_list"), {
        "format": "iif", "scope": "unexported"})

    assert response.status_code == 200
    assert "There is nothing to export" in response.content.decode()
    assert not ExportBatch.objects.exists()


def test_a_running_batch_page_polls_its_progress(role_client, accountant):
    batch = ExportBatch.objects.create(target="sage50", format="sage50", unexported_only=True, created_by=accountant,
                                       line_count=200_000, processed_lines=50_000)

    page = role_client("Accountant").get(batch.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()

    assert 'hx-trigger="every 1s"' in page and 'aria-valuenow="25"' in page
    assert "50,000 of 200,000 lines written." in page


def test_the_journal_pages_by_keyset_without_counting(role_client, accountant, monkeypatch, django_assert_max_num_queries):
    from payments.ledger import views

    monkeypatch.setattr(views, "JOURNAL_PAGE_SIZE", 2)
    entries = [post(accountant, date(2026, 11, day)) for day in (1, 2, 3)]
    client = role_client("Accountant")

    first = client.get(reverse("payments:journal"))
    second = client.get(first.context["next_url"])

    assert [row.entry.pk for row in first.context["entries"]] == [entries[2].pk, entries[1].pk]
    assert [row.entry.pk for row in second.context["entries"]] == [entries[0].pk]
    with django_assert_max_num_queries(8):
        client.get(reverse("payments:journal"))


@pytest.mark.parametrize("role, shown", list(ALLOWED.items()))
def test_the_accountants_home_panel_shows_a_balanced_trial_balance(make_user, accountant, role, shown):
    from django.template.loader import render_to_string

    from payments.ledger.screens import home_panel

    post(accountant, date(2026, 11, 3), "12.50")
    panel = home_panel(user=make_user(role))

    assert (panel is not None) is shown
    if shown:
        html = render_to_string(panel["template"], {"panel": panel})
        assert panel["balance"].is_balanced and "Balanced" in html
        assert reverse("payments:export_list") in html
