"""Past one database server: with a ``reporting`` alias, reports read there and nothing is written there.

The second alias points at this test's database in a read-only session (what a streaming replica
is to the app): the test proves which connection each read and write takes, and that the server
refuses a write on the reporting connection.
"""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from django.db import connections, utils
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reporting.db import REPORTING, ReportingRouter, reporting_alias, reporting_reads
from tests.reports_helpers import rollups_current, sale, stocked_sku

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def reporting_database(transactional_db, settings):
    """The ``reporting`` alias, as settings make it from REPORTING_DATABASE_URL, on this test's database."""
    default = connections["default"].settings_dict
    replica = {**default, "OPTIONS": {**default.get("OPTIONS", {}),
                                      "options": "-c default_transaction_read_only=on"}}
    settings.DATABASES = {**settings.DATABASES, REPORTING: replica}
    connections.settings[REPORTING] = replica
    try:
        # Connect at once: the test case lets only the aliases it knew at its start connect lazily.
        connections[REPORTING].connect()
        yield connections[REPORTING]
    finally:
        connections[REPORTING].close()
        del connections[REPORTING]
        del connections.settings[REPORTING]


def test_without_the_setting_reports_read_from_default(db):
    assert reporting_alias() == "default"
    with reporting_reads() as alias:
        assert alias == "default"
    assert ReportingRouter().db_for_read(None) is None


def test_settings_add_a_read_only_never_migrated_alias_when_the_url_is_set(monkeypatch):
    import importlib

    import oms.settings

    monkeypatch.setenv("REPORTING_DATABASE_URL", "postgres://reader@replica.example:5432/oms")
    try:
        module = importlib.reload(oms.settings)
        alias = module.DATABASES[REPORTING]
        assert (alias["HOST"], alias["NAME"], alias["USER"]) == ("replica.example", "oms", "reader")
        assert alias["OPTIONS"]["options"] == "-c default_transaction_read_only=on"
        assert "reporting.db.ReportingRouter" in module.DATABASE_ROUTERS
    finally:
        monkeypatch.delenv("REPORTING_DATABASE_URL")
        importlib.reload(oms.settings)
    router = ReportingRouter()
    assert router.allow_migrate(REPORTING, "orders") is False
    assert router.allow_migrate("default", "orders") is True


def test_reports_read_through_the_reporting_alias_and_writes_stay_on_default(reporting_database, role_client):
    from orders.models import Order

    shirt = stocked_sku("SHIRT")
    order = sale(sku=shirt, day=DAY)
    rollups_current()
    client = role_client("Manager")
    assert reporting_alias() == REPORTING

    with CaptureQueriesContext(reporting_database) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_default:
        response = client.get(reverse("reporting:report", args=["sales-by-channel"]))
    assert response.status_code == 200
    assert [row["orders"] for row in response.context["rows"]] == [1]
    assert any("date_trunc" in query["sql"] for query in on_replica.captured_queries)
    assert not any("date_trunc" in query["sql"] for query in on_default.captured_queries)

    # The ORM inside reporting_reads reads there too; a save of what it read goes to default.
    with reporting_reads(), CaptureQueriesContext(reporting_database) as on_replica:
        read = Order.objects.get(pk=order.pk)
        assert read._state.db == REPORTING
        read.notes = "seen on the replica"
        read.save(update_fields=["notes"])
    assert not any(query["sql"].startswith("UPDATE") for query in on_replica.captured_queries)
    assert Order.objects.get(pk=order.pk).notes == "seen on the replica"

    # And the server itself refuses a write on the reporting connection.
    with pytest.raises(utils.InternalError) as refused, reporting_database.cursor() as cursor:
        cursor.execute("UPDATE orders_order SET notes = 'written on the replica' WHERE id = %s", [order.pk])
    assert isinstance(refused.value.__cause__, psycopg.errors.ReadOnlySqlTransaction)
    assert Order.objects.get(pk=order.pk).notes == "seen on the replica"


def test_compose_starts_a_worker_per_queue_and_offers_the_replica():
    from pathlib import Path

    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text())
    services = compose["services"]
    queues = {}
    for name, service in services.items():
        command = service.get("command")
        if isinstance(command, list) and "worker" in command:
            queues[name] = command[command.index("-Q") + 1]
    assert sorted(queues.values()) == ["oms", "payments", "reports"]
    assert services["postgres-replica"]["profiles"] == ["replica"]
    assert "REPORTING_DATABASE_URL" in services["web"]["environment"]
