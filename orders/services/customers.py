"""Customer writes: create (or find by email, for outside orders), update, the address book and notes.

Every function runs in one transaction and raises ``ValidationError`` (a dict of field
errors) when the data is wrong, leaving nothing written. Emails are kept lower-case and
phones as digits only, which is what the GIN indexes and the duplicate check compare.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils.translation import gettext as _

from orders.models import Address, Customer, CustomerNote
from orders.services.addresses import address_check

CUSTOMER_FIELDS = (
    "first_name", "last_name", "company", "emails", "phones", "customer_type", "terms", "credit_limit",
    "is_tax_exempt", "tax_exempt_number", "marketing_opt_in", "notes",
)
MIN_PHONE_DIGITS = 4
MAX_PHONE_DIGITS = 20


def normalize_emails(emails: Iterable[str]) -> list[str]:
    """Trimmed, lower-cased, without blanks or repeats, in the order given."""
    cleaned: list[str] = []
    for email in emails:
        value = (email or "").strip().lower()
        if value and value not in cleaned:
            cleaned.append(value)
    return cleaned


def normalize_phone(phone: str) -> str:
    """The digits of a phone number as typed: "+1 (555) 010-2030" becomes "15550102030"."""
    return re.sub(r"\D", "", phone or "")


def normalize_phones(phones: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for phone in phones:
        value = normalize_phone(phone)
        if value and value not in cleaned:
            cleaned.append(value)
    return cleaned


def _next_customer_number() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('orders_customer_number_seq')")
        (value,) = cursor.fetchone()
    return f"C{value}"


def _check_contact(*, emails: list[str], phones: list[str], errors: dict[str, list[str]]) -> None:
    for email in emails:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("emails", []).append(_("“%(email)s” is not an email address.") % {"email": email})
    for phone in phones:
        if not MIN_PHONE_DIGITS <= len(phone) <= MAX_PHONE_DIGITS:
            errors.setdefault("phones", []).append(
                _("“%(phone)s” is not a phone number: it needs %(min)d to %(max)d digits.")
                % {"phone": phone, "min": MIN_PHONE_DIGITS, "max": MAX_PHONE_DIGITS})


def _check_customer(values: dict) -> None:
    errors: dict[str, list[str]] = {}
    if not (values["first_name"].strip() or values["last_name"].strip() or values["company"].strip()):
        errors["last_name"] = [_("Give a name or a company.")]
    _check_contact(emails=values["emails"], phones=values["phones"], errors=errors)
    if values["credit_limit"] < 0:
        errors["credit_limit"] = [_("The credit limit cannot be negative.")]
    if values["customer_type"] not in Customer.Type.values:
        errors["customer_type"] = [_("Unknown customer type.")]
    if values["terms"] not in Customer.Terms.values:
        errors["terms"] = [_("Unknown terms.")]
    if values["is_tax_exempt"] and not values["tax_exempt_number"].strip():
        errors["tax_exempt_number"] = [_("A tax-exempt customer needs an exemption number.")]
    if errors:
        raise ValidationError(errors)


def clean_address(address: dict, *, prefix: str = "") -> dict:
    """The address as orders snapshot it (trimmed, the state as its code where known: "New York"
    becomes "NY", which is how tax rates name regions); raises when it cannot be delivered to.

    The checks are order entry's (``orders.services.addresses.address_check``: required fields
    and postal-code shapes by country), so an address from the book passes at order entry.
    Error keys carry ``prefix`` (``ship_line1``...), so that a form showing two addresses can
    put each message next to its field.
    """
    values = dict(address)
    values["country"] = str(values.get("country") or "US")
    cleaned, problems = address_check(values)
    if problems:
        raise ValidationError({f"{prefix}{field}": [message] for field, message in problems.items()})
    return cleaned


def customer_create(
    *,
    user,
    first_name: str,
    last_name: str,
    company: str = "",
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    customer_type: str = Customer.Type.RETAIL,
    terms: str = Customer.Terms.PREPAID,
    credit_limit: Decimal = Decimal(0),
    is_tax_exempt: bool = False,
    tax_exempt_number: str = "",
    marketing_opt_in: bool = False,
    notes: str = "",
    ship_address: dict | None = None,
    bill_address: dict | None = None,
) -> Customer:
    """Create a customer numbered ``C<n>`` from ``orders_customer_number_seq``.

    The ship and bill addresses, when given, go into the address book and become the
    defaults; without a bill address the ship address is the default for both. Likely
    duplicates are not refused here: the screen warns about them (``customer_duplicates``).
    """
    values = {
        "first_name": first_name.strip(), "last_name": last_name.strip(), "company": company.strip(),
        "emails": normalize_emails(emails), "phones": normalize_phones(phones),
        "customer_type": customer_type, "terms": terms, "credit_limit": Decimal(credit_limit),
        "is_tax_exempt": is_tax_exempt, "tax_exempt_number": tax_exempt_number.strip(),
        "marketing_opt_in": marketing_opt_in, "notes": notes.strip(),
    }
    _check_customer(values)
    errors: dict[str, list[str]] = {}
    cleaned_ship = cleaned_bill = None
    for prefix, address in (("ship_", ship_address), ("bill_", bill_address)):
        if not address:
            continue
        try:
            cleaned = clean_address(address, prefix=prefix)
        except ValidationError as error:
            errors.update(error.message_dict)
            continue
        if prefix == "ship_":
            cleaned_ship = cleaned
        else:
            cleaned_bill = cleaned
    if errors:
        raise ValidationError(errors)

    with transaction.atomic(durable=True):
        customer = Customer.objects.create(number=_next_customer_number(), **values)
        ship = Address.objects.create(customer=customer, **cleaned_ship) if cleaned_ship else None
        bill = (Address.objects.create(customer=customer, **cleaned_bill)
                if cleaned_bill and cleaned_bill != cleaned_ship else ship)
        if ship or bill:
            customer.default_ship_address = ship or bill
            customer.default_bill_address = bill or ship
            customer.save(update_fields=["default_ship_address", "default_bill_address", "updated_at"])
    return customer


def customer_find_by_email(*, email: str) -> Customer | None:
    """The oldest customer with this email address (one indexed query), or None."""
    emails = normalize_emails([email])
    if not emails:
        return None
    return Customer.objects.filter(emails__contains=emails).order_by("pk").first()


def customer_find_or_create(*, user, details: Mapping, ship_to: dict | None = None, bill_to: dict | None = None,
                            before_create: Callable[[], None] | None = None) -> tuple[Customer, bool]:
    """The customer an outside order describes: ``(customer, created)``.

    ``details`` has ``first_name``, ``last_name``, ``company``, ``email``, ``phone``,
    ``marketing_opt_in`` and ``addresses``. The oldest customer with that email is the one;
    else ``before_create`` runs (it raises to refuse: an order that would be refused creates
    no customer) and a customer is created with :func:`customer_create`: its first address, or
    ``ship_to``, becomes its default ship-to, its second, or ``bill_to``, its default bill-to.
    Raises ``ValidationError`` as ``customer_create`` does. Two calls for one email at the same
    time would each create one: a caller that may run them at once serializes them (the API
    holds an advisory lock on the email).
    """
    email = str(details.get("email") or "")
    found = customer_find_by_email(email=email) if email else None
    if found is not None:
        return found, False
    if before_create is not None:
        before_create()
    addresses = list(details.get("addresses") or [])
    ship_address = addresses[0] if addresses else ship_to
    bill_address = addresses[1] if len(addresses) > 1 else (bill_to or None)
    customer = customer_create(
        user=user, first_name=details.get("first_name", ""), last_name=details.get("last_name", ""),
        company=details.get("company", ""), emails=[email] if email else [],
        phones=[details["phone"]] if details.get("phone") else [],
        marketing_opt_in=bool(details.get("marketing_opt_in")), ship_address=ship_address,
        bill_address=bill_address,
    )
    return customer, True


def _lock_customer(customer: Customer) -> Customer:
    # FOR NO KEY UPDATE: the row's key does not change, so orders and addresses that reference
    # it may still be inserted while we hold the lock.
    return Customer.objects.select_for_update(no_key=True).get(pk=customer.pk)


def customer_update(*, customer: Customer, user, **changes) -> Customer:
    """Change any of the customer's own fields (not the number); returns the updated customer."""
    unknown = sorted(set(changes) - set(CUSTOMER_FIELDS))
    if unknown:
        raise TypeError(f"customer_update() got unexpected fields: {', '.join(unknown)}")
    if "emails" in changes:
        changes["emails"] = normalize_emails(changes["emails"])
    if "phones" in changes:
        changes["phones"] = normalize_phones(changes["phones"])
    for field in ("first_name", "last_name", "company", "tax_exempt_number", "notes"):
        if field in changes:
            changes[field] = (changes[field] or "").strip()
    with transaction.atomic(durable=True):
        locked = _lock_customer(customer)
        values = {field: getattr(locked, field) for field in CUSTOMER_FIELDS} | changes
        values["credit_limit"] = Decimal(values["credit_limit"])
        _check_customer(values)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.save(update_fields=[*changes, "updated_at"])
    return locked


