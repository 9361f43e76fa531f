"""The one exception order services raise for the user to read."""

from __future__ import annotations

from django.utils.translation import gettext as _

NON_FIELD = "__all__"


class OrderError(Exception):
    """An order rule was broken; nothing was written.

    ``field_errors`` maps a field to its messages, in the shape of Django's
    ``ValidationError.message_dict``, so a form can show each message next to its field:

    - ``lines`` (the basket as a whole), ``lines-<n>-sku``, ``lines-<n>-quantity`` and
      ``lines-<n>-personalization-<key>`` (``<n>`` counts the requested lines from 0);
    - ``ship_<field>`` and ``bill_<field>`` for the address fields (``ship_postal_code``);
    - ``shipping_method``, ``pickup_warehouse``, ``fulfillment_type``, ``channel``,
      ``customer``, ``source_code``, ``coupons``, ``quantities``, ``status``;
    - ``__all__`` for the rest.
    """

    def __init__(self, message: str | None = None, *, field_errors: dict[str, list[str]] | None = None):
        self.field_errors: dict[str, list[str]] = {
            key: list(value) for key, value in (field_errors or {}).items()}
        if message is None:
            message = next((text for messages in self.field_errors.values() for text in messages),
                           _("The order cannot be accepted."))
        elif not self.field_errors:
            self.field_errors = {NON_FIELD: [message]}
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self.args[0])

    @property
    def messages(self) -> list[str]:
        return [text for messages in self.field_errors.values() for text in messages]
