class MarketingError(Exception):
    """A marketing rule was broken; the message is for the user."""


class UsageLimitReached(MarketingError):
    """A promotion or coupon has no use left (in total, or for this customer)."""

    def __init__(self, message: str, *, promotion_id: int | None = None, coupon_code: str = ""):
        super().__init__(message)
        self.promotion_id = promotion_id
        self.coupon_code = coupon_code
