"""The staff tasks' tables: the rules Managers keep and the tasks they open. Imported by ``orders/models.py``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Sku
from oms.roles import ROLE_LABELS, ROLES


class Trigger(models.TextChoices):
    # Events: orders' hooks, after the commit.
    ORDER_PLACED = "order_placed", _("Order placed")
    ORDER_PAID = "order_paid", _("Order paid")
    ORDER_HELD = "order_held", _("Order put on hold")
    ORDER_SHIPPED = "order_shipped", _("Order shipped")
    ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
    SHIPMENT_CONFIRMED = "shipment_confirmed", _("Shipment confirmed")
    # Elapsed time: the beat job.
    NOT_SHIPPED = "not_shipped", _("Not shipped N days after placement")
    ON_HOLD = "on_hold", _("On hold for more than N days")
    STOCK_BELOW = "stock_below", _("Stock below the reorder point")


EVENT_TRIGGERS = (Trigger.ORDER_PLACED, Trigger.ORDER_PAID, Trigger.ORDER_HELD, Trigger.ORDER_SHIPPED,
                  Trigger.ORDER_CANCELLED, Trigger.SHIPMENT_CONFIRMED)
TIME_TRIGGERS = (Trigger.NOT_SHIPPED, Trigger.ON_HOLD, Trigger.STOCK_BELOW)
# The trigger whose open tasks make an order late (red in the order list).
LATE_TRIGGER = Trigger.NOT_SHIPPED
ROLE_CHOICES = [(role, ROLE_LABELS[role]) for role in ROLES]


class TaskRule(models.Model):
    """What opens a task, for whom, and when it is due."""

    name = models.CharField(_("name"), max_length=100)
    trigger = models.CharField(_("trigger"), max_length=30, choices=Trigger.choices)
    days = models.PositiveIntegerField(
        _("days"), default=0,
        help_text=_("Time rules: the days after placement (not shipped), on hold, or before a low stock is "
                    "flagged again."))
    reorder_point = models.PositiveIntegerField(
        _("reorder point"), null=True, blank=True,
        help_text=_("Stock rules: a SKU with fewer units available (all warehouses) opens a task."))
    title = models.CharField(_("task title"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True)
    role = models.CharField(_("for role"), max_length=20, choices=ROLE_CHOICES, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("for person"))
    due_in_hours = models.PositiveIntegerField(_("due in (hours)"), default=24)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("task rule")
        verbose_name_plural = _("task rules")
        constraints = [
            # A task is for a role or for a person, never for nobody.
            models.CheckConstraint(condition=~Q(role="") | Q(assignee__isnull=False), name="task_rule_has_owner"),
            models.CheckConstraint(condition=~Q(trigger="stock_below") | Q(reorder_point__isnull=False),
                                   name="task_rule_stock_has_reorder_point"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_time_rule(self) -> bool:
        return self.trigger in TIME_TRIGGERS


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class StaffTask(models.Model):
    """A task a rule opened about one subject (an order or a SKU), until someone closes it."""

    rule = models.ForeignKey(TaskRule, on_delete=models.PROTECT, related_name="tasks")
    trigger = models.CharField(_("trigger"), max_length=30, choices=Trigger.choices)  # the rule's, when opened
    subject = models.CharField(max_length=40)  # "order:<id>" or "sku:<id>": one open task per rule and subject
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, null=True, blank=True,
                              related_name="staff_tasks", db_index=False)  # indexed in Meta
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True)
    role = models.CharField(_("role"), max_length=20, choices=ROLE_CHOICES, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="staff_tasks", verbose_name=_("assigned to"))
    status = models.CharField(_("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    due_at = models.DateTimeField(_("due"))
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    close_note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("staff task")
        verbose_name_plural = _("staff tasks")
        permissions = [
            ("work_task", _("Can take, start and close staff tasks")),
            ("view_all_tasks", _("Can see every staff task")),
        ]
        constraints = [
            # The beat job and the event tasks insert with ON CONFLICT DO NOTHING against this index.
            models.UniqueConstraint(fields=["rule", "subject"], condition=Q(status__in=["open", "in_progress"]),
                                    name="staff_task_one_open_per_rule_subject"),
            models.CheckConstraint(condition=Q(order__isnull=False) | Q(sku__isnull=False),
                                   name="staff_task_has_subject"),
            models.CheckConstraint(condition=Q(status="done", closed_at__isnull=False)
                                   | (Q(status__in=["open", "in_progress"]) & Q(closed_at__isnull=True)),
                                   name="staff_task_closed_when_done"),
        ]
        indexes = [
            # The inboxes and the count: open tasks by role and by person.
            models.Index(fields=["role", "due_at"], condition=Q(status__in=["open", "in_progress"]),
                         name="staff_task_open_role"),
            models.Index(fields=["assignee", "due_at"], condition=Q(status__in=["open", "in_progress"]),
                         name="staff_task_open_assignee"),
            # The order list's "late" flag and the order page's tasks.
            models.Index(fields=["order"], condition=Q(order__isnull=False), name="staff_task_order"),
            models.Index(fields=["rule", "subject", "opened_at"], name="staff_task_rule_subject"),
            models.Index(fields=["opened_at", "id"], name="staff_task_opened"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.subject})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES

    @property
    def is_late_order_task(self) -> bool:
        return self.trigger == LATE_TRIGGER
