"""The demo's tenders (``seed_demo`` step "payments", after the orders): cards as Stripe ids only.

Set-based, like the demo orders: a handful of ``INSERT … SELECT`` statements over every demo
order, no gateway call. Each customer who paid by card has one saved card (fake ``pm_demo_…`` /
``cus_demo_…`` ids, a brand, last four and expiry, never a number); each paid order a card
tender (``pi_demo_…``) sized to its total:

- not shipped yet: authorized (renewed within the last days, so nothing looks lapsed);
- partially shipped: the shipped lines' share captured, the rest still authorized;
- shipped, delivered, closed, with a return: captured in full; a returned order refunded in full
  (a done Refund with its allocation and gateway attempt, ``re_demo_…``);
- a few orders with a return requested (or recently delivered) carry a refund awaiting approval
  (the approval queue);
- about one unshipped order in four has no tender yet: its balance is due.

Marketplace orders were paid to the marketplace and carry no tender here; draft and cancelled
orders none either. Gift cards, checks and accounts are added by their apps' demo steps.

The journal is the one the services write (captures: Dr card clearing, Cr customer deposits;
refunds: the reverse), posted through ``oms.hooks.ledger_post`` as one entry per month and kind
rather than one per tender (as the opening stock is posted per warehouse), with the month's
first attempt as the source. Seeding again adds nothing.
"""

from __future__ import annotations

import time
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction

from oms.hooks import PostingLine, ledger_post

UNSHIPPED = ("placed", "on_hold", "allocated", "picking", "packed")
SHIPPED = ("shipped", "delivered", "closed", "return_requested", "returned")
PAID = (*UNSHIPPED, "partially_shipped", *SHIPPED)
UNPAID_ONE_IN = 4  # unshipped orders whose id is a multiple of this have no tender yet (balance due)
PENDING_REFUNDS = 6  # orders with a return requested whose refund waits for approval
BRANDS = [("visa", "4242"), ("mastercard", "4444"), ("amex", "8431"), ("discover", "1117"), ("visa", "1881"),
          ("mastercard", "5100")]


def seed_payments(*, stdout, options: dict) -> None:
    """Give the demo's orders their card tenders, captures and refunds (idempotent)."""
    from payments.tenders.models import Tender

    # Receivables' demo step gives the on-account orders their tenders first; cards go to the rest.
    if Tender.objects.filter(kind=Tender.Kind.CARD).exists():
        stdout.write(f"Demo payments: {Tender.objects.count():,} tenders already.")
        return
    started = time.monotonic()
    with transaction.atomic():
        counts = _write()
        entries = _post()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE payments_paymentcard, payments_tender, payments_paymentattempt, "
                       "payments_refund, payments_refundallocation")
    stdout.write("Demo payments: {cards:,} saved cards, {tenders:,} card tenders ({captured:,} captured, "
                 "{refunds:,} refunds), {unpaid:,} orders with a balance due, {entries:,} journal entries "
                 "in {seconds:.1f} s.".format(**counts, entries=entries, seconds=time.monotonic() - started))


def _execute(cursor, sql: str, params=None) -> int:
    cursor.execute(sql, params)
    return cursor.rowcount


