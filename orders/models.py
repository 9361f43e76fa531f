"""Customers and orders: one lifecycle for every channel (DESIGN.md, "Orders")."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Cast, Upper
from django.utils.translation import gettext_lazy as _

from catalog.models import MONEY, Sku
from inventory.models import Warehouse


class Customer(models.Model):
    class Type(models.TextChoices):
        RETAIL = "retail", _("Retail")
        WHOLESALE = "wholesale", _("Wholesale")

    class Terms(models.TextChoices):
        PREPAID = "prepaid", _("Prepaid")
        NET15 = "net15", _("Net 15")
        NET30 = "net30", _("Net 30")
        NET60 = "net60", _("Net 60")

    number = models.CharField(_("number"), max_length=20, unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    emails = ArrayField(models.EmailField(max_length=254), default=list, blank=True,
                        help_text=_("Lower-cased; the first is the primary address."))
    phones = ArrayField(models.CharField(max_length=20), default=list, blank=True,
                        help_text=_("Digits only (E.164 without +); the first is the primary number."))
    customer_type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.RETAIL)
    terms = models.CharField(_("terms"), max_length=20, choices=Terms.choices, default=Terms.PREPAID)
    credit_limit = models.DecimalField(_("credit limit"), **MONEY, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    is_tax_exempt = models.BooleanField(_("tax exempt"), default=False)
    tax_exempt_number = models.CharField(_("tax exemption number"), max_length=50, blank=True)
    marketing_opt_in = models.BooleanField(_("marketing opt-in"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    default_ship_address = models.ForeignKey("Address", on_delete=models.SET_NULL, null=True, blank=True,
                                             related_name="+")
    default_bill_address = models.ForeignKey("Address", on_delete=models.SET_NULL, null=True, blank=True,
                                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        constraints = [models.CheckConstraint(condition=Q(credit_limit__gte=0), name="customer_credit_not_negative")]
        indexes = [
            GinIndex(fields=["emails"], name="customer_emails"),
            GinIndex(fields=["phones"], name="customer_phones"),
            GinIndex(OpClass(Upper("last_name"), name="gin_trgm_ops"), name="customer_last_name_trgm"),
            GinIndex(OpClass(Upper("first_name"), name="gin_trgm_ops"), name="customer_first_name_trgm"),
            GinIndex(OpClass(Upper("company"), name="gin_trgm_ops"), name="customer_company_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.display_name}"

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.company

    @property
    def primary_email(self) -> str:
        return self.emails[0] if self.emails else ""

    @property
    def primary_phone(self) -> str:
        return self.phones[0] if self.phones else ""

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("orders:customer_detail", args=[self.pk])


class Address(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="addresses")
    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    line1 = models.CharField(_("address line 1"), max_length=200)
    line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("state / region"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, default="US")
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        ordering = ["customer", "pk"]

    def __str__(self) -> str:
        return ", ".join(part for part in (self.name, self.line1, self.city, self.region, self.postal_code,
                                           self.country) if part)

    def as_snapshot(self) -> dict:
        """The fields an order copies, so later edits of the address book do not change it."""
        return {field: getattr(self, field) for field in ADDRESS_FIELDS}


ADDRESS_FIELDS = ("name", "company", "line1", "line2", "city", "region", "postal_code", "country", "phone")


class CustomerNote(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="customer_notes")
    text = models.TextField(_("note"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]


class ShippingMethod(models.Model):
    """A delivery service offered at order entry, with where it may go and what it costs."""

    class FulfillmentType(models.TextChoices):
        SHIP = "ship", _("Ship to the customer")
        PICKUP = "pickup", _("Store pickup (BOPIS)")
        SHIP_TO_STORE = "ship_to_store", _("Ship to store")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    carrier = models.CharField(_("carrier"), max_length=50, blank=True)
    fulfillment_type = models.CharField(_("fulfillment"), max_length=20, choices=FulfillmentType.choices,
                                        default=FulfillmentType.SHIP)
    base_charge = models.DecimalField(_("base charge"), **MONEY, default=Decimal("0"))
    per_item_charge = models.DecimalField(_("charge per item"), **MONEY, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    countries = ArrayField(models.CharField(max_length=2), default=list, blank=True,
                           help_text=_("ISO country codes served; empty serves every country."))
    serves_po_boxes = models.BooleanField(_("delivers to PO boxes"), default=True)
    transit_days = models.PositiveSmallIntegerField(_("transit days"), default=5)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(base_charge__gte=0) & Q(per_item_charge__gte=0),
                                   name="shipping_charge_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class TaxRate(models.Model):
    """Sales tax by country and, where it differs, by state or region (blank = the whole country),
    for one tax class of SKU.

    The ``standard`` row is the rate of the place; a ``reduced`` row gives reduced-rate SKUs
    their own rate there (without one they pay the standard rate). Zero-rated and exempt SKUs
    pay none, so they have no rows (orders.services.tax).
    """

    class TaxClass(models.TextChoices):
        STANDARD = Sku.TaxClass.STANDARD.value, Sku.TaxClass.STANDARD.label
        REDUCED = Sku.TaxClass.REDUCED.value, Sku.TaxClass.REDUCED.label

    country = models.CharField(_("country"), max_length=2)
    region = models.CharField(_("state / region"), max_length=100, blank=True)
    tax_class = models.CharField(_("tax class"), max_length=20, choices=TaxClass.choices, default=TaxClass.STANDARD,
                                 help_text=_("The SKUs of this tax class pay this rate here."))
    rate = models.DecimalField(_("rate"), max_digits=7, decimal_places=5, help_text=_("0.0725 is 7.25 %."))
    applies_to_shipping = models.BooleanField(_("taxes shipping"), default=False,
                                              help_text=_("Shipping is taxed at the standard rows that say so."))

    class Meta:
        ordering = ["country", "region", "tax_class"]
        constraints = [
            models.UniqueConstraint(fields=["country", "region", "tax_class"], name="tax_rate_unique_class"),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lt=1), name="tax_rate_range"),
            models.CheckConstraint(condition=Q(tax_class__in=["standard", "reduced"]), name="tax_rate_class"),
        ]

    def __str__(self) -> str:
        suffix = "" if self.tax_class == self.TaxClass.STANDARD else f" ({self.tax_class})"
        return f"{self.country}-{self.region or '*'} {self.rate}{suffix}"


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PLACED = "placed", _("Placed")
    ON_HOLD = "on_hold", _("On hold")
    RELEASED = "released", _("Released")
    ALLOCATED = "allocated", _("Allocated")
    PICKING = "picking", _("Picking")
    PACKED = "packed", _("Packed")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    RETURN_REQUESTED = "return_requested", _("Return requested")
    RETURNED = "returned", _("Returned")


class OrderQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=CLOSED_STATUSES)

    def editable(self):
        return self.filter(status__in=EDITABLE_STATUSES)


CLOSED_STATUSES = (OrderStatus.CLOSED, OrderStatus.CANCELLED, OrderStatus.RETURNED)
EDITABLE_STATUSES = (OrderStatus.DRAFT, OrderStatus.PLACED, OrderStatus.ON_HOLD, OrderStatus.RELEASED,
                     OrderStatus.ALLOCATED)


class Order(models.Model):
    """An order from any channel. Prices, addresses, source code and promotions are snapshots."""

    # Numbered by the database from its sequence (returned by the INSERT), unless one is given.
    number = models.CharField(_("number"), max_length=20, unique=True, db_default=Cast(
        Func(Value("orders_order_number_seq"), function="nextval", output_field=models.BigIntegerField()),
        models.CharField(max_length=20)))
    channel = models.CharField(_("channel"), max_length=50,  # indexed by order_channel_recent
                               help_text=_("phone, web, marketplace:<name>, pos or store"))
    external_id = models.CharField(_("channel's order id"), max_length=100, null=True, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders",
                                 db_index=False)  # indexed by order_customer_recent
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    source_code = models.CharField(_("source code"), max_length=40, blank=True)
    coupons = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    # Ship-to and bill-to as they were when the order was taken.
    ship_to = models.JSONField(_("ship to"), default=dict)
    bill_to = models.JSONField(_("bill to"), default=dict)
    shipping_method = models.ForeignKey(ShippingMethod, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")
    fulfillment_type = models.CharField(_("fulfillment"), max_length=20,
                                        choices=ShippingMethod.FulfillmentType.choices,
                                        default=ShippingMethod.FulfillmentType.SHIP)
    pickup_warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="pickup_orders")
    subtotal = models.DecimalField(_("subtotal"), **MONEY, default=Decimal("0"))
    discount_total = models.DecimalField(_("discounts"), **MONEY, default=Decimal("0"))
    shipping_total = models.DecimalField(_("shipping"), **MONEY, default=Decimal("0"))
    tax_total = models.DecimalField(_("tax"), **MONEY, default=Decimal("0"))
    total = models.DecimalField(_("total"), **MONEY, default=Decimal("0"))
    pricing = models.JSONField(_("pricing"), default=dict, blank=True,
                               help_text=_("The pricing service's discounts and explanation at entry."))
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    placed_at = models.DateTimeField(_("placed at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        permissions = [
            ("place_order", _("Can enter and place orders")),
            ("cancel_order", _("Can cancel orders")),
            ("edit_order", _("Can edit orders before picking")),
            ("release_hold", _("Can release holds")),
            ("release_fraud_hold", _("Can release payment and fraud holds")),
            ("release_credit_hold", _("Can release credit-limit holds")),
            ("override_price", _("Can override prices")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="order_channel_external_id_unique",
                                    condition=Q(external_id__isnull=False)),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0) & Q(discount_total__gte=0) & Q(shipping_total__gte=0)
                & Q(tax_total__gte=0) & Q(total__gte=0),
                name="order_amounts_not_negative",
            ),
        ]
        indexes = [
            models.Index(F("placed_at").desc(nulls_last=True), F("id").desc(), name="order_recent"),
            models.Index("status", F("placed_at").desc(nulls_last=True), F("id").desc(), name="order_status_recent"),
            models.Index("channel", F("placed_at").desc(nulls_last=True), F("id").desc(), name="order_channel_recent"),
            models.Index("customer", F("placed_at").desc(nulls_last=True), name="order_customer_recent"),
            # A code with many old orders (last year's catalog) is served in list order, not by a scan.
            models.Index("source_code", F("placed_at").desc(nulls_last=True), F("id").desc(),
                         name="order_source_recent"),
            # The API's updated_since polling reads changes oldest first.
            models.Index(fields=["updated_at", "id"], name="order_updated"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("orders:order_detail", args=[self.pk])


class OrderLine(models.Model):
    """A line keeps what was ordered and, separately, what became of it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines",
                              db_index=False)  # indexed by order_line_number_unique
    line_number = models.PositiveSmallIntegerField(_("line"))
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="order_lines",
                            db_index=False)  # indexed by order_line_sku
    sku_code = models.CharField(_("SKU"), max_length=40)
    description = models.CharField(_("description"), max_length=200)
    substituted_from = models.ForeignKey(Sku, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    quantity = models.PositiveIntegerField(_("ordered"))
    quantity_allocated = models.PositiveIntegerField(_("allocated"), default=0)
    quantity_shipped = models.PositiveIntegerField(_("shipped"), default=0)
    quantity_cancelled = models.PositiveIntegerField(_("cancelled"), default=0)
    quantity_returned = models.PositiveIntegerField(_("returned"), default=0)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    personalization = models.JSONField(_("personalization"), default=dict, blank=True)
    personalization_amount = models.DecimalField(_("personalization"), **MONEY, default=Decimal("0"))
    discount_amount = models.DecimalField(_("discount"), **MONEY, default=Decimal("0"))
    tax_amount = models.DecimalField(_("tax"), **MONEY, default=Decimal("0"))
    line_total = models.DecimalField(_("line total"), **MONEY, default=Decimal("0"))
    expected_on = models.DateField(_("expected on"), null=True, blank=True,
                                   help_text=_("When a backordered line should be available."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_number"], name="order_line_number_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(quantity_allocated__lte=F("quantity") - F("quantity_cancelled"))
                & Q(quantity_shipped__lte=F("quantity_allocated"))
                & Q(quantity_returned__lte=F("quantity_shipped")),
                name="order_line_quantities_consistent",
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0) & Q(discount_amount__gte=0)
                                   & Q(line_total__gte=0), name="order_line_amounts_not_negative"),
        ]
        indexes = [
            models.Index(fields=["sku", "order"], name="order_line_sku"),
            # The lines waiting for stock: looked up on every stock arrival, so kept small.
            models.Index(fields=["sku"], condition=Q(quantity__gt=F("quantity_allocated") + F("quantity_cancelled")),
                         name="order_line_backordered"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_number} {self.quantity} × {self.sku_code}"

    @property
    def quantity_open(self) -> int:
        return self.quantity - self.quantity_cancelled

    @property
    def quantity_backordered(self) -> int:
        return self.quantity - self.quantity_cancelled - self.quantity_allocated


class LineAllocation(models.Model):
    """Units of a line reserved at one warehouse, with why that warehouse was chosen."""

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="allocations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    reservation_group = models.UUIDField(_("reservation group"), unique=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["line", "pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="allocation_quantity_positive")]


