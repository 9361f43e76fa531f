"""Staff tasks' writes: opening tasks for events and for the time rules, taking, starting and closing them.

Opening is idempotent: a partial unique index allows one open task per (rule, subject), and
tasks are inserted with ``INSERT … ON CONFLICT DO NOTHING`` (``bulk_create(ignore_conflicts=True)``),
so a repeated event, a second run of the beat job or two workers at once open one task.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.selectors import skus_available_below
from orders.models import Hold, Order, OrderStatus
from orders.stafftasks.models import (
    OPEN_TASK_STATUSES, EVENT_TRIGGERS, StaffTask, TaskRule, TaskStatus, Trigger,
)

S = OrderStatus
# "Not shipped": placed and not (wholly) gone out yet.
NOT_SHIPPED_STATUSES = (S.PLACED, S.ON_HOLD, S.RELEASED, S.ALLOCATED, S.PICKING, S.PACKED, S.PARTIALLY_SHIPPED)
# A run opens at most this many tasks per rule; the next run goes on (a first run on a big backlog stays short).
BATCH_SIZE = 500


class TaskError(Exception):
    """A task cannot be taken, started or closed (the message says why)."""


def _new_task(rule: TaskRule, *, now: datetime, order_id: int | None = None, sku_id: int | None = None) -> StaffTask:
    subject = f"order:{order_id}" if order_id is not None else f"sku:{sku_id}"
    return StaffTask(rule=rule, trigger=rule.trigger, subject=subject, order_id=order_id, sku_id=sku_id,
                     title=rule.title, instructions=rule.instructions, role=rule.role,
                     assignee_id=rule.assignee_id, due_at=now + timedelta(hours=rule.due_in_hours))


def _insert(tasks: list[StaffTask]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: a subject with an open task of the rule already keeps that one."""
    if tasks:
        StaffTask.objects.bulk_create(tasks, ignore_conflicts=True)


# --- events ---------------------------------------------------------------------------------------------


def tasks_open_for_event(*, trigger: str, order_id: int) -> int:
    """Open a task of every active rule of ``trigger`` (an event) for the order; the rules that applied."""
    if trigger not in EVENT_TRIGGERS:
        raise ValueError(f"{trigger!r} is not an event trigger")
    with transaction.atomic(durable=True):
        return event_rules_apply(trigger=trigger, order_id=order_id)


def event_rules_apply(*, trigger: str, order_id: int) -> int:
    """:func:`tasks_open_for_event` inside the caller's transaction (the demo's)."""
    rules = list(TaskRule.objects.filter(is_active=True, trigger=trigger).order_by("pk"))
    if not rules or not Order.objects.filter(pk=order_id).exists():
        return 0
    now = timezone.now()
    _insert([_new_task(rule, now=now, order_id=order_id) for rule in rules])
    return len(rules)


# --- time rules (the beat job) --------------------------------------------------------------------------


def _not_shipped(rule: TaskRule, now: datetime) -> QuerySet:
    """Orders placed ``days`` ago or longer and not shipped, without a task of the rule (placement never
    starts again: a closed task is not opened a second time)."""
    tasked = StaffTask.objects.filter(rule=rule, order_id=OuterRef("pk"))
    return (Order.objects.filter(status__in=NOT_SHIPPED_STATUSES, placed_at__lte=now - timedelta(days=rule.days))
            .filter(~Exists(tasked)).order_by("placed_at", "pk").values_list("pk", flat=True))


def _on_hold(rule: TaskRule, now: datetime) -> QuerySet:
    """Orders on hold since ``days`` ago or longer without a task of the rule opened since the hold."""
    held_since = (Hold.objects.filter(order_id=OuterRef("pk"), released_at__isnull=True).order_by()
                  .values("order_id").annotate(since=Min("created_at")).values("since"))
    tasked = StaffTask.objects.filter(rule=rule, order_id=OuterRef("pk"), opened_at__gte=OuterRef("held_since"))
    return (Order.objects.filter(status=S.ON_HOLD).annotate(held_since=Subquery(held_since))
            .filter(held_since__lte=now - timedelta(days=rule.days)).filter(~Exists(tasked))
            .order_by("held_since", "pk").values_list("pk", flat=True))


def _stock_below(rule: TaskRule, now: datetime) -> QuerySet:
    """SKUs below the rule's reorder point without an open task of the rule or one opened in the last ``days``."""
    tasked = StaffTask.objects.filter(rule=rule, sku_id=OuterRef("pk")).filter(
        Q(status__in=OPEN_TASK_STATUSES) | Q(opened_at__gt=now - timedelta(days=rule.days)))
    return (skus_available_below(units=rule.reorder_point or 0).filter(~Exists(tasked)).order_by("pk")
            .values_list("pk", flat=True))


