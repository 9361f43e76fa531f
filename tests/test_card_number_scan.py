"""Card numbers are never typed into free text: forms, personalization, the REST API and imports refuse them.

Card numbers are taken only through the card field (Stripe Elements). Text that looks like one
(13-19 digits, spaces or dashes allowed, starting with 3-6, passing Luhn) is refused wherever
free text comes in; phone and barcode fields keep their formats and are not scanned.
"""

from __future__ import annotations

import importlib
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms as django_forms
from django.apps import apps
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from catalog.models import PersonalizationField, PersonalizationTemplate, Sku
from catalog.services import personalization_validate
from oms.forms import FreeTextFormMixin
from oms.imports.services import import_file
from oms.text import card_numbers_in, holds_card_number, mask_card_numbers
from orders.forms import AddressForm, CancelOrderForm, CustomerForm, HoldForm, NoteForm
from orders.models import Order
from tests.factories import SkuFactory, WarehouseFactory, stock
from tests.orders_helpers import NEW_YORK, CustomerFactory, ground, tax_rates
from tests.test_imports import csv_bytes

MESSAGE = "This looks like a card number; card numbers are taken only through the card field."


# --- what looks like a card number ------------------------------------------------------------------


@pytest.mark.parametrize("text, found", [
    ("4242424242424242", ["4242424242424242"]),
    ("Visa 4242 4242 4242 4242 thanks", ["4242424242424242"]),
    ("4242-4242-4242-4242", ["4242424242424242"]),
    ("card 4111 1111 1111 1111 exp 12/31 cvc 123", ["4111111111111111"]),
    ("4111 1111 1111 1111 123", ["4111111111111111"]),  # the security code typed after it
    ("ref 12 4111 1111 1111 1111", ["4111111111111111"]),  # a number typed before it
    ("378282246310005", ["378282246310005"]),  # American Express, 15 digits
    ("5555555555554444", ["5555555555554444"]),
    ("6011111111111117", ["6011111111111117"]),
    ("3056930009020004", ["3056930009020004"]),  # Diners
    ("4222222222222", ["4222222222222"]),  # 13 digits
])
def test_card_numbers_are_found_however_they_are_typed(text, found):
    assert card_numbers_in(text) == found
    assert holds_card_number(text) is True


@pytest.mark.parametrize("text", [
    "4242424242424241",  # fails Luhn
    "1234567812345670",  # passes Luhn, but no card starts with 1
    "7992739871300",  # passes Luhn, starts with 7
    "424242424242",  # 12 digits
    "42424242424242424242",  # 20 digits, one run
    "4242  4242  4242  4242",  # two spaces are not one number
    "Call 555 123 4567 after 5",
    "Order 100234, parcel 1Z999AA10123456784",
    "",
])
def test_other_text_passes(text):
    assert holds_card_number(text) is False


def test_a_refused_value_is_shown_masked_to_its_last_four_digits():
    assert mask_card_numbers("Card 4242 4242 4242 4242, ring twice") == "Card •••• •••• •••• 4242, ring twice"
    assert mask_card_numbers("Ring twice") == "Ring twice"


# --- forms ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form_class, data, field", [
    (NoteForm, {"text": "Her card is 4242 4242 4242 4242"}, "text"),
    (HoldForm, {"reason": "manual", "note": "pays with 5555-5555-5555-4444"}, "note"),
    (CancelOrderForm, {"reason": "card 4111111111111111 declined"}, "reason"),
    (CustomerForm, {"last_name": "Lovelace", "emails": "ada@example.com", "customer_type": "retail",
                    "terms": "prepaid", "credit_limit": "0", "notes": "card 378282246310005"}, "notes"),
    (AddressForm, {"name": "Ada", "line1": "4242 4242 4242 4242", "country": "US"}, "line1"),
])
def test_free_text_fields_refuse_a_card_number_with_a_message(form_class, data, field):
    form = form_class(data)

    assert form.is_valid() is False
    assert form.errors[field] == [MESSAGE]
    assert form.has_error(field, "card_number")


@pytest.mark.django_db
def test_phone_fields_keep_their_own_format_and_are_not_scanned():
    # A phone number that happens to pass Luhn is a phone number.
    customer = CustomerForm({"last_name": "Lovelace", "emails": "ada@example.com", "phones": "4242424242424242",
                             "customer_type": "retail", "terms": "prepaid", "credit_limit": "0"})
    address = AddressForm({"name": "Ada", "line1": "1 Main St", "country": "US", "phone": "4242 4242 4242 4242"})

    assert customer.is_valid(), customer.errors
    assert address.is_valid(), address.errors
    assert customer.cleaned_data["phones"] == ["4242424242424242"]


