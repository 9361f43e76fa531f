"""What an account's code and export codes may be: exactly what the GL export writers accept.

The writers in ``payments.ledger.exports`` refuse (never change) an account code that does not
fit their field (``check_code``: at most the field's length, one printable line, no leading
``= + - @`` or space, and for the Windows-1252 files only characters that code page has). The
chart screens check the same limits with the same function, so an account that saves always
exports. On top of that, each package's own shape, kept simple:

- Dynamics GP account number: segments of letters and digits separated by ``-``
  ("000-4100-00"), at most 75 characters (eConnect's ACTNUMST, the GP writers' limit).
- Sage 50 account ID: at most 15 characters (Sage's G/L Account field).
- QuickBooks account name: at most 159 characters; a ``:`` only separates a parent from a
  sub-account ("Assets:Bank"), so no empty part (no leading, trailing or doubled ``:``) and no
  space around it.
- The account's own code: at most 20 characters (the plain CSV writer's limit), no spaces.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from payments.ledger.exports import gp_xml, iif, plain_csv, sage50
from payments.ledger.exports.base import clean_text

GP_LIMIT = gp_xml.ACCOUNT_LIMIT
SAGE50_LIMIT = sage50.ACCOUNT_LIMIT
QUICKBOOKS_LIMIT = iif.ACCOUNT_LIMIT
CODE_LIMIT = plain_csv.ACCOUNT_LIMIT

_GP_SHAPE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_CODE_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _writable(value: str, limit: int, *, legacy: bool) -> None:
    if len(value) > limit:
        raise ValidationError(_("At most %(limit)d characters (this has %(count)d).")
                              % {"limit": limit, "count": len(value)}, code="max_length")
    if clean_text(value, limit, legacy=legacy) != value:
        if legacy:
            message = _("One line of printable Windows-1252 characters, not starting with = + - @ or a space, "
                        "without doubled or trailing spaces.")
        else:
            message = _("One line of printable characters, not starting with = + - @ or a space, "
                        "without doubled or trailing spaces.")
        raise ValidationError(message, code="unwritable")


def validate_code(value: str) -> None:
    _writable(value, CODE_LIMIT, legacy=False)
    if not _CODE_SHAPE.fullmatch(value):
        raise ValidationError(_("Letters, digits, “.”, “_” and “-”, starting with a letter or a digit."),
                              code="shape")


def validate_gp_account_number(value: str) -> None:
    if not value:
        return
    _writable(value, GP_LIMIT, legacy=True)  # the Integration Manager CSV is Windows-1252
    if not _GP_SHAPE.fullmatch(value):
        raise ValidationError(_("Segments of letters and digits separated by “-”, such as 000-4100-00."),
                              code="shape")


def validate_sage50_account_id(value: str) -> None:
    if value:
        _writable(value, SAGE50_LIMIT, legacy=True)


def validate_quickbooks_account_name(value: str) -> None:
    if not value:
        return
    _writable(value, QUICKBOOKS_LIMIT, legacy=True)
    if any(not part or part != part.strip() for part in value.split(":")):
        raise ValidationError(_("A “:” separates a parent account from a sub-account (Assets:Bank): "
                                "no empty name before or after it, and no space around it."), code="colon")


VALIDATORS = {
    "code": validate_code,
    "gp_account_number": validate_gp_account_number,
    "sage50_account_id": validate_sage50_account_id,
    "quickbooks_account_name": validate_quickbooks_account_name,
}


def account_code_errors(values: dict[str, str]) -> dict[str, list[str]]:
    """Field name -> messages, for the fields of ``values`` that the validators above refuse."""
    errors: dict[str, list[str]] = {}
    for field, value in values.items():
        validator = VALIDATORS.get(field)
        if validator is None:
            continue
        try:
            validator(value)
        except ValidationError as error:
            errors[field] = list(error.messages)
    return errors
