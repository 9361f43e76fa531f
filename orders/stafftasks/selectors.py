"""Staff tasks' reads: a user's inbox and its count, an order's tasks, the late-order flag, the late rule's days."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from oms.pagination import KeysetPage, keyset_page
from orders.stafftasks.models import LATE_TRIGGER, OPEN_TASK_STATUSES, StaffTask, TaskRule, TaskStatus

DEFAULT_LATE_AFTER_DAYS = 14


def late_after_days() -> int:
    """The days after placement an unshipped order is late: the shortest active "not shipped" rule's (14
    without one). Reporting reads it for the dashboard's late orders."""
    days = (TaskRule.objects.filter(is_active=True, trigger=LATE_TRIGGER).order_by("days")
            .values_list("days", flat=True).first())
    return DEFAULT_LATE_AFTER_DAYS if days is None else days


def _role_names(user) -> QuerySet:
    return user.groups.values("name")


def visible_tasks(user) -> QuerySet[StaffTask]:
    """The tasks ``user`` sees: theirs, their roles', or all of them with ``orders.view_all_tasks``."""
    tasks = StaffTask.objects.all()
    if user.has_perm("orders.view_all_tasks"):
        return tasks
    return tasks.filter(Q(assignee=user) | Q(role__in=_role_names(user)))


def _waiting_on(user) -> Q:
    """Open tasks that wait on ``user``: assigned to them, or their roles' that nobody has taken."""
    return Q(status__in=OPEN_TASK_STATUSES) & (
        Q(assignee=user) | Q(assignee__isnull=True, role__in=_role_names(user)))


def inbox_count(user) -> int:
    """The navigation's badge: open tasks waiting on ``user`` (one query on the open-task indexes)."""
    return StaffTask.objects.filter(_waiting_on(user)).count()


def inbox_page(user, *, view: str = "mine", after: str | None = None, before: str | None = None,
               size: int = 50) -> KeysetPage:
    """A page of the inbox, newest first (keyset pages; closed tasks grow without bound)."""
    tasks = visible_tasks(user)
    if view == "mine":
        tasks = StaffTask.objects.filter(_waiting_on(user))
    elif view == "done":
        tasks = tasks.filter(status=TaskStatus.DONE)
    else:
        tasks = tasks.filter(status__in=OPEN_TASK_STATUSES)
    tasks = tasks.select_related("order", "sku", "assignee", "closed_by")
    return keyset_page(tasks, key="opened_at", after=after, before=before, size=size)


def order_tasks(*, order_id: int, user) -> list[StaffTask]:
    """The order's tasks ``user`` sees, open ones first (twenty at most)."""
    tasks = visible_tasks(user).filter(order_id=order_id).select_related("assignee", "closed_by")
    return list(tasks.order_by("closed_at", "due_at", "pk")[:20])  # open first (NULLS LAST in ascending order)


def late_task_exists():
    """An ``Exists`` on ``Order``: it has an open task of a "not shipped" rule (the order list's flag)."""
    return Exists(StaffTask.objects.filter(order_id=OuterRef("pk"), trigger=LATE_TRIGGER,
                                           status__in=OPEN_TASK_STATUSES))