def customer_address_add(*, customer: Customer, user, address: dict, default_ship: bool = False,
                         default_bill: bool = False) -> Address:
    """Add an address to the customer's book, optionally as the default ship-to and/or bill-to.

    A customer without a default address gets this one as the default.
    """
    cleaned = clean_address(address)
    with transaction.atomic(durable=True):
        locked = _lock_customer(customer)
        created = Address.objects.create(customer=locked, **cleaned)
        _set_defaults(locked, created, ship=default_ship or locked.default_ship_address_id is None,
                      bill=default_bill or locked.default_bill_address_id is None)
    return created


def customer_address_update(*, address: Address, user, values: dict, default_ship: bool = False,
                            default_bill: bool = False) -> Address:
    """Correct an address of the book. Orders keep their own copy, so they do not change."""
    cleaned = clean_address(values)
    with transaction.atomic(durable=True):
        locked = _lock_customer(address.customer)
        Address.objects.filter(pk=address.pk).update(**cleaned)
        for field, value in cleaned.items():
            setattr(address, field, value)
        _set_defaults(locked, address, ship=default_ship, bill=default_bill)
    return address


def _set_defaults(customer: Customer, address: Address, *, ship: bool, bill: bool) -> None:
    fields = []
    if ship and customer.default_ship_address_id != address.pk:
        customer.default_ship_address = address
        fields.append("default_ship_address")
    if bill and customer.default_bill_address_id != address.pk:
        customer.default_bill_address = address
        fields.append("default_bill_address")
    if fields:
        customer.save(update_fields=[*fields, "updated_at"])


def customer_note_add(*, customer: Customer, user, text: str) -> CustomerNote:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the note first.")]})
    with transaction.atomic(durable=True):
        return CustomerNote.objects.create(customer=customer, text=text, author=user)
