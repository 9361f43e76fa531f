"""Why a vendor bill was refused. The message is for the accountant, translated, and says what to do."""

from __future__ import annotations


class BillError(Exception):
    """A bill that cannot be entered, posted or voided as asked; nothing was written."""


class BillMatchRefused(BillError):
    """The three-way match flagged differences beyond the tolerance and no override reason was given."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems
