"""Demo inventory for ``make run``: warehouses and stores, stock on hand, purchase orders, reservations.

:func:`seed_inventory` runs after the demo catalog. The opening stock is one receipt movement per
SKU and location, inserted in bulk together with the matching stock levels, so ``on_hand`` (and
``value``) equals the sum of movements from the start, and posted as one opening entry per
location (inventory against opening balance equity). Purchase orders (one or more in every status) and open
reservations then go through the inventory services, so their receipts and holds are what the
app itself would have written. Deterministic (seeded) and idempotent, like the catalog demo.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from catalog.demo import CATEGORIES
from catalog.models import KitComponent, Sku, VendorItem
from inventory.errors import InsufficientStock
from inventory.models import (
    PurchaseOrder, PurchaseOrderLine, Reservation, StockLevel, StockMovement, Warehouse,
)
from inventory.services import (
    purchase_order_cancel, purchase_order_close, purchase_order_create, purchase_order_receive,
    purchase_order_send, stock_reserve,
)
from inventory.postings import movements_post
from inventory.valuation import movement_value
from oms.db import analyze
from oms.demo import DEFAULT_SEED, DEFAULT_STYLES

OPENING_REFERENCE = "opening-balance"
RESERVATION_PREFIX = "demo-order:"

WAREHOUSES = (
    {"code": "EAST", "name": "East Coast Distribution Center", "kind": Warehouse.Kind.WAREHOUSE, "ships": True,
     "allows_pickup": False, "priority": 10, "city": "Columbus", "postal_code": "43219"},
    {"code": "WEST", "name": "West Coast Distribution Center", "kind": Warehouse.Kind.WAREHOUSE, "ships": True,
     "allows_pickup": False, "priority": 20, "city": "Reno", "postal_code": "89502"},
    {"code": "SOUTH", "name": "Dallas Overflow Warehouse", "kind": Warehouse.Kind.WAREHOUSE, "ships": True,
     "allows_pickup": False, "priority": 30, "city": "Dallas", "postal_code": "75241"},
    {"code": "NYC", "name": "SoHo Store", "kind": Warehouse.Kind.STORE, "ships": False,
     "allows_pickup": True, "priority": 50, "city": "New York", "postal_code": "10012"},
    {"code": "BOS", "name": "Newbury Street Store", "kind": Warehouse.Kind.STORE, "ships": False,
     "allows_pickup": True, "priority": 60, "city": "Boston", "postal_code": "02116"},
)
# Share of the stocked SKUs each location carries. Stores carry apparel and gifts only.
COVERAGE = {"EAST": 0.95, "WEST": 0.7, "SOUTH": 0.35, "NYC": 0.25, "BOS": 0.2}
STORE_DEPARTMENTS = ("Apparel", "Gifts")


def is_seeded() -> bool:
    return StockMovement.objects.filter(reference=OPENING_REFERENCE).exists()


def seed_inventory(*, stdout, options: dict) -> None:
    """Create the demo locations, stock, purchase orders and reservations unless they exist.

    ``options``: ``styles`` (the catalog size, which sets how many purchase orders and
    reservations to make) and ``seed``.
    """
    if is_seeded():
        stdout.write("Demo inventory: already loaded.")
        return
    started = time.monotonic()
    styles = int(options.get("styles") or DEFAULT_STYLES)
    rng = random.Random(f"{options.get('seed') or DEFAULT_SEED}-inventory")
    users = {user.username: user for user in get_user_model().objects.filter(
        username__in=("agent", "warehouse", "manager"))}
    with transaction.atomic():
        warehouses = demo_warehouses()
        levels = opening_stock(rng=rng, warehouses=warehouses, user=users.get("warehouse"))
        orders = purchase_orders(rng=rng, warehouses=warehouses, per_status=max(1, styles // 400),
                                 buyer=users.get("manager"), receiver=users.get("warehouse"))
        holds = reservations(rng=rng, warehouses=warehouses, count=max(12, styles // 10), user=users.get("agent"))
    analyze(StockLevel, StockMovement, Reservation, PurchaseOrderLine)
    stdout.write(
        f"Demo inventory: {len(warehouses)} locations, {levels} stock levels, {len(orders)} purchase orders, "
        f"{len({hold.reference for hold in holds})} demo orders holding stock in {time.monotonic() - started:.1f} s."
    )


def demo_warehouses() -> dict[str, Warehouse]:
    """Three distribution centers and two stores, by code (existing ones are kept as they are)."""
    found = {}
    for spec in WAREHOUSES:
        fields = dict(spec)
        found[spec["code"]], _created = Warehouse.objects.get_or_create(code=fields.pop("code"), defaults=fields)
    return found


def opening_stock(*, rng: random.Random, warehouses: dict[str, Warehouse], user) -> int:
    """One receipt movement and the matching stock level per SKU and location, copied in bulk.

    Only this path writes stock without the services: both tables are filled from the same
    list in one transaction, so ``on_hand == sum(movements)`` holds when it commits. COPY
    rather than bulk_create: building tens of thousands of model instances and their INSERT
    would take most of the demo's time.
    """
    skus = list(
        Sku.objects.stocked().exclude(status=Sku.Status.DRAFT).order_by("code")
        .values_list("pk", "cost", "status", "style__category")
    )
    store_categories = _store_categories()
    # The main distribution center always stocks what goes into gift sets, so every kit can sell.
    kit_parts = set(KitComponent.objects.filter(component__is_kit=False).values_list("component_id", flat=True))
    now = timezone.now()
    levels, movements = [], []
    for sku_id, cost, status, category in skus:
        for code, warehouse in warehouses.items():
            is_store = warehouse.kind == Warehouse.Kind.STORE
            if is_store and category not in store_categories:
                continue
            covered = rng.random() < COVERAGE.get(code, 0.5)
            quantity = _opening_quantity(rng, is_store=is_store, is_discontinued=status == Sku.Status.DISCONTINUED)
            if code == "EAST" and sku_id in kit_parts:
                covered, quantity = True, max(quantity, 24)
            if not covered or quantity == 0:
                continue
            value = movement_value(on_hand=0, value=Decimal("0"), quantity=quantity, unit_cost=cost)
            levels.append((sku_id, warehouse.pk, quantity, 0, value, now))
            movements.append((sku_id, warehouse.pk, StockMovement.Kind.RECEIPT.value, quantity, cost, value,
                              "Opening balance", OPENING_REFERENCE, user.pk if user else None, now))
    _copy(StockLevel, ["sku_id", "warehouse_id", "on_hand", "reserved", "value", "updated_at"], levels)
    _copy(StockMovement, ["sku_id", "warehouse_id", "kind", "quantity", "unit_cost", "value", "reason", "reference",
                          "created_by_id", "created_at"], movements)
    # The opening receipts were at standard cost, so that is the average cost so far.
    Sku.objects.filter(pk__in={level[0] for level in levels}).update(average_cost=F("cost"))
    _post_opening_stock(warehouses=warehouses, user=user)
    return len(levels)


def _post_opening_stock(*, warehouses: dict[str, Warehouse], user) -> None:
    """The opening stock's entry, set-based: per warehouse, inventory against opening balance
    equity, for the value of its opening movements (the journal the services would write, in
    one entry per warehouse rather than one per movement)."""
    for warehouse in sorted(warehouses.values(), key=lambda warehouse: warehouse.pk):
        movement_ids = list(StockMovement.objects.filter(warehouse=warehouse, reference=OPENING_REFERENCE)
                            .values_list("pk", flat=True))
        movements_post(movement_ids=movement_ids, source=warehouse, kind="stock.opening", user=user,
                       counter="opening_equity", memo="Opening stock")


def _copy(model, columns: list[str], rows: list[tuple]) -> None:
    quote = connection.ops.quote_name
    statement = f"COPY {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _store_categories() -> set[str]:
    return {category.name for category in CATEGORIES if category.department in STORE_DEPARTMENTS}


def _opening_quantity(rng: random.Random, *, is_store: bool, is_discontinued: bool) -> int:
    if is_discontinued:
        return rng.randint(0, 8)
    if is_store:
        return rng.randint(1, 12)
    draw = rng.random()
    if draw < 0.05:
        return 0  # out of stock
    if draw < 0.25:
        return rng.randint(1, 12)  # running low
    if draw < 0.8:
        return rng.randint(13, 120)
    return rng.randint(121, 600)


def purchase_orders(*, rng: random.Random, warehouses: dict[str, Warehouse], per_status: int, buyer,
                    receiver) -> list[PurchaseOrder]:
    """``per_status`` purchase orders in every status, each taken there through the services."""
    items_by_vendor: dict[int, list[VendorItem]] = defaultdict(list)
    for item in (VendorItem.objects.filter(is_preferred=True, sku__is_kit=False, sku__status=Sku.Status.ACTIVE)
                 .select_related("vendor", "sku").order_by("vendor__code", "sku__code")):
        items_by_vendor[item.vendor_id].append(item)
    vendor_items = [items for _vendor_id, items in sorted(items_by_vendor.items()) if items]
    receiving = [warehouses[code] for code in ("EAST", "WEST", "SOUTH")]
    today = timezone.localdate()
    orders = []
    for index in range(per_status * len(PurchaseOrder.Status)):
        status = list(PurchaseOrder.Status)[index % len(PurchaseOrder.Status)]
        items = vendor_items[index % len(vendor_items)]
        chosen = rng.sample(items, min(len(items), rng.randint(3, 8)))
        vendor = chosen[0].vendor
        order = purchase_order_create(
            vendor=vendor, warehouse=receiving[index % len(receiving)], user=buyer,
            lines=[(item.sku, _order_quantity(rng, item), item.cost) for item in chosen],
            expected_on=today + timedelta(days=vendor.lead_time_days + rng.randint(-3, 10)),
            notes=rng.choice(("", "Replenishment", "Holiday build", "New season launch", "Reorder of best sellers")),
        )
        orders.append(_advance(order, status, rng=rng, buyer=buyer, receiver=receiver))
    return orders


def _order_quantity(rng: random.Random, item: VendorItem) -> int:
    quantity = max(rng.choice((12, 24, 36, 48, 72, 96, 144)), item.minimum_order_quantity)
    return -(-quantity // item.pack_size) * item.pack_size  # whole packs


def _advance(order: PurchaseOrder, status: str, *, rng: random.Random, buyer, receiver) -> PurchaseOrder:
    """Move a draft purchase order to ``status`` the way staff would."""
    Status = PurchaseOrder.Status
    if status == Status.DRAFT:
        return order
    if status == Status.CANCELLED:
        if rng.random() < 0.5:  # cancelled before or after it went to the vendor
            order = purchase_order_send(purchase_order=order, user=buyer)
        return purchase_order_cancel(purchase_order=order, user=buyer)
    order = purchase_order_send(purchase_order=order, user=buyer)
    if status == Status.SENT:
        return order
    lines = list(order.lines.order_by("pk"))
    if status == Status.RECEIVED:
        # Two deliveries: the first half of the lines, then the rest.
        middle = max(1, len(lines) // 2)
        for part in (lines[:middle], lines[middle:]):
            if part:
                purchase_order_receive(purchase_order=order, user=receiver,
                                       quantities={line.pk: line.quantity_ordered for line in part})
    else:
        # Partial: the first line complete, the second short, the rest still to come.
        quantities = {lines[0].pk: lines[0].quantity_ordered}
        if len(lines) > 1:
            quantities[lines[1].pk] = max(1, lines[1].quantity_ordered // 2)
        else:
            quantities[lines[0].pk] = max(1, lines[0].quantity_ordered // 2)
        purchase_order_receive(purchase_order=order, user=receiver, quantities=quantities)
        if status == Status.CLOSED:
            purchase_order_close(purchase_order=order, user=buyer)
    return PurchaseOrder.objects.get(pk=order.pk)


def reservations(*, rng: random.Random, warehouses: dict[str, Warehouse], count: int, user) -> list[Reservation]:
    """``count`` open reservations for demo orders through ``stock_reserve``; one in eight is a kit."""
    shipping = [warehouses["EAST"], warehouses["WEST"]]
    candidates = list(
        StockLevel.objects.filter(warehouse__in=shipping, sku__status=Sku.Status.ACTIVE,
                                  on_hand__gte=F("reserved") + 3)
        .select_related("sku", "warehouse").order_by("sku__code", "warehouse__priority")
    )
    # Kits holding a kit first, so that even a small demo reserves a nested kit.
    nested_ids = set(KitComponent.objects.filter(component__is_kit=True).values_list("kit_id", flat=True))
    kits = sorted(Sku.objects.kits().filter(status=Sku.Status.ACTIVE),
                  key=lambda kit: (kit.pk not in nested_ids, kit.code))
    held: list[Reservation] = []
    for number in range(count):
        reference = f"{RESERVATION_PREFIX}{10001 + number}"
        if number % 8 == 0 and kits:
            kit = kits[(number // 8) % len(kits)]
            for warehouse in shipping:
                try:
                    held += stock_reserve(sku=kit, warehouse=warehouse, quantity=1, reference=reference, user=user)
                    break
                except InsufficientStock:
                    continue
            continue
        level = candidates[rng.randrange(len(candidates))]
        try:
            held += stock_reserve(sku=level.sku, warehouse=level.warehouse, quantity=rng.randint(1, 3),
                                  reference=reference, user=user)
        except InsufficientStock:
            continue  # already held by an earlier demo order
    return held
