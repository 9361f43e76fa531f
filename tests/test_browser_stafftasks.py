"""Issue 14's done condition for staff tasks: a late order opens exactly one task (two evaluations of the
time rules), which an agent, in the browser, finds through the navigation's count, takes and closes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import OrderStatus, StaffTask, TaskRule
from orders.stafftasks import services
from orders.stafftasks.models import TaskStatus, Trigger
from tests.axe import assert_accessible
from tests.screens_orders_helpers import OrderFactory, roles_in_sync  # noqa: F401 - an autouse fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_takes_and_closes_the_one_task_of_a_late_order(page, sign_in):
    TaskRule.objects.create(name="Late orders", trigger=Trigger.NOT_SHIPPED, days=14, role="Agent",
                            title="Late order: call the customer", due_in_hours=24)
    late = OrderFactory(status=OrderStatus.RELEASED, placed_at=timezone.now() - dt.timedelta(days=15))
    on_time = OrderFactory(status=OrderStatus.RELEASED, placed_at=timezone.now() - dt.timedelta(days=13))
    services.time_rules_evaluate()
    services.time_rules_evaluate()
    task = StaffTask.objects.get()
    assert task.order == late

    agent = sign_in("Agent")
    expect(page.locator("#task-count")).to_have_attribute("data-count", "1")

    # The order list shows the late order red, the other not.
    page.goto("/orders/")
    expect(page.locator(f'tr[data-order="{late.number}"]')).to_have_class("table-danger")
    expect(page.locator(f'tr[data-order="{on_time.number}"]')).not_to_have_class("table-danger")

    # The order page flags it, and its tasks panel links the inbox's task.
    page.goto(f"/orders/{late.pk}/")
    expect(page.locator("#late-order-flag")).to_be_visible()

    page.get_by_role("link", name="My tasks").click()
    row = page.locator(f'tr[data-task="{task.pk}"]')
    expect(row).to_contain_text("Late order: call the customer")
    expect(row.get_by_role("link", name=late.number)).to_have_attribute("href", f"/orders/{late.pk}/")
    assert_accessible(page)

    row.get_by_role("button", name="Take").click()
    expect(page.get_by_text("You took")).to_be_visible()
    row = page.locator(f'tr[data-task="{task.pk}"]')
    expect(row).to_contain_text(agent.username)
    row.locator("summary").click()
    row.get_by_label("What was done").fill("Called the customer: it ships on Monday")
    row.get_by_role("button", name="Close the task").click()
    expect(page.get_by_text("is closed")).to_be_visible()

    task.refresh_from_db()
    assert (task.status, task.closed_by, task.close_note) == (
        TaskStatus.DONE, agent, "Called the customer: it ships on Monday")
    expect(page.locator("#task-count")).to_have_count(0)  # nothing waits on the agent any more
    page.goto("/orders/")
    expect(page.locator(f'tr[data-order="{late.number}"]')).not_to_have_class("table-danger")
    services.time_rules_evaluate()
    assert StaffTask.objects.count() == 1
