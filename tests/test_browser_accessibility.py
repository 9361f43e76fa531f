"""Accessibility: axe-core's WCAG 2.1 A and AA rules find nothing on the main pages of every role.

Each role signs in and visits its home page and every page its navigation offers (order entry,
orders, customers, catalog, warehouses, purchase orders, stock forms, campaigns, promotions,
price lists, imports, system status...), with data on them, and a few of the pages those lead
to. The helper is tests/axe.py; a new screen's browser test calls ``assert_accessible`` too.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from oms.navigation import items_for
from reporting.rollups.engine import rollups_fold
from tests.axe import assert_accessible, axe_violations, describe
from tests.screens_helpers import purchase_order
from tests.screens_orders_helpers import entry_world, full_order, roles_in_sync  # noqa: F401 - autouse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Django's own admin is not our markup; everything else the navigation offers is checked.
NOT_OURS = {"admin:index"}
# What each role's navigation must offer at least, so that the pages below are really visited.
MAIN_PAGES = {
    "Agent": {"home", "orders:order_entry", "orders:order_list", "orders:customer_list", "catalog:sku_search",
              "stafftasks:inbox"},
    "Warehouse": {"home", "inventory:po_list", "inventory:count", "catalog:sku_search", "carriers:day_close",
                  "stafftasks:inbox", "reporting:report_index", "returns:receive_station"},
    "Manager": {"home", "orders:order_entry", "orders:order_list", "orders:customer_list", "catalog:sku_search",
                "inventory:warehouse_list", "inventory:po_list", "marketing:campaign_list",
                "marketing:promotion_list", "marketing:pricelist_list", "imports:import_list", "carriers:day_close",
                "stafftasks:inbox", "stafftasks:rule_list", "dashboard:page", "returns:receive_station",
                "reporting:report_index", "reporting:report", "reporting:schedule_list"},
    "Accountant": {"home", "payments:trial_balance", "payments:journal", "payments:period_list",
                   "payments:export_list", "payables:bill_list", "payments:account_list",
                   "payments:posting_rule_list", "reporting:report_index", "reporting:report",
                   "reconciliation:payments"},
    "Admin": {"home", "system_status", "orders:order_list", "inventory:po_list", "marketing:campaign_list",
              "imports:import_list"},
}


@pytest.fixture
def shop():
    """Rows on every list: a catalog with stock, a customer with an order, a purchase order, a campaign."""
    world = entry_world()
    order = full_order(customer=world.customer)
    purchase_order(lines=[(world.mug, 10)], warehouse=world.east)
    # Tasks in the inboxes (and on the order's page) of agents and the warehouse.
    from orders.stafftasks.models import TaskRule, Trigger
    from orders.stafftasks.services import tasks_open_for_event

    for role in ("Agent", "Warehouse"):
        TaskRule.objects.create(name=f"{role} task", trigger=Trigger.ORDER_PAID, role=role, title="Look at it")
    tasks_open_for_event(trigger=Trigger.ORDER_PAID, order_id=order.pk)
    rollups_fold()  # the live dashboard's tiles (the Manager's home) show the order
    return {"order": order, "customer": world.customer, "sku": world.mug}


def pages_of(user, shop) -> dict[str, str]:
    """URL name -> URL of the pages to check for ``user``: home, the navigation's, some pages they lead to."""
    pages = {item.url_name: item.url() for item in items_for(user) if item.url_name not in NOT_OURS}
    # The search pages with results in them, not only their empty boxes.
    searches = {"catalog:sku_search": "MUG", "orders:customer_list": shop["customer"].last_name}
    for name, query in searches.items():
        if name in pages:
            pages[f"{name} (results)"] = f"{pages[name]}?{urlencode({'q': query})}"
    if user.has_perm("orders.view_order"):
        pages["orders:order_detail"] = reverse("orders:order_detail", args=[shop["order"].pk])
    if user.has_perm("orders.view_customer"):
        pages["orders:customer_detail"] = reverse("orders:customer_detail", args=[shop["customer"].pk])
    if user.has_perm("catalog.view_sku"):
        pages["catalog:sku_detail"] = reverse("catalog:sku_detail", args=[shop["sku"].pk])
    # A report with rows: sales by channel for a manager, the valuation for an accountant.
    for permission, key in (("reporting.view_sales_reports", "sales-by-channel"),
                            ("reporting.view_inventory_valuation", "inventory-valuation")):
        if user.has_perm(permission):
            pages["reporting:report"] = reverse("reporting:report", args=[key])
            break
    return pages


