"""Staff tasks (orders/stafftasks): rules open tasks for events and elapsed time, once; staff work them."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from orders import hooks
from orders.models import Hold, OrderStatus, StaffTask, TaskRule
from orders.stafftasks import panels, selectors, services, wiring
from orders.stafftasks.models import TaskStatus, Trigger
from tests.factories import SkuFactory, UserFactory, WarehouseFactory, stock
from tests.screens_orders_helpers import OrderFactory, roles_in_sync  # noqa: F401 - an autouse fixture


def late_rule(days: int = 14, **fields) -> TaskRule:
    values = {"name": "Late orders", "trigger": Trigger.NOT_SHIPPED, "days": days, "role": "Agent",
              "title": "Late order: call the customer", "due_in_hours": 24, **fields}
    return TaskRule.objects.create(**values)


def placed_days_ago(days: float, status: str = OrderStatus.RELEASED):
    return OrderFactory(status=status, placed_at=timezone.now() - dt.timedelta(days=days))


# --- the time rules -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_late_order_opens_exactly_one_task_after_two_evaluations():
    rule = late_rule(days=14)
    late = placed_days_ago(15)
    placed_days_ago(13)  # not late yet
    placed_days_ago(30, status=OrderStatus.SHIPPED)  # gone
    placed_days_ago(30, status=OrderStatus.CANCELLED)

    services.time_rules_evaluate()
    services.time_rules_evaluate()

    task = StaffTask.objects.get()
    assert (task.rule, task.order, task.subject, task.role, task.status) == (
        rule, late, f"order:{late.pk}", "Agent", TaskStatus.OPEN)
    assert task.title == "Late order: call the customer"
    assert abs(task.due_at - (task.opened_at + dt.timedelta(hours=24))) < dt.timedelta(seconds=5)


@pytest.mark.django_db
def test_a_closed_late_task_is_not_opened_again(make_user):
    late_rule(days=14)
    placed_days_ago(15)
    services.time_rules_evaluate()
    agent = make_user("Agent")
    services.task_close(task=StaffTask.objects.get(), user=agent, note="Called: it ships Monday")

    services.time_rules_evaluate()

    assert list(StaffTask.objects.values_list("status", flat=True)) == [TaskStatus.DONE]


@pytest.mark.django_db
def test_an_inactive_rule_opens_nothing():
    late_rule(is_active=False)
    placed_days_ago(20)

    assert services.time_rules_evaluate() == 0
    assert not StaffTask.objects.exists()


@pytest.mark.django_db
def test_an_order_on_hold_for_more_than_n_days_opens_a_task_once_per_hold():
    rule = TaskRule.objects.create(name="Long holds", trigger=Trigger.ON_HOLD, days=2, role="Manager",
                                   title="Look at the hold")
    held = placed_days_ago(5, status=OrderStatus.ON_HOLD)
    old_hold = Hold.objects.create(order=held, reason=Hold.Reason.MANUAL, note="wait")
    Hold.objects.filter(pk=old_hold.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    recent = placed_days_ago(5, status=OrderStatus.ON_HOLD)
    Hold.objects.create(order=recent, reason=Hold.Reason.MANUAL, note="one day")

    services.time_rules_evaluate()
    services.time_rules_evaluate()
    assert list(StaffTask.objects.values_list("rule", "order")) == [(rule.pk, held.pk)]

    # Closed, then released and held again three days later: a new hold, a new task.
    services.task_close(task=StaffTask.objects.get(), user=UserFactory(role="Manager"), note="Released")
    Hold.objects.filter(pk=old_hold.pk).update(released_at=timezone.now())
    again = Hold.objects.create(order=held, reason=Hold.Reason.ADDRESS)
    services.time_rules_evaluate()
    assert StaffTask.objects.filter(status=TaskStatus.OPEN).count() == 0  # the new hold is not 2 days old
    # As if it all happened earlier: the first task four days ago, the new hold three days ago.
    StaffTask.objects.update(opened_at=timezone.now() - dt.timedelta(days=4))
    Hold.objects.filter(pk=again.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    services.time_rules_evaluate()
    assert StaffTask.objects.filter(status=TaskStatus.OPEN, order=held).count() == 1


@pytest.mark.django_db
def test_stock_below_the_reorder_point_opens_a_task_per_sku():
    rule = TaskRule.objects.create(name="Low stock", trigger=Trigger.STOCK_BELOW, reorder_point=5, days=7,
                                   role="Manager", title="Reorder")
    east, west = WarehouseFactory(), WarehouseFactory()
    low, plenty, kit_part = SkuFactory(), SkuFactory(), SkuFactory()
    stock(low, east, 2)
    stock(low, west, 2)  # 4 in all: below 5
    stock(plenty, east, 3)
    stock(plenty, west, 3)  # 6 in all
    stock(kit_part, east, 5)  # exactly the reorder point: not below

    services.time_rules_evaluate()
    services.time_rules_evaluate()

    assert list(StaffTask.objects.values_list("rule", "sku", "subject")) == [(rule.pk, low.pk, f"sku:{low.pk}")]


# --- idempotent under concurrency ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_connections_evaluating_at_once_open_one_task():
    """The first evaluation holds its insert uncommitted; the second, on another connection, does not see it,
    inserts too, waits on the partial unique index, and does nothing when the first commits."""
    rule = late_rule(days=14)
    order = placed_days_ago(15)
    first_inserted, second_done = threading.Event(), threading.Event()
    outcome = {}

    def first():
        try:
            with transaction.atomic():
                services._insert([services._new_task(rule, now=timezone.now(), order_id=order.pk)])
                first_inserted.set()
                second_done.wait(2)  # the second blocks on the index meanwhile: it cannot finish
                outcome["second finished before the commit"] = second_done.is_set()
        finally:
            connection.close()

    def second():
        try:
            first_inserted.wait(10)
            outcome["tried"] = services.time_rule_evaluate(rule=rule)
            second_done.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcome == {"second finished before the commit": False, "tried": 1}
    assert StaffTask.objects.filter(rule=rule, order=order).count() == 1


EVALUATE = """
import sys, time
import django
django.setup()
from orders.stafftasks import services
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
print(sum(services.time_rules_evaluate() for _ in range(3)))
"""


@pytest.mark.django_db(transaction=True)
def test_two_processes_evaluating_at_once_open_one_task_per_late_order():
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    late_rule(days=14)
    orders = [placed_days_ago(15 + index % 10) for index in range(120)]
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="oms.settings_test", DATABASE_NAME=connection.settings_dict["NAME"])
    start = str(time.time() + 8)  # both processes set up Django first, then start together
    processes = [subprocess.Popen([sys.executable, "-c", EVALUATE, start], cwd=ROOT, env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    assert sum(int(out.strip()) for out, _err in outputs) >= len(orders)  # each tried, the index kept one
    assert StaffTask.objects.count() == len(orders)
    assert set(StaffTask.objects.values_list("order", flat=True)) == {order.pk for order in orders}


@pytest.mark.django_db(transaction=True)
def test_the_beat_task_on_a_real_worker_twice_opens_one_task(celery_worker):
    from orders.stafftasks.tasks import time_rules_evaluate_task

    late_rule(days=3)
    order = placed_days_ago(4)

    first = time_rules_evaluate_task.delay()
    second = time_rules_evaluate_task.delay()

    assert (first.get(timeout=30), second.get(timeout=30)) == (1, 0)
    assert list(StaffTask.objects.values_list("order", flat=True)) == [order.pk]


# --- event rules ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_event_opens_one_task_per_rule_however_often_it_comes():
    packing = TaskRule.objects.create(name="Pack paid", trigger=Trigger.ORDER_PAID, role="Warehouse",
                                      title="Pack it", due_in_hours=8)
    TaskRule.objects.create(name="Other", trigger=Trigger.ORDER_PLACED, role="Agent", title="Welcome call")
    order = placed_days_ago(0)

    services.tasks_open_for_event(trigger=Trigger.ORDER_PAID, order_id=order.pk)
    services.tasks_open_for_event(trigger=Trigger.ORDER_PAID, order_id=order.pk)

    task = StaffTask.objects.get()
    assert (task.rule, task.order, task.role, task.trigger) == (packing, order, "Warehouse", Trigger.ORDER_PAID)


@pytest.mark.django_db(transaction=True)
def test_orders_hooks_open_event_tasks_in_a_worker_after_commit(celery_worker):
    TaskRule.objects.create(name="Held", trigger=Trigger.ORDER_HELD, role="Manager", title="Why held?")
    TaskRule.objects.create(name="Paid", trigger=Trigger.ORDER_PAID, role="Warehouse", title="Pack it")
    TaskRule.objects.create(name="Shipped", trigger=Trigger.SHIPMENT_CONFIRMED, role="Agent", title="Follow up")
    order = placed_days_ago(0)

    hooks.status_changed(order.pk, OrderStatus.PLACED, OrderStatus.ON_HOLD)
    hooks.status_changed(order.pk, OrderStatus.ON_HOLD, OrderStatus.RELEASED)  # no rule: nothing
    hooks.order_paid(order.pk)
    hooks.shipment_confirmed(order.pk, 0, "S-1")

    deadline = time.monotonic() + 30
    while StaffTask.objects.count() < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    assert sorted(StaffTask.objects.values_list("title", flat=True)) == ["Follow up", "Pack it", "Why held?"]


@pytest.mark.django_db(transaction=True)
def test_a_card_order_the_worker_authorizes_opens_the_packing_task(payments_worker):
    """End to end: placement holds the order for its card (an "order held" task), the worker authorizes the
    card and releases the hold, payments calls orders' ``order_paid`` hook, the worker opens the packing task."""
    from decimal import Decimal

    from tests.orders_helpers import CustomerFactory as EntryCustomerFactory
    from tests.orders_helpers import line, place
    from tests.payments_helpers import card_instruction, wait_for

    TaskRule.objects.create(name="Pack paid", trigger=Trigger.ORDER_PAID, role="Warehouse", title="Pack it")
    TaskRule.objects.create(name="Held", trigger=Trigger.ORDER_HELD, role="Agent", title="Why held?")
    shirt = SkuFactory(code="SHIRT-M", list_price=Decimal("19.99"))
    stock(shirt, WarehouseFactory(code="EAST", priority=10), 10)

    order = place(lines=[line(shirt, 2)], customer=EntryCustomerFactory(), payment=[card_instruction()])

    wait_for(lambda: StaffTask.objects.filter(order=order, trigger=Trigger.ORDER_PAID).exists())
    time.sleep(0.5)
    assert sorted(StaffTask.objects.filter(order=order).values_list("title", "role")) == [
        ("Pack it", "Warehouse"), ("Why held?", "Agent")]