def _write() -> dict[str, int]:
    brands = "ARRAY[{}]".format(", ".join(f"'{brand}'" for brand, _last4 in BRANDS))
    last4s = "ARRAY[{}]".format(", ".join(f"'{last4}'" for _brand, last4 in BRANDS))
    paid = "o.status = ANY(%(paid)s) AND o.channel NOT LIKE 'marketplace%%' AND o.total > 0 " \
           "AND NOT (o.status = ANY(%(unshipped)s) AND o.id %% %(unpaid)s = 0) " \
           "AND NOT EXISTS (SELECT 1 FROM payments_tender x WHERE x.order_id = o.id)"
    params = {"paid": list(PAID), "unshipped": list(UNSHIPPED), "shipped": list(SHIPPED), "unpaid": UNPAID_ONE_IN}
    with connection.cursor() as cursor:
        unpaid = _execute(cursor, "SELECT 1 FROM orders_order o WHERE o.status = ANY(%(unshipped)s) "
                                  "AND o.channel NOT LIKE 'marketplace%%' AND o.total > 0 "
                                  "AND o.id %% %(unpaid)s = 0", params)
        cards = _execute(cursor, f"""
            INSERT INTO payments_paymentcard (customer_id, stripe_customer_id, stripe_payment_method_id, brand, last4,
                                              exp_month, exp_year, is_saved, created_at)
            SELECT c.customer_id, 'cus_demo_' || c.customer_id, 'pm_demo_' || c.customer_id,
                   ({brands})[1 + c.customer_id %% {len(BRANDS)}], ({last4s})[1 + c.customer_id %% {len(BRANDS)}],
                   1 + c.customer_id %% 12, extract(year FROM now())::int + 1 + c.customer_id %% 4, true, c.first_at
            FROM (SELECT o.customer_id, min(COALESCE(o.placed_at, o.created_at)) AS first_at FROM orders_order o
                  WHERE {paid} AND o.customer_id IS NOT NULL GROUP BY o.customer_id) c""", params)
        # The shipped share of a partially shipped order: its lines' totals by the units shipped.
        tenders = _execute(cursor, f"""
            INSERT INTO payments_tender (order_id, kind, status, currency, amount, authorized_amount, captured_amount,
                                         refunded_amount, reference, card_id, stripe_payment_intent_id, authorized_at,
                                         authorization_expires_at, failure_message, created_by_id, created_at,
                                         updated_at, sequence)
            SELECT o.id, 'card', CASE WHEN o.status = ANY(%(shipped)s) THEN 'captured' ELSE 'authorized' END,
                   o.currency, o.total, o.total,
                   CASE WHEN o.status = ANY(%(unshipped)s) THEN 0
                        WHEN o.status = 'partially_shipped' THEN COALESCE(s.value, 0) ELSE o.total END,
                   0, '', card.id, 'pi_demo_' || o.id, a.authorized_at,
                   CASE WHEN o.status = ANY(%(shipped)s) THEN NULL ELSE a.authorized_at + interval '7 days' END,
                   '', o.created_by_id, COALESCE(o.placed_at, o.created_at), COALESCE(o.placed_at, o.created_at), 1
            FROM orders_order o
            JOIN payments_paymentcard card ON card.customer_id = o.customer_id AND card.is_saved
            LEFT JOIN LATERAL (
                SELECT round(sum(l.line_total * l.quantity_shipped / NULLIF(l.quantity, 0)), 2) AS value
                FROM orders_orderline l WHERE l.order_id = o.id AND o.status = 'partially_shipped') s ON true
            CROSS JOIN LATERAL (
                SELECT CASE WHEN o.status = ANY(%(shipped)s) THEN COALESCE(o.placed_at, o.created_at)
                            ELSE GREATEST(COALESCE(o.placed_at, o.created_at),
                                          now() - make_interval(hours => (o.id %% 96)::int)) END AS authorized_at) a
            WHERE {paid}""", params)
        captured = _execute(cursor, """
            INSERT INTO payments_paymentattempt (tender_id, action, amount, idempotency_key, status, gateway_id,
                                                 error_code, error_message, created_by_id, created_at, completed_at)
            SELECT t.id, 'capture', t.captured_amount, 'tender-' || t.id || '-capture-demo', 'succeeded',
                   t.stripe_payment_intent_id, '', '', NULL, LEAST(t.created_at + interval '2 days', now()),
                   LEAST(t.created_at + interval '2 days', now())
            FROM payments_tender t WHERE t.captured_amount > 0 AND t.kind = 'card'""")
        refunds = _refunds(cursor)
    return {"cards": cards, "tenders": tenders, "captured": captured, "refunds": refunds, "unpaid": unpaid}


