"""Demo catalog for ``make run``: a catalog retailer's apparel, home and gift ranges.

:func:`seed_catalog` creates styles with their SKUs along realistic option axes (size, colour,
scent...), barcodes, weights, costs and prices; personalization templates (monogram, name,
thread colour) on the SKUs that are usually personalized; kits, some of which contain another
kit; gift cards sold as SKUs (plastic and e-gift); and vendors with the SKUs they supply. The
data is drawn from a seeded random generator, so every run with the same options builds the
same catalog, and it is inserted in bulk in one transaction, so the full size (2,000 styles,
over 10,000 SKUs) loads in seconds.
"""

from __future__ import annotations

import random
import string
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from catalog.models import (
    KitComponent, PersonalizationField, PersonalizationTemplate, Sku, Style, Vendor, VendorItem,
)
from oms.db import analyze
from oms.demo import DEFAULT_SEED, DEFAULT_STYLES


# Style numbers: regular styles from 100001, kits (gift sets) from 800001.
FIRST_STYLE_NUMBER = 100001
FIRST_KIT_NUMBER = 800001
# The gift cards' style (after the kits' numbers) and its SKUs: (code, format, kind, amount).
GIFT_CARD_STYLE = "900001"
GIFT_CARDS = (("P25", "Plastic", Sku.GiftCard.PHYSICAL, 25), ("P50", "Plastic", Sku.GiftCard.PHYSICAL, 50),
              ("E25", "E-gift", Sku.GiftCard.ELECTRONIC, 25), ("E100", "E-gift", Sku.GiftCard.ELECTRONIC, 100))
# GS1 company prefix of the demo retailer; a SKU's UPC-A is the prefix, a 5-digit item number, a check digit.
UPC_COMPANY_PREFIX = "084629"

CENT = Decimal("0.01")
GRAM = Decimal("0.001")

# --- what the catalog is made of ---------------------------------------------------------------

COLLECTIONS = (
    "Harbor", "Nantucket", "Cape", "Bayside", "Heritage", "Lakeside", "Summit", "Willow", "Meadow",
    "Coastal", "Alpine", "Evergreen", "Cottage", "Portside", "Mariner", "Birchwood", "Highland",
    "Sandpiper", "Juniper", "Prairie", "Chatham", "Kennebunk", "Aspen", "Saltmarsh",
)

COLOURS = (
    ("Navy", "NVY"), ("White", "WHT"), ("Black", "BLK"), ("Heather Grey", "HGR"), ("Red", "RED"),
    ("Forest Green", "FGN"), ("Oatmeal", "OAT"), ("Camel", "CML"), ("Sky Blue", "SKY"), ("Pink", "PNK"),
    ("Sage", "SAG"), ("Charcoal", "CHR"), ("Burgundy", "BUR"), ("Ivory", "IVR"), ("Slate", "SLT"),
    ("Mustard", "MUS"), ("Coral", "COR"), ("Olive", "OLV"), ("Denim", "DNM"), ("Natural", "NAT"),
)
ADULT_SIZES = (("XS", "XS"), ("S", "S"), ("M", "M"), ("L", "L"), ("XL", "XL"), ("XXL", "2XL"))
WAIST_SIZES = tuple((str(waist), str(waist)) for waist in range(28, 42, 2))
KIDS_SIZES = (("2T", "2T"), ("3T", "3T"), ("4", "K4"), ("5", "K5"), ("6", "K6"), ("8", "K8"), ("10", "K10"),
              ("12", "K12"), ("14", "K14"))
SHOE_SIZES = tuple((f"{size / 2:g}", f"{size * 5:03d}") for size in range(12, 27))  # 6 to 13 in half sizes
TOWEL_SIZES = (("Wash cloth", "WSH"), ("Hand", "HND"), ("Bath", "BTH"), ("Bath sheet", "SHT"))
BED_SIZES = (("Twin", "TW"), ("Full", "FL"), ("Queen", "QN"), ("King", "KG"), ("California King", "CK"))
PACK_SIZES = (("Small", "SM"), ("Medium", "MD"), ("Large", "LG"), ("Deluxe", "DLX"))
PET_SIZES = (("Small", "S"), ("Medium", "M"), ("Large", "L"))
SCENTS = (("Balsam Fir", "BAL"), ("Sea Salt", "SEA"), ("Lavender", "LAV"), ("Cedarwood", "CED"),
          ("Citrus Grove", "CIT"), ("Vanilla Bean", "VAN"), ("Cranberry", "CRN"), ("Fresh Linen", "LIN"))
