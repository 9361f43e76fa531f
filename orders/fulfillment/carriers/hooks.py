"""Steps the carriers name and others fill in.

``label_delivered(label)``: a label's tracking says delivered (called by the tracking poll after
its own transaction committed). The shipment work registers here to move its shipment to
delivered; each step must be idempotent (the poll may report the same label again after a crash).
"""

from __future__ import annotations

from collections.abc import Callable

_LABEL_DELIVERED: list[Callable] = []


def on_label_delivered(step: Callable) -> None:
    if step not in _LABEL_DELIVERED:
        _LABEL_DELIVERED.append(step)


def label_delivered(label) -> None:
    for step in _LABEL_DELIVERED:
        step(label)
