"""Shapes of the REST API: what partners send (validated, codes resolved to objects) and what they read.

Input serializers check shapes and turn codes into objects, with an error next to each field;
the rules of order entry (which SKU may be sold, whether a method can deliver to an address,
prices) stay in ``orders.services`` and come back as :func:`order_error_detail`.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from catalog.models import Sku
from inventory.models import Warehouse
from oms.money import round_money
from oms.text import first_control_character
from orders.models import Customer, Hold, Order, OrderEvent, OrderLine, OrderStatus, ShippingMethod
from orders.services import LineRequest

MAX_LINES = 200
MAX_QUANTITY = 100_000

# --- input ----------------------------------------------------------------------------------------


class AddressSerializer(serializers.Serializer):
    """A postal address, as orders snapshot it."""

    name = serializers.CharField(max_length=200, help_text=_("Who receives the parcel."))
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                   help_text=_("State, province or region; the code (NY) or the name."))
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    country = serializers.CharField(min_length=2, max_length=2,
                                    help_text=_("ISO 3166 two-letter code: US, CA, GB..."))
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")

    def validate_country(self, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise serializers.ValidationError(_("Use the two-letter country code (US, CA, GB...)."))
        return value.upper()


class CustomerInputSerializer(serializers.Serializer):
    """An existing customer by ``number``, or one described inline (found by ``email``, else created)."""

    number = serializers.CharField(max_length=20, required=False, help_text=_(
        "An existing customer's number; the other fields are then ignored."))
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, help_text=_(
        "Required for a new customer: an existing customer with this address is used instead of a new one."))
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    marketing_opt_in = serializers.BooleanField(required=False, default=False)
    addresses = AddressSerializer(many=True, required=False, max_length=2, help_text=_(
        "A new customer's address book: the first is the default ship-to, the second the default bill-to. "
        "Without them the order's ship-to and bill-to are used."))

    def validate(self, attrs: dict) -> dict:
        number = attrs.get("number", "").strip()
        if number:
            customer = Customer.objects.filter(number=number).first()
            if customer is None:
                raise serializers.ValidationError({"number": [_("No customer has the number %(number)s.") % {
                    "number": number}]})
            return {"customer": customer}
        errors = {}
        if not attrs.get("email"):
            errors["email"] = [_("Give the customer's number, or their email address for a new customer.")]
        if not (attrs["first_name"].strip() or attrs["last_name"].strip() or attrs["company"].strip()):
            errors["last_name"] = [_("Give a name or a company.")]
        if errors:
            raise serializers.ValidationError(errors)
        return {"new_customer": attrs}


class LineInputSerializer(serializers.Serializer):
    sku_code = serializers.CharField(max_length=40)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    personalization = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=200), required=False, default=dict,
        help_text=_("Values of the SKU's personalization fields, by key."))

    def validate_sku_code(self, value: str) -> Sku:
        sku = self.root.skus_by_code().get(value.strip())
        if sku is None:
            raise serializers.ValidationError(_("Unknown SKU %(code)s.") % {"code": value})
        return sku


class OrderCreateSerializer(serializers.Serializer):
    """An order from an outside system (web store, marketplace, POS, 3PL)."""

    channel = serializers.CharField(max_length=50,
                                    help_text=_("phone, web, pos, store or marketplace:<name>."))
    external_id = serializers.CharField(
        max_length=100, required=False, allow_null=True, allow_blank=True, default=None, help_text=_(
            "The channel's own order id. Sending the same one again returns the order made the first time "
            "(status 200) instead of a new one."))
    customer = CustomerInputSerializer()
    lines = LineInputSerializer(many=True, min_length=1, max_length=MAX_LINES)
    ship_to = AddressSerializer()
    bill_to = AddressSerializer(required=False, allow_null=True, default=None,
                                help_text=_("Defaults to the customer's bill-to address."))
    shipping_method = serializers.SlugRelatedField(
        slug_field="code", queryset=ShippingMethod.objects.all(), required=False, allow_null=True,
        default=None, error_messages={"does_not_exist": _("Unknown shipping method {value}.")},
        help_text=_("Code of the delivery method: ground, 2day, pickup..."))
    pickup_store = serializers.SlugRelatedField(
        slug_field="code", queryset=Warehouse.objects.all(), required=False, allow_null=True, default=None,
        error_messages={"does_not_exist": _("Unknown store {value}.")},
        help_text=_("Code of the store, for store pickup and ship-to-store methods."))
    source_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    coupons = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list,
                                    max_length=20)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    payment = serializers.ListField(
        child=serializers.DictField(), required=False, default=list, max_length=10, help_text=_(
            'How the order is paid, passed to the payments checks: a list of objects with a "kind" '
            '(card, gift_card, check, on_account, cash, marketplace) and what that kind needs, e.g. '
            '{"kind": "card", "payment_method": "pm_..."} or {"kind": "marketplace", "reference": "..."}.'))

    def skus_by_code(self) -> dict[str, Sku]:
        """The SKUs the payload names, in one query (the lines look their codes up here)."""
        if not hasattr(self, "_skus_by_code"):
            lines = self.initial_data.get("lines") if isinstance(self.initial_data, dict) else None
            codes = {str(line.get("sku_code", "")).strip() for line in lines or [] if isinstance(line, dict)}
            # A code the field refuses is never looked up: PostgreSQL would refuse a NUL with a 500.
            codes = {code for code in codes if code and first_control_character(code) is None}
            self._skus_by_code = Sku.objects.in_bulk(codes, field_name="code")
        return self._skus_by_code

    def to_service_arguments(self) -> dict:
        """``validated_data`` as keyword arguments of ``integrations.services.api_order_create``."""
        data = self.validated_data
        return {
            "channel": data["channel"],
            "external_id": data["external_id"],
            "lines": [LineRequest(sku=line["sku_code"], quantity=line["quantity"],
                                  personalization=line["personalization"]) for line in data["lines"]],
            "ship_to": dict(data["ship_to"]),
            "bill_to": dict(data["bill_to"]) if data["bill_to"] else None,
            "shipping_method": data["shipping_method"],
            "pickup_warehouse": data["pickup_store"],
            "source_code": data["source_code"],
            "coupons": list(data["coupons"]),
            "notes": data["notes"],
            "payment": [dict(item) for item in data["payment"]],
            **data["customer"],  # customer=... or new_customer={...}
        }


class OrderFilterSerializer(serializers.Serializer):
    """The filters of the order list (query parameters)."""

    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)
    channel = serializers.CharField(max_length=50, required=False)
    updated_since = serializers.DateTimeField(required=False, help_text=_(
        "Only orders changed at or after this moment (ISO 8601 with a zone); the list then runs oldest "
        "change first, so that a client can page to the end and keep the last updated_at for its next poll."))


# --- output ---------------------------------------------------------------------------------------


class MoneyField(serializers.DecimalField):
    """An amount as a string rounded to its currency's minor unit ("12.30" in USD, "1230" in JPY)."""

    def __init__(self, *, currency_source: str = "currency", **kwargs):
        self.currency_source = currency_source.split(".")
        super().__init__(max_digits=14, decimal_places=3, read_only=True, **kwargs)

    def get_attribute(self, instance):
        currency = instance
        for attribute in self.currency_source:
            currency = getattr(currency, attribute)
        return super().get_attribute(instance), currency

    def to_representation(self, value):
        amount, currency = value
        return str(round_money(amount, currency))


class AddressOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    company = serializers.CharField()
    line1 = serializers.CharField()
    line2 = serializers.CharField()
    city = serializers.CharField()
    region = serializers.CharField()
    postal_code = serializers.CharField()
    country = serializers.CharField()
    phone = serializers.CharField()

    def to_representation(self, instance):
        # Order snapshots are dicts that may lack a field an older version did not keep.
        if isinstance(instance, dict):
            return {name: instance.get(name, "") for name in self.fields}
        return super().to_representation(instance)


class OrderLineSerializer(serializers.ModelSerializer):
    unit_price = MoneyField(currency_source="order.currency", help_text=_("Base price, per unit."))
    personalization_amount = MoneyField(currency_source="order.currency", help_text=_("Add-on, per unit."))
    discount_amount = MoneyField(currency_source="order.currency")
    tax_amount = MoneyField(currency_source="order.currency")
    line_total = MoneyField(currency_source="order.currency",
                            help_text=_("(unit price + personalization) × quantity - discount + tax."))
    personalization = serializers.DictField(child=serializers.CharField())
    quantity_backordered = serializers.IntegerField(read_only=True)

    class Meta:
        model = OrderLine
        fields = ["line_number", "sku_code", "description", "quantity", "quantity_allocated",
                  "quantity_backordered", "quantity_shipped", "quantity_cancelled", "quantity_returned",
                  "unit_price", "personalization", "personalization_amount", "discount_amount", "tax_amount",
                  "line_total", "expected_on"]
        read_only_fields = fields


class CustomerSummarySerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)
    email = serializers.CharField(source="primary_email", read_only=True)

    class Meta:
        model = Customer
        fields = ["number", "name", "email"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    customer = CustomerSummarySerializer(read_only=True)
    shipping_method = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    pickup_store = serializers.SlugRelatedField(source="pickup_warehouse", slug_field="code", read_only=True,
                                                allow_null=True)
    ship_to = AddressOutputSerializer(read_only=True)
    bill_to = AddressOutputSerializer(read_only=True)
    coupons = serializers.ListField(child=serializers.CharField(), read_only=True)
    subtotal = MoneyField(help_text=_("Sum of the lines' (unit price + personalization) × quantity."))
    discount_total = MoneyField()
    shipping_total = MoneyField()
    tax_total = MoneyField()
    total = MoneyField(help_text=_("subtotal - discount_total + shipping_total + tax_total."))
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["number", "channel", "external_id", "status", "customer", "currency", "source_code",
                  "coupons", "fulfillment_type", "shipping_method", "pickup_store", "ship_to", "bill_to",
                  "subtotal", "discount_total", "shipping_total", "tax_total", "total", "notes", "placed_at",
                  "created_at", "updated_at", "lines"]
        read_only_fields = fields


class OrderEventSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    data = serializers.DictField(read_only=True)

    class Meta:
        model = OrderEvent
        fields = ["kind", "from_status", "to_status", "message", "data", "actor", "created_at"]
        read_only_fields = fields


class HoldSerializer(serializers.ModelSerializer):
    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = Hold
        fields = ["reason", "note", "is_open", "created_at", "released_at", "release_note"]
        read_only_fields = fields


class OrderDetailSerializer(OrderSerializer):
    """An order with its timeline and its holds."""

    events = OrderEventSerializer(many=True, read_only=True)
    holds = HoldSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "holds", "events"]
        read_only_fields = fields


class AddressBookSerializer(AddressOutputSerializer):
    id = serializers.IntegerField(read_only=True)


class CustomerSerializer(serializers.ModelSerializer):
    emails = serializers.ListField(child=serializers.EmailField(), read_only=True)
    phones = serializers.ListField(child=serializers.CharField(), read_only=True,
                                   help_text=_("Digits only, E.164 without the +; the first is the primary."))
    credit_limit = MoneyField()
    addresses = AddressBookSerializer(many=True, read_only=True)
    default_ship_address = serializers.IntegerField(source="default_ship_address_id", read_only=True,
                                                    allow_null=True,
                                                    help_text=_("Id of one of the addresses."))
    default_bill_address = serializers.IntegerField(source="default_bill_address_id", read_only=True,
                                                    allow_null=True,
                                                    help_text=_("Id of one of the addresses."))

    class Meta:
        model = Customer
        fields = ["number", "first_name", "last_name", "company", "emails", "phones", "customer_type",
                  "terms", "credit_limit", "currency", "is_tax_exempt", "marketing_opt_in", "addresses",
                  "default_ship_address", "default_bill_address", "created_at", "updated_at"]
        read_only_fields = fields


# --- errors of order entry --------------------------------------------------------------------------


def order_error_detail(field_errors: dict[str, list[str]]) -> dict:
    """``OrderError.field_errors`` in the shape of this API's validation errors (DRF's).

    ``lines-2-quantity`` becomes ``{"lines": {"2": {"quantity": [...]}}}`` and ``lines``
    ``{"lines": {"non_field_errors": [...]}}``, as a serializer reports a list's items and the
    list itself; ``ship_postal_code`` becomes ``{"ship_to": {"postal_code": [...]}}``,
    ``customer-emails`` ``{"customer": {"email": [...]}}`` and ``__all__`` ``non_field_errors``.
    """
    detail: dict = {}
    for key, messages in field_errors.items():
        messages = [str(message) for message in messages]
        if match := re.fullmatch(r"lines-(\d+)-(sku|quantity|personalization)(?:-(.+))?", key):
            index, field, sub_key = match[1], match[2], match[3]
            errors = detail.setdefault("lines", {}).setdefault(index, {})
            if field == "personalization":
                personalization = errors.setdefault("personalization", {})
                personalization.setdefault(sub_key or "non_field_errors", []).extend(messages)
            else:
                errors.setdefault("sku_code" if field == "sku" else field, []).extend(messages)
        elif key == "lines":
            detail.setdefault("lines", {}).setdefault("non_field_errors", []).extend(messages)
        elif match := re.fullmatch(r"(ship|bill)_(.+)", key):
            detail.setdefault(f"{match[1]}_to", {}).setdefault(match[2], []).extend(messages)
        elif match := re.fullmatch(r"customer-(ship|bill)_(.+)", key):
            addresses = detail.setdefault("customer", {}).setdefault("addresses", {})
            address = addresses.setdefault("0" if match[1] == "ship" else "1", {})
            address.setdefault(match[2], []).extend(messages)
        elif match := re.fullmatch(r"customer-(.+)", key):
            field = {"emails": "email", "phones": "phone"}.get(match[1], match[1])
            detail.setdefault("customer", {}).setdefault(field, []).extend(messages)
        elif key == "__all__":
            detail.setdefault("non_field_errors", []).extend(messages)
        else:
            field = {"pickup_warehouse": "pickup_store", "fulfillment_type": "shipping_method"}.get(key, key)
            detail.setdefault(field, []).extend(messages)
    return detail
