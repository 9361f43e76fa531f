from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.forms import BootstrapFormMixin
from reporting.reports.models import ReportFormat, ReportSchedule


class ScheduleForm(BootstrapFormMixin, forms.Form):
    frequency = forms.ChoiceField(label=_("How often"), choices=ReportSchedule.Frequency.choices)
    file_format = forms.ChoiceField(label=_("File"), choices=ReportFormat.choices, initial=ReportFormat.CSV)
    recipients = forms.CharField(label=_("Send to"), max_length=1000,
                                 help_text=_("Email addresses, separated by commas."))
