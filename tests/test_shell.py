"""The app shell: sign-in, the navigation per role, the 403 page, toasts and i18n plumbing."""

import pytest
from django.urls import reverse

from oms.roles import ROLE_PERMISSIONS, ROLES, missing_permissions

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.smoke
def test_login_page_renders_with_csrf(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content


def test_every_role_group_exists_after_migrate():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)


def test_every_permission_in_the_role_table_exists():
    assert missing_permissions() == []


def test_groups_hold_exactly_the_permissions_of_the_table():
    from django.contrib.auth.models import Group

    for role in ROLES:
        group = Group.objects.get(name=role)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == set(ROLE_PERMISSIONS[role]), role


@pytest.mark.parametrize("role", ROLES)
def test_home_page_greets_each_role(role_client, role):
    client = role_client(role)

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert f"You are signed in as {role}." in response.content.decode()


@pytest.mark.parametrize(
    "role, allowed",
    [("Agent", False), ("Warehouse", False), ("Manager", False), ("Accountant", False), ("Admin", True)],
)
def test_system_status_is_for_admins_only(role_client, role, allowed):
    client = role_client(role)

    response = client.get(reverse("system_status"))

    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert "have access to this page" in response.content.decode()
        assert "System status" not in _nav_labels(response)


def test_user_without_role_sees_only_home(make_user, client):
    client.force_login(make_user(None))

    response = client.get(reverse("home"))

    assert _nav_labels(response) == ["Home"]
    assert "You have no role yet" in response.content.decode()


def test_htmx_response_carries_messages_as_out_of_band_toasts(rf, make_user):
    from django.contrib import messages
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.cache import SessionStore
    from django.http import HttpResponse
    from django_htmx.middleware import HtmxDetails

    from oms.middleware import HtmxMessagesMiddleware

    def view(request):
        messages.success(request, "Saved the purchase order.")
        return HttpResponse("<p>fragment</p>")

    request = rf.get("/", headers={"HX-Request": "true"})
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.htmx = HtmxDetails(request)

    response = HtmxMessagesMiddleware(view)(request)

    body = response.content.decode()
    assert body.startswith("<p>fragment</p>")
    assert 'id="toasts"' in body and 'hx-swap-oob="beforeend"' in body
    assert "Saved the purchase order." in body


def test_right_to_left_language_switches_layout(role_client):
    client = role_client("Agent")

    response = client.get(reverse("home"), headers={"Accept-Language": "ar"})

    body = response.content.decode()
    assert 'dir="rtl"' in body and "bootstrap.rtl.min.css" in body


def test_money_is_rounded_half_up_to_the_currency_minor_unit():
    from decimal import Decimal

    from oms.money import format_money, round_money

    assert round_money(Decimal("10.005"), "USD") == Decimal("10.01")
    assert round_money(Decimal("10.5"), "JPY") == Decimal("11")
    assert round_money(Decimal("1.2345"), "KWD") == Decimal("1.235")
    assert format_money(Decimal("1234.5"), "EUR", "de_DE") == "1.234,50\xa0€"
    assert format_money(Decimal("1234.5"), "USD", "en_US") == "$1,234.50"
    with pytest.raises(TypeError):
        round_money(1.5, "USD")


def _nav_labels(response) -> list[str]:
    import re

    nav = response.content.decode().split('id="main-nav"', 1)[1].split("</ul>", 1)[0]
    return [label.strip() for label in re.findall(r'class="nav-link[^"]*"[^>]*>([^<]+)</a>', nav)]
