"""Gift card codes: unguessable, shown once, stored only as a keyed hash and their last four.

A code is 16 characters from a 31-symbol alphabet without look-alikes (no 0/O, 1/I/L): 79
random bits from :mod:`secrets`, printed in groups of four (``K7QM-2WZP-…``). Lookups hash what
was typed (case, spaces and dashes ignored) with HMAC-SHA256 under ``GIFT_CARD_CODE_KEY``
(``SECRET_KEY`` by default, so rotating ``SECRET_KEY`` needs ``GIFT_CARD_CODE_KEY`` set to the old one).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # 31 symbols, none that reads as another
LENGTH = 16  # 31**16 ≈ 2**79 codes
GROUP = 4


def code_generate() -> str:
    """A new code, grouped for reading out: ``ABCD-EFGH-JKMN-PQRS``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[index:index + GROUP] for index in range(0, LENGTH, GROUP))


def code_normalize(code: str) -> str:
    """What a code means, whatever its case and separators: ``abcd efgh-…`` → ``ABCDEFGH…``."""
    return "".join(character for character in (code or "").upper() if character.isalnum())


def code_hash(code: str) -> str:
    key = (getattr(settings, "GIFT_CARD_CODE_KEY", "") or settings.SECRET_KEY).encode()
    return hmac.new(key, code_normalize(code).encode(), hashlib.sha256).hexdigest()


def code_last4(code: str) -> str:
    return code_normalize(code)[-4:]
