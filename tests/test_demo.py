"""seed_demo: the catalog and inventory demo of ``make run``, at a reduced size."""

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Sum

from catalog.demo import personalization_templates
from catalog.models import KitComponent, PersonalizationTemplate, Sku, Style, Vendor, VendorItem
from catalog.services import personalization_validate
from inventory.models import PurchaseOrder, PurchaseOrderLine, Reservation, StockLevel, StockMovement, Warehouse
from oms.invariants import all_violations

pytestmark = pytest.mark.django_db

STYLES = 40


def seed(**options) -> str:
    """seed_demo at a reduced size; the catalog and inventory steps only (orders test their own)."""
    out = StringIO()
    call_command("seed_demo", styles=STYLES, orders=0, stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Style, Sku, KitComponent, PersonalizationTemplate, Vendor, VendorItem, Warehouse, StockLevel,
        StockMovement, Reservation, PurchaseOrder, PurchaseOrderLine)}


def test_seed_demo_builds_every_kind_of_data_that_keeps_the_invariants():
    output = seed()

    assert Style.objects.exclude(category__in=["Gift Sets", "Gift Cards"]).count() == STYLES
    # Gift cards sold as SKUs: plastic and e-gift, no stock, exempt, not returnable.
    cards = Sku.objects.exclude(gift_card="")
    assert set(cards.values_list("gift_card", "tax_class", "is_returnable")) == {
        ("physical", "exempt", False), ("electronic", "exempt", False)}
    assert not StockLevel.objects.filter(sku__in=cards).exists()
    assert Sku.objects.stocked().count() >= 5 * STYLES
    assert Sku.objects.filter(status=Sku.Status.ACTIVE).count() > 0.8 * Sku.objects.count()
    assert not Sku.objects.filter(barcode__isnull=True).exists()
    assert not Sku.objects.stocked().filter(list_price__lte=F("cost")).exists()
    # Kits: max(4, styles / 20) of them, a quarter (at least one) holding another kit.
    kits = Sku.objects.kits()
    assert kits.count() == 4
    assert KitComponent.objects.filter(component__is_kit=True).values("kit").distinct().count() == 1
    assert not kits.annotate(parts=Count("components")).filter(parts__lt=2).exists()
    # Personalization: the three templates, on some SKUs, the name ones not returnable.
    personalized = Sku.objects.filter(personalization_template__isnull=False)
    assert personalized.count() > 0
    assert personalized.filter(is_returnable=False).exists()
    assert set(PersonalizationTemplate.objects.values_list("name", flat=True)) == {
        "Monogram", "Embroidered name", "Engraved name"}
    # Vendors: every stocked SKU has a preferred vendor item.
    assert Vendor.objects.count() == 3
    assert VendorItem.objects.filter(is_preferred=True).count() == Sku.objects.stocked().count()
    # Locations: three distribution centers that ship and two stores for pickup.
    assert sorted(Warehouse.objects.values_list("kind", "ships", "allows_pickup")) == [
        ("store", False, True), ("store", False, True),
        ("warehouse", True, False), ("warehouse", True, False), ("warehouse", True, False)]
    assert not StockLevel.objects.filter(sku__is_kit=True).exists()
    assert StockLevel.objects.aggregate(total=Sum("on_hand"))["total"] > 0
    # Purchase orders: one in every status, with real receipts where something was received.
    assert dict(PurchaseOrder.objects.values_list("status").annotate(n=Count("pk"))) == {
        status: 1 for status in PurchaseOrder.Status.values}
    for status in ("partially_received", "received", "closed"):
        lines = PurchaseOrderLine.objects.filter(purchase_order__status=status)
        received = lines.aggregate(total=Sum("quantity_received"))["total"]
        receipts = StockMovement.objects.filter(purchase_order_line__in=lines).aggregate(total=Sum("quantity"))
        assert received > 0 and receipts["total"] == received, status
    assert not PurchaseOrderLine.objects.filter(
        purchase_order__status="received", quantity_received__lt=F("quantity_ordered")).exists()
    assert PurchaseOrderLine.objects.filter(
        purchase_order__status="partially_received", quantity_received__lt=F("quantity_ordered")).exists()
    # No reservations: they belong to order lines, and the demo orders (none here) make their own.
    assert not Reservation.objects.exists()

    assert all_violations() == []
    call_command("check_invariants", stdout=StringIO())  # raises CommandError on a violation
    assert "Demo catalog:" in output and "Demo inventory:" in output


def test_second_run_changes_nothing():
    seed()
    before = counts()

    output = seed()

    assert counts() == before
    assert "Demo catalog: already loaded." in output
    assert "Demo inventory: already loaded." in output


def test_same_seed_builds_the_same_data():
    def snapshot():
        catalog = list(Sku.objects.order_by("code").values_list("code", "name", "barcode", "list_price", "status"))
        stock = list(StockLevel.objects.order_by("sku__code", "warehouse__code")
                     .values_list("sku__code", "warehouse__code", "on_hand", "reserved"))
        return catalog, stock

    with transaction.atomic():
        seed(seed=7)
        first = snapshot()
        transaction.set_rollback(True)
    seed(seed=7)

    assert snapshot() == first


def test_demo_personalization_templates_validate_as_described():
    templates = personalization_templates()
    monogram, name = templates["Monogram"], templates["Embroidered name"]

    assert personalization_validate(template=monogram, values={"monogram": "JfK", "thread_colour": "Navy"}) == {
        "monogram": "JfK", "thread_colour": "Navy"}
    with pytest.raises(ValidationError) as refused:
        personalization_validate(template=monogram, values={"monogram": "J.K", "thread_colour": "Plaid"})
    assert set(refused.value.message_dict) == {"monogram", "thread_colour"}
    with pytest.raises(ValidationError) as refused:
        personalization_validate(template=name, values={"name": "Bartholomew J.", "thread_colour": "Gold"})
    assert set(refused.value.message_dict) == {"name"}