FINISHES = (("Gold", "GLD"), ("Silver", "SLV"), ("Rose Gold", "RSG"))

THREAD_COLOURS = ["Navy", "White", "Gold", "Red", "Black", "Hunter Green", "Pink", "Silver"]
LETTERS = string.ascii_uppercase + string.ascii_lowercase

MONOGRAM, EMBROIDERED_NAME, ENGRAVED_NAME = "Monogram", "Embroidered name", "Engraved name"


@dataclass(frozen=True)
class Axis:
    name: str
    values: tuple[tuple[str, str], ...]  # (label, code)
    pick: tuple[int, int]  # how many values a style offers, at least and at most
    contiguous: bool = False  # sizes come as a run (S-XL), colours as any selection


@dataclass(frozen=True)
class Category:
    name: str
    department: str
    nouns: tuple[str, ...]
    axes: tuple[Axis, ...]
    price: tuple[int, int]  # list price range in whole currency units
    weight_kg: tuple[float, float]
    share: int  # how many of every 100 styles belong here
    personalized: dict[str, str] = field(default_factory=dict)  # noun -> personalization template name
    tax_class: str = Sku.TaxClass.STANDARD
    is_returnable: bool = True


def _colour(pick: tuple[int, int]) -> Axis:
    return Axis("colour", COLOURS, pick)


def _size(values, pick: tuple[int, int]) -> Axis:
    return Axis("size", values, pick, contiguous=True)


