"""The three-way match of purchase order, receipts and vendor bill, and the posting it leads to.

Pure functions over plain data (no database): the selectors gather the facts, these decide.

For each bill line, against its purchase order line:
- **quantity**: everything billed on the line (earlier posted bills plus this one) against
  everything received. Billing more than was received, by more than the quantity tolerance, is
  flagged; billing less is an ordinary partial bill (the rest stays received-not-billed).
- **price**: the bill's unit cost against the purchase order line's unit cost (the cost the
  receipts were valued at). A difference either way beyond the price tolerance is flagged.

The posting of a bill (:func:`bill_legs`): goods received not invoiced is debited with the
billed quantity at the purchase order cost (its share of what the receipts credited to it, so
billing everything received clears the line exactly), accounts payable
is credited with the bill total, the difference on each line goes to purchase price variance,
and freight to freight in. Every amount is rounded once, per line, to the currency's minor unit,
so the legs balance exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

from oms.money import round_money
from payments.payables.errors import BillError

ZERO = Decimal("0")
HUNDRED = Decimal("100")

# Posting-map roles (LEDGER_CONTRACT.md) of a bill's entry.
GRNI = "grni"
ACCOUNTS_PAYABLE = "accounts_payable"
PURCHASE_PRICE_VARIANCE = "purchase_price_variance"
FREIGHT_IN = "freight_in"


@dataclass(frozen=True)
class Tolerance:
    """How far a bill may stray from the purchase order and receipts before it is flagged.

    Each kind has two limits, and a difference within either of them passes: the allowed
    difference is the larger of the two (a limit left at zero allows nothing).
    """

    quantity_units: int = 0
    quantity_percent: Decimal = ZERO  # of the quantity received on the line
    price_percent: Decimal = ZERO  # of the purchase order line's unit cost
    price_amount: Decimal = ZERO  # per unit, in the purchase order's currency

    def quantity_allowed(self, received: int) -> Decimal:
        return max(Decimal(self.quantity_units), Decimal(received) * self.quantity_percent / HUNDRED)

    def price_allowed(self, order_unit_cost: Decimal) -> Decimal:
        return max(self.price_amount, order_unit_cost * self.price_percent / HUNDRED)


@dataclass(frozen=True)
class OrderLineFacts:
    """What the purchase order and its receipts say about one purchase order line."""

    line_id: int
    sku_code: str
    ordered: int
    received: int  # the sum of the receipt movements posted against the line
    unit_cost: Decimal  # the purchase order's cost, at which the receipts were valued
    billed_before: int = 0  # on other bills already posted
    sku_name: str = ""
    received_value: Decimal | None = None  # what the receipts credited to goods received not invoiced

    def value_of_first(self, units: int, currency: str) -> Decimal:
        """What the first ``units`` billed on the line clear from goods received not invoiced.

        Received units carry their share of the receipts' value, rounded once, so billing all that
        was received clears exactly what the receipts put there; units beyond it are at the order cost.
        """
        if self.received_value is None or self.received <= 0:
            return round_money(self.unit_cost * units, currency)
        if units <= self.received:
            return round_money(self.received_value * units / self.received, currency)
        return self.received_value + round_money(self.unit_cost * (units - self.received), currency)

    @property
    def unbilled(self) -> int:
        """Received and not yet billed (never negative): what a new bill is prefilled with."""
        return max(self.received - self.billed_before, 0)


@dataclass(frozen=True)
class BillLineFacts:
    line_id: int  # the purchase order line billed
    quantity: int
    unit_cost: Decimal


class Flag(StrEnum):
    QUANTITY = "quantity"
    PRICE = "price"


@dataclass(frozen=True)
class LineMatch:
    order_line: OrderLineFacts
    quantity: int
    unit_cost: Decimal
    amount: Decimal  # quantity × bill unit cost, rounded: what the vendor is owed for the line
    cleared: Decimal  # quantity × purchase order cost, rounded: what leaves goods received not invoiced
    quantity_difference: int  # billed in all (with earlier bills) minus received; > 0 is billed not received
    price_difference: Decimal  # bill unit cost minus purchase order unit cost
    flags: tuple[Flag, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def variance(self) -> Decimal:
        """The purchase price variance of the line: positive costs more than ordered."""
        return self.amount - self.cleared

    @property
    def is_flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class MatchResult:
    lines: tuple[LineMatch, ...]
    freight: Decimal
    currency: str
    problems: tuple[str, ...] = field(default=())

    @property
    def is_matched(self) -> bool:
        """True when nothing is flagged: the bill may post without an override."""
        return not self.problems

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.freight

    @property
    def cleared_total(self) -> Decimal:
        return sum((line.cleared for line in self.lines), ZERO)

    @property
    def variance_total(self) -> Decimal:
        return sum((line.variance for line in self.lines), ZERO)


def check_bill_lines(*, order_lines: Iterable[OrderLineFacts], bill_lines: Iterable[BillLineFacts],
                     freight: Decimal) -> None:
    """Refuse a bill that is malformed rather than mismatched (a BillError with a clear message)."""
    known = {line.line_id: line for line in order_lines}
    bill_lines = list(bill_lines)
    if not bill_lines:
        raise BillError(_("A bill needs at least one line with a quantity."))
    if freight < 0:
        raise BillError(_("Freight cannot be negative."))
    seen: set[int] = set()
    for line in bill_lines:
        if line.line_id not in known:
            raise BillError(_("That line is not on the bill's purchase order."))
        code = known[line.line_id].sku_code
        if line.line_id in seen:
            raise BillError(_("%(code)s is on the bill twice.") % {"code": code})
        seen.add(line.line_id)
        if line.quantity <= 0:
            raise BillError(_("Bill a positive quantity of %(code)s.") % {"code": code})
        if line.unit_cost < 0:
            raise BillError(_("The unit cost of %(code)s cannot be negative.") % {"code": code})


def three_way_match(*, order_lines: Iterable[OrderLineFacts], bill_lines: Iterable[BillLineFacts],
                    freight: Decimal, tolerance: Tolerance, currency: str) -> MatchResult:
    """Match each bill line against its purchase order line and receipts; flags what is out of tolerance."""
    order_lines = list(order_lines)
    bill_lines = list(bill_lines)
    check_bill_lines(order_lines=order_lines, bill_lines=bill_lines, freight=freight)
    known = {line.line_id: line for line in order_lines}
    order = {line.line_id: index for index, line in enumerate(order_lines)}
    matches = []
    for bill_line in sorted(bill_lines, key=lambda line: order[line.line_id]):
        facts = known[bill_line.line_id]
        quantity_difference = facts.billed_before + bill_line.quantity - facts.received
        price_difference = bill_line.unit_cost - facts.unit_cost
        flags, problems = [], []
        if quantity_difference > tolerance.quantity_allowed(facts.received):
            flags.append(Flag.QUANTITY)
            problems.append(
                _("%(code)s: %(billed)d billed in all but %(received)d received "
                  "(%(difference)d more than received).")
                % {"code": facts.sku_code, "billed": facts.billed_before + bill_line.quantity,
                   "received": facts.received, "difference": quantity_difference})
        if abs(price_difference) > tolerance.price_allowed(facts.unit_cost):
            flags.append(Flag.PRICE)
            problems.append(
                _("%(code)s: billed at %(billed)s a unit, the purchase order says %(ordered)s.")
                % {"code": facts.sku_code, "billed": bill_line.unit_cost.normalize(),
                   "ordered": facts.unit_cost.normalize()})
        matches.append(LineMatch(
            order_line=facts, quantity=bill_line.quantity, unit_cost=bill_line.unit_cost,
            amount=round_money(bill_line.unit_cost * bill_line.quantity, currency),
            cleared=(facts.value_of_first(facts.billed_before + bill_line.quantity, currency)
                     - facts.value_of_first(facts.billed_before, currency)),
            quantity_difference=quantity_difference, price_difference=price_difference,
            flags=tuple(flags), problems=tuple(problems),
        ))
    return MatchResult(lines=tuple(matches), freight=round_money(freight, currency), currency=currency,
                       problems=tuple(problem for line in matches for problem in line.problems))


@dataclass(frozen=True)
class Leg:
    """One line of the bill's journal entry: a posting-map role and a debit or a credit."""

    role: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    memo: str = ""
    warehouse_id: int | None = None


