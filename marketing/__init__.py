"""Marketing: campaigns, source codes, price lists, promotions, coupons and segments, and the one pricing engine.

- ``marketing.pricing.price_order`` prices an order for every channel (phone, web, marketplace,
  POS, store); its rules (base prices, conditions, priority and exclusivity, rounding and
  allocation) are in the docstring of ``marketing.pricing.engine.compute``.
- ``marketing.services.promotion_redeem`` records the promotions and coupons an order used,
  within their total and per-customer limits; order placement calls it last in its transaction.
- Orders and channel adapters pass plain values (``CustomerContext``, ``LineInput``,
  ``ShippingInput``); marketing imports catalog, never orders.
"""
