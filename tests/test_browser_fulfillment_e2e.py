"""Issue #13's done condition, end to end in one browser test: a phone order paid by a card keyed into
Stripe Elements (localstripe) is waved, picked by scan, packed (slip and label), shipped (captured at the
gateway, stock moved, revenue and COGS posted), tracked to delivered by the beat job's poll, returned
(RMA on the order page, received by scan, restocked) and refunded on the original card. Afterwards the
trial balance is zero and the invariants are clean."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from inventory.models import StockMovement
from orders.fulfillment.carriers.models import CarrierLabel, CarrierRate, CarrierZone
from orders.fulfillment.carriers.tasks import tracking_poll_task
from orders.fulfillment.models import PickWave, Shipment, ShipmentStatus
from orders.fulfillment.services import bin_set
from orders.models import Order, OrderStatus, ReturnReceipt, Rma
from payments import gateway
from payments.refunds.models import Refund, RefundPolicy
from payments.tenders.models import Tender
from tests.ledger_helpers import balance, lines_of
from tests.orders_helpers import all_violations, level
from tests.payments_helpers import captured_at_gateway, wait_for
from tests.pdf_helpers import decoded_barcodes, pdf_text
from tests.returns_helpers import trial_balance
from tests.screens_orders_helpers import entry_world
from tests.test_browser_card_payments import GOOD_CARD, enter_order, key_card, wait_tender
from tests.test_fulfillment_ship import entry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = Decimal


def scan(page, field_id: str, code: str) -> None:
    """A scanner: the field has the focus, the code is typed and Enter pressed."""
    page.wait_for_function(f"document.activeElement && document.activeElement.id === '{field_id}'")
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def pdf_at(page, link) -> bytes:
    """The PDF a link on the page opens, fetched with the page's session."""
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    return response.body()


def sign_in_as(page, sign_in, role: str):
    page.context.clear_cookies()  # whoever was signed in signs out
    return sign_in(role)


