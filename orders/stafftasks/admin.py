from django.contrib import admin

from orders.stafftasks import services
from orders.stafftasks.models import StaffTask, TaskRule


@admin.register(TaskRule)
class TaskRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "trigger", "days", "reorder_point", "role", "assignee", "due_in_hours", "is_active")
    list_filter = ("trigger", "role", "is_active")
    search_fields = ("name", "title")
    raw_id_fields = ("assignee",)

    def save_model(self, request, obj, form, change):
        services.task_rule_save(rule=obj, user=request.user)


@admin.register(StaffTask)
class StaffTaskAdmin(admin.ModelAdmin):
    """Read-only: tasks are taken and closed from the inbox (its services check who may)."""

    list_display = ("title", "subject", "status", "role", "assignee", "due_at", "opened_at", "closed_at")
    list_filter = ("status", "trigger", "role")
    search_fields = ("title", "subject")
    date_hierarchy = "opened_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
