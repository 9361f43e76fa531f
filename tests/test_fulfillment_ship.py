"""Ship confirmation: stock leaves at moving average cost, revenue and COGS post, once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inventory.models import Reservation, StockMovement
from inventory.services import stock_receive
from orders.fulfillment.models import Shipment, ShipmentEvent, ShipmentLine
from orders.fulfillment.shipping import ShipmentError, shipment_confirm, shipment_open
from orders.models import LineAllocation, OrderEvent, OrderStatus
from orders import hooks
from payments.models import JournalEntry
from tests.factories import SkuFactory, UserFactory, WarehouseFactory, kit
from tests.ledger_helpers import balance, lines_of
from tests.orders_helpers import all_violations, ground, level, line, place, tax_rates

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="EAST")


@pytest.fixture
def lamp(warehouse):
    """10 lamps: 4 at 3.00 and 6 at 5.00 (moving average 4.20, value 42.00)."""
    sku = SkuFactory(code="LAMP", list_price=Decimal("40.00"))
    stock_receive(sku=sku, warehouse=warehouse, quantity=4, unit_cost=Decimal("3.00"), user=None)
    stock_receive(sku=sku, warehouse=warehouse, quantity=6, unit_cost=Decimal("5.00"), user=None)
    return sku


@pytest.fixture
def shade(warehouse):
    """3 shades at 2.00 each: value 6.00 (one unit leaves at 2.00)."""
    sku = SkuFactory(code="SHADE", list_price=Decimal("15.00"))
    stock_receive(sku=sku, warehouse=warehouse, quantity=3, unit_cost=Decimal("2.00"), user=None)
    return sku


@pytest.fixture
def packer():
    return UserFactory(username="packer")


def entry(shipment, kind):
    return JournalEntry.objects.get(source_type="orders.shipment", source_id=str(shipment.pk), kind=kind)


def test_a_shipment_ships_its_stock_at_average_cost_and_posts_revenue_and_cogs(warehouse, lamp, shade, packer,
                                                                               django_capture_on_commit_callbacks):
    # Given a ground order to New York (8.875 % tax on goods and shipping) for 3 lamps and 1 shade
    tax_rates()
    order = place(lines=[line(lamp, 3), line(shade, 1)], shipping_method=ground())
    assert order.status == OrderStatus.ALLOCATED
    # 3 × 40 + 15 = 135.00; shipping 5 + 4 × 1 = 9.00; tax 135 × 0.08875 = 11.98 (lines 10.65 + 1.33) + 0.80
    assert (order.subtotal, order.shipping_total, order.tax_total, order.total) == (
        Decimal("135.00"), Decimal("9.00"), Decimal("12.78"), Decimal("156.78"))
    shipment = shipment_open(order=order, warehouse=warehouse, user=packer)
    captured = []
    listener = hooks.on_shipment_confirmed(lambda *args: captured.append(args))
    try:
        # When it is confirmed with a tracking number
        with django_capture_on_commit_callbacks(execute=True):
            result = shipment_confirm(shipment=shipment, user=packer, tracking_number="1Z999")
    finally:
        hooks.remove_shipment_confirmed(listener)  # payments' own callbacks stay registered
    # Then stock leaves: 3 lamps at 4.20 = 12.60, the shade at 2.00
    assert result.shipped_now and result.amount == Decimal("156.78") and result.cost == Decimal("14.60")
    assert level(lamp, warehouse) == (7, 0) and level(shade, warehouse) == (2, 0)
    movements = sorted(StockMovement.objects.filter(kind="shipment").values_list("sku__code", "quantity", "value"))
    assert movements == [("LAMP", -3, Decimal("-12.60")), ("SHADE", -1, Decimal("-2.00"))]
    assert set(Reservation.objects.values_list("status", flat=True)) == {"consumed"}
    assert not LineAllocation.objects.filter(is_open=True).exists()
    # and the order and the lines moved
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    assert sorted(order.lines.values_list("sku_code", "quantity_shipped")) == [("LAMP", 3), ("SHADE", 1)]
    shipment.refresh_from_db()
    assert (shipment.status, shipment.tracking_number, shipment.shipped_by) == ("shipped", "1Z999", packer)
    # and revenue posts per line, net of discounts, with shipping income and the tax
    # and COGS against inventory at what the movements took out, in the same entry
    assert lines_of(entry(shipment, "order.shipment")) == [
        ("2300", Decimal("156.78"), Decimal("0")), ("4000", Decimal("0"), Decimal("120.00")),
        ("4000", Decimal("0"), Decimal("15.00")), ("4100", Decimal("0"), Decimal("9.00")),
        ("2100", Decimal("0"), Decimal("12.78")),
        ("1200", Decimal("0"), Decimal("14.60")), ("5000", Decimal("14.60"), Decimal("0"))]
    assert balance("5000") == Decimal("14.60") and balance("4000") == Decimal("-135.00")
    # and after commit payments hears of the amount shipped
    assert captured == [(order.pk, Decimal("156.78"), shipment.number)]
    assert all_violations() == []


def test_confirming_twice_ships_once_and_posts_once(warehouse, lamp, packer):
    order = place(lines=[line(lamp, 2)])
    shipment = shipment_open(order=order, warehouse=warehouse, user=packer)
    first = shipment_confirm(shipment=shipment, user=packer, tracking_number="T1")
    second = shipment_confirm(shipment=shipment, user=UserFactory(username="other"), tracking_number="T2")
    assert first.shipped_now and not second.shipped_now
    assert "already shipped by packer" in second.message
    assert StockMovement.objects.filter(kind="shipment").count() == 1
    assert JournalEntry.objects.filter(source_type="orders.shipment").count() == 1  # revenue and COGS
    assert level(lamp, warehouse) == (8, 0)
    shipment.refresh_from_db()
    assert shipment.tracking_number == "T1"
    assert all_violations() == []


def test_a_partial_shipment_books_its_share_and_the_rest_adds_up_to_the_cent(warehouse, lamp, packer):
    # Given an order of 3 lamps at 40.00 with no tax and no shipping, where the lamps ship 1 then 2
    order = place(lines=[line(lamp, 3)])
    allocation = LineAllocation.objects.get(line__order=order)
    first = Shipment.objects.create(order=order, warehouse=warehouse, number="P-1")
    ShipmentLine.objects.create(shipment=first, order_line=allocation.line, allocation=allocation,
                                reservation_group=allocation.reservation_group, quantity=1)
    result = shipment_confirm(shipment=first, user=packer)
    order.refresh_from_db()
    assert (result.amount, result.cost, order.status) == (Decimal("40.00"), Decimal("4.20"), "partially_shipped")
    assert level(lamp, warehouse) == (9, 2)
    assert all_violations() == []
    # When the rest ships
    second = shipment_open(order=order, warehouse=warehouse, user=packer)
    result = shipment_confirm(shipment=second, user=packer)
    order.refresh_from_db()
    assert (result.amount, result.cost, order.status) == (Decimal("80.00"), Decimal("8.40"), "shipped")
    assert balance("4000") == Decimal("-120.00") and balance("2300") == Decimal("120.00")
    assert level(lamp, warehouse) == (7, 0)
    assert all_violations() == []


def test_a_confirmation_records_the_orders_and_the_shipments_events(warehouse, lamp, packer):
    # Given an order of 3 lamps that ships 1, then 1 (the order stays partially shipped), then the last
    order = place(lines=[line(lamp, 3)])
    allocation = LineAllocation.objects.get(line__order=order)
    shipments = []
    for number in (1, 2):
        shipment = Shipment.objects.create(order=order, warehouse=warehouse, number=f"P-{number}")
        ShipmentLine.objects.create(shipment=shipment, order_line=allocation.line, allocation=allocation,
                                    reservation_group=allocation.reservation_group, quantity=1)
        shipments.append(shipment)
    before = list(OrderEvent.objects.filter(order=order).values_list("pk", flat=True))
    # When each ships
    shipment_confirm(shipment=shipments[0], user=packer, tracking_number="T1")
    shipment_confirm(shipment=shipments[1], user=packer)
    shipments.append(shipment_open(order=order, warehouse=warehouse, user=packer))
    result = shipment_confirm(shipment=shipments[2], user=packer, tracking_number="T3")
    # Then the order's timeline has a move, a note (no move: still partially shipped) and a move, by the packer
    events = OrderEvent.objects.filter(order=order).exclude(pk__in=before).order_by("pk")
    assert [(event.kind, event.from_status, event.to_status, event.message, event.data, event.actor)
            for event in events] == [
        ("status", "allocated", "partially_shipped", "Shipment P-1 shipped.", {}, packer),
        ("note", "", "", "Shipment P-2 shipped.", {}, packer),
        ("status", "partially_shipped", "shipped", f"Shipment {shipments[2].number} shipped.", {}, packer)]
    # And each shipment's timeline walks it to shipped, then records what shipped, in that order
    shipped = ShipmentEvent.objects.filter(shipment=shipments[2]).exclude(kind="created").order_by("pk")
    assert [(event.kind, event.message, event.data, event.actor) for event in shipped] == [
        ("status", "Pending → Picked", {"from": "pending", "to": "picked"}, packer),
        ("status", "Picked → Packed", {"from": "picked", "to": "packed"}, packer),
        ("status", "Packed → Shipped", {"from": "packed", "to": "shipped"}, packer),
        ("ship", "Shipped 1 units.", {"amount": str(result.amount), "cost": str(result.cost),
                                      "tracking_number": "T3"}, packer)]
    assert ShipmentEvent.objects.filter(shipment=shipments[1], kind="ship").get().data["tracking_number"] == ""
    assert all_violations() == []


def test_a_session_that_lost_its_prepared_statements_ships_on_the_retry(warehouse, lamp, packer):
    from django.db import DatabaseError, connection

    order = place(lines=[line(lamp, 2)])
    shipment = shipment_open(order=order, warehouse=warehouse, user=packer)
    other = shipment_open(order=place(lines=[line(lamp, 1)]), warehouse=warehouse, user=packer)
    shipment_confirm(shipment=other, user=packer)  # the statements are prepared in this session
    # When the session loses them (as a pooler's DISCARD ALL would; the other apps' are left alone here)
    session = connection.connection
    for (name,) in session.execute("SELECT name FROM pg_prepared_statements "
                                   "WHERE name LIKE 'orders_shipment_confirm_%'").fetchall():
        session.execute(f"DEALLOCATE {name}")
    # Then the confirmation that finds out fails and changes nothing
    with pytest.raises(DatabaseError):
        shipment_confirm(shipment=shipment, user=packer)
    shipment.refresh_from_db()
    assert shipment.status == "pending" and level(lamp, warehouse) == (9, 2)
    # And the retry prepares them again and ships
    assert shipment_confirm(shipment=shipment, user=packer).shipped_now
    assert level(lamp, warehouse) == (7, 0)
    assert all_violations() == []


def test_a_kit_books_its_lines_revenue_and_its_components_cost(warehouse, lamp, shade, packer):
    # Given a kit of one lamp and two shades sold at 50.00
    bundle = kit((lamp, 1), (shade, 2), code="BUNDLE", list_price=Decimal("50.00"))
    order = place(lines=[line(bundle, 1)])
    shipment = shipment_open(order=order, warehouse=warehouse, user=packer)
    result = shipment_confirm(shipment=shipment, user=packer)
    # Then revenue is the kit line's, cost the components' (4.20 + 2 × 2.00)
    assert (result.amount, result.cost) == (Decimal("50.00"), Decimal("8.20"))
    assert level(lamp, warehouse) == (9, 0) and level(shade, warehouse) == (1, 0)
    assert lines_of(entry(shipment, "order.shipment")) == [
        ("2300", Decimal("50.00"), Decimal("0")), ("4000", Decimal("0"), Decimal("50.00")),
        ("1200", Decimal("0"), Decimal("8.20")), ("5000", Decimal("8.20"), Decimal("0"))]
    assert all_violations() == []


def test_payments_may_book_against_customer_deposits(warehouse, lamp, packer):
    order = place(lines=[line(lamp, 1)])
    shipment = shipment_open(order=order, warehouse=warehouse, user=packer)

    def deposits(order):
        return "customer_deposits"

    hooks.on_shipment_debit_role(deposits)
    try:
        shipment_confirm(shipment=shipment, user=packer)
    finally:
        hooks.remove_shipment_debit_role(deposits)
    assert lines_of(entry(shipment, "order.shipment"))[0] == ("2300", Decimal("40.00"), Decimal("0"))


def test_a_cancelled_shipment_does_not_ship(warehouse, lamp, packer):
    order = place(lines=[line(lamp, 1)])
    shipment = shipment_open(order=order, warehouse=warehouse, user=packer)
    Shipment.objects.filter(pk=shipment.pk).update(status="cancelled")
    with pytest.raises(ShipmentError, match="cancelled"):
        shipment_confirm(shipment=shipment, user=packer)
    assert level(lamp, warehouse) == (10, 1)
    assert not StockMovement.objects.filter(kind="shipment").exists()


def test_invariants_catch_a_shipment_without_its_movements_or_entries(warehouse, lamp, packer):
    order = place(lines=[line(lamp, 2)])
    shipment = shipment_open(order=order, warehouse=warehouse, user=packer)
    shipment_confirm(shipment=shipment, user=packer)
    assert all_violations() == []
    # When a shipment is marked shipped behind the service's back (no movements, no entries)
    stray = Shipment.objects.create(order=order, warehouse=warehouse, number="STRAY", status="shipped")
    ShipmentLine.objects.create(shipment=stray, order_line=order.lines.get(), quantity=1)
    found = {(name, detail) for _app, name, _order, _line, detail in all_violations()}
    assert found == {
        ("shipped quantities equal shipment movements", f"shipment STRAY sku {lamp.pk}: shipped 1, moved 0"),
        ("order lines shipped what their shipments hold", "shipped=2 in shipments=3"),
        ("every shipped shipment has its revenue and COGS posted", "shipment STRAY has no revenue posted"),
    }
