from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from oms.forms import FreeTextFormMixin
from oms.imports.kinds import ImportKind

MAX_FILE_BYTES = 50 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".txt", ".xlsx")


class ImportUploadForm(FreeTextFormMixin, forms.Form):  # the cells are scanned by the engine
    kind = forms.ChoiceField(label=_("The file holds"), widget=forms.Select(attrs={"class": "form-select"}))
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (UTF-8) or Excel .xlsx, with the column names in the first row."),
        widget=forms.FileInput(attrs={"class": "form-control", "accept": ".csv,.txt,.xlsx,text/csv,"
                                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )

    def __init__(self, *args, kinds: list[ImportKind], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind.key, kind.label) for kind in kinds]

    def clean_file(self):
        return check_upload(self.cleaned_data["file"])


def check_upload(upload):
    """The checks every uploaded import file gets before it becomes a job (for any form that takes one)."""
    if PurePath(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
        raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
    if upload.size > MAX_FILE_BYTES:
        raise forms.ValidationError(_("The file is %(size)s; the largest file you can import is %(limit)s.")
                                    % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_FILE_BYTES)})
    return upload