def test_the_hooks_are_registered():
    assert wiring.status_changed in hooks._status_changed
    assert wiring.order_paid in hooks._order_paid
    assert wiring.shipment_confirmed in hooks._shipment_confirmed
    assert panels.LATE_FLAG in hooks.order_list_flags()


@pytest.mark.django_db
def test_payments_tells_orders_when_the_payment_hold_is_released(django_capture_on_commit_callbacks):
    from decimal import Decimal

    from payments.tenders.models import Tender
    from payments.tenders.services import release_payment_hold_if_paid

    paid = []
    hooks.on_order_paid(paid.append)
    try:
        order = OrderFactory(status=OrderStatus.ON_HOLD, total=Decimal("21.600"))
        Hold.objects.create(order=order, reason=Hold.Reason.PAYMENT, note="Awaiting authorization")
        Tender.objects.create(order=order, kind=Tender.Kind.CHECK, amount=Decimal("21.600"),
                              status=Tender.Status.AUTHORIZED, currency=order.currency, sequence=1)
        with django_capture_on_commit_callbacks(execute=True):
            released = release_payment_hold_if_paid(order=order)
    finally:
        hooks.remove_order_paid(paid.append)

    assert (released, paid) == (True, [order.pk])


# --- the late rule's days (the dashboard reads them) ---------------------------------------------------


