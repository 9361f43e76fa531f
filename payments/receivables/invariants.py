"""The receivables' invariants (issue 12), run by ``payments.invariants`` for ``check_invariants``.

Each check is one set-based query returning (first id, second id, detail) per violation.
"""

from __future__ import annotations

# The control accounts are the ones the posting map gives the roles (no warehouse).
_CONTROL = "(SELECT account_id FROM payments_postingrule WHERE role = '{role}' AND warehouse_id IS NULL)"

CHECKS: list[tuple[str, str]] = [
    (
        "the receivables subledger equals its control account",
        f"""
        WITH subledger AS (
            SELECT currency, sum(amount - amount_paid) AS total FROM payments_invoice
            WHERE status <> 'void' GROUP BY currency
        ), booked AS (
            SELECT currency, sum(debit) - sum(credit) AS total FROM payments_journalline
            WHERE account_id = {_CONTROL.format(role="receivables")} GROUP BY currency
        )
        SELECT NULL::bigint, NULL::bigint, COALESCE(s.currency, b.currency) || ' invoices open='
               || COALESCE(s.total, 0) || ' receivables account=' || COALESCE(b.total, 0)
        FROM subledger s FULL OUTER JOIN booked b ON b.currency = s.currency
        WHERE COALESCE(s.total, 0) <> COALESCE(b.total, 0)
        """,
    ),
    (
        "an invoice's paid amount is the sum of its applications",
        """
        SELECT i.id, NULL::bigint, 'amount_paid=' || i.amount_paid || ' applications=' || COALESCE(sum(a.amount), 0)
        FROM payments_invoice i LEFT JOIN payments_paymentapplication a ON a.invoice_id = i.id
        GROUP BY i.id HAVING i.amount_paid <> COALESCE(sum(a.amount), 0)
        """,
    ),
    (
        "a payment's applied amount is the sum of its applications",
        """
        SELECT p.id, NULL::bigint, 'amount_applied=' || p.amount_applied || ' applications=' || COALESCE(sum(a.amount), 0)
        FROM payments_customerpayment p LEFT JOIN payments_paymentapplication a ON a.payment_id = p.id
        GROUP BY p.id HAVING p.amount_applied <> COALESCE(sum(a.amount), 0)
        """,
    ),
    (
        "the undeposited checks account equals the checks not yet deposited",
        f"""
        WITH on_hand AS (
            SELECT c.currency, sum(c.amount) AS total FROM payments_receivedcheck c
            LEFT JOIN payments_depositbatch b ON b.id = c.batch_id
            WHERE b.id IS NULL OR b.status <> 'deposited' GROUP BY c.currency
        ), booked AS (
            SELECT currency, sum(debit) - sum(credit) AS total FROM payments_journalline
            WHERE account_id = {_CONTROL.format(role="undeposited_checks")} GROUP BY currency
        )
        SELECT NULL::bigint, NULL::bigint, COALESCE(o.currency, b.currency) || ' checks on hand='
               || COALESCE(o.total, 0) || ' undeposited checks account=' || COALESCE(b.total, 0)
        FROM on_hand o FULL OUTER JOIN booked b ON b.currency = o.currency
        WHERE COALESCE(o.total, 0) <> COALESCE(b.total, 0)
        """,
    ),
]
