"""The demo data's steps, offered by the apps above oms (the hook pattern of DESIGN.md).

``manage.py seed_demo`` runs every registered step, lowest ``order`` first (the catalog
before the stock it counts, the stock before the orders that reserve it). Each app registers
its step from its ``AppConfig.ready``, as a callable or as the dotted path of one (imported
only when the demo is seeded, so that no process pays for loading the demo modules at start).
A step is called as ``step(stdout=..., options=...)`` (the command's options: ``styles``,
``seed``, ``orders``...) and must be idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import import_string

DEFAULT_STYLES = 2000  # the demo catalog's size; the other demo data scales with it
DEFAULT_SEED = 1912  # of the random generator: the same seed builds the same data

DemoStep = Callable[..., None]


@dataclass(frozen=True)
class _Step:
    order: int
    name: str
    run: DemoStep | str


_steps: dict[str, _Step] = {}


def register_demo_step(*, name: str, order: int, step: DemoStep | str) -> None:
    """Register (or replace) the demo step called ``name``; steps run by ascending ``order``."""
    _steps[name] = _Step(order=order, name=name, run=step)


def demo_steps() -> list[DemoStep]:
    """The registered steps, in the order they run (dotted paths imported now)."""
    ordered = sorted(_steps.values(), key=lambda step: (step.order, step.name))
    return [import_string(step.run) if isinstance(step.run, str) else step.run for step in ordered]
