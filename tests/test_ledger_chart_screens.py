"""The chart of accounts and the posting map: only accountants (and superusers) change them,
an account that saves always exports, and a rule's change moves where the next posting lands."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from oms.hooks import PostingLine, ledger_post
from payments.ledger.models import Account, JournalLine, PostingRule
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.ledger_helpers import account, lines_of
from tests.screens_helpers import ROLES, messages_of

pytestmark = pytest.mark.django_db
ALLOWED = {"Agent": False, "Warehouse": False, "Manager": False, "Accountant": True, "Admin": True}
VALID = {"code": "1300", "name": "Prepaid rent", "type": "asset", "is_active": "on",
         "gp_account_number": "000-1300-00", "sage50_account_id": "1300",
         "quickbooks_account_name": "Assets:Prepaid rent"}


@pytest.fixture
def warehouse_rule():
    east = WarehouseFactory(code="EAST")
    return PostingRule.objects.create(role="inventory", warehouse=east, account=account("1200"))


def default_rule(role: str) -> PostingRule:
    return PostingRule.objects.get(role=role, warehouse__isnull=True)


def saved(code: str) -> dict:
    return Account.objects.filter(code=code).values(
        "code", "name", "type", "is_active", "gp_account_number", "sage50_account_id", "quickbooks_account_name").get()


def post_role(role: str, *, warehouse=None, number: int = 1):
    """A two-line entry through the hook: ``role`` debited, cash credited."""
    lines = [PostingLine(role=role, debit=Decimal("5"), warehouse_id=warehouse.pk if warehouse else None),
             PostingLine(role="cash", credit=Decimal("5"))]
    return ledger_post(source=("tests.chart", str(number)), kind="test", on_date=date(2026, 11, 3), user=None,
                       lines=lines)


# --- permissions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_chart_screen_is_for_accountants_only(role_client, role, warehouse_rule):
    client = role_client(role)
    urls = [reverse("payments:account_list"), reverse("payments:account_create"),
            reverse("payments:account_edit", args=[account("1200").pk]), reverse("payments:posting_rule_list"),
            reverse("payments:posting_rule_create"), reverse("payments:posting_rule_edit", args=[warehouse_rule.pk]),
            reverse("payments:posting_rule_delete", args=[warehouse_rule.pk])]

    statuses = {url: client.get(url).status_code for url in urls}

    assert statuses == {url: 200 if ALLOWED[role] else 403 for url in urls}


@pytest.mark.parametrize("role", [role for role, allowed in ALLOWED.items() if not allowed])
def test_every_chart_change_is_refused_to_others(role_client, role, warehouse_rule):
    client = role_client(role)
    inventory = account("1200")
    posts = [
        (reverse("payments:account_create"), VALID),
        (reverse("payments:account_edit", args=[inventory.pk]), {**VALID, "name": "Stolen"}),
        (reverse("payments:posting_rule_create"), {"role": "cogs", "warehouse": warehouse_rule.warehouse_id,
                                                   "account": account("5900").pk}),
        (reverse("payments:posting_rule_edit", args=[warehouse_rule.pk]), {"account": account("5900").pk}),
        (reverse("payments:posting_rule_delete", args=[warehouse_rule.pk]), {}),
    ]

    assert [client.post(url, data).status_code for url, data in posts] == [403] * len(posts)
    assert not Account.objects.filter(code="1300").exists() and account("1200").name == "Inventory"
    assert list(PostingRule.objects.filter(warehouse__isnull=False).values_list("role", "account__code")) == [
        ("inventory", "1200")]


@pytest.mark.parametrize("role, shown", list(ALLOWED.items()))
def test_the_chart_screens_are_in_the_navigation_of_accountants_only(role_client, role, shown):
    body = role_client(role).get(reverse("home")).content.decode()

    assert (reverse("payments:account_list") in body, reverse("payments:posting_rule_list") in body) == (shown, shown)


def test_a_form_without_its_csrf_token_is_refused(make_user, warehouse_rule):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("Accountant"))
    posts = [(reverse("payments:account_create"), VALID),
             (reverse("payments:posting_rule_edit", args=[warehouse_rule.pk]), {"account": account("5900").pk}),
             (reverse("payments:posting_rule_delete", args=[warehouse_rule.pk]), {})]

    assert [client.post(url, data).status_code for url, data in posts] == [403, 403, 403]
    assert not Account.objects.filter(code="1300").exists()
    assert PostingRule.objects.get(pk=warehouse_rule.pk).account.code == "1200"


# --- the chart ------------------------------------------------------------------------------------


def test_the_chart_lists_every_account_with_its_codes(role_client):
    body = role_client("Accountant").get(reverse("payments:account_list")).content.decode()

    assert body.count("<tr data-account=") == Account.objects.count()
    assert 'data-account="1200"' in body and "000-1200-00" in body
    assert f'href="{reverse("payments:account_ledger", args=[account("1200").pk])}"' in body


def test_an_accountant_adds_an_account_with_its_codes(role_client):
    response = role_client("Accountant").post(reverse("payments:account_create"), VALID)

    assert response.status_code == 302 and response.url == reverse("payments:account_list")
    assert saved("1300") == {"code": "1300", "name": "Prepaid rent", "type": "asset", "is_active": True,
                             "gp_account_number": "000-1300-00", "sage50_account_id": "1300",
                             "quickbooks_account_name": "Assets:Prepaid rent"}


def test_an_accountant_changes_an_account(role_client):
    other = Account.objects.create(code="4900", name="Other", type="expense", gp_account_number="000-4900-00")
    response = role_client("Accountant").post(reverse("payments:account_edit", args=[other.pk]), {
        "name": "Freight charged", "type": "income", "gp_account_number": "100-4900-01",
        "sage50_account_id": "49000", "quickbooks_account_name": "Income:Freight charged"})

    assert response.status_code == 302
    assert saved("4900") == {"code": "4900", "name": "Freight charged", "type": "income", "is_active": False,
                             "gp_account_number": "100-4900-01", "sage50_account_id": "49000",
                             "quickbooks_account_name": "Income:Freight charged"}


@pytest.mark.parametrize("field, value, message", [
    ("sage50_account_id", "1234567890123456", "At most 15 characters (this has 16)."),
    ("sage50_account_id", "=1300", "not starting with = + - @"),
    ("gp_account_number", "000--1300", "Segments of letters and digits"),
    ("gp_account_number", "000 1300 00", "Segments of letters and digits"),
    ("gp_account_number", "0" * 76, "At most 75 characters (this has 76)."),
    ("quickbooks_account_name", "Assets:", "no empty name"),
    ("quickbooks_account_name", "Assets : Rent", "no space around it"),
    ("quickbooks_account_name", "x" * 160, "At most 159 characters (this has 160)."),
    ("quickbooks_account_name", "Prepaid 租金", "Windows-1252"),
    ("code", "13 00", "Letters, digits"),
    ("code", "1200", "There is already an account 1200."),
])
def test_a_code_that_would_not_export_is_refused_on_its_field(role_client, field, value, message):
    response = role_client("Accountant").post(reverse("payments:account_create"), {**VALID, field: value})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in " ".join(errors[field])
    assert not Account.objects.filter(code=VALID["code"]).exists()
    assert saved("1200")["name"] == "Inventory"


def test_a_refused_change_saves_nothing(role_client):
    revenue = account("4000")
    response = role_client("Accountant").post(reverse("payments:account_edit", args=[revenue.pk]), {
        "name": "Sales", "type": "income", "is_active": "on", "gp_account_number": "000-4000-00",
        "sage50_account_id": "x" * 16, "quickbooks_account_name": "Revenue"})

    assert response.status_code == 200 and list(response.context["form"].errors) == ["sage50_account_id"]
    assert saved("4000")["name"] == "Revenue" and saved("4000")["sage50_account_id"] == "4000"


def test_the_type_of_an_account_with_lines_stays(role_client):
    post_role("rounding")
    rounding = account("5900")
    client = role_client("Accountant")

    page = client.get(reverse("payments:account_edit", args=[rounding.pk]))
    response = client.post(reverse("payments:account_edit", args=[rounding.pk]), {
        "name": "Rounding", "type": "income", "is_active": "on", "gp_account_number": "000-5900-00",
        "sage50_account_id": "5900", "quickbooks_account_name": "Rounding"})

    assert page.context["form"].fields["type"].disabled is True
    assert response.status_code == 302 and saved("5900")["type"] == "expense"


def test_an_account_of_the_posting_map_stays_active(role_client):
    rounding = account("5900")
    response = role_client("Accountant").post(reverse("payments:account_edit", args=[rounding.pk]), {
        "name": "Rounding", "type": "expense", "gp_account_number": "000-5900-00",
        "sage50_account_id": "5900", "quickbooks_account_name": "Rounding"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"is_active": [
        "The posting map points to this account (rounding); point those rules elsewhere first."]}
    assert saved("5900")["is_active"] is True


def test_a_saved_account_exports(role_client, make_user):
    from payments.ledger.export_services import export_batch_create, export_batch_void
    from payments.ledger.models_export import ExportBatch

    client = role_client("Accountant")
    client.post(reverse("payments:account_create"), {**VALID, "sage50_account_id": "PREPAID-RENT-01",
                                                     "quickbooks_account_name": "Assets:Prepaid rent é"})
    client.post(reverse("payments:posting_rule_edit", args=[default_rule("rounding").pk]),
                {"account": account("1300").pk})
    post_role("rounding")

    accountant = make_user("Accountant")
    batches = [export_batch_create(format=key, unexported=True, user=accountant)
               for key in ("gp-xml", "sage50", "iif", "csv")]
    export_batch_void(batch=batches[0], reason="the CSV one too", user=accountant)
    batches.append(export_batch_create(format="gp-csv", unexported=True, user=accountant))

    assert len(batches) == 5
    assert list(ExportBatch.objects.order_by("pk").values_list("format", "status", "entry_count")) == [
        ("gp-xml", "voided", 1), ("sage50", "made", 1), ("iif", "made", 1), ("csv", "made", 1), ("gp-csv", "made", 1)]


# --- the posting map ------------------------------------------------------------------------------


def test_the_posting_map_lists_defaults_and_warehouse_rules(role_client, warehouse_rule):
    body = role_client("Accountant").get(reverse("payments:posting_rule_list")).content.decode()

    assert body.count("<tr data-role=") == PostingRule.objects.count()
    assert '<tr data-role="inventory" data-warehouse="" data-account="1200">' in body
    assert '<tr data-role="inventory" data-warehouse="EAST" data-account="1200">' in body
    assert body.count(">Remove<") == 1  # only the warehouse's own rule


def test_changing_a_rule_moves_where_the_next_posting_lands(role_client):
    url = reverse("payments:posting_rule_edit", args=[default_rule("cogs").pk])
    response = role_client("Accountant").post(url, {"account": account("5300").pk})

    entry = post_role("cogs")

    assert response.status_code == 302 and default_rule("cogs").account.code == "5300"
    assert lines_of(entry) == [("5300", Decimal("5.000"), Decimal("0.000")),
                               ("1000", Decimal("0.000"), Decimal("5.000"))]


def test_a_warehouse_rule_sends_that_warehouses_stock_to_its_account(role_client, make_user):
    west = WarehouseFactory(code="WEST")
    client = role_client("Accountant")
    client.post(reverse("payments:account_create"), {**VALID, "code": "1210", "name": "Inventory West",
                                                     "gp_account_number": "000-1210-00", "sage50_account_id": "1210",
                                                     "quickbooks_account_name": "Inventory West"})

    response = client.post(reverse("payments:posting_rule_create"),
                           {"role": "inventory", "warehouse": west.pk, "account": account("1210").pk})
    receipt = stock(SkuFactory(), west, 3)

    assert response.status_code == 302
    assert PostingRule.objects.get(role="inventory", warehouse=west).account.code == "1210"
    debits = set(JournalLine.objects.filter(entry__source_id=str(receipt.pk), debit__gt=0)
                 .values_list("account__code", flat=True))
    assert debits == {"1210"}


def test_moving_the_inventory_of_a_warehouse_with_stock_needs_a_confirmation(role_client, warehouse_rule):
    stock(SkuFactory(), warehouse_rule.warehouse, 2)
    client = role_client("Accountant")
    url = reverse("payments:posting_rule_edit", args=[warehouse_rule.pk])

    warned = client.post(url, {"account": account("5200").pk})
    unchanged = PostingRule.objects.get(pk=warehouse_rule.pk).account.code
    confirmed = client.post(url, {"account": account("5200").pk, "confirm_stock": "on"})

    assert warned.status_code == 200 and 'id="stock-warning"' in warned.content.decode()
    assert "EAST" in warned.context["form"].stock_warning and unchanged == "1200"
    assert confirmed.status_code == 302 and PostingRule.objects.get(pk=warehouse_rule.pk).account.code == "5200"


def test_the_default_inventory_rule_warns_for_warehouses_without_their_own(role_client, warehouse_rule):
    stock(SkuFactory(), warehouse_rule.warehouse, 2)  # EAST has its own rule: not moved
    client = role_client("Accountant")
    url = reverse("payments:posting_rule_edit", args=[default_rule("inventory").pk])

    quiet = client.post(url, {"account": account("5200").pk})
    west = WarehouseFactory(code="WEST")
    stock(SkuFactory(), west, 1)
    warned = client.post(url, {"account": account("1200").pk})

    assert quiet.status_code == 302 and default_rule("inventory").account.code == "5200"
    assert warned.status_code == 200 and "WEST" in warned.context["form"].stock_warning
    assert "EAST" not in warned.context["form"].stock_warning and default_rule("inventory").account.code == "5200"


def test_a_warehouse_rule_is_removed_after_its_confirmation_page(role_client, warehouse_rule):
    client = role_client("Accountant")
    url = reverse("payments:posting_rule_delete", args=[warehouse_rule.pk])

    page = client.get(url)
    response = client.post(url)

    assert page.status_code == 200 and 'id="delete-question"' in page.content.decode()
    assert response.status_code == 302 and PostingRule.objects.filter(pk=warehouse_rule.pk).exists() is False


def test_a_default_rule_cannot_be_removed(role_client, make_user):
    from payments.ledger.errors import LedgerError
    from payments.ledger.services import posting_rule_delete

    rule = default_rule("cogs")
    response = role_client("Accountant").post(reverse("payments:posting_rule_delete", args=[rule.pk]), follow=True)

    assert messages_of(response) == [
        "The default rule of “cogs” cannot be removed; point it to another account instead."]
    with pytest.raises(LedgerError):
        posting_rule_delete(rule=rule, user=make_user("Accountant"))
    assert PostingRule.objects.filter(pk=rule.pk).exists()


def test_a_rule_cannot_point_to_an_inactive_account(role_client):
    retired = Account.objects.create(code="5999", name="Old", type="expense", is_active=False)
    url = reverse("payments:posting_rule_edit", args=[default_rule("cogs").pk])
    response = role_client("Accountant").post(url, {"account": retired.pk})

    assert response.status_code == 200 and list(response.context["form"].errors) == ["account"]
    assert default_rule("cogs").account.code == "5000"


@pytest.mark.parametrize("role", [role for role, allowed in ALLOWED.items() if not allowed])
def test_the_services_check_the_permission_too(make_user, role, warehouse_rule):
    from payments.ledger.errors import LedgerError
    from payments.ledger.services import account_create, account_update, posting_rule_delete, posting_rule_set

    user = make_user(role)
    calls = [
        lambda: account_create(code="1300", name="Prepaid rent", type="asset", user=user),
        lambda: account_update(account=account("1200"), name="Stolen", user=user),
        lambda: posting_rule_set(role="cogs", warehouse=None, account=account("5900"), user=user),
        lambda: posting_rule_delete(rule=warehouse_rule, user=user),
    ]

    refused = []
    for call in calls:
        with pytest.raises(LedgerError) as error:
            call()
        refused.append(str(error.value).startswith("You may not"))

    assert refused == [True] * 4
    assert not Account.objects.filter(code="1300").exists() and account("1200").name == "Inventory"
    assert default_rule("cogs").account.code == "5000" and PostingRule.objects.filter(pk=warehouse_rule.pk).exists()


def test_removing_the_own_inventory_rule_of_a_warehouse_with_stock_needs_a_confirmation(role_client, warehouse_rule):
    PostingRule.objects.filter(pk=warehouse_rule.pk).update(account=account("5200"))
    stock(SkuFactory(), warehouse_rule.warehouse, 2)
    client = role_client("Accountant")
    url = reverse("payments:posting_rule_delete", args=[warehouse_rule.pk])

    warned = client.post(url)
    kept = PostingRule.objects.filter(pk=warehouse_rule.pk).exists()
    confirmed = client.post(url, {"confirm_stock": "on"})

    assert warned.status_code == 200 and "EAST" in warned.context["form"].stock_warning and kept
    assert confirmed.status_code == 302 and not PostingRule.objects.filter(pk=warehouse_rule.pk).exists()
