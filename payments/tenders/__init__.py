"""Tenders: how an order is paid (card, gift card, check, on account, cash, marketplace-collected).

What the other payments work builds on (the names are the contract):

- models (``payments.tenders.models``, importable from ``payments.models``): ``Tender``,
  ``PaymentCard``, ``PaymentAttempt``, ``WebhookEvent``;
- services (``payments.tenders.services``): ``tender_add``, ``payment_authorize``,
  ``payment_capture`` (returns a ``CaptureResult``), ``payment_void``, ``payment_reauthorize``;
  helpers for other tender kinds: ``payment_amounts`` (what each instruction covers),
  ``order_balance_due``, ``lock_tender``, ``idempotency_key``, ``register_payment_hold_blocker``
  (keep the shared payment hold on), ``release_payment_hold_if_paid``, ``order_payment_is_good``
  (fulfillment: nothing ships against a lapsed authorization), ``authorizations_expiring``
  (the order list's flag);
- the gateway (``payments.gateway``): PaymentIntents, ``refund_create``, customers, payment
  methods, SetupIntents, ``webhook_event``; ``is_test_gateway`` for the page's badge;
- webhooks (``payments.tenders.webhooks``): ``register_webhook_handler(type, handler)``;
- tasks (``payments.tasks``) on the ``payments`` queue.

The order flow reaches payments only through ``orders.hooks`` (see its docstring), registered in
``PaymentsConfig.ready``.
"""
