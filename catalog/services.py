"""Catalog writes."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from catalog.errors import CatalogError, KitCycleError
from catalog.models import KitComponent, PersonalizationField, PersonalizationTemplate, Sku
from catalog.selectors import MAX_KIT_DEPTH, kit_descendant_ids, kit_tree
from oms.text import CARD_NUMBER_MESSAGE, holds_card_number


def kit_component_set(*, kit: Sku, component: Sku, quantity: int, user) -> KitComponent:
    """Put ``quantity`` of ``component`` into ``kit`` (adding or changing the line).

    Refuses a cycle (a kit that would contain itself at any depth) and nesting deeper than
    MAX_KIT_DEPTH. Both SKUs are locked in pk order, so two editors cannot build a cycle
    between them at the same moment.
    """
    if quantity < 1:
        raise ValidationError({"quantity": _("A kit needs at least one of each component.")})
    with transaction.atomic(durable=True):
        locked = {sku.pk: sku for sku in Sku.objects.filter(pk__in=[kit.pk, component.pk]).order_by("pk")
                  .select_for_update(no_key=True)}
        kit, component = locked[kit.pk], locked.get(component.pk, kit)
        if component.pk == kit.pk:
            raise KitCycleError(_("A kit cannot contain itself."))
        if component.is_kit and kit.pk in kit_descendant_ids(component.pk):
            raise KitCycleError(
                _("%(component)s already contains %(kit)s, so adding it to %(kit)s would make a cycle.")
                % {"component": component.code, "kit": kit.code}
            )
        if component.is_kit and _depth(component.pk) + 1 > MAX_KIT_DEPTH:
            raise KitCycleError(_("Kits may be nested at most %(depth)d deep.") % {"depth": MAX_KIT_DEPTH})
        if not kit.is_kit and kit.stock_levels.exclude(on_hand=0).exists():
            # A kit holds no stock of its own (DESIGN.md); stock already here would be stranded.
            raise CatalogError(
                _("%(code)s holds stock of its own; move or adjust it to zero before making it a kit.")
                % {"code": kit.code}
            )
        line, _created = KitComponent.objects.update_or_create(
            kit=kit, component=component, defaults={"quantity": quantity}
        )
        if not kit.is_kit:
            kit.is_kit = True
            kit.save(update_fields=["is_kit", "updated_at"])
    return line


def kit_component_remove(*, kit: Sku, component: Sku, user) -> None:
    """Take ``component`` out of ``kit``; a kit left with no components is an ordinary SKU again."""
    with transaction.atomic(durable=True):
        kit = Sku.objects.select_for_update(no_key=True).get(pk=kit.pk)
        KitComponent.objects.filter(kit=kit, component=component).delete()
        if not KitComponent.objects.filter(kit=kit).exists():
            kit.is_kit = False
            kit.save(update_fields=["is_kit", "updated_at"])


def _depth(kit_id: int) -> int:
    tree = kit_tree({kit_id})

    def depth(node: int) -> int:
        children = [child for child, _q in tree.get(node, []) if child in tree]
        return 1 + max((depth(child) for child in children), default=0)

    return depth(kit_id)


def personalization_validate(*, template: PersonalizationTemplate, values: dict[str, str]) -> dict[str, str]:
    """Check ``values`` against the template and return them cleaned (trimmed, only known keys).

    Raises ValidationError with one message per field that is wrong, naming the field.
    """
    fields: list[PersonalizationField] = list(template.fields.all())
    known = {field.key for field in fields}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - known)
    if unknown:
        errors["__all__"] = [_("Unknown personalization fields: %(keys)s.") % {"keys": ", ".join(unknown)}]
    cleaned: dict[str, str] = {}
    for field in fields:
        raw = values.get(field.key)
        value = unicodedata.normalize("NFC", str(raw)).strip() if raw is not None else ""
        if not value:
            if field.is_required:
                errors[field.key] = [_("%(label)s is required.") % {"label": field.label}]
            continue
        message = str(CARD_NUMBER_MESSAGE) if holds_card_number(value) else _field_error(field, value)
        if message:
            errors[field.key] = [message]
        else:
            cleaned[field.key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _field_error(field: PersonalizationField, value: str) -> str | None:
    if field.kind == PersonalizationField.Kind.CHOICE:
        if value not in field.choices:
            return _("%(label)s must be one of: %(choices)s.") % {
                "label": field.label, "choices": ", ".join(map(str, field.choices))}
        return None
    if field.max_length and len(value) > field.max_length:
        return _("%(label)s can be at most %(max)d characters (it has %(length)d).") % {
            "label": field.label, "max": field.max_length, "length": len(value)}
    if field.allowed_characters:
        bad = sorted({char for char in value if char not in field.allowed_characters})
        if bad:
            return _("%(label)s may not contain: %(characters)s") % {
                "label": field.label, "characters": " ".join(repr(char) for char in bad)}
    elif any(not char.isprintable() for char in value):
        return _("%(label)s contains characters that cannot be printed.") % {"label": field.label}
    return None
