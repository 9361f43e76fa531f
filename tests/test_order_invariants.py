"""orders/invariants.py: each check finds the corruption it is about (the data is broken on purpose)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from inventory.models import Reservation
from orders.invariants import violations
from orders.models import Hold, LineAllocation, Order, OrderEvent, OrderLine
from tests.factories import SkuFactory, WarehouseFactory, kit, stock
from tests.orders_helpers import line, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    warehouse = WarehouseFactory()
    lamp, candle, holder = SkuFactory(), SkuFactory(), SkuFactory()
    for sku in (lamp, candle, holder):
        stock(sku, warehouse, 10)
    gift_set = kit((candle, 2), (holder, 1))
    placed = place(lines=[line(lamp, 2), line(gift_set, 1)])
    assert violations() == []
    return placed


def checks() -> set[str]:
    return {name for name, *_rest in violations()}


def test_a_clean_order_breaks_nothing(order):
    assert violations() == []


def test_allocated_units_must_match_the_open_allocations(order):
    OrderLine.objects.filter(order=order, line_number=1).update(quantity_allocated=1)

    assert checks() == {"line allocated units equal its open allocations",
                        "an allocated order has every open unit reserved"}


def test_an_open_allocation_needs_its_reservations_and_a_reservation_its_allocation(order):
    kit_line = order.lines.get(line_number=2)
    Reservation.objects.filter(group=kit_line.allocations.get().reservation_group,
                               quantity=2).update(quantity=1)
    lamp_line = order.lines.get(line_number=1)
    orphan = Reservation.objects.filter(reference=f"order:{order.pk}:line:{lamp_line.pk}")
    orphan.update(group=uuid.uuid4())

    found = [row for row in violations() if row[0] == "open allocations match their open reservations"]

    assert len(found) == 3  # the kit's short component, the lamp allocation without rows, the orphan rows
    assert all(first == order.pk for _name, first, _second, _detail in found)
    assert any("has no open allocation" in detail for *_rest, detail in found)
    assert any("expected 2" in detail and "reserved 1" in detail for *_rest, detail in found)


@pytest.mark.parametrize("reference", ["demo-order:10001", "order:1", "transfer:ab12"])
def test_stock_held_for_no_order_line_is_a_violation(order, reference):
    from inventory.services import stock_reserve

    stock_reserve(sku=order.lines.get(line_number=1).sku, warehouse=order.lines.get(
        line_number=1).allocations.get().warehouse, quantity=1, reference=reference)

    found = [row for row in violations() if row[0] == "open allocations match their open reservations"]

    assert len(found) == 1
    (_name, order_id, line_id, detail) = found[0]
    assert (order_id, line_id) == (None, None)
    assert detail.startswith(f"open reservation {reference} of sku ") and detail.endswith(" has no open allocation")


def test_the_amounts_must_add_up(order):
    Order.objects.filter(pk=order.pk).update(total=order.total + Decimal("0.01"))
    assert checks() == {"order amounts add up"}
    Order.objects.filter(pk=order.pk).update(total=order.total)
    OrderLine.objects.filter(order=order, line_number=1).update(line_total=Decimal("1.00"))
    assert checks() == {"order amounts add up"}


def test_the_latest_status_event_must_name_the_status(order):
    Order.objects.filter(pk=order.pk).update(status="picking")
    assert checks() == {"the latest status event names the order's status"}
    OrderEvent.objects.filter(order=order, kind="status").delete()
    Order.objects.filter(pk=order.pk).update(status="allocated")
    assert checks() == {"the latest status event names the order's status"}


def test_on_hold_exactly_while_a_hold_is_open(order):
    Hold.objects.create(order=order, reason=Hold.Reason.MANUAL)
    assert checks() == {"an order is on hold exactly while a hold is open"}


def test_an_allocated_order_has_no_backorders(order):
    LineAllocation.objects.filter(line__order=order, line__line_number=1).delete()
    Reservation.objects.filter(reference__endswith=f":line:{order.lines.get(line_number=1).pk}").update(
        status="released")
    OrderLine.objects.filter(order=order, line_number=1).update(quantity_allocated=0)

    assert "an allocated order has every open unit reserved" in checks()


def test_check_invariants_reports_order_violations(order, capsys):
    Order.objects.filter(pk=order.pk).update(status="on_hold")

    with pytest.raises(Exception, match="invariant violation"):
        call_command("check_invariants")

    assert "[orders] an order is on hold exactly while a hold is open" in capsys.readouterr().out