@pytest.mark.django_db
def test_late_after_days_is_the_active_late_rule_s_or_fourteen():
    assert selectors.late_after_days() == 14
    late_rule(days=10)
    late_rule(days=5, is_active=False)
    assert selectors.late_after_days() == 10


# --- working tasks: who sees and may do what ---------------------------------------------------------


@pytest.fixture
def tasks():
    order = placed_days_ago(20)
    agent_rule = late_rule(days=14)
    warehouse_rule = TaskRule.objects.create(name="Pack", trigger=Trigger.ORDER_PAID, role="Warehouse",
                                             title="Pack the order")
    services.time_rules_evaluate()
    services.tasks_open_for_event(trigger=Trigger.ORDER_PAID, order_id=order.pk)
    return {"order": order, "agent": StaffTask.objects.get(rule=agent_rule),
            "warehouse": StaffTask.objects.get(rule=warehouse_rule)}


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "sees"), [("Agent", {"agent"}), ("Warehouse", {"warehouse"}),
                                            ("Manager", {"agent", "warehouse"}), ("Accountant", set())])
def test_each_role_sees_its_own_tasks_in_the_inbox(role_client, tasks, role, sees):
    client = role_client(role)

    response = client.get(reverse("stafftasks:inbox"), {"view": "open"})

    assert response.status_code == 200
    shown = {name for name, task in (("agent", tasks["agent"]), ("warehouse", tasks["warehouse"]))
             if f'data-task="{task.pk}"' in response.content.decode()}
    assert shown == sees