CATEGORIES: tuple[Category, ...] = (
    # Apparel
    Category("Women's Tops", "Apparel",
             ("Boatneck Tee", "Striped Breton Top", "Linen Tunic", "Pima Cotton Tee", "Silk Shell", "Wrap Blouse",
              "Ribbed Tank", "Poplin Shirt"),
             (_size(ADULT_SIZES, (4, 5)), _colour((2, 4))), (24, 89), (0.15, 0.4), 9),
    Category("Men's Shirts", "Apparel",
             ("Oxford Shirt", "Flannel Shirt", "Chambray Shirt", "Piqué Polo", "Henley", "Pocket Tee",
              "Seersucker Shirt", "Linen Camp Shirt"),
             (_size(ADULT_SIZES, (4, 6)), _colour((2, 4))), (29, 98), (0.2, 0.45), 9,
             personalized={"Oxford Shirt": MONOGRAM}),
    Category("Sweaters", "Apparel",
             ("Cable-Knit Crewneck", "Merino V-Neck", "Cashmere Cardigan", "Fisherman Sweater",
              "Quarter-Zip Pullover", "Shawl-Collar Cardigan"),
             (_size(ADULT_SIZES, (4, 5)), _colour((2, 3))), (59, 189), (0.35, 0.9), 7,
             personalized={"Fisherman Sweater": MONOGRAM}),
    Category("Outerwear", "Apparel",
             ("Barn Jacket", "Quilted Vest", "Rain Shell", "Down Parka", "Fleece Jacket", "Waxed Cotton Jacket",
              "Wool Peacoat"),
             (_size(ADULT_SIZES, (4, 6)), _colour((2, 3))), (89, 299), (0.5, 1.8), 6),
    Category("Pants & Shorts", "Apparel",
             ("Flat-Front Chino", "Five-Pocket Jean", "Cargo Short", "Pull-On Pant", "Corduroy Trouser",
              "Canvas Work Pant"),
             (_size(WAIST_SIZES, (4, 6)), _colour((2, 3))), (39, 98), (0.3, 0.8), 6),
    Category("Sleepwear", "Apparel",
             ("Flannel Pajama Set", "Waffle Robe", "Sleep Shirt", "Plush Robe", "Cotton Nightgown"),
             (_size(ADULT_SIZES, (3, 5)), _colour((2, 3))), (39, 119), (0.3, 1.2), 5,
             personalized={"Waffle Robe": MONOGRAM, "Plush Robe": MONOGRAM}),
    Category("Kids", "Apparel",
             ("Graphic Tee", "Rash Guard", "Fleece Hoodie", "Puffer Jacket", "Pajama Set", "Swim Trunk"),
             (_size(KIDS_SIZES, (4, 6)), _colour((2, 3))), (16, 69), (0.1, 0.6), 6,
             personalized={"Fleece Hoodie": EMBROIDERED_NAME}),
    Category("Footwear", "Apparel",
             ("Boat Shoe", "Shearling Slipper", "Canvas Sneaker", "Rain Boot", "Leather Moccasin"),
             (_size(SHOE_SIZES, (5, 8)), _colour((1, 2))), (49, 159), (0.5, 1.4), 4),
    Category("Accessories", "Apparel",
             ("Canvas Tote", "Leather Belt", "Cable-Knit Beanie", "Cashmere Scarf", "Baseball Cap",
              "Weekender Bag"),
             (_colour((2, 4)),), (19, 149), (0.1, 1.3), 6,
             personalized={"Canvas Tote": MONOGRAM, "Weekender Bag": MONOGRAM}),
    # Home
    Category("Bath", "Home",
             ("Turkish Cotton Towel", "Waffle Towel", "Plush Bath Mat", "Striped Beach Towel",
              "Hooded Kids Towel"),
             (_size(TOWEL_SIZES, (2, 4)), _colour((3, 5))), (9, 69), (0.1, 1.2), 6,
             personalized={"Turkish Cotton Towel": MONOGRAM, "Striped Beach Towel": EMBROIDERED_NAME,
                           "Hooded Kids Towel": EMBROIDERED_NAME}),
    Category("Bedding", "Home",
             ("Percale Sheet Set", "Sateen Duvet Cover", "Quilted Coverlet", "Flannel Sheet Set",
              "Linen Pillowcase Pair", "Down Alternative Comforter"),
             (_size(BED_SIZES, (3, 5)), _colour((2, 4))), (49, 279), (0.8, 3.5), 6,
             personalized={"Linen Pillowcase Pair": MONOGRAM}),
    Category("Kitchen & Dining", "Home",
             ("Stoneware Mug", "Enamel Dutch Oven", "Linen Napkin Set", "Olivewood Cutting Board",
              "Glass Tumbler Set", "Cast Iron Skillet"),
             (_colour((1, 4)),), (12, 189), (0.3, 5.0), 5,
             personalized={"Olivewood Cutting Board": ENGRAVED_NAME}),
    Category("Decor", "Home",
             ("Cable-Knit Throw", "Needlepoint Pillow", "Woven Seagrass Basket", "Hurricane Lantern",
              "Coir Doormat"),
             (_colour((1, 3)),), (24, 149), (0.4, 3.0), 4,
             personalized={"Coir Doormat": ENGRAVED_NAME}),
    Category("Outdoor", "Home",
             ("Adirondack Chair", "Wool Picnic Blanket", "Rope Hammock", "Insulated Cooler Bag"),
             (_colour((1, 3)),), (29, 329), (0.8, 12.0), 3),
    Category("Pets", "Home",
             ("Bolster Pet Bed", "Leather Dog Collar", "Ceramic Pet Bowl"),
             (_size(PET_SIZES, (2, 3)), _colour((1, 3))), (14, 129), (0.2, 2.5), 3,
             personalized={"Bolster Pet Bed": EMBROIDERED_NAME, "Leather Dog Collar": ENGRAVED_NAME}),
    # Gifts
    Category("Food Gifts", "Gifts",
             ("Maple Syrup Sampler", "Chocolate Truffle Box", "Holiday Cookie Tin", "Smoked Salmon Gift",
              "Coffee Sampler", "Caramel Popcorn Tin"),
             (_size(PACK_SIZES, (2, 4)),), (19, 99), (0.3, 2.5), 5,
             tax_class=Sku.TaxClass.REDUCED, is_returnable=False),
    Category("Candles & Fragrance", "Gifts",
             ("Soy Candle", "Reed Diffuser", "Hand Soap", "Room Spray"),
             (Axis("scent", SCENTS, (3, 6)),), (12, 59), (0.2, 0.9), 4),
    Category("Stationery", "Gifts",
             ("Leather Journal", "Correspondence Cards", "Desk Calendar", "Fountain Pen Set"),
             (_colour((1, 3)),), (14, 89), (0.1, 0.8), 3,
             personalized={"Leather Journal": MONOGRAM, "Correspondence Cards": EMBROIDERED_NAME}),
    Category("Toys & Games", "Gifts",
             ("Wooden Puzzle", "Plush Bear", "Wooden Board Game", "Building Blocks"),
             (), (16, 79), (0.2, 1.5), 2),
    Category("Jewelry", "Gifts",
             ("Initial Pendant", "Bar Necklace", "Cuff Bracelet", "Stud Earrings"),
             (Axis("finish", FINISHES, (2, 3)),), (29, 149), (0.02, 0.1), 1,
             personalized={"Initial Pendant": ENGRAVED_NAME, "Bar Necklace": ENGRAVED_NAME}),
)

