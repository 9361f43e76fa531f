"""The navigation: each entry names the permission it needs, so each role sees its own."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise, SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from oms.roles import ROLE_LABELS, ROLES


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    permission: str | tuple[str, ...] | None  # a tuple means any one of them
    description: str | Promise = ""
    section: str | Promise = ""
    badge_url_name: str = ""  # a count beside the label, loaded by htmx after the page (no query of the page's)

    def url(self) -> str:
        return reverse(self.url_name)

    def badge_url(self) -> str:
        return reverse(self.badge_url_name) if self.badge_url_name else ""

    def allows(self, user) -> bool:
        if self.permission is None:
            return True
        wanted = (self.permission,) if isinstance(self.permission, str) else self.permission
        return any(user.has_perm(permission) for permission in wanted)


NAV_ITEMS: list[NavItem] = [
    NavItem(_("Home"), "home", None, _("Your work for today.")),
    NavItem(_("System status"), "system_status", "oms.view_system_status",
            _("Database, Redis and worker health."), _("Administration")),
    NavItem(_("Administration"), "admin:index", "oms.view_system_status",
            _("Users, roles, warehouses and settings."), _("Administration")),
]


def register(*items: NavItem) -> None:
    """Called by each app's ``ready()``; entries keep the order of registration, before the admin ones."""
    admin_items = [item for item in NAV_ITEMS if item.section == _("Administration")]
    others = [item for item in NAV_ITEMS if item not in admin_items]
    NAV_ITEMS[:] = others + [item for item in items if item not in others] + admin_items


def items_for(user) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    return [item for item in NAV_ITEMS if item.allows(user)]


def user_roles(user) -> list[str]:
    if not user.is_authenticated:
        return []
    names = set(user.groups.values_list("name", flat=True))
    return [str(ROLE_LABELS[role]) for role in ROLES if role in names]


def navigation(request) -> dict:
    """The menu and the user's roles, worked out only when a template shows them (a full page):
    the partials that htmx asks for every few seconds render without them."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"nav_items": SimpleLazyObject(lambda: items_for(user)),
            "user_roles": SimpleLazyObject(lambda: user_roles(user))}