def bill_legs(match: MatchResult, *, bill_number: str, warehouse_id: int | None = None) -> list[Leg]:
    """The balanced legs of a bill's entry; zero amounts are left out (a line is never zero)."""
    legs: list[Leg] = []
    for line in match.lines:
        code = line.order_line.sku_code
        if line.cleared > 0:
            legs.append(Leg(GRNI, debit=line.cleared, warehouse_id=warehouse_id,
                            memo=_("%(code)s: %(quantity)d received at order cost")
                            % {"code": code, "quantity": line.quantity}))
        if line.variance > 0:
            legs.append(Leg(PURCHASE_PRICE_VARIANCE, debit=line.variance,
                            memo=_("%(code)s: billed above order cost") % {"code": code}))
        elif line.variance < 0:
            legs.append(Leg(PURCHASE_PRICE_VARIANCE, credit=-line.variance,
                            memo=_("%(code)s: billed below order cost") % {"code": code}))
    if match.freight > 0:
        legs.append(Leg(FREIGHT_IN, debit=match.freight, memo=_("Freight")))
    if match.total > 0:
        legs.append(Leg(ACCOUNTS_PAYABLE, credit=match.total,
                        memo=_("Vendor bill %(number)s") % {"number": bill_number}))
    debits = sum((leg.debit for leg in legs), ZERO)
    credits = sum((leg.credit for leg in legs), ZERO)
    if debits != credits:  # cannot happen: each variance is the difference of two rounded amounts
        raise AssertionError(f"unbalanced bill legs: {debits} != {credits}")
    return legs
