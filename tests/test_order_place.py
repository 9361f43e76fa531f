"""order_place: one service for every channel; validation first, exact amounts, idempotent per channel id."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import Reservation
from marketing.models import (
    Campaign,
    Coupon,
    PriceList,
    PriceListEntry,
    Promotion,
    PromotionUsage,
    SourceCode,
)
from marketing.services import promotion_redeem
from orders import hooks
from orders.hooks import PaymentCheckFailure
from orders.models import Hold, Order, OrderEvent, OrderStatus
from orders.services import OrderError, order_place
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import (
    CALIFORNIA,
    NEW_YORK,
    OREGON,
    TORONTO,
    VANCOUVER,
    CustomerFactory,
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
    return WarehouseFactory(code="EAST", priority=10)


@pytest.fixture
def shirt(warehouse):
    sku = SkuFactory(code="SHIRT-M", list_price=Decimal("19.99"))
    stock(sku, warehouse, 10)
    return sku


@pytest.fixture
def socks(warehouse):
    sku = SkuFactory(code="SOCKS", list_price=Decimal("5.00"))
    stock(sku, warehouse, 10)
    return sku


def status_trail(order) -> list[str]:
    return list(order.events.filter(kind=OrderEvent.Kind.STATUS).order_by("pk").values_list("to_status",
                                                                                            flat=True))


# --- the happy path -------------------------------------------------------------------------------


def test_phone_order_is_priced_taxed_reserved_and_allocated(shirt, socks, warehouse):
    tax_rates()
    customer = CustomerFactory()

    order = place(customer=customer, lines=[line(shirt, 2), line(socks, 3)], shipping_method=ground())

    assert order.status == OrderStatus.ALLOCATED
    assert order.number.isdigit()
    assert (order.subtotal, order.discount_total, order.shipping_total, order.tax_total, order.total) == (
        Decimal("54.98"), Decimal("0"), Decimal("10.00"), Decimal("5.77"), Decimal("70.75"))
    shirt_line, socks_line = order.lines.order_by("line_number")
    assert (shirt_line.unit_price, shirt_line.tax_amount, shirt_line.line_total) == (
        Decimal("19.99"), Decimal("3.55"), Decimal("43.53"))
    assert (socks_line.unit_price, socks_line.tax_amount, socks_line.line_total) == (
        Decimal("5.00"), Decimal("1.33"), Decimal("16.33"))
    shipping_tax = Decimal("0.89")
    assert shirt_line.line_total + socks_line.line_total + order.shipping_total + shipping_tax == order.total
    assert order.pricing["shipping"] == {"method": "GROUND", "base_charge": "10.00", "discount": "0.00",
                                         "charge": "10.00", "tax": "0.89"}
    assert order.ship_to["region"] == "NY" and order.bill_to == order.ship_to
    assert status_trail(order) == ["placed", "released", "allocated"]
    assert level(shirt, warehouse) == (10, 2) and level(socks, warehouse) == (10, 3)
    assert set(Reservation.objects.values_list("reference", flat=True)) == {
        f"order:{order.pk}:line:{shirt_line.pk}", f"order:{order.pk}:line:{socks_line.pk}"}
    assert all_violations() == []


@pytest.mark.parametrize("channel, external_id, options", [
    ("phone", None, {}),
    ("web", "W-1001", {}),
    ("marketplace:amazon", "114-3941689-8772232", {}),
    ("pos", "POS-7-0042", {}),
    ("store", None, {"fulfillment": "pickup"}),
])
def test_every_channel_places_through_the_same_service(shirt, warehouse, channel, external_id, options):
    store = None
    if options.get("fulfillment") == "pickup":
        store = WarehouseFactory(code="STORE1", kind="store", ships=False, allows_pickup=True,
                                 postal_code="10001",
                                 city="New York")
        stock(shirt, store, 2)

    order = place(channel=channel, external_id=external_id, lines=[line(shirt, 1)],
                  fulfillment_type="pickup" if store else "ship", pickup_warehouse=store)

    assert (order.channel, order.external_id, order.status) == (channel, external_id, OrderStatus.ALLOCATED)
    assert order.events.filter(kind=OrderEvent.Kind.STATUS, to_status="placed").get().message.endswith(
        f"the {channel} channel.")
    assert order.lines.get().allocations.get().warehouse == (store or warehouse)
    assert all_violations() == []


# --- refusals: nothing written ---------------------------------------------------------------------------


def test_unknown_channel_no_lines_and_bad_quantities_are_refused_with_nothing_written(shirt):
    draft = SkuFactory(status="draft")
    before = table_counts()

    with pytest.raises(OrderError) as refused:
        place(channel="fax", lines=[line(shirt, 0), line(draft, 1)])

    assert set(refused.value.field_errors) == {"channel", "lines-0-quantity", "lines-1-sku"}
    with pytest.raises(OrderError) as empty:
        place(lines=[])
    assert empty.value.field_errors == {"lines": ["Add at least one line."]}
    assert table_counts() == before


def test_personalization_errors_refuse_the_order_and_nothing_is_written(shirt):
    from catalog.models import PersonalizationField, PersonalizationTemplate

    monogram = PersonalizationTemplate.objects.create(name="Monogram", price_addon=Decimal("7.50"))
    PersonalizationField.objects.create(template=monogram, key="initials", label="Initials", max_length=3,
                                        allowed_characters="ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    PersonalizationField.objects.create(template=monogram, key="thread", label="Thread", kind="choice",
                                        choices=["Navy", "Gold"])
    towel = SkuFactory(code="TOWEL", list_price=Decimal("30.00"), personalization_template=monogram)
    before = table_counts()

    with pytest.raises(OrderError) as refused:
        place(lines=[line(shirt, 1), line(towel, 1, initials="abcd", thread="Pink"), line(shirt, 1,
                                                                                          name="Bo")])

    assert refused.value.field_errors == {
        "lines-1-personalization-initials": ["Initials can be at most 3 characters (it has 4)."],
        "lines-1-personalization-thread": ["Thread must be one of: Navy, Gold."],
        "lines-2-personalization": [f"{shirt.code} cannot be personalized."],
    }
    assert table_counts() == before

    order = place(lines=[line(towel, 2, initials="ABC", thread="Gold")])

    towel_line = order.lines.get()
    assert towel_line.personalization == {"initials": "ABC", "thread": "Gold"}
    assert (towel_line.unit_price, towel_line.personalization_amount, towel_line.line_total) == (
        Decimal("30.00"), Decimal("7.50"), Decimal("75.00"))
    assert towel_line.quantity_allocated == 0 and order.status == OrderStatus.RELEASED  # no towels in stock


@pytest.mark.parametrize("address, field, message", [
    (NEW_YORK | {"postal_code": "1011"}, "ship_postal_code", "1011 is not a valid ZIP code for NY (for "),
    (NEW_YORK | {"postal_code": "94105"}, "ship_postal_code", "94105 is not a valid ZIP code for NY"),
    (TORONTO | {"postal_code": "12345"}, "ship_postal_code", "12345 is not a valid postal code for ON"),
    (NEW_YORK | {"country": "XX"}, "ship_country", "XX is not a country we know"),
    (NEW_YORK | {"region": "Gotham"}, "ship_region", "Gotham is not a state of"),
])
def test_phone_entry_refuses_an_invalid_address(shirt, address, field, message):
    before = table_counts()

    with pytest.raises(OrderError) as refused:
        place(lines=[line(shirt, 1)], ship_to=address, shipping_method=priority_mail())

    assert refused.value.field_errors[field][0].startswith(message)
    assert table_counts() == before


def test_an_outside_channel_order_with_a_bad_address_is_taken_and_held(shirt, warehouse):
    order = place(channel="web", external_id="W-9", lines=[line(shirt, 2)],
                  ship_to=NEW_YORK | {"postal_code": "999"})

    hold = order.holds.get()
    assert (order.status, hold.reason, hold.is_open,
            hold.created_by) == (OrderStatus.ON_HOLD, Hold.Reason.ADDRESS,
                                                                          True, None)
    assert "999 is not a valid ZIP code" in hold.note
    assert level(shirt, warehouse) == (10, 2)  # the goods wait for the customer
    assert status_trail(order) == ["placed", "on_hold"]
    assert all_violations() == []


@pytest.mark.parametrize("line1", ["PO Box 1234", "P.O. Box 77", "Post Office Box 9", "POB 12", "pobox 5"])
def test_a_po_box_is_refused_for_a_ground_method_and_accepted_for_the_mail(shirt, line1):
    address = NEW_YORK | {"line1": line1}
    before = table_counts()

    with pytest.raises(OrderError) as refused:
        place(lines=[line(shirt, 1)], ship_to=address, shipping_method=ground())

    assert refused.value.field_errors == {"shipping_method": [
        "Ground cannot deliver to a PO box: give a street address or choose another method."]}
    assert table_counts() == before
    assert place(lines=[line(shirt, 1)], ship_to=address,
                 shipping_method=priority_mail()).status == "allocated"


def test_a_method_that_does_not_serve_the_country_is_refused_by_phone_and_held_from_the_web(shirt):
    with pytest.raises(OrderError) as refused:
        place(lines=[line(shirt, 1)], ship_to=TORONTO, shipping_method=ground())
    assert refused.value.field_errors["shipping_method"] == ["Ground does not deliver to CA (only to US)."]

    held = place(channel="web", external_id="W-CA", lines=[line(shirt, 1)],
                 ship_to=TORONTO | {"line1": "PO Box 3"},
                 shipping_method=ground())
    assert held.holds.get().note == ("Ground does not deliver to CA (only to US). Ground cannot deliver to a "
                                     "PO box: give a street address or choose another method.")


# --- tax ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address, method, line_tax, shipping, shipping_tax", [
    (NEW_YORK, "ground", "8.88", "6.00", "0.53"),  # 8.875 %, shipping taxed
    (CALIFORNIA, "ground", "7.25", "6.00", "0.00"),  # 7.25 %, shipping not taxed
    (OREGON, "ground", "0.00", "6.00", "0.00"),  # no sales tax
    (VANCOUVER, "priority", "12.00", "8.00", "0.40"),  # GST 5 % + BC PST 7 %; GST alone on shipping
    (TORONTO, "priority", "5.00", "8.00", "0.40"),  # GST only (no Ontario row here)
])
def test_tax_by_state_and_country(warehouse, address, method, line_tax, shipping, shipping_tax):
    tax_rates()
    lamp = SkuFactory(list_price=Decimal("100.00"))
    stock(lamp, warehouse, 1)

    order = place(lines=[line(lamp, 1)], ship_to=address, shipping_method=ground() if method == "ground"
                  else priority_mail())

    lamp_line = order.lines.get()
    assert lamp_line.tax_amount == Decimal(line_tax)
    assert order.shipping_total == Decimal(shipping)
    assert order.tax_total == Decimal(line_tax) + Decimal(shipping_tax)
    assert order.total == Decimal("100.00") + Decimal(shipping) + Decimal(line_tax) + Decimal(shipping_tax)
    assert order.pricing["shipping"]["tax"] == shipping_tax


def test_tax_exempt_customers_and_zero_rated_skus_pay_no_tax(warehouse):
    tax_rates()
    book, lamp = SkuFactory(list_price=Decimal("20.00"),
                            tax_class="zero"), SkuFactory(list_price=Decimal("100.00"))
    stock(book, warehouse, 5)
    stock(lamp, warehouse, 5)

    exempt = place(customer=CustomerFactory(is_tax_exempt=True, tax_exempt_number="NY-123"),
                   lines=[line(lamp, 1)], shipping_method=ground())
    mixed = place(lines=[line(book, 1), line(lamp, 1)], shipping_method=ground())

    assert (exempt.tax_total, exempt.total) == (Decimal("0"), Decimal("106.00"))
    assert exempt.pricing["tax"]["exempt"] is True
    assert [row.tax_amount for row in mixed.lines.order_by("line_number")] == [
        Decimal("0.00"), Decimal("8.88")]
    assert mixed.tax_total == Decimal("8.88") + Decimal("0.62")  # 7.00 shipping × 8.875 %


# --- idempotency --------------------------------------------------------------------------------------------


def test_the_same_channel_order_submitted_twice_is_created_once(shirt, warehouse):
    first = place(channel="marketplace:ebay", external_id="E-1", lines=[line(shirt, 2)])
    counts = table_counts()

    again = place(channel="marketplace:ebay", external_id="E-1", lines=[line(shirt, 2)])
    other_channel = place(channel="web", external_id="E-1", lines=[line(shirt, 1)])

    assert again.pk == first.pk
    assert other_channel.pk != first.pk
    assert level(shirt, warehouse) == (10, 3)
    assert Order.objects.filter(channel="marketplace:ebay").count() == 1
    assert table_counts()["Order"] == counts["Order"] + 1


def test_a_submission_racing_past_the_lookup_gets_the_order_the_unique_index_kept(shirt, warehouse,
                                                                                  monkeypatch):
    first = place(channel="web", external_id="W-RACE", lines=[line(shirt, 1)])
    counts = table_counts()
    monkeypatch.setattr("orders.services.entry._existing_order", lambda channel, external_id: None)

    again = place(channel="web", external_id="W-RACE", lines=[line(shirt, 1)])

    assert again.pk == first.pk
    assert table_counts() == counts
    assert level(shirt, warehouse) == (10, 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_channel_order_create_it_once():
    warehouse = WarehouseFactory()
    shirt = SkuFactory(list_price=Decimal("19.99"))
    stock(shirt, warehouse, 10)
    customer = CustomerFactory()
    threads, results, errors = 4, [], []
    barrier = threading.Barrier(threads)

    def submit():
        try:
            barrier.wait(timeout=10)
            results.append(order_place(user=None, channel="marketplace:amazon", external_id="A-77",
                                       customer=customer, lines=[line(shirt, 3)], ship_to=NEW_YORK).pk)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=submit) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert errors == []
    assert len(results) == threads and len(set(results)) == 1
    assert Order.objects.count() == 1
    assert level(shirt, warehouse) == (10, 3)
    assert all_violations() == []


# --- promotions ---------------------------------------------------------------------------------------------


def test_source_code_prices_and_a_limited_coupon_are_snapshotted_and_redeemed_once(shirt, socks):
    campaign = Campaign.objects.create(code="SPRING", name="Spring catalog")
    prices = PriceList.objects.create(code="SPRING-PL", name="Spring prices")
    PriceListEntry.objects.create(price_list=prices, sku=shirt, price=Decimal("15.00"))
    SourceCode.objects.create(code="SP26A", campaign=campaign, price_list=prices)
    ten_off = Promotion.objects.create(name="10 % off with a coupon", kind="percent_off", target="order",
                                       percent=Decimal("10"), requires_coupon=True)
    Coupon.objects.create(code="TENOFF", promotion=ten_off, max_uses=1)

    order = place(lines=[line(shirt, 2), line(socks, 1)], source_code="sp26a", coupons=["tenoff"])
    second = place(lines=[line(shirt, 2), line(socks, 1)], source_code="SP26A", coupons=["TENOFF"])

    assert (order.source_code, order.coupons) == ("SP26A", ["TENOFF"])
    assert [(row.unit_price, row.discount_amount) for row in order.lines.order_by("line_number")] == [
        (Decimal("15.00"), Decimal("3.00")), (Decimal("5.00"), Decimal("0.50"))]
    assert (order.subtotal, order.discount_total,
            order.total) == (Decimal("35.00"), Decimal("3.50"), Decimal("31.50"))
    assert order.pricing["price_list"] == "SPRING-PL"
    assert [discount["label"] for discount in order.pricing["discounts"]] == ["10 % off with a coupon"]
    assert order.pricing["redeemed"] == [[ten_off.pk, "TENOFF"]]
    assert PromotionUsage.objects.get().order_reference == order.number
    ten_off.refresh_from_db()
    assert ten_off.uses_count == 1
    assert second.discount_total == Decimal("0") and second.pricing["coupons_rejected"][0][0] == "TENOFF"
    assert all_violations() == []


def test_a_promotion_used_up_while_the_order_was_priced_is_repriced_without_it(shirt, monkeypatch):
    last_use = Promotion.objects.create(name="First order 20 % off", kind="percent_off",
                                        percent=Decimal("20"),
                                        max_uses=1)
    from orders.services import pricing

    real_load = pricing.load_pricing_data
    calls = []

    def load_then_lose_the_race(request):
        data = real_load(request)
        if not calls:  # another order takes the last use between our pricing and our redemption
            promotion_redeem(redemptions=[(last_use.pk, "")], customer_id=None, order_reference="OTHER-1",
                             user=None)
        calls.append(request)
        return data

    monkeypatch.setattr(pricing, "load_pricing_data", load_then_lose_the_race)

    order = place(lines=[line(shirt, 1)])

    assert len(calls) == 2
    assert (order.discount_total, order.total) == (Decimal("0"), Decimal("19.99"))
    assert order.lines.get().line_total == Decimal("19.99")
    assert order.pricing["redeemed"] == []
    assert list(PromotionUsage.objects.values_list("order_reference", flat=True)) == ["OTHER-1"]
    assert order.events.filter(message__contains="has been used up").exists()
    assert order.status == OrderStatus.ALLOCATED
    assert all_violations() == []


def test_a_free_gift_becomes_a_line_of_its_own_and_is_reserved(shirt, warehouse):
    tote = SkuFactory(code="TOTE", list_price=Decimal("12.00"))
    stock(tote, warehouse, 5)
    Promotion.objects.create(name="Free tote", kind="free_gift", gift_sku=tote)

    order = place(lines=[line(shirt, 1)])

    gift = order.lines.get(line_number=2)
    assert (gift.sku, gift.quantity, gift.discount_amount, gift.line_total) == (
        tote, 1, Decimal("12.00"), Decimal("0.00"))
    assert order.pricing["gift_lines"] == [2]
    assert level(tote, warehouse) == (5, 1)
    assert order.total == Decimal("19.99")
    assert all_violations() == []


# --- payment checks -----------------------------------------------------------------------------------------


@pytest.fixture
def failing_payment_check():
    def check(order, payment):
        if order.total > Decimal("30"):
            return PaymentCheckFailure(note="Over the credit limit.")
        return None

    hooks.on_payment_check(check)
    yield check
    hooks.remove_payment_check(check)


def test_a_failing_payment_check_puts_a_payment_hold(shirt, warehouse, failing_payment_check):
    small = place(lines=[line(shirt, 1)])
    large = place(lines=[line(shirt, 2)])

    assert small.status == OrderStatus.ALLOCATED and not small.holds.exists()
    hold = large.holds.get()
    assert (large.status, hold.reason,
            hold.note) == (OrderStatus.ON_HOLD, "payment", "Over the credit limit.")
    assert level(shirt, warehouse) == (10, 3)
    assert all_violations() == []


def test_a_segment_promotion_applies_once_the_customer_is_in_the_segment(shirt):
    from marketing.models import Segment

    regulars = Segment.objects.create(code="regulars", name="Regulars", min_order_count=1, channel="phone")
    loyalty = Promotion.objects.create(name="Regulars 10 %", kind="percent_off", percent=Decimal("10"))
    loyalty.segments.add(regulars)
    customer = CustomerFactory()

    first = place(customer=customer, lines=[line(shirt, 1)])
    second = place(customer=customer, lines=[line(shirt, 1)])
    from_the_web = place(customer=CustomerFactory(), channel="web", lines=[line(shirt, 1)])

    assert (first.discount_total, second.discount_total) == (Decimal("0"), Decimal("2.00"))
    assert from_the_web.discount_total == Decimal("0")
