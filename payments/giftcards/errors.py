from decimal import Decimal


class GiftCardError(Exception):
    """A gift card operation refused; the message is for the agent, and nothing was written.

    ``reason``: unknown, expired, status, insufficient, currency, amount, permission, reason, kind.
    ``balance``: what is left on the card, for an insufficient balance.
    """

    def __init__(self, message: str, *, reason: str, balance: Decimal | None = None):
        super().__init__(message)
        self.reason = reason
        self.balance = balance
