"""After placement: transitions, holds and who may release them, cancellations, substitution and edits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from inventory.models import Reservation
from marketing.models import Promotion, PromotionUsage
from orders.models import Hold, LineAllocation, OrderEvent, OrderStatus
from orders.services import (
    TRANSITIONS,
    IllegalTransition,
    LineRequest,
    OrderError,
    order_cancel,
    order_cancel_lines,
    order_edit,
    order_hold,
    order_release_hold,
    order_substitute,
    order_transition,
)
from tests.factories import SkuFactory, StyleFactory, UserFactory, WarehouseFactory, stock
from tests.orders_helpers import (
    CALIFORNIA,
    NEW_YORK,
    all_violations,
    ground,
    level,
    line,
    place,
    priority_mail,
    table_counts,
    tax_rates,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    return WarehouseFactory(code="EAST")


@pytest.fixture
def lamp(warehouse):
    sku = SkuFactory(code="LAMP", list_price=Decimal("40.00"))
    stock(sku, warehouse, 10)
    return sku


@pytest.fixture
def shade(warehouse):
    sku = SkuFactory(code="SHADE", list_price=Decimal("15.00"))
    stock(sku, warehouse, 10)
    return sku


def statuses(order) -> list[tuple[str, str]]:
    return list(order.events.filter(kind=OrderEvent.Kind.STATUS).order_by("pk").values_list("from_status",
                                                                                           "to_status"))


# --- transitions -------------------------------------------------------------------------------------------


def test_the_transitions_table_follows_the_design():
    assert TRANSITIONS["placed"] == {"on_hold", "released", "cancelled"}
    assert TRANSITIONS["allocated"] >= {"picking", "cancelled"}
    assert "cancelled" not in TRANSITIONS["shipped"] | TRANSITIONS["partially_shipped"]
    assert TRANSITIONS["shipped"] == {"delivered", "return_requested", "closed"}
    assert TRANSITIONS["return_requested"] == {"returned"}
    assert TRANSITIONS["cancelled"] == TRANSITIONS["closed"] == TRANSITIONS["returned"] == frozenset()
    reachable = {"draft"}
    for _ in range(len(TRANSITIONS)):
        reachable |= {target for status in reachable for target in TRANSITIONS[status]}
    assert reachable == set(TRANSITIONS)


def test_fulfillment_moves_the_order_on_and_an_illegal_move_changes_nothing(lamp, make_user):
    user = make_user("Warehouse")
    order = place(lines=[line(lamp, 1)])

    order_transition(order=order, to_status="picking", user=user, reason="Wave 12")
    with pytest.raises(IllegalTransition, match="An order that is picking cannot become delivered."):
        order_transition(order=order, to_status="delivered", user=user, reason="")

    order.refresh_from_db()
    assert order.status == "picking"
    event = order.events.filter(kind=OrderEvent.Kind.STATUS).last()
    assert (event.from_status, event.to_status, event.message,
            event.actor) == ("allocated", "picking", "Wave 12",
                                                                                 user)
    assert all_violations() == []


# --- holds --------------------------------------------------------------------------------------------------


def test_an_agent_may_hold_but_not_release_and_a_manager_may_release(lamp, warehouse, make_user):
    agent, manager = make_user("Agent"), make_user("Manager")
    order = place(lines=[line(lamp, 2)])

    hold = order_hold(order=order, reason=Hold.Reason.MANUAL, note="Customer will call back", user=agent)
    assert order.status == OrderStatus.ON_HOLD
    before = table_counts()
    with pytest.raises(PermissionDenied):
        order_release_hold(hold=hold, user=agent)
    assert table_counts() == before
    hold.refresh_from_db()
    assert hold.is_open

    released = order_release_hold(hold=hold, user=manager, note="Called back")

    assert released.status == OrderStatus.ALLOCATED
    hold.refresh_from_db()
    assert (hold.released_by, hold.release_note) == (manager, "Called back")
    assert statuses(order)[-3:] == [("allocated", "on_hold"), ("on_hold", "released"),
                                    ("released", "allocated")]
    assert level(lamp, warehouse) == (10, 2)  # the reservation was kept all along
    assert all_violations() == []


def test_payment_and_fraud_holds_need_the_stronger_permission(lamp, make_user):
    agent, manager = make_user("Agent"), make_user("Manager")
    supervisor = UserFactory()
    supervisor.user_permissions.add(Permission.objects.get(codename="release_hold"))
    order = place(lines=[line(lamp, 1)])
    fraud = order_hold(order=order, reason=Hold.Reason.FRAUD, note="Mismatched card country", user=agent)

    for user in (agent, supervisor):
        with pytest.raises(PermissionDenied, match="You may not release fraud holds."):
            order_release_hold(hold=fraud, user=user)

    assert order_release_hold(hold=fraud, user=manager).status == OrderStatus.ALLOCATED
    manual = order_hold(order=order, reason=Hold.Reason.MANUAL, note="Check gift message", user=agent)
    assert order_release_hold(hold=manual, user=supervisor).status == OrderStatus.ALLOCATED


def test_an_order_stays_on_hold_until_its_last_hold_is_released_and_reasons_do_not_repeat(lamp, make_user):
    manager = make_user("Manager")
    order = place(lines=[line(lamp, 1)])
    payment = order_hold(order=order, reason=Hold.Reason.PAYMENT, note="Card declined", user=None)
    address = order_hold(order=order, reason=Hold.Reason.ADDRESS, note="Unit number missing", user=None)
    with pytest.raises(OrderError, match="on payment hold already"):
        order_hold(order=order, reason=Hold.Reason.PAYMENT, note="Again", user=None)

    assert order_release_hold(hold=payment, user=manager).status == OrderStatus.ON_HOLD
    assert order_release_hold(hold=address, user=None).status == OrderStatus.ALLOCATED  # the system may
    with pytest.raises(OrderError, match="released already"):
        order_release_hold(hold=address, user=manager)
    assert all_violations() == []


def test_releasing_the_last_hold_tries_the_backorders_again(warehouse, make_user):
    lamp = SkuFactory()
    order = place(lines=[line(lamp, 2)])
    hold = order_hold(order=order, reason=Hold.Reason.STOCK, note="Wait for the restock", user=None)
    stock(lamp, warehouse, 5)  # arrives while held (in this test the backorder task does not run)

    assert order_release_hold(hold=hold, user=make_user("Manager")).status == OrderStatus.ALLOCATED
    assert level(lamp, warehouse) == (5, 2)


def test_a_cancelled_or_picking_order_cannot_be_held(lamp):
    picking = place(lines=[line(lamp, 1)])
    order_transition(order=picking, to_status="picking", user=None, reason="")

    with pytest.raises(IllegalTransition, match="An order that is picking cannot be put on hold."):
        order_hold(order=picking, reason=Hold.Reason.MANUAL, note="", user=None)
    assert not Hold.objects.exists()


# --- cancellation -------------------------------------------------------------------------------------------


def test_cancelling_an_order_gives_back_its_stock_holds_and_promotion_uses(lamp, shade, warehouse, make_user):
    agent = make_user("Agent")
    Promotion.objects.create(name="5 off", kind="percent_off", percent=Decimal("5"))
    order = place(lines=[line(lamp, 2), line(shade, 3)])
    order_hold(order=order, reason=Hold.Reason.MANUAL, note="Checking", user=agent)
    assert PromotionUsage.objects.count() == 1

    cancelled = order_cancel(order=order, user=agent, reason="Customer changed their mind")

    assert cancelled.status == order.status == OrderStatus.CANCELLED
    assert level(lamp, warehouse) == (10, 0) and level(shade, warehouse) == (10, 0)
    assert not Reservation.objects.filter(status="open").exists()
    assert not LineAllocation.objects.filter(is_open=True).exists()
    assert [(row.quantity_cancelled, row.quantity_allocated)
            for row in order.lines.order_by("line_number")] == [(2, 0), (3, 0)]
    assert not order.holds.filter(released_at__isnull=True).exists()
    assert not PromotionUsage.objects.exists()
    assert order.total == Decimal("118.75")  # the record of what was cancelled: 125.00 - 5 %
    assert statuses(order)[-1] == ("on_hold", "cancelled")
    assert all_violations() == []


def test_a_shipped_order_cannot_be_cancelled(lamp):
    order = place(lines=[line(lamp, 1)])
    for status in ("picking", "packed", "shipped"):
        order_transition(order=order, to_status=status, user=None, reason="")
    before = table_counts()

    with pytest.raises(IllegalTransition, match="An order that is shipped cannot be cancelled."):
        order_cancel(order=order, user=None, reason="Too late")

    assert table_counts() == before


def test_cancelling_some_units_cancels_the_backordered_ones_first_and_reprices(warehouse):
    tax_rates()
    lamp = SkuFactory(list_price=Decimal("40.00"))
    stock(lamp, warehouse, 3)
    order = place(lines=[line(lamp, 5)], shipping_method=ground())
    lamp_line = order.lines.get()
    assert (lamp_line.quantity_allocated, order.status) == (3, OrderStatus.RELEASED)

    order_cancel_lines(order=order, quantities={lamp_line.pk: 3}, user=None, reason="Only wants two")

    lamp_line.refresh_from_db()
    assert (lamp_line.quantity, lamp_line.quantity_cancelled, lamp_line.quantity_allocated) == (5, 3, 2)
    assert level(lamp, warehouse) == (3, 2)
    assert order.status == OrderStatus.ALLOCATED  # nothing is waiting any more
    # 2 × 40.00 = 80.00, tax 7.10; shipping 5.00 + 2 × 1.00 = 7.00, tax 0.62
    assert (lamp_line.tax_amount, lamp_line.line_total) == (Decimal("7.10"), Decimal("87.10"))
    assert (order.subtotal, order.shipping_total, order.tax_total, order.total) == (
        Decimal("80.00"), Decimal("7.00"), Decimal("7.72"), Decimal("94.72"))
    assert order.events.filter(kind=OrderEvent.Kind.CANCELLATION, message__startswith="Line 1: 3 ×").exists()
    assert all_violations() == []


def test_cancelling_every_unit_line_by_line_cancels_the_order(lamp, warehouse):
    order = place(lines=[line(lamp, 2)])

    order_cancel_lines(order=order, quantities={order.lines.get().pk: 2}, user=None,
                       reason="No longer needed")

    assert order.status == OrderStatus.CANCELLED
    assert level(lamp, warehouse) == (10, 0)
    assert all_violations() == []


def test_cancelling_more_than_is_open_is_refused_and_changes_nothing(lamp):
    order = place(lines=[line(lamp, 2)])
    before = table_counts()

    with pytest.raises(OrderError) as refused:
        order_cancel_lines(order=order, quantities={order.lines.get().pk: 3}, user=None, reason="x")

    assert list(refused.value.field_errors.values()) == [["Line 1: cancel between 0 and 2."]]
    assert table_counts() == before


# --- substitution -------------------------------------------------------------------------------------------


def test_substituting_a_backordered_line_reserves_the_substitute_at_the_same_price(warehouse, make_user):
    agent = make_user("Agent")
    style = StyleFactory()
    navy, black = SkuFactory(style=style, list_price=Decimal("30.00")), SkuFactory(style=style,
                                                                                   list_price=Decimal("35.00"))
    stock(black, warehouse, 4)
    order = place(lines=[line(navy, 2)])
    navy_line = order.lines.get()
    assert order.status == OrderStatus.RELEASED

    substituted = order_substitute(line=navy_line, substitute=black, user=agent, reason="Navy sold out")

    assert (substituted.sku, substituted.substituted_from, substituted.sku_code) == (black, navy, black.code)
    assert (substituted.quantity_allocated, substituted.unit_price, substituted.line_total) == (
        2, Decimal("30.00"), Decimal("60.00"))
    assert level(black, warehouse) == (4, 2)
    order.refresh_from_db()
    assert order.status == OrderStatus.ALLOCATED
    event = order.events.get(kind=OrderEvent.Kind.SUBSTITUTION)
    assert event.message == f"Line 1: {black.code} instead of {navy.code}. Navy sold out"
    assert event.actor == agent
    assert all_violations() == []


def test_a_substitute_must_be_another_active_sku(lamp):
    order = place(lines=[line(lamp, 1)])
    draft = SkuFactory(status="draft")

    for substitute, message in ((lamp, "Choose another SKU"), (draft, "is not for sale")):
        with pytest.raises(OrderError, match=message):
            order_substitute(line=order.lines.get(), substitute=substitute, user=None)


# --- edits --------------------------------------------------------------------------------------------------


def test_an_edit_re_reserves_reprices_and_records_every_change(lamp, shade, warehouse, make_user):
    tax_rates()
    agent = make_user("Agent")
    bulb = SkuFactory(code="BULB", list_price=Decimal("4.00"))
    stock(bulb, warehouse, 10)
    order = place(lines=[line(lamp, 1), line(shade, 2)], shipping_method=ground())
    lamp_line, shade_line = order.lines.order_by("line_number")
    assert order.total == Decimal("84.92")  # 70.00 + 8.00 shipping + NY tax 3.55 + 2.66 + 0.71

    edited = order_edit(order=order, user=agent, add_lines=[LineRequest(sku=bulb, quantity=4)],
                        remove_line_ids=[shade_line.pk], quantities={lamp_line.pk: 3}, ship_to=CALIFORNIA,
                        shipping_method=priority_mail())

    assert edited.status == OrderStatus.ALLOCATED
    assert [(row.line_number, row.sku_code, row.quantity, row.quantity_cancelled, row.quantity_allocated)
            for row in edited.lines.order_by("line_number")] == [
        (1, "LAMP", 3, 0, 3), (2, "SHADE", 2, 2, 0), (3, "BULB", 4, 0, 4)]
    assert level(lamp, warehouse) == (10, 3) and level(shade, warehouse) == (10, 0)
    assert level(bulb, warehouse) == (10, 4)
    # California: 7.25 % on goods, not on shipping; priority mail 8.00 flat.
    assert (edited.subtotal, edited.shipping_total, edited.tax_total, edited.total) == (
        Decimal("136.00"), Decimal("8.00"), Decimal("9.86"), Decimal("153.86"))
    assert edited.ship_to["region"] == "CA" and edited.shipping_method.code == "PRIORITY"
    messages = list(edited.events.filter(kind__in=["edit", "cancellation"]).values_list("message", flat=True))
    assert "Line 2: 2 × SHADE cancelled: line removed" in messages
    assert "Line 1: quantity 1 → 3." in messages
    assert "Line 3 added: 4 × BULB." in messages
    assert "Ship-to address changed." in messages
    assert "Delivery method: Ground → Priority Mail." in messages
    assert any(message.startswith("Re-priced (order edited): total 84.92 → 153.86") for message in messages)
    assert all_violations() == []


def test_an_edit_that_fixes_the_address_releases_the_address_hold(lamp):
    order = place(channel="web", external_id="W-5", lines=[line(lamp, 1)],
                  ship_to=NEW_YORK | {"postal_code": "1"})
    assert order.status == OrderStatus.ON_HOLD

    edited = order_edit(order=order, user=None, ship_to=NEW_YORK)

    assert edited.status == OrderStatus.ALLOCATED
    assert edited.holds.get().release_note == "Address or method corrected."
    assert all_violations() == []


def test_choosing_a_method_that_serves_a_po_box_releases_the_address_hold(lamp):
    order = place(channel="web", external_id="W-6", lines=[line(lamp, 1)],
                  ship_to=NEW_YORK | {"line1": "PO Box 4"},
                  shipping_method=ground())
    assert order.holds.get().is_open

    assert order_edit(order=order, user=None, shipping_method=priority_mail()).status == OrderStatus.ALLOCATED
    assert not order.holds.get().is_open


def test_an_invalid_edit_changes_nothing(lamp, shade):
    order = place(lines=[line(lamp, 1)], shipping_method=ground())
    before = table_counts()

    with pytest.raises(OrderError) as refused:
        order_edit(order=order, user=None, quantities={order.lines.get().pk: 0},
                   ship_to=NEW_YORK | {"line1": "PO Box 9"}, add_lines=[LineRequest(sku=shade, quantity=-1)])

    assert set(refused.value.field_errors) == {f"quantities-{order.lines.get().pk}", "add_lines-0-quantity",
                                               "shipping_method"}
    assert table_counts() == before


def test_an_order_being_picked_cannot_be_edited(lamp, shade):
    order = place(lines=[line(lamp, 1)])
    order_transition(order=order, to_status="picking", user=None, reason="")

    with pytest.raises(IllegalTransition, match="picking cannot be edited"):
        order_edit(order=order, user=None, add_lines=[LineRequest(sku=shade, quantity=1)])