class Hold(models.Model):
    class Reason(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        ADDRESS = "address", _("Address")
        STOCK = "stock", _("Stock")
        FRAUD = "fraud", _("Fraud")
        MANUAL = "manual", _("Manual")
        # Over the customer's credit limit (payments' credit check); released by an accountant or manager.
        CREDIT = "credit", _("Credit limit")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    release_note = models.CharField(_("release note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "reason"], condition=Q(released_at__isnull=True),
                                    name="hold_one_open_per_reason"),
        ]
        indexes = [models.Index(fields=["reason"], condition=Q(released_at__isnull=True), name="hold_open")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.reason}"

    @property
    def is_open(self) -> bool:
        return self.released_at is None


class OrderEvent(models.Model):
    """The order's timeline: who did what, when, from which status to which, and why."""

    class Kind(models.TextChoices):
        STATUS = "status", _("Status")
        HOLD = "hold", _("Hold")
        RELEASE = "release", _("Hold released")
        EDIT = "edit", _("Edit")
        SUBSTITUTION = "substitution", _("Substitution")
        ALLOCATION = "allocation", _("Allocation")
        BACKORDER = "backorder", _("Backorder")
        CANCELLATION = "cancellation", _("Cancellation")
        PAYMENT = "payment", _("Payment")
        SHORT_PICK = "short_pick", _("Short pick")
        NOTE = "note", _("Note")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events",
                              db_index=False)  # indexed by order_event_timeline
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    message = models.CharField(_("message"), max_length=500)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["order", "created_at"], name="order_event_timeline")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}: {self.message}"


# Fulfillment's models live in their own package and belong to this app (FULFILLMENT_CONTRACT.md).
from orders.fulfillment.models import (  # noqa: E402,F401
    OPEN_SHIPMENT_STATUSES,
    BinLocation,
    PickWave,
    Shipment,
    ShipmentEvent,
    ShipmentLine,
    ShipmentStatus,
)

# The carriers' tables live in their package (orders/fulfillment/carriers/models.py).
from orders.fulfillment.carriers.models import (  # noqa: E402,F401
    CarrierLabel,
    CarrierManifest,
    CarrierRate,
    CarrierZone,
    LabelFormat,
    LabelPrinter,
)

# Staff tasks and the rules that open them (orders/stafftasks/models.py).
from orders.stafftasks.models import StaffTask, TaskRule  # noqa: E402,F401
# Returns' tables live in their package (orders/returns/models.py).
from orders.returns.models import (  # noqa: E402,F401
    Disposition,
    ReturnPolicy,
    ReturnReason,
    ReturnReceipt,
    Rma,
    RmaLine,
    VendorCredit,
    WarrantyClaim,
)