# Gift sets: a name and the products that go into it (each kit takes two to four of them).
KIT_THEMES = (
    ("Spa Day Gift Set", ("Waffle Towel", "Soy Candle", "Hand Soap", "Plush Bath Mat")),
    ("Cozy Night In Set", ("Cable-Knit Throw", "Soy Candle", "Chocolate Truffle Box", "Flannel Pajama Set")),
    ("Beach Day Bundle", ("Insulated Cooler Bag", "Baseball Cap", "Waffle Towel")),
    ("Coffee Lover's Gift Set", ("Stoneware Mug", "Coffee Sampler", "Caramel Popcorn Tin")),
    ("Holiday Hostess Set", ("Linen Napkin Set", "Reed Diffuser", "Holiday Cookie Tin", "Glass Tumbler Set")),
    ("New Home Gift Set", ("Woven Seagrass Basket", "Hand Soap", "Room Spray", "Hurricane Lantern")),
    ("Picnic Essentials", ("Wool Picnic Blanket", "Insulated Cooler Bag", "Glass Tumbler Set", "Linen Napkin Set")),
    ("Little One's Gift Box", ("Plush Bear", "Wooden Puzzle", "Building Blocks")),
    ("Chef's Starter Set", ("Cast Iron Skillet", "Enamel Dutch Oven", "Linen Napkin Set", "Olivewood Cutting Board")),
    ("Writer's Desk Set", ("Fountain Pen Set", "Desk Calendar", "Soy Candle")),
    ("Candle Trio", ("Soy Candle", "Soy Candle", "Soy Candle")),
    ("Weekend Getaway Set", ("Cashmere Scarf", "Cable-Knit Beanie", "Room Spray")),
)
NESTED_KIT_PREFIXES = ("Deluxe", "Ultimate", "Grand", "Signature")

VENDOR_NAMES = (
    "Harborline Textiles", "Blue Ridge Mills", "Anatolia Towel Works", "Green Mountain Maple", "Pacific Loom Co.",
    "Cedar & Sage Candle Co.", "Millbrook Paper", "Lakeshore Housewares", "Summit Footwear", "Kettle Creek Foods",
    "Ironstone Pottery", "Timberline Woodcraft", "Seaside Knitting Mills", "Prairie Leather Goods",
    "Evergreen Toys", "Brightwater Glass", "Heritage Bedding", "Portside Outdoor", "Alpine Down Co.",
    "Meadowlark Pet Supply", "Juniper Home Fragrance", "Bayside Apparel Group", "Coastal Canvas Works",
    "Highland Wool Co.", "Silver Birch Jewelers",
)


# --- the steps -------------------------------------------------------------------------------


def style_code(index: int) -> str:
    return str(FIRST_STYLE_NUMBER + index)


def is_seeded() -> bool:
    """The demo catalog is there when its first style is."""
    return Style.objects.filter(code=style_code(0)).exists()


def seed_catalog(*, stdout, options: dict) -> None:
    """Create the demo catalog unless it exists (``options``: ``styles``, ``seed``)."""
    if is_seeded():
        stdout.write("Demo catalog: already loaded.")
        return
    started = time.monotonic()
    styles = int(options.get("styles") or DEFAULT_STYLES)
    rng = random.Random(f"{options.get('seed') or DEFAULT_SEED}-catalog")
    with transaction.atomic():
        counts = CatalogBuilder(rng=rng, style_count=styles).build()
    analyze(Style, Sku, KitComponent, VendorItem)
    stdout.write(
        "Demo catalog: {styles} styles, {skus} SKUs ({kits} kits, {nested} of them nested, {personalized} "
        "personalized, {gift_cards} gift cards), {vendors} vendors, {vendor_items} vendor items in {seconds:.1f} s.".format(
            **counts, seconds=time.monotonic() - started)
    )


