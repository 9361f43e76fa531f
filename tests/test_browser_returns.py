"""A delivered card order comes back: an agent makes the RMA on the order page (its label bought), the
warehouse receives it by scan and restocks it, and the refund lands on the original card at localstripe.
Afterwards the trial balance is zero and the invariants are clean."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inventory.models import StockMovement
from orders.models import Order, OrderStatus, ReturnReceipt, Rma
from payments import gateway
from payments.refunds.models import Refund, RefundPolicy
from payments.tenders.models import Tender
from tests.axe import assert_accessible
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import NEW_YORK, CustomerFactory, all_violations, level, line, place
from tests.payments_helpers import card_instruction, wait_for
from tests.returns_helpers import ship, trial_balance, us_zone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal


def toasts_shown(page) -> None:
    """Wait until the message toasts have faded in (axe measures their contrast)."""
    page.wait_for_function("[...document.querySelectorAll('.toast')].every("
                           "toast => getComputedStyle(toast).opacity === '1')")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_a_card_order_is_returned_received_by_scan_restocked_and_refunded_to_the_card(page, sign_in,
                                                                                      payments_worker):
    # Given a delivered phone order of 2 lamps paid by card: authorized, shipped and captured by the worker
    warehouse = WarehouseFactory(code="EAST", address_line="1 Dock Road", city="Newark", region="NJ",
                                 postal_code="07102")
    lamp = SkuFactory(code="LAMP-1", list_price=D("40.00"), barcode="0012345678905")
    stock(lamp, warehouse, 3)
    us_zone()
    RefundPolicy.objects.update_or_create(pk=1, defaults={"approval_threshold": D("100")})
    order = place(lines=[line(lamp, 2)], customer=CustomerFactory(), ship_to=NEW_YORK,
                  payment=[card_instruction()])
    tender = wait_for(lambda: Tender.objects.filter(order=order, status=Tender.Status.AUTHORIZED).first())
    wait_for(lambda: Order.objects.get(pk=order.pk).status == OrderStatus.ALLOCATED)
    order.refresh_from_db()
    ship(order, warehouse)
    wait_for(lambda: Tender.objects.get(pk=tender.pk).captured_amount == D("80.00"))

    # When an agent makes the RMA from the order page
    sign_in("Agent")
    page.goto(order.get_absolute_url())
    page.locator("#returns").wait_for()
    page.locator("#rma-new").click()
    page.wait_for_url(f"**/returns/orders/{order.pk}/new/")
    assert_accessible(page)
    order_line = order.lines.get()
    page.locator(f"#id_quantity_{order_line.pk}").fill("1")
    page.locator(f"#id_reason_{order_line.pk}").select_option("defective")
    page.get_by_role("button", name="Create the RMA").click()
    rma = wait_for(lambda: Rma.objects.first())
    page.wait_for_url(f"**/returns/{rma.pk}/")
    page.locator("#rma-label").wait_for()
    toasts_shown(page)
    assert_accessible(page)
    rma.refresh_from_db()
    assert rma.label is not None and page.locator("#rma-status").get_attribute("data-status") == "requested"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RETURN_REQUESTED

    # and the warehouse scans the parcel's tracking number, then the item, and restocks it
    page.context.clear_cookies()  # sign the agent out
    sign_in("Warehouse")
    page.goto("/returns/receive/")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_code'")
    assert_accessible(page)
    page.keyboard.type(rma.label.tracking_number)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/returns/{rma.pk}/receive/")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_code'")
    assert_accessible(page)
    page.keyboard.type("WRONG-1")
    page.keyboard.press("Enter")
    page.locator('#scan-result [data-accepted="no"]').wait_for()
    page.wait_for_function("document.body.dataset.beeps === '1'")
    assert focused_id(page) == "id_code" and not ReturnReceipt.objects.exists()
    page.locator("#id_condition").fill("Unopened")
    page.locator("#id_code").focus()
    page.keyboard.type("0012345678905")
    page.keyboard.press("Enter")
    page.locator("#rma-done").wait_for()
    assert "Received 1 × LAMP-1: restock." in page.locator("#scan-result").inner_text()
    panel = page.locator("#receive-panel").inner_text()
    assert "$" not in panel and "40.00" not in panel  # the warehouse sees no payment data

    # Then the lamp is back on the shelf at the cost it left with, and the card is refunded 40.00 once
    receipt = ReturnReceipt.objects.get()
    assert (receipt.disposition, receipt.condition, receipt.received_by.groups.get().name) == (
        "restock", "Unopened", "Warehouse")
    assert level(lamp, warehouse) == (2, 0)
    assert StockMovement.objects.get(kind="return").value == D("4.00")
    refund = wait_for(lambda: Refund.objects.filter(order=order, status=Refund.Status.DONE).first())
    tender.refresh_from_db()
    assert (refund.amount, refund.allocations.get().tender_id, tender.refunded_amount) == (
        D("40.00"), tender.pk, D("40.00"))
    assert [item["amount"] for item in gateway.refunds_of_payment_intent(tender.stripe_payment_intent_id)] == [4000]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RETURNED
    assert trial_balance() == 0 and all_violations() == []
