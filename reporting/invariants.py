"""Reporting's invariant: the rollups equal the raw totals (the nightly check's last result).

The check itself (``reporting.rollups.engine.rollups_verify``) recomputes a sample of days in the
fold's snapshot; this reports the differences it last found, so that ``check_invariants`` and the
status page show them until a later check finds none.
"""

from __future__ import annotations

KEY_NAMES = ("check", "difference")


def violations() -> list[tuple[str, int, int | None, str]]:
    from reporting.reports import invariants as report_invariants
    from reporting.rollups.engine import last_check

    found = report_invariants.violations()  # the report framework's (their detail names the row)
    check = last_check()
    if check is None or check.ok:
        return found
    name = "the rollups equal the raw totals on the sampled days"
    return found + [(name, check.pk, number, detail) for number, detail in enumerate(check.details, start=1)]
