"""oms.db: plain-SQL reads into model instances, and statements prepared once per session."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from oms.db import PreparedStatement, model_columns, model_from_row, model_width
from orders.models import Order
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import NEW_YORK, line, place

pytestmark = pytest.mark.django_db


def test_a_row_read_with_model_columns_loads_as_the_orm_loads_it():
    # Given an order (its addresses are JSON) read with plain SQL, a column after its own
    sku = SkuFactory(code="LAMP")
    stock(sku, WarehouseFactory(), 5)
    order = place(lines=[line(sku, 1)])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {model_columns(Order, 'o')}, 1 FROM orders_order o WHERE o.id = %s", [order.pk])
        row = cursor.fetchone()
    loaded = model_from_row(Order, row)
    # Then every field equals the ORM's, JSON decoded, and the row goes on after the model's columns
    expected = Order.objects.get(pk=order.pk)
    assert [getattr(loaded, field.attname) for field in Order._meta.concrete_fields] == [
        getattr(expected, field.attname) for field in Order._meta.concrete_fields]
    assert loaded.ship_to["city"] == NEW_YORK["city"] and not loaded._state.adding
    assert row[model_width(Order)] == 1


def test_a_prepared_statement_runs_with_named_parameters_and_is_prepared_again_once_lost():
    statement = PreparedStatement("oms_test_add", "SELECT %(a)s::integer + %(b)s::integer, %(a)s::integer")
    with connection.cursor() as cursor:
        statement.execute(cursor, {"a": 2, "b": 3})
        assert cursor.fetchone() == (5, 2)
        # When the session loses it (as a pooler's DISCARD ALL would), found out inside a transaction
        connection.connection.execute("DEALLOCATE oms_test_add")
        with pytest.raises(DatabaseError), transaction.atomic():
            statement.execute(cursor, {"a": 1, "b": 1})
        # Then the next call prepares it again
        statement.execute(cursor, {"a": 4, "b": 5})
        assert cursor.fetchone() == (9, 4)
