"""The invariants of DESIGN.md, checked on a live database.

Every app may have an ``invariants`` module with a ``violations()`` function returning rows of
(check name, first id, second id, detail), and optionally ``KEY_NAMES``, what the two ids are
(``("sku", "warehouse")``); :func:`all_violations` runs them all. ``manage.py check_invariants``
prints the result; the Celery beat job ``invariants_check_task`` stores it
(:func:`invariants_check_record`) for the system status page.
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib import import_module

from django.apps import apps
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

Violation = tuple[str, str, object, object, str]  # (app label, check, first id, second id, detail)

# How many violations the stored result keeps to show; the count is always complete.
SHOWN_VIOLATIONS = 5
# Longer than two beat periods, so a result that stops arriving (no beat, no worker) disappears.
RESULT_TIMEOUT = 45 * 60


@dataclass(frozen=True)
class InvariantsResult:
    checked_at: datetime
    violation_count: int
    first_violations: list[str]  # as describe_violation() words them
    milliseconds: float

    @property
    def ok(self) -> bool:
        return self.violation_count == 0


def _invariant_modules():
    for app_config in apps.get_app_configs():
        try:
            module = import_module(f"{app_config.name}.invariants")
        except ModuleNotFoundError as error:
            if error.name != f"{app_config.name}.invariants":
                raise
            continue
        if hasattr(module, "violations"):  # this module (oms.invariants) runs the checks, it defines none
            yield app_config.label, module


def all_violations() -> list[Violation]:
    """Runs ``violations()`` of every app that has an ``invariants`` module."""
    return [(label, *row) for label, module in _invariant_modules() for row in module.violations()]


@functools.cache
def _key_names() -> dict[str, tuple[str, str] | None]:
    return {label: getattr(module, "KEY_NAMES", None) for label, module in _invariant_modules()}


def describe_violation(violation: Violation) -> str:
    """One line for a violation: ``[inventory] on_hand equals …: sku=12 warehouse=3 on_hand=7 movements=5``."""
    app_label, check, first, second, detail = violation
    key_names = _key_names().get(app_label)
    if key_names:
        keys = " ".join(f"{name}={value}" for name, value in zip(key_names, (first, second)) if value is not None)
    else:
        keys = "ids " + ", ".join(str(value) for value in (first, second) if value is not None)
    return f"[{app_label}] {check}: {keys} {detail}"


def _cache_key() -> str:
    # The result describes one database: keyed by its name, a test run's worker and the test
    # that reads the result agree, and two databases sharing one Redis never mix.
    return f"invariants:last:{connection.settings_dict['NAME']}"


def invariants_check_record() -> InvariantsResult:
    """Check every invariant now and store the result where the status page reads it."""
    started = time.perf_counter()
    found = all_violations()
    result = InvariantsResult(
        checked_at=timezone.now(),
        violation_count=len(found),
        first_violations=[describe_violation(row) for row in found[:SHOWN_VIOLATIONS]],
        milliseconds=round((time.perf_counter() - started) * 1000, 1),
    )
    # Stored as plain data rather than a pickled class, so a deploy that changes the class
    # cannot break reading a result written before it.
    cache.set(_cache_key(), asdict(result), timeout=RESULT_TIMEOUT)
    return result


def invariants_last_result() -> InvariantsResult | None:
    """The last stored result, or None when no check has run lately."""
    stored = cache.get(_cache_key())
    try:
        return InvariantsResult(**stored) if stored else None
    except TypeError:  # written by an older version of this module
        return None


def invariants_forget() -> None:
    cache.delete(_cache_key())
