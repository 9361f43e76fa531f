"""Vendor bill invariants, checked by ``check_invariants`` (through ``payments/invariants.py``).

Each check is one set-based query returning a row per violation: (bill id, entry id, detail).
A bill and its entry are written in one transaction, so none of these can appear unless
something wrote around the services.
"""

from __future__ import annotations

CHECKS: list[tuple[str, str]] = [
    (
        "a posted vendor bill has its own journal entry",
        """
        SELECT b.id, b.posted_entry_id,
               'entry source=' || COALESCE(e.source_type || ':' || e.source_id, 'none')
        FROM payments_vendorbill b LEFT JOIN payments_journalentry e ON e.id = b.posted_entry_id
        WHERE b.status = 'posted'
          AND (e.id IS NULL AND (b.freight > 0 OR EXISTS (
                   SELECT 1 FROM payments_vendorbillline l
                   WHERE l.bill_id = b.id AND (l.cleared_amount <> 0 OR l.variance_amount <> 0)))
               OR e.id IS NOT NULL AND (e.source_type <> 'payments.vendorbill' OR e.source_id <> b.id::text))
        """,
    ),
    (
        "a draft or void vendor bill has no journal entry",
        """
        SELECT b.id, e.id, 'status=' || b.status
        FROM payments_vendorbill b
        JOIN payments_journalentry e ON e.source_type = 'payments.vendorbill' AND e.source_id = b.id::text
        WHERE b.status <> 'posted'
        """,
    ),
    (
        "a posted vendor bill's lines carry what they posted",
        """
        SELECT l.bill_id, NULL::bigint, 'line ' || l.id || ' has no posted amounts'
        FROM payments_vendorbillline l JOIN payments_vendorbill b ON b.id = l.bill_id
        WHERE b.status = 'posted' AND (l.cleared_amount IS NULL OR l.variance_amount IS NULL)
        """,
    ),
]
