"""Card payments in the browser: Stripe Elements on the order-entry page and the order page.

The agent keys the caller's card into Stripe Elements; the browser confirms a SetupIntent with
it (``confirmCardSetup``) and our server receives only Stripe ids. Before the order is placed
(outside any database transaction) the server reads the SetupIntent back from Stripe, attaches
its PaymentMethod to the customer's Stripe Customer, and hands order entry the payment
instruction ``{"kind": "card", "payment_method": "pm_…", "save": bool, "brand": …, "last4": …,
"exp_month": …, "exp_year": …, "stripe_customer": "cus_…"}`` with the card's details as Stripe
reports them (a saved card: ``{"kind": "card", "card_id": pk}``). Core's payment check
turns it into a tender; the authorization runs in a task after commit.

* ``gateway``: the few Stripe calls the screens make (Customer, SetupIntent, PaymentMethod);
* ``entry``: the order-entry panel and the reader of its POST;
* ``panels``: the order page's tender panel (hidden from those without ``payments.view_tender``,
  so Warehouse sees no payment data) and the order list's expiring-authorization flag;
* ``views``: the SetupIntent endpoint, the polling tender panel, "Try another card", "check
  again" after 3-D Secure, and localstripe's stripe.js stand-in served wrapped (it declares a
  global ``Element`` class that would shadow the DOM's for htmx).

The browser script is ``static/payments/card_entry.js`` (no inline script: the publishable key
and URLs are data attributes; the secret key never reaches a page).
"""