@pytest.mark.django_db
def test_a_person_s_task_is_theirs_alone(make_user, client):
    ada, bob = make_user("Agent"), make_user("Agent")
    rule = late_rule(role="", assignee=ada)
    placed_days_ago(20)
    services.time_rules_evaluate()
    task = StaffTask.objects.get(rule=rule)

    client.force_login(bob)
    assert f'data-task="{task.pk}"' not in client.get(reverse("stafftasks:inbox"), {"view": "open"}).content.decode()
    assert client.post(reverse("stafftasks:task_take", args=[task.pk])).status_code == 404
    client.force_login(ada)
    assert f'data-task="{task.pk}"' in client.get(reverse("stafftasks:inbox")).content.decode()


@pytest.mark.django_db
def test_the_admin_role_has_no_inbox_but_sees_it_as_superuser(role_client):
    # Admins are superusers (tests.factories): they pass every permission check.
    assert role_client("Admin").get(reverse("stafftasks:inbox")).status_code == 200


@pytest.mark.django_db
def test_an_agent_takes_starts_and_closes_a_task_with_a_note(role_client, tasks):
    client = role_client("Agent")
    task = tasks["agent"]

    client.post(reverse("stafftasks:task_take", args=[task.pk]))
    client.post(reverse("stafftasks:task_start", args=[task.pk]))
    refused = client.post(reverse("stafftasks:task_close", args=[task.pk]), {"note": "  "})
    task.refresh_from_db()
    assert (task.status, task.closed_at) == (TaskStatus.IN_PROGRESS, None)
    assert refused.status_code == 302
    client.post(reverse("stafftasks:task_close", args=[task.pk]), {"note": "Called the customer"})

    task.refresh_from_db()
    user = task.assignee
    assert (task.status, task.closed_by, task.close_note) == (TaskStatus.DONE, user, "Called the customer")
    assert user.groups.filter(name="Agent").exists()
    assert task.taken_at and task.started_at and task.closed_at


@pytest.mark.django_db
def test_another_role_s_task_cannot_be_taken_or_closed(role_client, tasks):
    client = role_client("Agent")
    task = tasks["warehouse"]

    answers = [client.post(reverse(f"stafftasks:task_{action}", args=[task.pk]), {"note": "x"}).status_code
               for action in ("take", "start", "close")]

    task.refresh_from_db()
    assert answers == [404, 404, 404]
    assert (task.status, task.assignee) == (TaskStatus.OPEN, None)