class CatalogBuilder:
    def __init__(self, *, rng: random.Random, style_count: int):
        self.rng = rng
        self.style_count = style_count
        self.item_number = 0
        self.templates: dict[str, PersonalizationTemplate] = {}

    def build(self) -> dict[str, int]:
        self.templates = personalization_templates()
        categories = self._category_plan()
        styles, skus = [], []
        for index, category in enumerate(categories):
            style, variants = self._style(index, category)
            styles.append(style)
            skus.extend(variants)
        Style.objects.bulk_create(styles, batch_size=1000)
        Sku.objects.bulk_create(skus, batch_size=2000)  # each SKU takes its style's new primary key

        vendors = self._vendors()
        vendor_items = self._vendor_items(styles, categories, skus, vendors)
        kits, nested = self._kits(skus)
        gift_cards = self._gift_cards()
        return {
            "styles": len(styles) + len(kits) + len(nested) + 1,
            "skus": len(skus) + len(kits) + len(nested) + len(gift_cards),
            "gift_cards": len(gift_cards),
            "kits": len(kits) + len(nested),
            "nested": len(nested),
            "personalized": sum(1 for sku in skus if sku.personalization_template_id),
            "vendors": len(vendors),
            "vendor_items": len(vendor_items),
        }

    # Styles and SKUs

    def _category_plan(self) -> list[Category]:
        """Each style's category: every category early on (so a small catalog has them all), then by share."""
        plan = list(CATEGORIES[: self.style_count])
        weights = [category.share for category in CATEGORIES]
        plan += self.rng.choices(CATEGORIES, weights=weights, k=max(self.style_count - len(plan), 0))
        return plan

    def _style(self, index: int, category: Category) -> tuple[Style, list[Sku]]:
        """A style of ``category`` and its SKUs, one per combination of the option values it offers."""
        rng = self.rng
        noun = rng.choice(category.nouns)
        name = f"{rng.choice(COLLECTIONS)} {noun}"
        status = rng.choices(
            [Style.Status.ACTIVE, Style.Status.DISCONTINUED, Style.Status.DRAFT], weights=[92, 5, 3])[0]
        style = Style(
            code=style_code(index), name=name, category=category.name, status=status,
            option_axes=[axis.name for axis in category.axes],
            description=f"{name}, from our {category.department.lower()} collection.",
        )
        base_price = Decimal(rng.randint(*category.price)) + (Decimal("0.95") if rng.random() < 0.7 else 0)
        base_weight = rng.uniform(*category.weight_kg)
        cost_share = Decimal(str(round(rng.uniform(0.32, 0.48), 2)))
        template_name = category.personalized.get(noun)
        # Names stitched or engraved on an item make it unsellable to anyone else.
        is_returnable = category.is_returnable and template_name not in (EMBROIDERED_NAME, ENGRAVED_NAME)
        skus = []
        for values, codes, size_step in self._variants(category):
            # Bigger towels and beds cost more; a larger size weighs more.
            price = base_price + (10 * size_step if category.department == "Home" else 0)
            sku_status = status
            if status == Style.Status.ACTIVE and rng.random() < 0.03:
                sku_status = Sku.Status.DISCONTINUED
            length, width, height = sorted((rng.randint(5, 60), rng.randint(5, 45), rng.randint(2, 30)), reverse=True)
            label = ", ".join(values.values())
            skus.append(Sku(
                style=style, code="-".join([style.code, *codes]), name=f"{name}, {label}" if label else name,
                barcode=self._next_upc(), option_values=values,
                weight_kg=Decimal(str(base_weight * (1 + 0.15 * size_step))).quantize(GRAM, rounding=ROUND_HALF_UP),
                length_cm=Decimal(length), width_cm=Decimal(width), height_cm=Decimal(height),
                cost=(price * cost_share).quantize(CENT, rounding=ROUND_HALF_UP), list_price=price,
                status=sku_status, tax_class=category.tax_class, is_returnable=is_returnable,
                personalization_template=self.templates[template_name] if template_name else None,
            ))
        return style, skus

    def _variants(self, category: Category):
        """Yield (option values, code parts, size step) for every combination the style offers."""
        chosen: list[tuple[str, list[tuple[str, str]]]] = []
        for axis in category.axes:
            count = min(self.rng.randint(*axis.pick), len(axis.values))
            if axis.contiguous:
                start = self.rng.randint(0, len(axis.values) - count)
                values = list(axis.values[start:start + count])
            else:
                values = self.rng.sample(axis.values, count)
            chosen.append((axis.name, values))
        combinations: list[tuple[dict, list[str], int]] = [({}, [], 0)]
        for axis_name, values in chosen:
            combinations = [
                ({**option_values, axis_name: label}, [*codes, code],
                 step + (position if axis_name == "size" else 0))
                for option_values, codes, step in combinations
                for position, (label, code) in enumerate(values)
            ]
        yield from combinations

    def _next_upc(self) -> str:
        self.item_number += 1
        return upc_a(f"{UPC_COMPANY_PREFIX}{self.item_number:05d}")

    # Vendors

    def _vendors(self) -> list[Vendor]:
        count = min(max(3, self.style_count // 80), len(VENDOR_NAMES))
        vendors = []
        for index, name in enumerate(VENDOR_NAMES[:count]):
            slug = "".join(char for char in name.lower() if char.isalnum())[:20]
            vendors.append(Vendor(
                code=f"V{101 + index}", name=name, email=f"orders@{slug}.example.com",
                phone=f"+1 555 01{index:02d}", lead_time_days=self.rng.choice((7, 10, 14, 21, 30, 45)),
            ))
        return Vendor.objects.bulk_create(vendors)

    def _vendor_items(self, styles, categories, skus, vendors) -> list[VendorItem]:
        """Each style comes from one preferred vendor of its category; some SKUs from a second one too."""
        rng = self.rng
        category_index = {category.name: index for index, category in enumerate(CATEGORIES)}
        style_vendor = {}
        for style, category in zip(styles, categories):
            first = category_index[category.name] % len(vendors)
            style_vendor[style.pk] = vendors[rng.choice((first, (first + 1) % len(vendors)))]
        items = []
        for sku in skus:
            vendor = style_vendor[sku.style_id]
            minimum = 24 if sku.tax_class == Sku.TaxClass.REDUCED else rng.choice((1, 6, 12))
            items.append(VendorItem(
                vendor=vendor, sku=sku, vendor_sku=f"{vendor.code}-{rng.randint(10000, 99999)}", cost=sku.cost,
                minimum_order_quantity=minimum, pack_size=rng.choice((1, 1, 6, 12)),
                lead_time_days=rng.choice((None, None, None, 10, 21)), is_preferred=True,
            ))
            if rng.random() < 0.15:
                second = vendors[(vendors.index(vendor) + 2) % len(vendors)]
                if second != vendor:
                    items.append(VendorItem(
                        vendor=second, sku=sku, vendor_sku=f"{second.code}-{rng.randint(10000, 99999)}",
                        cost=(sku.cost * Decimal(str(rng.uniform(1.04, 1.18)))).quantize(CENT, ROUND_HALF_UP),
                        minimum_order_quantity=rng.choice((12, 24, 48)), pack_size=rng.choice((1, 6, 12)),
                    ))
        return VendorItem.objects.bulk_create(items, batch_size=5000)

    # Kits

    def _kits(self, skus: list[Sku]) -> tuple[list[Sku], list[Sku]]:
        """Gift sets of two to four stocked SKUs; a quarter of them hold another gift set (nested kits).

        A nested kit holds a simple kit and one more item, never another nested kit, so the demo
        cannot build a cycle.
        """
        rng = self.rng
        kit_count = max(4, self.style_count // 20)
        nested_count = max(1, kit_count // 4)
        simple_count = kit_count - nested_count
        # Components: active SKUs that need no personalization, by the product they are.
        by_noun: dict[str, list[Sku]] = defaultdict(list)
        for sku in skus:
            if sku.status == Sku.Status.ACTIVE and sku.personalization_template_id is None:
                by_noun[sku.style.name.split(" ", 1)[1]].append(sku)
        anything = [sku for products in by_noun.values() for sku in products]

        def pick(products: tuple[str, ...], count: int) -> list[Sku]:
            chosen: list[Sku] = []
            for product in rng.sample(products, min(count, len(products))):
                options = ([sku for sku in by_noun.get(product, []) if sku not in chosen]
                           or [sku for sku in anything if sku not in chosen])
                chosen.append(rng.choice(options))
            while len(chosen) < count:  # a small catalog may lack a product of the theme
                chosen.append(rng.choice([sku for sku in anything if sku not in chosen]))
            return chosen

        kits: list[tuple[Sku, list[tuple[Sku, int]]]] = []
        for index in range(kit_count):
            style = Style(code=str(FIRST_KIT_NUMBER + index), category="Gift Sets", option_axes=[],
                          description="A gift set, packed together and shipped as one.")
            if index < simple_count:
                title, products = KIT_THEMES[index % len(KIT_THEMES)]
                style.name = f"{rng.choice(COLLECTIONS)} {title}"
                parts = [(component, rng.choice((1, 1, 1, 2)))
                         for component in pick(products, rng.randint(2, min(4, len(products))))]
            else:
                inner_index = (index - simple_count) % simple_count
                inner, inner_parts = kits[inner_index]
                _title, products = KIT_THEMES[inner_index % len(KIT_THEMES)]
                style.name = f"{rng.choice(NESTED_KIT_PREFIXES)} {inner.name}"
                inner_components = {component for component, _quantity in inner_parts}
                extra = rng.choice([sku for sku in pick(products, len(products)) if sku not in inner_components]
                                   or [sku for sku in anything if sku not in inner_components])
                parts = [(inner, 1), (extra, 1)]
            kit = Sku(style=style, code=f"{style.code}-SET", name=style.name, is_kit=True, barcode=self._next_upc(),
                      option_values={})
            kit.cost = sum((part.cost * quantity for part, quantity in parts), Decimal(0))
            kit.list_price = (sum((part.list_price * quantity for part, quantity in parts), Decimal(0))
                              * Decimal("0.9")).quantize(Decimal("1")) - Decimal("0.05")
            kit.weight_kg = sum((part.weight_kg * quantity for part, quantity in parts), Decimal(0))
            kits.append((kit, parts))
        Style.objects.bulk_create([kit.style for kit, _parts in kits])
        Sku.objects.bulk_create([kit for kit, _parts in kits])
        KitComponent.objects.bulk_create([
            KitComponent(kit=kit, component=part, quantity=quantity) for kit, parts in kits for part, quantity in parts
        ])
        return [kit for kit, _parts in kits[:simple_count]], [kit for kit, _parts in kits[simple_count:]]


    # Gift cards

    def _gift_cards(self) -> list[Sku]:
        """The gift card style: a plastic card (ships with the order) and an e-gift card (sent once the
        order is paid), sold as SKUs (``Sku.gift_card``): no stock, exempt from sales tax, not returnable."""
        style = Style.objects.create(code=GIFT_CARD_STYLE, name="Gift Card", category="Gift Cards",
                                     option_axes=["format", "amount"],
                                     description="A gift card, for any of our ranges.")
        skus = [Sku(style=style, code=f"{style.code}-{code}", name=f"Gift Card, {label}, ${amount}",
                    barcode=self._next_upc(), option_values={"format": label, "amount": str(amount)},
                    weight_kg=Decimal("0.010") if kind == Sku.GiftCard.PHYSICAL else Decimal("0"),
                    list_price=Decimal(amount), gift_card=kind, tax_class=Sku.TaxClass.EXEMPT, is_returnable=False)
                for code, label, kind, amount in GIFT_CARDS]
        return Sku.objects.bulk_create(skus)


def upc_a(eleven_digits: str) -> str:
    """The 12-digit UPC-A for 11 digits: appends the GS1 check digit."""
    odd = sum(int(digit) for digit in eleven_digits[0::2])
    even = sum(int(digit) for digit in eleven_digits[1::2])
    return eleven_digits + str((10 - (odd * 3 + even) % 10) % 10)


def personalization_templates() -> dict[str, PersonalizationTemplate]:
    """The three templates of the demo, created if missing: monogram, embroidered name, engraved name."""
    thread = {"key": "thread_colour", "label": "Thread colour", "kind": PersonalizationField.Kind.CHOICE,
              "choices": THREAD_COLOURS}
    definitions = {
        MONOGRAM: (Decimal("10.00"), [
            {"key": "monogram", "label": "Monogram", "max_length": 3, "allowed_characters": LETTERS}, thread]),
        EMBROIDERED_NAME: (Decimal("12.00"), [{"key": "name", "label": "Name", "max_length": 12}, thread]),
        ENGRAVED_NAME: (Decimal("15.00"), [{"key": "name", "label": "Name", "max_length": 12}]),
    }
    templates = {}
    for name, (price_addon, fields) in definitions.items():
        template, created = PersonalizationTemplate.objects.get_or_create(
            name=name, defaults={"price_addon": price_addon})
        if created:
            PersonalizationField.objects.bulk_create([
                PersonalizationField(template=template, position=position, **spec)
                for position, spec in enumerate(fields)
            ])
        templates[name] = template
    return templates