@pytest.mark.parametrize("role", list(MAIN_PAGES))
def test_main_pages_of_each_role_have_no_wcag_violation(page, sign_in, shop, role):
    user = sign_in(role)
    pages = pages_of(user, shop)
    assert MAIN_PAGES[role] <= set(pages)

    found = {}
    for name, url in pages.items():
        response = page.goto(url)
        assert response.status == 200, f"{name}: {response.status}"
        page.wait_for_load_state("networkidle")
        if violations := axe_violations(page):
            found[name] = describe(violations, where=f"{name} ({url}) as {role}")

    assert not found, "\n\n".join(found.values())


def test_the_login_page_has_no_wcag_violation(page):
    page.goto("/login/")

    assert_accessible(page)


def test_a_violation_fails_with_the_rule_and_the_element(page, sign_in):
    sign_in("Agent")
    page.evaluate("""() => {
        const note = document.createElement("p");
        note.id = "faint-note";
        note.style.color = "#bbbbbb";
        note.style.background = "#ffffff";
        note.textContent = "Hard to read";
        document.querySelector("main").appendChild(note);
        const picture = document.createElement("img");
        picture.id = "unlabelled-picture";
        picture.src = "data:image/gif;base64,R0lGODlhAQABAAAAACw=";
        document.querySelector("main").appendChild(picture);
    }""")

    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, where="the home page")

    message = str(failure.value)
    assert "WCAG 2.1 AA rule(s) violated on the home page" in message
    assert "color-contrast (serious)" in message and "#faint-note" in message
    assert "image-alt (critical)" in message and "#unlabelled-picture" in message


def test_a_table_wider_than_the_screen_can_be_scrolled_from_the_keyboard(page, sign_in, shop):
    sign_in("Manager")
    page.set_viewport_size({"width": 480, "height": 900})
    page.goto(reverse("orders:order_detail", args=[shop["order"].pk]))

    boxes = page.eval_on_selector_all(
        ".table-responsive", "boxes => boxes.map(box => [box.scrollWidth > box.clientWidth + 1, box.tabIndex])")

    assert any(scrolls for scrolls, _ in boxes)
    assert [tab_index for scrolls, tab_index in boxes if scrolls] == [0] * sum(scrolls for scrolls, _ in boxes)
    assert_accessible(page)
    page.set_viewport_size({"width": 1920, "height": 900})  # now nothing scrolls: no tab stop is left
    page.wait_for_timeout(400)
    assert page.eval_on_selector_all(
        ".table-responsive", "boxes => boxes.filter(box => box.scrollWidth <= box.clientWidth + 1)"
                             ".map(box => box.getAttribute('tabindex'))") == [None] * len(boxes)


def test_order_entry_with_its_suggestion_lists_open_has_no_wcag_violation(page, sign_in, shop):
    sign_in("Agent")
    page.goto(reverse("orders:order_entry"))

    page.locator("#customer-query").press_sequentially(shop["customer"].last_name[:4], delay=30)
    page.locator("#customer-query-results [role=option]").first.wait_for()
    assert_accessible(page, where="order entry, customers suggested")

    page.locator("#customer-query").fill("nobody-by-this-name")
    page.locator("#customer-query-results #customer-query-results-new").wait_for()
    assert_accessible(page, where="order entry, no customer matches")

    page.locator("#add-line-query").press_sequentially("MUG", delay=30)
    page.locator("#add-line-results [role=option]").first.wait_for()
    assert_accessible(page, where="order entry, SKUs suggested")
