"""Gift card invariants, run by ``payments.invariants`` (rows: first id, second id, detail)."""

CHECKS: list[tuple[str, str]] = [
    (
        "a gift card's balance equals the sum of its transactions",
        """
        SELECT c.id, NULL::bigint, 'balance=' || c.balance || ' transactions=' || COALESCE(t.total, 0)
        FROM payments_giftcard c
        LEFT JOIN (SELECT card_id, sum(amount) AS total FROM payments_giftcardtransaction GROUP BY card_id) t
               ON t.card_id = c.id
        WHERE c.balance <> COALESCE(t.total, 0) OR c.balance < 0
        """,
    ),
    (
        "the gift card liability account equals the sum of gift card balances",
        # Per currency: the credit balance of the account the posting map gives the liability
        # role, against what the cards in that currency hold.
        """
        WITH account AS (
            SELECT account_id FROM payments_postingrule WHERE role = 'gift_card_liability' AND warehouse_id IS NULL
        ), booked AS (
            SELECT currency, sum(credit) - sum(debit) AS total FROM payments_journalline
            WHERE account_id IN (SELECT account_id FROM account) GROUP BY currency
        ), cards AS (
            SELECT currency, sum(balance) AS total FROM payments_giftcard GROUP BY currency
        )
        SELECT NULL::bigint, (SELECT account_id FROM account),
               COALESCE(b.currency, c.currency) || ' booked=' || COALESCE(b.total, 0)
               || ' cards=' || COALESCE(c.total, 0)
        FROM booked b FULL OUTER JOIN cards c ON c.currency = b.currency
        WHERE COALESCE(b.total, 0) <> COALESCE(c.total, 0)
        """,
    ),
]