_CANDIDATES = {Trigger.NOT_SHIPPED: _not_shipped, Trigger.ON_HOLD: _on_hold, Trigger.STOCK_BELOW: _stock_below}


def time_rule_evaluate(*, rule: TaskRule, now: datetime | None = None, limit: int = BATCH_SIZE) -> int:
    """Open the rule's tasks for the subjects that meet it now (at most ``limit``); the subjects tried."""
    with transaction.atomic(durable=True):
        return time_rule_apply(rule=rule, now=now, limit=limit)


def time_rule_apply(*, rule: TaskRule, now: datetime | None = None, limit: int = BATCH_SIZE) -> int:
    """:func:`time_rule_evaluate` inside the caller's transaction (the demo's)."""
    now = now or timezone.now()
    subjects = list(_CANDIDATES[rule.trigger](rule, now)[:limit])
    field = "sku_id" if rule.trigger == Trigger.STOCK_BELOW else "order_id"
    _insert([_new_task(rule, now=now, **{field: pk}) for pk in subjects])
    return len(subjects)


def time_rules_evaluate(*, now: datetime | None = None) -> int:
    """Evaluate every active time rule (the beat job): safe to run twice, or on two workers at once."""
    rules = TaskRule.objects.filter(is_active=True, trigger__in=list(_CANDIDATES)).order_by("pk")
    return sum(time_rule_evaluate(rule=rule, now=now) for rule in rules)


# --- working a task -------------------------------------------------------------------------------------


def user_role_names(user) -> set[str]:
    """The user's role groups (cached on the user object for the request)."""
    if not hasattr(user, "_staff_task_roles"):
        user._staff_task_roles = set(user.groups.values_list("name", flat=True))
    return user._staff_task_roles


def can_see(user, task: StaffTask) -> bool:
    """Whether ``user`` sees ``task``: theirs, their role's, or every task for those who may see all."""
    return (task.assignee_id == user.pk or (bool(task.role) and task.role in user_role_names(user))
            or user.has_perm("orders.view_all_tasks"))


def _lock(task: StaffTask | int) -> StaffTask:
    pk = task.pk if isinstance(task, StaffTask) else task
    return StaffTask.objects.select_for_update(no_key=True).get(pk=pk)


def _workable(task: StaffTask, user) -> StaffTask:
    if not user.has_perm("orders.work_task") or not can_see(user, task):
        raise TaskError(_("This task is not yours or your role's."))
    if not task.is_open:
        raise TaskError(_("This task is closed already."))
    return task


def _taken_by_other(task: StaffTask, user) -> bool:
    return task.assignee_id is not None and task.assignee_id != user.pk


def task_take(*, task: StaffTask, user) -> StaffTask:
    """Assign the task to ``user`` (a task taken by someone else only Managers reassign)."""
    with transaction.atomic(durable=True):
        locked = _workable(_lock(task), user)
        if _taken_by_other(locked, user) and not user.has_perm("orders.view_all_tasks"):
            raise TaskError(_("Someone else has taken this task."))
        locked.assignee, locked.taken_at = user, timezone.now()
        locked.save(update_fields=["assignee", "taken_at"])
    return locked


def task_start(*, task: StaffTask, user) -> StaffTask:
    """Mark the task in progress, taking it when nobody has."""
    with transaction.atomic(durable=True):
        locked = _workable(_lock(task), user)
        if _taken_by_other(locked, user):
            raise TaskError(_("Someone else has taken this task."))
        now = timezone.now()
        if locked.assignee_id is None:
            locked.assignee, locked.taken_at = user, now
        locked.status, locked.started_at = TaskStatus.IN_PROGRESS, locked.started_at or now
        locked.save(update_fields=["assignee", "taken_at", "status", "started_at"])
    return locked


def task_close(*, task: StaffTask, user, note: str) -> StaffTask:
    """Close the task with a note saying what was done."""
    note = note.strip()
    if not note:
        raise TaskError(_("Say what was done in a note."))
    with transaction.atomic(durable=True):
        locked = _workable(_lock(task), user)
        if _taken_by_other(locked, user) and not user.has_perm("orders.view_all_tasks"):
            raise TaskError(_("Someone else has taken this task."))
        locked.status, locked.closed_at, locked.closed_by, locked.close_note = (
            TaskStatus.DONE, timezone.now(), user, note)
        locked.save(update_fields=["status", "closed_at", "closed_by", "close_note"])
    return locked


# --- rules ----------------------------------------------------------------------------------------------


def task_rule_save(*, rule: TaskRule, user) -> TaskRule:
    """Save a rule a Manager edited (validated by its form); time rules are evaluated by the next beat run."""
    with transaction.atomic(durable=True):
        rule.full_clean()
        rule.save()
    return rule

