"""A manager watches the live dashboard move while an agent places an order in another window.

The fold runs as in production: a real Celery beat process sends ``rollups_fold_task`` every
second to a real worker, which folds the order into the rollups; the manager's page polls its
tiles and shows the order without a reload.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from orders.models import Order
from tests.axe import assert_accessible
from tests.screens_orders_helpers import entry_world
from tests.test_browser_order_entry import add_line, find_customer, wait_focus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def celery_beat(celery_worker, celery_queue):
    """Celery beat in its own process, sending the rollups' fold every second to the test's worker."""
    from django.db import connection

    with tempfile.TemporaryDirectory() as directory:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="oms.settings_test",
                   DATABASE_NAME=connection.settings_dict["NAME"], CELERY_QUEUE=celery_queue,
                   ROLLUP_FOLD_SECONDS="1")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "oms", "beat", "-l", "warning",
             "-s", str(Path(directory) / "schedule")], cwd=ROOT, env=env, start_new_session=True)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def sign_in_context(browser, live_server, user, password="pass-word-123"):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    return context, page


def test_the_dashboard_moves_when_an_agent_places_an_order(page, sign_in, browser, live_server, make_user,
                                                            celery_beat):
    world = entry_world()
    # A manager opens the home page: the dashboard, with no order today
    sign_in("Manager")
    page.goto("/")
    placed = page.locator('#tile-sales [data-total="orders_placed"]')
    assert placed.inner_text() == "0"
    first_update = page.locator("#tile-sales [data-updated]").get_attribute("data-updated")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-sales-hourly')")  # the chart is drawn
    assert_accessible(page, where="the live dashboard")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    # An agent, in another window, takes a phone order for 3 red mugs
    agent_context, agent = sign_in_context(browser, live_server, make_user("Agent"))
    try:
        agent.goto("/orders/new/")
        find_customer(agent, "lovelace", number=world.customer.number)
        wait_focus(agent, "source-code")
        agent.keyboard.press("Enter")
        add_line(agent, "MUG-RED", 3, code="MUG-RED")
        agent.wait_for_function("() => !document.querySelector('.htmx-request')")
        agent.keyboard.press("Control+Enter")
        agent.wait_for_url(re.compile(r"/orders/\d+/$"))
    finally:
        agent_context.close()
    order = Order.objects.get()

    # The manager's dashboard shows it within seconds, without a reload
    page.wait_for_function(
        "() => document.querySelector('#tile-sales [data-total=\"orders_placed\"]').textContent.trim() === '1'",
        timeout=30_000)
    assert page.locator('#tile-sales tr[data-channel="phone"] [data-value="orders_placed"]').inner_text() == "1"
    page.wait_for_function(
        "() => document.querySelector('#tile-top_skus tr[data-sku=\"MUG-RED\"] [data-value=\"units\"]')"
        "?.textContent.trim() === '3'", timeout=30_000)
    assert page.locator("#tile-sales [data-updated]").get_attribute("data-updated") != first_update
    open_total = page.locator('#tile-open_orders [data-total="open"]')
    open_total.wait_for()
    assert open_total.inner_text() == "1"
    page.wait_for_function("() => Chart.getChart('chart-top-skus')")  # a tile that came in draws its chart
    assert page.evaluate("window.sameDocument") is True  # never reloaded
    assert order.channel == "phone"
