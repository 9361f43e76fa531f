"""The ledger's invariants of DESIGN.md, checked on a live database by ``check_invariants``.

Each check is one set-based query returning a row per violation: (first id, second id, detail).
"""

from __future__ import annotations

from django.db import connection

from payments.giftcards.invariants import CHECKS as GIFT_CARD_CHECKS

# The ids are an entry or a period, and an account; described as "ids …".

CHECKS: list[tuple[str, str]] = [
    (
        "every journal entry balances",
        """
        SELECT e.id, NULL::bigint, 'debits=' || COALESCE(sum(l.debit), 0) || ' credits=' || COALESCE(sum(l.credit), 0)
               || ' lines=' || count(l.id)
        FROM payments_journalentry e LEFT JOIN payments_journalline l ON l.entry_id = e.id
        GROUP BY e.id
        HAVING COALESCE(sum(l.debit), 0) <> COALESCE(sum(l.credit), 0) OR count(l.id) < 2
        """,
    ),
    (
        "the trial balance sums to zero",
        """
        SELECT NULL::bigint, NULL::bigint, currency || ' debits=' || sum(debit) || ' credits=' || sum(credit)
        FROM payments_journalline GROUP BY currency HAVING sum(debit) <> sum(credit)
        """,
    ),
    (
        "closing balances equal their period's lines",
        """
        WITH closed AS (
            SELECT id, starts_on, ends_on FROM payments_fiscalperiod WHERE status = 'closed'
        ), booked AS (
            SELECT c.id AS period_id, l.account_id, sum(l.debit) AS debits, sum(l.credit) AS credits
            FROM closed c JOIN payments_journalline l ON l.entry_date BETWEEN c.starts_on AND c.ends_on
            GROUP BY 1, 2
        ), closing AS (
            SELECT period_id, account_id, debit_total AS debits, credit_total AS credits
            FROM payments_closingbalance WHERE period_id IN (SELECT id FROM closed)
        )
        SELECT COALESCE(b.period_id, c.period_id), COALESCE(b.account_id, c.account_id),
               'closing=' || COALESCE(c.debits, 0) || '/' || COALESCE(c.credits, 0)
               || ' lines=' || COALESCE(b.debits, 0) || '/' || COALESCE(b.credits, 0)
        FROM booked b FULL OUTER JOIN closing c ON c.period_id = b.period_id AND c.account_id = b.account_id
        WHERE COALESCE(b.debits, 0) <> COALESCE(c.debits, 0) OR COALESCE(b.credits, 0) <> COALESCE(c.credits, 0)
        """,
    ),
    (
        "the inventory accounts equal the stock valuation",
        # Each stock row's value belongs on the inventory account the posting map gives its
        # warehouse (its own rule, else the default); every account that is some warehouse's
        # inventory account must carry exactly the value of the stock it covers.
        """
        WITH inventory_accounts AS (
            SELECT w.id AS warehouse_id,
                   COALESCE((SELECT account_id FROM payments_postingrule r
                             WHERE r.role = 'inventory' AND r.warehouse_id = w.id),
                            (SELECT account_id FROM payments_postingrule r
                             WHERE r.role = 'inventory' AND r.warehouse_id IS NULL)) AS account_id
            FROM inventory_warehouse w
        ), valuation AS (
            SELECT a.account_id, sum(l.value) AS total
            FROM inventory_stocklevel l JOIN inventory_accounts a ON a.warehouse_id = l.warehouse_id
            GROUP BY a.account_id
        ), booked AS (
            SELECT account_id, sum(debit) - sum(credit) AS total FROM payments_journalline
            WHERE account_id IN (SELECT account_id FROM inventory_accounts) GROUP BY account_id
        ), accounts AS (
            SELECT DISTINCT account_id FROM inventory_accounts WHERE account_id IS NOT NULL
        )
        SELECT NULL::bigint, a.account_id,
               'booked=' || COALESCE(b.total, 0) || ' valuation=' || COALESCE(v.total, 0)
        FROM accounts a LEFT JOIN valuation v ON v.account_id = a.account_id
        LEFT JOIN booked b ON b.account_id = a.account_id
        WHERE COALESCE(b.total, 0) <> COALESCE(v.total, 0)
        """,
    ),
]