def test_a_card_phone_order_is_picked_packed_shipped_delivered_returned_and_refunded(page, sign_in,
                                                                                      payments_worker):
    world = entry_world()
    east, mug = world.east, world.mug
    east.address_line, east.city, east.region, east.postal_code, east.country = (
        "1 Dock Road", "Newark", "NJ", "07102", "US")
    east.save()
    bin_set(sku=mug, warehouse=east, code="A-07")
    # A local courier for the whole US delivering the day it ships (the table-rate carrier's tracking
    # reports delivered once the transit days have passed: none here, so the next poll delivers).
    zone = CarrierZone.objects.create(code="US", name="United States", country="US")
    CarrierRate.objects.create(zone=zone, service="Ground", max_weight_grams=20000, amount=D("7.50"),
                               transit_days=0)
    RefundPolicy.objects.update_or_create(pk=1, defaults={"approval_threshold": D("100")})
    on_hand_before = level(mug, east)[0]

    # An agent takes the phone order: 2 red mugs, the card keyed into Elements; the worker authorizes it
    sign_in("Agent")
    enter_order(page, world)
    key_card(page, GOOD_CARD)
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get()
    (tender,) = wait_tender(order, Tender.Status.AUTHORIZED)
    wait_for(lambda: Order.objects.get(pk=order.pk).status == OrderStatus.ALLOCATED)
    order.refresh_from_db()
    # 2 × 12.00 + shipping 5 + 2 × 1, New York's 8.875 % on both (2.13 + 0.62)
    assert (order.subtotal, order.shipping_total, order.tax_total, order.total) == (
        D("24.00"), D("7.00"), D("2.75"), D("33.75"))

    # The warehouse makes a wave of it and prints the pick list
    picker = sign_in_as(page, sign_in, "Warehouse")
    page.goto("/fulfillment/waves/")
    page.get_by_label("Warehouse").select_option(str(east.pk))
    page.get_by_role("button", name="Create the wave").click()
    page.wait_for_url(re.compile(r"/fulfillment/waves/\d+/$"))
    wave = PickWave.objects.get()
    shipment = Shipment.objects.get(order=order)
    assert shipment.wave_id == wave.pk
    pick_list = pdf_at(page, page.get_by_role("link", name="Print the pick list (PDF)"))
    text = pdf_text(pick_list)
    assert f"Pick list {wave.number} · EAST" in text and "1 order, 2 units" in text
    assert re.search(r"A-07\s*MUG-RED", text) and f"{order.number}-1" in text
    assert decoded_barcodes(pick_list) == [("Code 128", "MUG-RED")]

    # and picks it by scanning the mugs' barcode at the bin
    page.get_by_role("link", name="Scan picks").click()
    page.wait_for_url(f"**/fulfillment/waves/{wave.pk}/scan/")
    assert page.locator("#pick-bin").inner_text() == "A-07"
    scan(page, "scan-code", mug.barcode)
    page.locator("#scan-result", has_text="MUG-RED: 1 of 2 picked.").wait_for()
    scan(page, "scan-code", mug.barcode)
    page.locator("#wave-done").wait_for()

    # At the pack station: the order scanned, each mug scanned, the box closed with its weight
    page.goto("/fulfillment/pack/")
    scan(page, "id_code", order.number)
    page.wait_for_url(f"**/fulfillment/pack/{shipment.pk}/")
    for count in (1, 2):
        scan(page, "pack-code", mug.barcode)
        page.locator("#pack-result", has_text=f"MUG-RED: {count} of 2 packed.").wait_for()
    page.get_by_label("Box").select_option("M")
    page.get_by_label("Weight (g)").fill("1100")
    page.get_by_role("button", name="Close the box").click()
    page.locator("#pack-ship-form").wait_for()
    slip = pdf_text(pdf_at(page, page.locator("#pack-slip-link")))
    assert "Packing slip" in slip and f"Order {order.number} · Shipment {shipment.number}" in slip
    assert re.search(r"1\s*MUG-RED\s*Red mug\s*2", slip) and "Ada Lovelace" in slip
    # the label, bought through the carriers' interface: its barcode is the tracking number
    page.get_by_role("button", name="Buy the label").click()
    page.locator("#pack-label").wait_for()
    label = CarrierLabel.objects.get(shipment=shipment)
    assert f"tracking {label.tracking_number}" in page.locator("#pack-label").inner_text()
    label_pdf = pdf_at(page, page.get_by_role("link", name="Print the label"))
    assert decoded_barcodes(label_pdf) == [("Code 128", label.tracking_number)]
    assert label.tracking_number in pdf_text(label_pdf).replace(" ", "")
    # and the shipment is confirmed
    page.get_by_role("button", name="Confirm: ship it").click()
    page.wait_for_url("**/fulfillment/pack/")
    page.get_by_text(f"Shipment {shipment.number} shipped.").wait_for()

    # Then the card is captured at localstripe for what shipped (the worker, after the commit)
    shipment.refresh_from_db()
    assert (shipment.status, shipment.box, shipment.weight_grams, shipment.tracking_number) == (
        ShipmentStatus.SHIPPED, "M", 1100, label.tracking_number)
    assert (shipment.packed_by, shipment.shipped_by) == (picker, picker)  # who did what, for reporting
    assert set(shipment.lines.values_list("picked_by", flat=True)) == {picker.pk}
    posted = entry(shipment, "order.shipment")
    shipped_amount = lines_of(posted)[0][1]
    assert shipped_amount == order.total
    wait_for(lambda: Tender.objects.get(pk=tender.pk).captured_amount == shipped_amount)
    assert captured_at_gateway(tender.stripe_payment_intent_id) == shipped_amount
    # and the stock moved: two mugs left at their cost, on hand down by two
    assert list(StockMovement.objects.filter(kind="shipment", reference=shipment.number).values_list(
        "sku__code", "warehouse__code", "quantity", "value")) == [("MUG-RED", "EAST", -2, D("-8.00"))]
    assert level(mug, east) == (on_hand_before - 2, 0)
    # and revenue, shipping income and tax posted against the customer's deposit, COGS against inventory
    assert lines_of(posted) == [("2300", D("33.75"), 0), ("4000", 0, D("24.00")), ("4100", 0, D("7.00")),
                                ("2100", 0, D("2.75")), ("1200", 0, D("8.00")), ("5000", D("8.00"), 0)]
    assert balance("4000") == D("-24.00") and balance("5000") == D("8.00")  # nothing else posted to them
    assert all_violations() == []

    # The carrier's tracking (the beat job's poll, run by the worker) says delivered
    assert tracking_poll_task.delay().get(timeout=30) == 1
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    page.goto(order.get_absolute_url())
    page.locator('.status-badge[data-status="delivered"]').first.wait_for()

    # The customer calls: one mug is not needed after all. The agent makes the RMA on the order page
    sign_in_as(page, sign_in, "Agent")
    page.goto(order.get_absolute_url())
    page.locator("#rma-new").click()
    page.wait_for_url(f"**/returns/orders/{order.pk}/new/")
    order_line = order.lines.get()
    page.locator(f"#id_quantity_{order_line.pk}").fill("1")
    page.locator(f"#id_reason_{order_line.pk}").select_option("not_needed")
    page.get_by_role("button", name="Create the RMA").click()
    rma = wait_for(lambda: Rma.objects.first())
    page.wait_for_url(f"**/returns/{rma.pk}/")
    page.locator("#rma-label").wait_for()
    rma.refresh_from_db()

    # The warehouse receives the parcel by its tracking number, then the mug, and restocks it
    receiver = sign_in_as(page, sign_in, "Warehouse")
    page.goto("/returns/receive/")
    scan(page, "id_code", rma.label.tracking_number)
    page.wait_for_url(f"**/returns/{rma.pk}/receive/")
    page.get_by_label("Inspection").fill("Unopened")
    page.locator("#id_code").focus()
    scan(page, "id_code", mug.barcode)
    page.locator("#rma-done").wait_for()
    assert "Received 1 × MUG-RED: restock." in page.locator("#scan-result").inner_text()
    receipt = ReturnReceipt.objects.get()
    assert (receipt.disposition, receipt.condition, receipt.received_by) == ("restock", "Unopened", receiver)
    returned = StockMovement.objects.filter(kind="return").values_list("sku__code", "quantity", "value")
    assert list(returned) == [("MUG-RED", 1, D("4.00"))]  # back at the cost it left with
    assert level(mug, east) == (on_hand_before - 1, 0)

    # Then the mug and its tax (12.00 + 1.07) are refunded on the original card at localstripe, once
    refund = wait_for(lambda: Refund.objects.filter(order=order, status=Refund.Status.DONE).first())
    tender.refresh_from_db()
    assert (refund.amount, refund.allocations.get().tender_id, tender.refunded_amount) == (
        D("13.07"), tender.pk, D("13.07"))
    refunds_at_gateway = gateway.refunds_of_payment_intent(tender.stripe_payment_intent_id)
    assert [item["amount"] for item in refunds_at_gateway] == [1307]
    assert Order.objects.get(pk=order.pk).status == OrderStatus.RETURNED

    # and the books balance, and every invariant holds
    assert trial_balance() == 0
    assert all_violations() == []
