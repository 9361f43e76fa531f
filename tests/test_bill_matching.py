"""The three-way match and the bill's posting legs, as pure functions: no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.payables.errors import BillError
from payments.payables.matching import (
    BillLineFacts,
    Flag,
    Leg,
    OrderLineFacts,
    Tolerance,
    bill_legs,
    three_way_match,
)

STRICT = Tolerance()


def order_line(line_id: int = 1, *, received: int = 10, unit_cost: str = "4.000", billed_before: int = 0,
               ordered: int = 10, code: str = "SKU-A") -> OrderLineFacts:
    return OrderLineFacts(line_id=line_id, sku_code=code, ordered=ordered, received=received,
                          unit_cost=Decimal(unit_cost), billed_before=billed_before)


def bill_line(line_id: int = 1, *, quantity: int = 10, unit_cost: str = "4.000") -> BillLineFacts:
    return BillLineFacts(line_id=line_id, quantity=quantity, unit_cost=Decimal(unit_cost))


def match(order_lines, bill_lines, *, tolerance: Tolerance = STRICT, freight: str = "0", currency: str = "USD"):
    return three_way_match(order_lines=order_lines, bill_lines=bill_lines, freight=Decimal(freight),
                           tolerance=tolerance, currency=currency)


# --- quantity ------------------------------------------------------------------------------


def test_a_bill_for_exactly_what_was_received_at_the_order_cost_matches():
    result = match([order_line(received=10)], [bill_line(quantity=10)])

    assert result.is_matched
    assert result.lines[0].flags == ()
    assert result.lines[0].quantity_difference == 0
    assert result.problems == ()


def test_billing_less_than_received_is_a_partial_bill_not_a_difference():
    result = match([order_line(received=10)], [bill_line(quantity=4)])

    assert result.is_matched
    assert result.lines[0].quantity_difference == -6


def test_billing_more_than_received_is_flagged_with_the_numbers():
    result = match([order_line(received=10)], [bill_line(quantity=12)])

    assert not result.is_matched
    assert result.lines[0].flags == (Flag.QUANTITY,)
    assert result.lines[0].quantity_difference == 2
    assert result.problems == ("SKU-A: 12 billed in all but 10 received (2 more than received).",)


def test_earlier_posted_bills_count_towards_what_is_billed():
    result = match([order_line(received=10, billed_before=8)], [bill_line(quantity=3)])

    assert result.lines[0].flags == (Flag.QUANTITY,)
    assert result.lines[0].quantity_difference == 1


@pytest.mark.parametrize("units, billed, flagged", [(2, 12, False), (2, 13, True)])
def test_quantity_tolerance_in_units(units, billed, flagged):
    result = match([order_line(received=10)], [bill_line(quantity=billed)],
                   tolerance=Tolerance(quantity_units=units))

    assert result.lines[0].is_flagged is flagged


@pytest.mark.parametrize("billed, flagged", [(105, False), (106, True)])
def test_quantity_tolerance_in_percent_of_the_received_quantity(billed, flagged):
    result = match([order_line(received=100, ordered=100)], [bill_line(quantity=billed)],
                   tolerance=Tolerance(quantity_percent=Decimal("5")))

    assert result.lines[0].is_flagged is flagged


def test_the_larger_of_the_two_quantity_limits_applies():
    tolerance = Tolerance(quantity_units=1, quantity_percent=Decimal("10"))

    assert match([order_line(received=50)], [bill_line(quantity=55)], tolerance=tolerance).is_matched
    assert not match([order_line(received=50)], [bill_line(quantity=56)], tolerance=tolerance).is_matched
    assert match([order_line(received=5)], [bill_line(quantity=6)], tolerance=tolerance).is_matched


def test_billing_something_never_received_is_flagged_whatever_the_percent():
    result = match([order_line(received=0)], [bill_line(quantity=1)],
                   tolerance=Tolerance(quantity_percent=Decimal("50")))

    assert result.lines[0].flags == (Flag.QUANTITY,)


# --- price ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cost", ["4.100", "3.900"])
def test_a_price_difference_either_way_is_flagged_with_both_prices(cost):
    result = match([order_line(unit_cost="4.000")], [bill_line(unit_cost=cost)])

    assert result.lines[0].flags == (Flag.PRICE,)
    assert result.lines[0].price_difference == Decimal(cost) - Decimal("4.000")
    assert result.problems == (f"SKU-A: billed at {Decimal(cost).normalize()} a unit, the purchase order says 4.",)


@pytest.mark.parametrize("cost, flagged", [("4.100", False), ("4.101", True), ("3.900", False), ("3.899", True)])
def test_price_tolerance_in_percent_of_the_order_cost(cost, flagged):
    result = match([order_line(unit_cost="4.000")], [bill_line(unit_cost=cost)],
                   tolerance=Tolerance(price_percent=Decimal("2.5")))

    assert result.lines[0].is_flagged is flagged


@pytest.mark.parametrize("cost, flagged", [("4.050", False), ("4.051", True)])
def test_price_tolerance_as_an_amount_per_unit(cost, flagged):
    result = match([order_line(unit_cost="4.000")], [bill_line(unit_cost=cost)],
                   tolerance=Tolerance(price_amount=Decimal("0.05")))

    assert result.lines[0].is_flagged is flagged


def test_the_larger_of_the_two_price_limits_applies():
    tolerance = Tolerance(price_amount=Decimal("0.05"), price_percent=Decimal("1"))

    assert match([order_line(unit_cost="10.000")], [bill_line(unit_cost="10.100")], tolerance=tolerance).is_matched
    assert not match([order_line(unit_cost="10.000")], [bill_line(unit_cost="10.101")],
                     tolerance=tolerance).is_matched
    assert match([order_line(unit_cost="1.000")], [bill_line(unit_cost="1.050")], tolerance=tolerance).is_matched


def test_quantity_and_price_are_flagged_together():
    result = match([order_line(received=10)], [bill_line(quantity=11, unit_cost="5.000")])

    assert result.lines[0].flags == (Flag.QUANTITY, Flag.PRICE)
    assert len(result.problems) == 2


def test_only_the_line_out_of_tolerance_is_flagged():
    result = match([order_line(1, code="A"), order_line(2, code="B")],
                   [bill_line(2, unit_cost="4.500"), bill_line(1)])

    assert [(line.order_line.sku_code, line.flags) for line in result.lines] == [("A", ()), ("B", (Flag.PRICE,))]


# --- amounts -------------------------------------------------------------------------------


def test_amounts_are_rounded_per_line_to_the_currency():
    result = match([order_line(received=3, unit_cost="1.005")], [bill_line(quantity=3, unit_cost="1.337")],
                   freight="2.499")

    line = result.lines[0]
    assert line.amount == Decimal("4.01")  # 4.011
    assert line.cleared == Decimal("3.02")  # 3.015 rounds half up
    assert line.variance == Decimal("0.99")
    assert result.freight == Decimal("2.50")
    assert result.total == Decimal("6.51")


def test_amounts_in_a_currency_without_minor_units():
    result = match([order_line(received=3, unit_cost="100.500")], [bill_line(quantity=3, unit_cost="100.400")],
                   currency="JPY")

    assert result.lines[0].amount == Decimal("301")
    assert result.lines[0].cleared == Decimal("302")


# --- the posting ---------------------------------------------------------------------------


def test_a_matched_bill_clears_goods_received_not_invoiced_to_accounts_payable():
    result = match([order_line(received=10, unit_cost="4.000")], [bill_line(quantity=10, unit_cost="4.000")])

    legs = bill_legs(result, bill_number="INV-1", warehouse_id=7)

    assert legs == [
        Leg("grni", debit=Decimal("40.00"), memo="SKU-A: 10 received at order cost", warehouse_id=7),
        Leg("accounts_payable", credit=Decimal("40.00"), memo="Vendor bill INV-1"),
    ]


def test_a_price_above_the_order_debits_the_variance_and_freight_goes_to_freight_in():
    result = match([order_line(1, received=10, unit_cost="4.000", code="A"),
                    order_line(2, received=5, unit_cost="2.000", code="B")],
                   [bill_line(1, quantity=10, unit_cost="4.250"), bill_line(2, quantity=5, unit_cost="1.900")],
                   freight="12.50")

    legs = bill_legs(result, bill_number="INV-2")

    assert [(leg.role, leg.debit, leg.credit) for leg in legs] == [
        ("grni", Decimal("40.00"), Decimal("0")),
        ("purchase_price_variance", Decimal("2.50"), Decimal("0")),
        ("grni", Decimal("10.00"), Decimal("0")),
        ("purchase_price_variance", Decimal("0"), Decimal("0.50")),
        ("freight_in", Decimal("12.50"), Decimal("0")),
        ("accounts_payable", Decimal("0"), Decimal("64.50")),
    ]
    assert result.total == Decimal("64.50")
    assert sum(leg.debit for leg in legs) == sum(leg.credit for leg in legs)


def test_a_free_line_clears_its_order_cost_against_the_variance():
    result = match([order_line(received=2, unit_cost="3.000")], [bill_line(quantity=2, unit_cost="0")])

    legs = bill_legs(result, bill_number="INV-3")

    assert [(leg.role, leg.debit, leg.credit) for leg in legs] == [
        ("grni", Decimal("6.00"), Decimal("0")),
        ("purchase_price_variance", Decimal("0"), Decimal("6.00")),
    ]


def test_a_bill_of_nothing_has_no_legs():
    result = match([order_line(unit_cost="0")], [bill_line(unit_cost="0")])

    assert bill_legs(result, bill_number="INV-4") == []


# --- malformed bills -----------------------------------------------------------------------


@pytest.mark.parametrize("bill_lines, freight, message", [
    ([], "0", "A bill needs at least one line with a quantity."),
    ([bill_line(9)], "0", "That line is not on the bill's purchase order."),
    ([bill_line(1), bill_line(1)], "0", "SKU-A is on the bill twice."),
    ([bill_line(1, quantity=0)], "0", "Bill a positive quantity of SKU-A."),
    ([bill_line(1, unit_cost="-1")], "0", "The unit cost of SKU-A cannot be negative."),
    ([bill_line(1)], "-0.01", "Freight cannot be negative."),
])
def test_a_malformed_bill_is_refused_with_a_clear_message(bill_lines, freight, message):
    with pytest.raises(BillError) as refused:
        match([order_line(1)], bill_lines, freight=freight)

    assert str(refused.value) == message


def test_billing_everything_received_clears_exactly_what_the_receipts_credited():
    # Three receipts of one unit at 1.005 credited 1.01 each: 3.03, where 3 × 1.005 rounds to 3.02.
    facts = OrderLineFacts(line_id=1, sku_code="A", ordered=3, received=3, unit_cost=Decimal("1.005"),
                           received_value=Decimal("3.03"))

    first = match([facts], [bill_line(quantity=2, unit_cost="1.005")])
    rest = match([OrderLineFacts(**{**facts.__dict__, "billed_before": 2})], [bill_line(quantity=1, unit_cost="1.005")])

    assert first.lines[0].cleared == Decimal("2.02")
    assert rest.lines[0].cleared == Decimal("1.01")
    assert first.lines[0].cleared + rest.lines[0].cleared == Decimal("3.03")


def test_units_billed_beyond_the_receipts_clear_at_the_order_cost():
    facts = OrderLineFacts(line_id=1, sku_code="A", ordered=5, received=2, unit_cost=Decimal("4.000"),
                           received_value=Decimal("8.00"))

    result = match([facts], [bill_line(quantity=5)], tolerance=Tolerance(quantity_units=3))

    assert result.lines[0].cleared == Decimal("20.00")