# The vendor bills' checks (payments.payables) run with the ledger's.
from payments.payables.invariants import CHECKS as PAYABLES_CHECKS  # noqa: E402

CHECKS += PAYABLES_CHECKS


# The receivables' checks (issue 12) run with the ledger's.
from payments.receivables.invariants import CHECKS as _RECEIVABLES_CHECKS  # noqa: E402

CHECKS = CHECKS + _RECEIVABLES_CHECKS


# Gift cards (payments.giftcards) add theirs.
CHECKS += GIFT_CARD_CHECKS


# Refunds (payments.refunds): a tender never gives back more than it took, and what a card says it
# refunded is what its refund allocations did.
CHECKS += [
    (
        "no tender has refunded more than it captured",
        """
        SELECT t.id, t.order_id, 'captured=' || t.captured_amount || ' refunded=' || t.refunded_amount
        FROM payments_tender t WHERE t.refunded_amount > t.captured_amount OR t.refunded_amount < 0
        """,
    ),
    (
        # Cards are refunded only by the refunds service (a gift card a cancelled order gave back is
        # recorded by the gift-card app, so the check is the cards').
        "a card tender's refunded amount equals its refunded allocations",
        """
        SELECT t.id, t.order_id, 'refunded=' || t.refunded_amount || ' allocations=' || COALESCE(a.total, 0)
        FROM payments_tender t
        LEFT JOIN (SELECT tender_id, sum(amount) AS total FROM payments_refundallocation
                   WHERE status = 'done' GROUP BY tender_id) a ON a.tender_id = t.id
        WHERE t.kind = 'card' AND t.refunded_amount <> COALESCE(a.total, 0)
        """,
    ),
    (
        "open refunds never hold more than a tender has left",
        """
        SELECT t.id, t.order_id, 'captured=' || t.captured_amount || ' refunded=' || t.refunded_amount
               || ' held=' || a.total
        FROM payments_tender t
        JOIN (SELECT tender_id, sum(amount) AS total FROM payments_refundallocation
              WHERE status IN ('pending', 'processing') GROUP BY tender_id) a ON a.tender_id = t.id
        WHERE t.refunded_amount + a.total > t.captured_amount
        """,
    ),
]


# Fulfillment: money taken at shipment (cards captured, invoices on account) never exceeds what the
# order's shipments shipped (their ship events' amounts); gift cards, checks, cash and marketplaces
# take theirs in advance, at placement, up to their tender's amount.
CHECKS += [
    (
        "nothing captured exceeds what shipped plus what was authorized in advance",
        """
        WITH taken AS (
            SELECT t.order_id,
                   sum(t.captured_amount) FILTER (WHERE t.kind IN ('card', 'on_account')) AS at_shipment,
                   bool_or(t.kind NOT IN ('card', 'on_account') AND t.captured_amount > t.amount) AS over_advance
            FROM payments_tender t GROUP BY t.order_id
        ), shipped AS (
            SELECT s.order_id, sum((e.data->>'amount')::numeric) AS amount
            FROM orders_shipment s JOIN orders_shipmentevent e ON e.shipment_id = s.id AND e.kind = 'ship'
            WHERE s.status IN ('shipped', 'delivered') AND s.order_id IN (SELECT order_id FROM taken)
            GROUP BY s.order_id
        )
        SELECT t.order_id, NULL::bigint, 'captured at shipment=' || COALESCE(t.at_shipment, 0)
               || ' shipped=' || COALESCE(s.amount, 0) || CASE WHEN t.over_advance
               THEN ', a prepaid tender captured more than its amount' ELSE '' END
        FROM taken t LEFT JOIN shipped s ON s.order_id = t.order_id
        WHERE COALESCE(t.at_shipment, 0) > COALESCE(s.amount, 0) OR t.over_advance
        """,
    ),
]

def violations() -> list[tuple[str, int | None, int | None, str]]:
    """(check name, first id, second id, detail) for every row that breaks a ledger invariant."""
    found = []
    with connection.cursor() as cursor:
        for name, sql in CHECKS:
            cursor.execute(sql)
            found.extend((name, first, second, detail) for first, second, detail in cursor.fetchall())
    return found