@pytest.mark.django_db
def test_a_task_taken_by_someone_else_cannot_be_taken(make_user, tasks):
    first, second = make_user("Agent"), make_user("Agent")
    services.task_take(task=tasks["agent"], user=first)

    with pytest.raises(services.TaskError):
        services.task_take(task=tasks["agent"], user=second)
    with pytest.raises(services.TaskError):
        services.task_close(task=tasks["agent"], user=second, note="mine now")
    services.task_take(task=tasks["agent"], user=make_user("Manager"))  # a Manager reassigns


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["Agent", "Warehouse", "Manager", "Accountant"])
def test_the_navigation_counts_the_open_tasks_waiting_on_me(role_client, tasks, role):
    client = role_client(role)

    page = client.get(reverse("home")).content.decode()
    badge = client.get(reverse("stafftasks:inbox_count"), HTTP_HX_REQUEST="true").content.decode()

    assert reverse("stafftasks:inbox_count") in page
    expected = {"Agent": 1, "Warehouse": 1, "Manager": 0, "Accountant": 0}[role]  # Managers: no Manager task
    assert (f'data-count="{expected}"' in badge) if expected else badge.strip() == ""


@pytest.mark.django_db
def test_the_count_is_one_query(role_client, tasks, django_assert_max_num_queries):
    client = role_client("Agent")
    client.get(reverse("stafftasks:inbox_count"))
    with django_assert_max_num_queries(5):  # session, user, 2 × permissions, the count
        client.get(reverse("stafftasks:inbox_count"))


# --- rules: Managers edit them ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_manager_creates_and_edits_a_rule(role_client):
    client = role_client("Manager")
    assert client.get(reverse("stafftasks:rule_list")).status_code == 200
    data = {"name": "Late", "trigger": "not_shipped", "days": "10", "title": "Chase it", "role": "Agent",
            "due_in_hours": "24", "is_active": "on"}

    assert client.post(reverse("stafftasks:rule_create"), data).status_code == 302
    rule = TaskRule.objects.get()
    client.post(reverse("stafftasks:rule_edit", args=[rule.pk]), {**data, "days": "7"})

    rule.refresh_from_db()
    assert (rule.name, rule.days, rule.role, rule.is_active) == ("Late", 7, "Agent", True)
    assert "Chase it" in client.get(reverse("stafftasks:rule_list")).content.decode()


@pytest.mark.django_db
def test_a_rule_needs_a_role_or_a_person_and_a_stock_rule_its_reorder_point(role_client):
    client = role_client("Manager")
    data = {"name": "Low", "trigger": "stock_below", "days": "7", "title": "Reorder", "due_in_hours": "24"}

    response = client.post(reverse("stafftasks:rule_create"), data)

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"role", "reorder_point"}
    assert not TaskRule.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["Agent", "Warehouse", "Accountant"])
def test_only_managers_see_and_edit_rules(role_client, role):
    client = role_client(role)
    rule = late_rule()

    answers = [client.get(reverse("stafftasks:rule_list")).status_code,
               client.get(reverse("stafftasks:rule_create")).status_code,
               client.post(reverse("stafftasks:rule_edit", args=[rule.pk]), {"name": "x"}).status_code]

    assert answers == [403, 403, 403]


@pytest.mark.django_db
def test_signed_out_visitors_go_to_the_login_page(client):
    assert client.get(reverse("stafftasks:inbox")).status_code == 302
    assert client.get(reverse("stafftasks:inbox_count")).status_code == 302


# --- late orders: red in the list, flagged on their page -------------------------------------------------


@pytest.mark.django_db
def test_an_order_with_an_open_late_task_is_red_in_the_order_list(role_client, tasks):
    on_time = placed_days_ago(1)
    client = role_client("Agent")

    content = client.get(reverse("orders:order_list")).content.decode()

    assert f'<tr data-order="{tasks["order"].number}" class="table-danger">' in content
    assert f'<tr data-order="{on_time.number}">' in content
    assert 'data-flag="late"' in content

    services.task_close(task=tasks["agent"], user=UserFactory(role="Manager"), note="Shipped today")
    content = client.get(reverse("orders:order_list")).content.decode()
    assert f'<tr data-order="{tasks["order"].number}">' in content