def _refunds(cursor) -> int:
    """Returned orders refunded in full (done); a few with a return requested (else delivered) awaiting approval."""
    done = _execute(cursor, """
        WITH returned AS (
            SELECT t.id AS tender_id, t.order_id, t.captured_amount AS amount, t.currency,
                   t.created_at + interval '20 days' AS at, o.created_by_id
            FROM payments_tender t JOIN orders_order o ON o.id = t.order_id
            WHERE o.status = 'returned' AND t.captured_amount > 0 AND t.kind = 'card'
        ), refund AS (
            INSERT INTO payments_refund (order_id, amount, currency, reason, status, requested_by_id, approved_by_id,
                                         approved_at, rejection_reason, failure_message, created_at, updated_at)
            SELECT order_id, amount, currency, 'Return received', 'done', created_by_id, NULL, LEAST(at, now()),
                   '', '', LEAST(at, now()), LEAST(at, now())
            FROM returned RETURNING id, order_id, amount, created_at
        ), attempt AS (
            INSERT INTO payments_paymentattempt (tender_id, action, amount, idempotency_key, status, gateway_id,
                                                 error_code, error_message, created_by_id, created_at, completed_at)
            SELECT r.tender_id, 'refund', f.amount, 'refund-demo-' || f.id, 'succeeded', 're_demo_' || f.id, '', '',
                   NULL, f.created_at, f.created_at
            FROM refund f JOIN returned r ON r.order_id = f.order_id
            RETURNING id, tender_id, amount, created_at
        )
        INSERT INTO payments_refundallocation (refund_id, tender_id, amount, status, attempt_id, payment_intent_id,
                                               failure_message, created_at, completed_at)
        SELECT f.id, a.tender_id, a.amount, 'done', a.id, 'pi_demo_' || f.order_id, '', f.created_at, f.created_at
        FROM refund f JOIN returned r ON r.order_id = f.order_id JOIN attempt a ON a.tender_id = r.tender_id""")
    _execute(cursor, """
        UPDATE payments_tender t SET refunded_amount = a.total
        FROM (SELECT tender_id, sum(amount) AS total FROM payments_refundallocation WHERE status = 'done'
              GROUP BY tender_id) a WHERE a.tender_id = t.id""")
    waiting = _execute(cursor, """
        WITH asked AS (
            SELECT t.id AS tender_id, t.order_id, round(t.captured_amount * 0.6, 2) AS amount, t.currency,
                   o.created_by_id
            FROM payments_tender t JOIN orders_order o ON o.id = t.order_id
            WHERE o.status IN ('return_requested', 'delivered') AND t.captured_amount > 0 AND t.kind = 'card'
            ORDER BY o.status = 'return_requested' DESC, o.placed_at DESC NULLS LAST, o.id DESC LIMIT %s
        ), refund AS (
            INSERT INTO payments_refund (order_id, amount, currency, reason, status, requested_by_id, approved_by_id,
                                         approved_at, rejection_reason, failure_message, created_at, updated_at)
            SELECT order_id, amount, currency, 'Customer says the item arrived damaged', 'pending_approval',
                   created_by_id, NULL, NULL, '', '', now(), now()
            FROM asked RETURNING id, order_id, amount
        )
        INSERT INTO payments_refundallocation (refund_id, tender_id, amount, status, attempt_id, payment_intent_id,
                                               failure_message, created_at, completed_at)
        SELECT f.id, a.tender_id, f.amount, 'pending', NULL, 'pi_demo_' || f.order_id, '', now(), NULL
        FROM refund f JOIN asked a ON a.order_id = f.order_id""", [PENDING_REFUNDS])
    return done + waiting


def _post() -> int:
    """The captures' and refunds' journal, one entry per month, currency and kind (see the module docstring)."""
    from inventory.postings import business_date
    from payments.tenders.models import PaymentAttempt

    groups: dict[tuple, list] = defaultdict(lambda: [None, Decimal("0"), None])
    for attempt_id, action, amount, currency, completed_at in (
            PaymentAttempt.objects.filter(status="succeeded", action__in=("capture", "refund"), tender__kind="card")
            .order_by("completed_at", "pk").values_list("pk", "action", "amount", "tender__currency", "completed_at")
            .iterator(chunk_size=5000)):
        day = business_date(completed_at)
        group = groups[(day.year, day.month, currency, action)]
        if group[0] is None:
            group[0] = attempt_id
        group[1] += amount
        group[2] = day
    attempts = PaymentAttempt.objects.in_bulk([group[0] for group in groups.values()])
    for (year, month, currency, action), (first_id, total, last_day) in sorted(groups.items()):
        capture = action == "capture"
        memo = f"Demo card {'captures' if capture else 'refunds'} {year}-{month:02d}"
        lines = [PostingLine(role="card_clearing", debit=total, memo=memo),
                 PostingLine(role="customer_deposits", credit=total, memo=memo)]
        if not capture:
            lines = [PostingLine(role="customer_deposits", debit=total, memo=memo),
                     PostingLine(role="card_clearing", credit=total, memo=memo)]
        ledger_post(source=attempts[first_id], kind=f"payment.{'capture' if capture else 'refund'}.demo",
                    lines=lines, on_date=last_day, user=None, memo=memo, currency=currency)
    return len(groups)


