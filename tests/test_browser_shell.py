"""The shell in a real browser (Debian's Chromium through Playwright)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXPECTED_NAV = {
    "Agent": {"Home"},
    "Warehouse": {"Home"},
    "Manager": {"Home"},
    "Accountant": {"Home"},
    "Admin": {"Home", "System status", "Administration"},
}


@pytest.mark.smoke
@pytest.mark.parametrize("role", list(EXPECTED_NAV))
def test_each_role_signs_in_and_sees_its_home_and_navigation(page, sign_in, role):
    sign_in(role)

    assert page.locator("#home-roles").inner_text() == f"You are signed in as {role}."
    labels = {text.strip() for text in page.locator("#main-nav .nav-link").all_inner_texts()}
    assert EXPECTED_NAV[role] <= labels
    forbidden = {"System status", "Administration"} - EXPECTED_NAV[role]
    assert not labels & forbidden


def test_forbidden_page_says_so_in_the_browser(page, sign_in):
    sign_in("Agent")

    response = page.goto("/status/")

    assert response.status == 403
    assert page.get_by_role("heading", name="You don't have access to this page").is_visible()


def test_wrong_password_is_refused_with_a_message(page, make_user):
    user = make_user("Agent")

    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    assert page.get_by_role("alert").inner_text().startswith("Your username and password didn't match")


def test_sign_out_returns_to_login(page, sign_in):
    sign_in("Manager")

    page.get_by_role("button", name="Sign out").click()

    page.wait_for_url("**/login/")
    assert page.get_by_role("button", name="Sign in").is_visible()
