"""Forms of the accountant's screens: they check shapes; the ledger's services check the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from oms.forms import FreeTextFormMixin
from oms.hooks import PostingLine
from payments.ledger import codes
from payments.ledger.exports import FORMATS
from payments.ledger.models import Account

DATE_INPUT = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")
ZERO = Decimal("0")


class TrialBalanceForm(FreeTextFormMixin, forms.Form):
    on_date = forms.DateField(label=_("As of"), required=False, widget=DATE_INPUT)
    period = forms.ModelChoiceField(label=_("Or the end of period"), queryset=None, required=False,
                                    empty_label=_("— a date —"),
                                    widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, periods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = periods


class ReasonForm(FreeTextFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, strip=True,
                             widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}))


class ManualEntryForm(FreeTextFormMixin, forms.Form):
    on_date = forms.DateField(label=_("Date"), widget=forms.DateInput(
        attrs={"type": "date", "class": "form-control", "autofocus": True}, format="%Y-%m-%d"))
    memo = forms.CharField(label=_("Reason"), max_length=500, strip=True,
                           help_text=_("Why this entry is made by hand; it is kept with the entry."),
                           widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}))


class ManualLineForm(FreeTextFormMixin, forms.Form):
    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.filter(is_active=True),
                                     required=False, to_field_name="code",
                                     widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    debit = forms.DecimalField(label=_("Debit"), required=False, min_value=ZERO, max_digits=14, decimal_places=3,
                               widget=forms.TextInput(attrs={"class": "form-control form-control-sm text-end",
                                                             "inputmode": "decimal", "autocomplete": "off"}))
    credit = forms.DecimalField(label=_("Credit"), required=False, min_value=ZERO, max_digits=14, decimal_places=3,
                                widget=forms.TextInput(attrs={"class": "form-control form-control-sm text-end",
                                                              "inputmode": "decimal", "autocomplete": "off"}))
    memo = forms.CharField(label=_("Memo"), required=False, max_length=500, strip=True,
                           widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                                         "autocomplete": "off"}))

    def clean(self):
        data = super().clean()
        debit, credit = data.get("debit") or ZERO, data.get("credit") or ZERO
        if not data.get("account") and not debit and not credit:
            return data  # an empty row: left out
        if not data.get("account"):
            self.add_error("account", _("Choose the account."))
        if debit and credit:
            raise forms.ValidationError(_("A line is a debit or a credit, not both."))
        if not debit and not credit:
            raise forms.ValidationError(_("Enter a debit or a credit."))
        return data

    def posting_line(self) -> PostingLine | None:
        data = self.cleaned_data
        if not data.get("account"):
            return None
        return PostingLine(account_code=data["account"].code, debit=data.get("debit") or ZERO,
                           credit=data.get("credit") or ZERO, memo=data.get("memo") or "")


class BaseManualLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        lines = [line for line in self.posting_lines()]
        if len(lines) < 2:
            raise forms.ValidationError(_("An entry needs at least two lines."))
        debits = sum((line.debit for line in lines), ZERO)
        credits = sum((line.credit for line in lines), ZERO)
        if debits != credits:
            raise forms.ValidationError(_("The debits (%(debits)s) and the credits (%(credits)s) differ.")
                                        % {"debits": debits, "credits": credits})

    def posting_lines(self) -> list[PostingLine]:
        return [line for line in (form.posting_line() for form in self.forms) if line is not None]


ManualLineFormSet = forms.formset_factory(ManualLineForm, formset=BaseManualLineFormSet, extra=4, max_num=200,
                                          validate_max=True)


class ExportBatchForm(FreeTextFormMixin, forms.Form):
    class Scope:
        RANGE = "range"
        UNEXPORTED = "unexported"

    format = forms.ChoiceField(label=_("Format"), choices=[(key, spec.label) for key, spec in FORMATS.items()],
                               widget=forms.Select(attrs={"class": "form-select"}))
    scope = forms.ChoiceField(label=_("Entries"), initial=Scope.RANGE, widget=forms.RadioSelect, choices=[
        (Scope.RANGE, _("Dated in this range, not yet exported to that package")),
        (Scope.UNEXPORTED, _("Everything not yet exported to that package")),
    ])
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)
    summary = forms.BooleanField(label=_("Summary: one entry per day, one line per account"), required=False,
                                 widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def clean(self):
        data = super().clean()
        if data.get("scope") == self.Scope.RANGE:
            if not data.get("date_from"):
                self.add_error("date_from", _("Enter the first day."))
            if not data.get("date_to"):
                self.add_error("date_to", _("Enter the last day."))
            if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
                self.add_error("date_to", _("The last day is before the first."))
        return data


# --- the chart of accounts and the posting map ---------------------------------------------------

_TEXT = {"class": "form-control", "autocomplete": "off"}
_MONO = {"class": "form-control font-monospace", "autocomplete": "off", "spellcheck": "false"}


class AccountForm(FreeTextFormMixin, forms.Form):
    """An account's fields; the export codes are checked with the writers' own limits (codes.py)."""

    code = forms.CharField(label=_("Code"), max_length=codes.CODE_LIMIT, validators=[codes.validate_code],
                           widget=forms.TextInput(attrs=_MONO))
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs=_TEXT))
    type = forms.ChoiceField(label=_("Type"), choices=Account.Type.choices,
                             widget=forms.Select(attrs={"class": "form-select"}))
    is_active = forms.BooleanField(label=_("Active: postings may use it"), required=False, initial=True,
                                   widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    gp_account_number = forms.CharField(
        label=_("Dynamics GP account number"), required=False, strip=False,
        validators=[codes.validate_gp_account_number], widget=forms.TextInput(attrs=_MONO),
        help_text=_("Segments of letters and digits separated by “-”, such as 000-4100-00; at most %(limit)d "
                    "characters.") % {"limit": codes.GP_LIMIT})
    sage50_account_id = forms.CharField(
        label=_("Sage 50 account ID"), required=False, strip=False, validators=[codes.validate_sage50_account_id],
        widget=forms.TextInput(attrs=_MONO),
        help_text=_("At most %(limit)d characters.") % {"limit": codes.SAGE50_LIMIT})
    quickbooks_account_name = forms.CharField(
        label=_("QuickBooks account name"), required=False, strip=False,
        validators=[codes.validate_quickbooks_account_name], widget=forms.TextInput(attrs=_TEXT),
        help_text=_("The full name, a sub-account after its parent and a “:” (Assets:Bank); at most %(limit)d "
                    "characters.") % {"limit": codes.QUICKBOOKS_LIMIT})

    def __init__(self, *args, account: Account | None = None, type_locked: bool = False, **kwargs):
        if account is not None:
            kwargs.setdefault("initial", {field: getattr(account, field) for field in
                                          ("code", *self.CHANGEABLE)})
        super().__init__(*args, **kwargs)
        self.account = account
        if account is not None:
            del self.fields["code"]  # journal entries and manual lines name the account by its code
        if type_locked:
            self.fields["type"].disabled = True
            self.fields["type"].help_text = _("It has journal lines: its type no longer changes.")

    CHANGEABLE = ("name", "type", "is_active", "gp_account_number", "sage50_account_id", "quickbooks_account_name")

    def changes(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.CHANGEABLE
                if not self.fields[field].disabled}


class PostingRuleForm(FreeTextFormMixin, forms.Form):
    """A rule's account (and, for a new warehouse rule, its role and warehouse)."""

    role = forms.ChoiceField(label=_("Role"), widget=forms.Select(attrs={"class": "form-select"}))
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=None,
                                       widget=forms.Select(attrs={"class": "form-select"}))
    account = forms.ModelChoiceField(label=_("Account"), queryset=Account.objects.filter(is_active=True),
                                     widget=forms.Select(attrs={"class": "form-select"}))
    confirm_stock = forms.BooleanField(
        label=_("I will post the entry that moves the stock's value to the new account"), required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    def __init__(self, *args, rule=None, roles=(), warehouses=None, **kwargs):
        if rule is not None:
            kwargs.setdefault("initial", {"account": rule.account_id})
        super().__init__(*args, **kwargs)
        self.rule = rule
        if rule is not None:
            del self.fields["role"], self.fields["warehouse"]
        else:
            self.fields["role"].choices = [("", "—")] + [(role, role) for role in roles]
            self.fields["warehouse"].queryset = warehouses
        self.stock_warning = ""

    def warn_stock(self, message: str) -> None:
        """Show the stock warning; the form is posted again with the box ticked to go on."""
        self.stock_warning = message
        self.add_error("confirm_stock", _("Tick this box to make the change anyway."))


class PostingRuleDeleteForm(FreeTextFormMixin, forms.Form):
    confirm_stock = PostingRuleForm.base_fields["confirm_stock"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stock_warning = ""

    warn_stock = PostingRuleForm.warn_stock
