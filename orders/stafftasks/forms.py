from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from oms.forms import FreeTextForm, FreeTextModelForm
from orders.stafftasks.models import TaskRule, Trigger


class TaskRuleForm(FreeTextModelForm):
    class Meta:
        model = TaskRule
        fields = ["name", "trigger", "days", "reorder_point", "title", "instructions", "role", "assignee",
                  "due_in_hours", "is_active"]
        widgets = {"instructions": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            else:
                widget.attrs.setdefault("class", "form-select" if isinstance(widget, forms.Select) else "form-control")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("role") and not cleaned.get("assignee"):
            self.add_error("role", _("Choose a role or a person for the tasks."))
        if cleaned.get("trigger") == Trigger.STOCK_BELOW and cleaned.get("reorder_point") is None:
            self.add_error("reorder_point", _("A stock rule needs its reorder point."))
        return cleaned


class TaskCloseForm(FreeTextForm):
    note = forms.CharField(label=_("What was done"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))


class InboxFilterForm(FreeTextForm):
    view = forms.ChoiceField(required=False, choices=[
        ("mine", _("Waiting on me")), ("open", _("All open")), ("done", _("Closed"))])
    after = forms.CharField(required=False, max_length=100)
    before = forms.CharField(required=False, max_length=100)