# --- the demo shipments' revenue and COGS (step "shipment postings", after orders' "fulfillment") ----------------

def _role_account(role: str) -> str:
    """The account of a posting role at the shipment's warehouse (its own rule, else the default)."""
    return (f"COALESCE((SELECT r.account_id FROM payments_postingrule r WHERE r.role = '{role}' "
            f"AND r.warehouse_id = s.warehouse_id), (SELECT r.account_id FROM payments_postingrule r "
            f"WHERE r.role = '{role}' AND r.warehouse_id IS NULL))")


_SHIPMENT_ENTRIES = f"""
WITH s AS (
    SELECT sh.id, sh.number, sh.warehouse_id, o.currency, o.number AS order_number,
           (e.data->>'amount')::numeric AS amount, (e.data->>'revenue')::numeric AS revenue,
           (e.data->>'shipping')::numeric AS shipping, (e.data->>'tax')::numeric AS tax,
           (e.data->>'cost')::numeric AS cost, (sh.shipped_at AT TIME ZONE %(zone)s)::date AS day
    FROM orders_shipment sh JOIN orders_order o ON o.id = sh.order_id
    JOIN orders_shipmentevent e ON e.shipment_id = sh.id AND e.kind = 'ship' AND e.data ? 'demo'
    WHERE NOT EXISTS (SELECT 1 FROM payments_journalentry j WHERE j.source_type = 'orders.shipment'
                      AND j.source_id = sh.id::text AND j.kind = 'order.shipment')
      AND ((e.data->>'amount')::numeric <> 0 OR (e.data->>'cost')::numeric <> 0)
), entry AS (
    INSERT INTO payments_journalentry (entry_date, period_id, kind, source_type, source_id, memo, currency,
                                       reversal_of_id, created_by_id, created_at)
    SELECT s.day, p.id, 'order.shipment', 'orders.shipment', s.id::text,
           'Shipment ' || s.number || ' of order ' || s.order_number, s.currency, NULL, NULL, now()
    FROM s JOIN payments_fiscalperiod p ON s.day BETWEEN p.starts_on AND p.ends_on
    RETURNING id, source_id, entry_date, currency
)
INSERT INTO payments_journalline (entry_id, account_id, entry_date, debit, credit, currency, memo, warehouse_id)
SELECT e.id, v.account_id, e.entry_date, GREATEST(v.amount, 0), GREATEST(-v.amount, 0), e.currency, v.memo,
       v.warehouse_id
FROM entry e JOIN s ON s.id::text = e.source_id
CROSS JOIN LATERAL (VALUES
    ({_role_account("customer_deposits")}, s.amount, NULL::bigint, ''),
    ({_role_account("revenue")}, -s.revenue, NULL::bigint, 'Demo shipment'),
    ({_role_account("shipping_income")}, -s.shipping, NULL::bigint, ''),
    ({_role_account("sales_tax_payable")}, -s.tax, NULL::bigint, ''),
    ({_role_account("inventory")}, -s.cost, s.warehouse_id, ''),
    ({_role_account("cogs")}, s.cost, s.warehouse_id, '')
) AS v(account_id, amount, warehouse_id, memo)
WHERE v.amount <> 0
"""


def seed_shipment_postings(*, stdout, options: dict) -> None:
    """The demo shipments' revenue and COGS: one ``order.shipment`` entry per shipment, as ship
    confirmation posts it (customer deposits against revenue, shipping income and sales tax; COGS
    against the warehouse's inventory), from the amounts on its ship event. Set-based: one
    ``INSERT … SELECT`` (the ledger's triggers check each entry balances, in an open period).
    Idempotent on the shipment, as every posting."""
    from django.conf import settings

    from payments.ledger.services import fiscal_year_ensure

    started = time.monotonic()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT extract(year FROM shipped_at AT TIME ZONE %s)::int FROM orders_shipment "
                           "WHERE shipped_at IS NOT NULL", [settings.SHOP_TIME_ZONE])
            for (year,) in cursor.fetchall():
                fiscal_year_ensure(year)
            cursor.execute(_SHIPMENT_ENTRIES, {"zone": settings.SHOP_TIME_ZONE})
            lines = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE payments_journalentry, payments_journalline")
    stdout.write(f"Demo shipment postings: {lines:,} journal lines in {time.monotonic() - started:.1f} s.")
