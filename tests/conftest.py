import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls that live_server
# tests make from that thread are still synchronous, which is what this flag acknowledges.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
ROLE_NAMES = ("Agent", "Warehouse", "Manager", "Accountant", "Admin")


@pytest.fixture
def make_user(db):
    from tests.factories import UserFactory

    def make(role: str | None = None, **fields):
        return UserFactory(role=role, **fields)

    return make


@pytest.fixture
def role_client(client, make_user):
    """A test client signed in as a user of the given role."""

    def sign_in(role: str):
        user = make_user(role)
        client.force_login(user)
        return client

    return sign_in


# --- a real Celery worker -----------------------------------------------------------------


@pytest.fixture
def celery_queue():
    """A queue of this test's own: what an earlier test left enqueued (an order's after-commit task
    when its worker had stopped) is never run by this test's worker."""
    return f"oms-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def celery_worker(transactional_db, celery_queue, settings):
    """A Celery worker in its own process, on the real broker, using this test's database."""
    from django.db import connection

    payments_queue = f"{celery_queue}-payments"  # payments' tasks have their own queue (oms.celery.route_task)
    settings.CELERY_TASK_DEFAULT_QUEUE = celery_queue
    settings.CELERY_PAYMENTS_QUEUE = payments_queue
    reports_queue = f"{celery_queue}-reports"  # and reports' (the worker listens on all three)
    settings.CELERY_REPORTS_QUEUE = reports_queue
    from oms.celery import app

    app.conf.task_default_queue = celery_queue
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="oms.settings_test",
        DATABASE_NAME=connection.settings_dict["NAME"],
        CELERY_QUEUE=celery_queue,
        CELERY_PAYMENTS_QUEUE=payments_queue,
        CELERY_REPORTS_QUEUE=reports_queue,
    )
    hostname = f"{celery_queue}@%h"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "oms", "worker", "--pool", "solo", "-Q",
         f"{celery_queue},{payments_queue},{reports_queue}",
         "-n", hostname, "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[hostname.replace("%h", os.uname().nodename)], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
        with app.connection_for_write() as broker:  # what is left is nobody's now
            for queue in (celery_queue, payments_queue, reports_queue):
                broker.default_channel.queue_purge(queue)


# --- a real test gateway: localstripe ----------------------------------------------------------

LOCALSTRIPE_KEY = "sk_test_localstripe"
LOCALSTRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
WEBHOOK_SECRET = "whsec_test_oms_localstripe"


@pytest.fixture(scope="session")
def localstripe_server():
    """localstripe on a free loopback port, from scratch, for the whole run (oms.test_gateway); its URL."""
    from oms.test_gateway import start

    process, url = start()
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def stripe_gateway(localstripe_server, settings, monkeypatch):
    """The SDK pointed at an emptied localstripe (settings, and the environment a worker inherits)."""
    from oms.test_gateway import flush

    flush(localstripe_server)
    values = {"STRIPE_API_KEY": LOCALSTRIPE_KEY, "STRIPE_PUBLISHABLE_KEY": LOCALSTRIPE_PUBLISHABLE_KEY,
              "STRIPE_API_BASE": localstripe_server, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
              "STRIPE_JS_URL": f"{localstripe_server}/js.stripe.com/v3/"}
    for name, value in values.items():
        setattr(settings, name, value)
        monkeypatch.setenv(name, value)
    return localstripe_server


@pytest.fixture
def payments_worker(stripe_gateway, celery_worker):
    """A real Celery worker consuming the default and payments queues, talking to localstripe."""
    return celery_worker


# --- a real browser -------------------------------------------------------------------------


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Debian's chromium is not installed: `make test` installs it with apt")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def sign_in(page, make_user):
    """Signs a new user of the role in through the login form and returns the user."""

    def sign_in_as(role: str, password: str = "pass-word-123"):
        user = make_user(role, password=password)
        page.goto("/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/")
        return user

    return sign_in_as