@pytest.mark.django_db
def test_the_late_flag_costs_the_order_list_no_query(role_client, tasks):
    from tests.screens_helpers import count_queries

    for _ in range(5):
        placed_days_ago(20)
    services.time_rules_evaluate()
    client = role_client("Agent")
    url = reverse("orders:order_list")

    with_flag = count_queries(client, url, data={"size": "50"})
    hooks.remove_order_list_flag(panels.LATE_FLAG)
    try:
        without_flag = count_queries(client, url, data={"size": "50"})
    finally:
        hooks.register_order_list_flag(panels.LATE_FLAG)

    assert with_flag == without_flag


@pytest.mark.django_db
def test_the_order_page_loads_its_tasks_with_the_late_flag(role_client, tasks):
    client = role_client("Agent")
    order = tasks["order"]

    page = client.get(reverse("orders:order_detail", args=[order.pk])).content.decode()
    panel = client.get(reverse("stafftasks:order_tasks", args=[order.pk]), HTTP_HX_REQUEST="true")

    assert reverse("stafftasks:order_tasks", args=[order.pk]) in page
    assert 'id="late-order-flag"' in panel.content.decode()
    assert f'data-task="{tasks["agent"].pk}"' in panel.content.decode()
    assert f'data-task="{tasks["warehouse"].pk}"' not in panel.content.decode()  # the Warehouse's


@pytest.mark.django_db
def test_a_role_without_tasks_gets_no_tasks_panel(role_client, tasks):
    client = role_client("Admin")  # a superuser: sees every task
    assert client.get(reverse("stafftasks:order_tasks", args=[tasks["order"].pk])).status_code == 200


# --- invariants and demo ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_invariants_hold_and_catch_a_task_without_its_subject(tasks):
    from orders.invariants import violations

    assert [row for row in violations() if "staff task" in row[0]] == []
    StaffTask.objects.filter(pk=tasks["agent"].pk).update(subject="order:0")
    assert [row[0] for row in violations() if "staff task" in row[0]] == [
        "staff task names its subject and its rule's trigger"]


@pytest.mark.django_db
def test_the_demo_step_makes_two_rules_and_a_few_tasks_and_is_idempotent():
    from orders.stafftasks.demo import seed_staff_tasks

    for days in (20, 30):
        placed_days_ago(days)
    paid = placed_days_ago(0, status=OrderStatus.ALLOCATED)

    seed_staff_tasks()
    seed_staff_tasks()

    assert sorted(TaskRule.objects.values_list("name", flat=True)) == ["Late orders", "Pack paid orders"]
    assert StaffTask.objects.filter(rule__name="Late orders").count() == 2
    assert list(StaffTask.objects.filter(rule__name="Pack paid orders").values_list("order", flat=True)) == [
        paid.pk]


@pytest.mark.django_db
def test_a_task_someone_else_took_offers_no_buttons_but_to_managers(make_user, client, tasks):
    first, second, manager = make_user("Warehouse"), make_user("Warehouse"), make_user("Manager")
    task = services.task_take(task=tasks["warehouse"], user=first)
    take = reverse("stafftasks:task_take", args=[task.pk])
    close = reverse("stafftasks:task_close", args=[task.pk])

    pages = {}
    for user in (first, second, manager):
        client.force_login(user)
        pages[user.username] = client.get(reverse("stafftasks:inbox"), {"view": "open"}).content.decode()

    assert (take in pages[first.username], close in pages[first.username]) == (False, True)
    assert f'data-task="{task.pk}"' in pages[second.username]
    assert (take in pages[second.username], close in pages[second.username]) == (False, False)
    assert (take in pages[manager.username], close in pages[manager.username]) == (True, True)