def _project_forms() -> list[type]:
    """Every form class defined in the project's apps (their forms modules are imported first)."""
    root = Path(apps.get_app_config("oms").path).parent
    for config in apps.get_app_configs():
        if Path(config.path).parent == root:
            # Every forms module of the app, its packages' too (payments.giftcards.forms…).
            for path in sorted(Path(config.path).rglob("forms.py")):
                importlib.import_module(".".join(path.relative_to(root).with_suffix("").parts))
    project = {config.name for config in apps.get_app_configs()
               if not config.name.startswith(("django.", "rest_framework", "django_htmx", "template_partials",
                                              "drf_spectacular", "import_export"))}
    found, pending = [], [django_forms.BaseForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in project and not cls.__module__.startswith("tests"):
            found.append(cls)
    return found


def test_every_form_of_the_project_scans_its_free_text():
    forms_found = _project_forms()

    assert len(forms_found) > 20  # the order, customer, catalog, stock and marketing forms at least
    assert [f"{cls.__module__}.{cls.__qualname__}" for cls in forms_found
            if not issubclass(cls, (FreeTextFormMixin, django_forms.BaseFormSet))] == []


@pytest.mark.django_db
def test_a_customer_note_with_a_card_number_is_refused_and_nothing_is_saved(role_client):
    client = role_client("Agent")
    customer = CustomerFactory()

    response = client.post(f"/orders/customers/{customer.pk}/notes/", {"text": "Card 4242 4242 4242 4242"},
                           follow=True)

    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    assert "4242 4242 4242 4242" not in response.content.decode()
    assert customer.customer_notes.count() == 0


@pytest.mark.django_db
def test_a_personalization_value_that_looks_like_a_card_number_is_refused():
    template = PersonalizationTemplate.objects.create(name="Message", price_addon=Decimal("0"))
    PersonalizationField.objects.create(template=template, key="message", label="Gift message", max_length=100)

    with pytest.raises(ValidationError) as refused:
        personalization_validate(template=template, values={"message": "Love, 4242 4242 4242 4242"})

    assert refused.value.message_dict == {"message": [MESSAGE]}
    assert personalization_validate(template=template, values={"message": "Love, Ada"}) == {"message": "Love, Ada"}


# --- the REST API ---------------------------------------------------------------------------------------


@pytest.fixture
def api(make_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user('Manager')).key}")
    return client


@pytest.fixture
def shop(db):
    tax_rates()
    ground()
    stock(SkuFactory(code="SHIRT-M", list_price=Decimal("20.00")), WarehouseFactory(), 10)
    CustomerFactory(number="C500", emails=["ada@example.com"])


def order_payload(**changes) -> dict:
    return {"channel": "web", "external_id": "W-1", "customer": {"number": "C500"},
            "lines": [{"sku_code": "SHIRT-M", "quantity": 1}], "ship_to": dict(NEW_YORK),
            "shipping_method": "GROUND", **changes}


def test_api_refuses_a_card_number_in_notes_addresses_and_personalization_naming_each_field(api, shop):
    payload = order_payload(notes="card 4242424242424242", ship_to={**NEW_YORK, "line2": "5555 5555 5555 4444"},
                            lines=[{"sku_code": "SHIRT-M", "quantity": 1,
                                    "personalization": {"message": "6011-1111-1111-1117"}}])

    response = api.post("/api/orders/", payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"notes": [MESSAGE], "ship_to": {"line2": [MESSAGE]},
                               "lines": {"0": {"personalization": {"message": [MESSAGE]}}}}
    assert Order.objects.count() == 0


def test_api_refuses_a_card_number_in_the_payment_instructions(api, shop):
    response = api.post("/api/orders/", order_payload(payment=[{"kind": "card", "number": "4242424242424242"}]),
                        format="json")

    assert response.status_code == 400
    assert response.json() == {"payment": {"0": {"number": [MESSAGE]}}}
    assert Order.objects.count() == 0


def test_api_phone_numbers_are_not_scanned(api, shop):
    response = api.post("/api/orders/", order_payload(ship_to={**NEW_YORK, "phone": "4242424242424242"}),
                        format="json")

    assert response.status_code == 201, response.json()
    assert Order.objects.get().ship_to["phone"] == "4242424242424242"


# --- imports --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_import_refuses_a_card_number_in_a_name_showing_it_masked_and_writes_nothing():
    data = csv_bytes(["sku_code", "sku_name"], ["MUG", "Mug 4242 4242 4242 4242"], ["CUP", "Cup"])
    SkuFactory(code="MUG", name="Mug")
    SkuFactory(code="CUP", name="Old cup")

    for dry_run in (True, False):
        result = import_file(kind="skus", file=data, user=None, dry_run=dry_run)

        assert [(error.row, error.column, error.value, error.message) for error in result.row_errors] == [
            (2, "sku_name", "Mug •••• •••• •••• 4242",
             "“Mug •••• •••• •••• 4242” looks like a card number; card numbers are taken only through the card "
             "field. Remove it from the file.")]
    assert sorted(Sku.objects.values_list("code", "name")) == [("CUP", "Old cup"), ("MUG", "Mug")]


@pytest.mark.django_db
def test_an_import_keeps_barcodes_and_codes_that_pass_luhn():
    SkuFactory(code="MUG", name="Mug")
    # 4006381333931 is a real EAN-13; 4222222222222 passes Luhn: a barcode keeps its format.
    data = csv_bytes(["sku_code", "sku_name", "barcode"], ["MUG", "Mug 4006381333931", "4222222222222"])

    result = import_file(kind="skus", file=data, user=None, dry_run=False)

    assert result.ok, result.row_errors
    assert Sku.objects.values_list("name", "barcode").get() == ("Mug 4006381333931", "4222222222222")


# --- the Django admin -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_forms_scan_free_text_too(rf, make_user):
    from django.contrib import admin
    from django.forms.models import model_to_dict

    from orders.models import Customer

    request = rf.get("/admin/")
    request.user = make_user("Admin")
    unscanned = [f"{model.__name__}" for model, model_admin in admin.site._registry.items()
                 if model.__module__.split(".")[0] in {"catalog", "inventory", "marketing", "orders", "payments",
                                                        "oms", "integrations"}
                 and not issubclass(model_admin.get_form(request), FreeTextFormMixin)]
    customer = CustomerFactory()
    form_class = admin.site._registry[Customer].get_form(request, customer)
    data = {key: value for key, value in model_to_dict(customer).items() if value is not None}
    data.update(notes="Card 4242 4242 4242 4242", emails=",".join(customer.emails), phones="")

    form = form_class(data, instance=customer)

    assert unscanned == []
    assert form.is_valid() is False
    assert form.errors["notes"] == [MESSAGE]
