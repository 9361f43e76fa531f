"""Panels of the home page, offered by the apps above oms (the hook pattern of DESIGN.md).

An app registers a panel function from its ``AppConfig.ready``; the home page asks each one,
in the order they were registered, and shows what they return. A panel function takes the
user (keyword-only) and returns ``None`` when it has nothing for that user, else a dict with
the ``template`` to include and whatever that template needs (it gets the dict as ``panel``).
"""

from __future__ import annotations

from collections.abc import Callable

HomePanel = Callable[..., dict | None]
_home_panels: list[HomePanel] = []


def register_home_panel(panel: HomePanel) -> HomePanel:
    """Register a home-page panel (usable as a decorator); registering twice has no effect."""
    if panel not in _home_panels:
        _home_panels.append(panel)
    return panel


def home_panels(*, user) -> list[dict]:
    """The panels the registered functions offer ``user``, in registration order."""
    return [panel for panel in (function(user=user) for function in list(_home_panels)) if panel]
