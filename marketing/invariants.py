"""The marketing invariants, checked on a live database by ``check_invariants``.

The usage counters that enforce the limits must agree with the usage rows they count: a
promotion's ``uses_count`` with its usages, a coupon's with the usages it unlocked, and a
customer's counter with that customer's usages of the promotion. Each check is one
set-based query returning a row per violation: (first id, second id, detail).
"""

from __future__ import annotations

from django.db import connection

KEY_NAMES = ("promotion", "coupon or customer")

CHECKS: list[tuple[str, str]] = [
    (
        "a promotion's uses equal its usage rows",
        """
        SELECT p.id, NULL, 'uses_count=' || p.uses_count || ' usages=' || COALESCE(u.total, 0)
        FROM marketing_promotion p
        LEFT JOIN (SELECT promotion_id, count(*) AS total FROM marketing_promotionusage GROUP BY promotion_id) u
          ON u.promotion_id = p.id
        WHERE p.uses_count <> COALESCE(u.total, 0)
        """,
    ),
    (
        "a coupon's uses equal the usage rows it unlocked",
        """
        SELECT c.promotion_id, c.id, c.code || ' uses_count=' || c.uses_count || ' usages=' || COALESCE(u.total, 0)
        FROM marketing_coupon c
        LEFT JOIN (SELECT coupon_id, count(*) AS total FROM marketing_promotionusage
                   WHERE coupon_id IS NOT NULL GROUP BY coupon_id) u ON u.coupon_id = c.id
        WHERE c.uses_count <> COALESCE(u.total, 0)
        """,
    ),
    (
        "a customer's uses of a promotion equal their usage rows",
        """
        SELECT COALESCE(c.promotion_id, u.promotion_id), COALESCE(c.customer_id, u.customer_id),
               'uses_count=' || COALESCE(c.uses_count, 0) || ' usages=' || COALESCE(u.total, 0)
        FROM marketing_promotioncustomerusage c
        FULL OUTER JOIN (SELECT promotion_id, customer_id, count(*) AS total FROM marketing_promotionusage
                         WHERE customer_id IS NOT NULL GROUP BY promotion_id, customer_id) u
          ON u.promotion_id = c.promotion_id AND u.customer_id = c.customer_id
        WHERE COALESCE(c.uses_count, 0) <> COALESCE(u.total, 0)
        """,
    ),
    (
        "no promotion is used beyond its limits",
        """
        SELECT p.id, c.customer_id, 'uses_count=' || c.uses_count || ' per customer=' || p.max_uses_per_customer
        FROM marketing_promotioncustomerusage c JOIN marketing_promotion p ON p.id = c.promotion_id
        WHERE p.max_uses_per_customer IS NOT NULL AND c.uses_count > p.max_uses_per_customer
        """,
    ),
]


def violations() -> list[tuple[str, object, object, str]]:
    """(check name, promotion id, coupon or customer id, detail) for every row that breaks an invariant."""
    found = []
    with connection.cursor() as cursor:
        for name, sql in CHECKS:
            cursor.execute(sql)
            found.extend((name, first, second, detail) for first, second, detail in cursor.fetchall())
    return found
