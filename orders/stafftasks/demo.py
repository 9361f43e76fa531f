"""The demo's staff tasks (step 70, after the orders and payments): two rules and a few open tasks.

Idempotent: the rules are found by name, and tasks are opened only while the rule has none.
"""

from __future__ import annotations

from orders.models import Order, OrderStatus
from orders.stafftasks import services
from orders.stafftasks.models import TaskRule, Trigger
from oms.roles import AGENT, WAREHOUSE

DEMO_TASKS = 5


def seed_staff_tasks(*, stdout=None, options=None) -> None:
    late, _created = TaskRule.objects.get_or_create(name="Late orders", defaults={
        "trigger": Trigger.NOT_SHIPPED, "days": 14, "role": AGENT, "due_in_hours": 24,
        "title": "Late order: call the customer",
        "instructions": "Not shipped 14 days after placement: find out why, tell the customer, note what was agreed."})
    packing, _created = TaskRule.objects.get_or_create(name="Pack paid orders", defaults={
        "trigger": Trigger.ORDER_PAID, "role": WAREHOUSE, "due_in_hours": 8,
        "title": "Pack the paid order", "instructions": "The payment is authorized: pick and pack the order today."})
    opened = 0
    if not late.tasks.exists():
        opened += services.time_rule_apply(rule=late, limit=DEMO_TASKS)
    if not packing.tasks.exists():
        paid = (Order.objects.filter(status=OrderStatus.ALLOCATED).order_by("-placed_at", "-pk")
                .values_list("pk", flat=True)[:3])
        for order_id in paid:
            opened += services.event_rules_apply(trigger=Trigger.ORDER_PAID, order_id=order_id)
    if stdout is not None:
        stdout.write(f"Demo staff tasks: 2 rules, {opened} tasks opened.")
