"""Staff tasks' invariants, run with the orders' (``orders/invariants.py`` adds them to its checks).

- A task is about the subject it names (``order:<order id>`` or ``sku:<sku id>``), and copies its
  rule's trigger.
- At most one open task per rule and subject (the partial unique index says so; this re-checks it).
- A closed task names who closed it.
"""

CHECKS: list[tuple[str, str]] = [
    (
        "staff task names its subject and its rule's trigger",
        """
        SELECT t.order_id, NULL::bigint, 'task ' || t.id || ' subject=' || t.subject || ' trigger=' || t.trigger
        FROM orders_stafftask t JOIN orders_taskrule r ON r.id = t.rule_id
        WHERE t.subject IS DISTINCT FROM CASE WHEN t.order_id IS NOT NULL THEN 'order:' || t.order_id
                                             ELSE 'sku:' || t.sku_id END
           OR t.trigger <> r.trigger
        """,
    ),
    (
        "one open staff task per rule and subject",
        """
        SELECT MIN(t.order_id), NULL::bigint, 'rule ' || t.rule_id || ' ' || t.subject || ': ' || COUNT(*) || ' open'
        FROM orders_stafftask t WHERE t.status IN ('open', 'in_progress')
        GROUP BY t.rule_id, t.subject HAVING COUNT(*) > 1
        """,
    ),
    (
        "a closed staff task names who closed it",
        """
        SELECT t.order_id, NULL::bigint, 'task ' || t.id || ' is done without closed_by'
        FROM orders_stafftask t WHERE t.status = 'done' AND t.closed_by_id IS NULL
        """,
    ),
]
