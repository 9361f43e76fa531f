"""What text the app accepts from outside: no control characters but the whitespace of text.

PostgreSQL refuses a NUL byte in text (psycopg raises before the query is sent), and the other
control characters have no business in a name, a code or a note: they come from a fuzzer, a
broken client or a file saved by the wrong program. Tab, line feed and carriage return are
text (a pasted note, a multi-line address); everything else of Unicode's Cc category is not:
the C0 controls, DEL and the C1 controls (U+0080-U+009F, which show up when Windows-1252 is
read as Latin-1). A lone surrogate (what JSON's ``"\\ud800"`` decodes to) cannot be encoded
as UTF-8, so PostgreSQL cannot store it either.

The pages check every query parameter, form field and the path in
``oms.middleware.ControlCharacterMiddleware``; the REST API checks JSON bodies in its parser.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

TEXT_WHITESPACE = "\t\n\r"
_REFUSED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

CONTROL_CHARACTER_MESSAGE = _("Remove the control character %(character)s: it cannot be part of the text.")


def first_control_character(text: str) -> str | None:
    """The first character of ``text`` that the app refuses, or None when it has none."""
    match = _REFUSED.search(text)
    return match[0] if match else None


def control_character_message(character: str) -> str:
    """The error shown next to a field: names the character by its code (U+0000), never prints it."""
    return str(CONTROL_CHARACTER_MESSAGE % {"character": f"U+{ord(character):04X}"})
