"""Only inventory locks or writes stock rows (DESIGN.md: each table has one owner).

Other apps ask inventory through named functions (``stock_lock_and_read``, ``stock_lock``,
``stock_reserve_many``...); a read for an invariant that spans two apps is fine. This reads the
source of every app but inventory for a lock or a write of ``StockLevel``, ``StockMovement`` or
``Reservation``, through the ORM or in raw SQL.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("oms", "catalog", "marketing", "orders", "payments", "reporting", "integrations")

MODELS = r"(?:StockLevel|StockMovement|Reservation)"
TABLES = r"inventory_(?:stocklevel|stockmovement|reservation)"
FORBIDDEN = [
    re.compile(MODELS + r"\.objects\b[^\n]*\.(?:update|create|bulk_create|bulk_update|delete|get_or_create|"
               r"update_or_create|select_for_update)\("),
    re.compile(MODELS + r"\._meta\.db_table"),  # raw SQL on the model's table
    re.compile(r"(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+" + TABLES, re.IGNORECASE),
    re.compile(TABLES + r"[^;]*?FOR\s+(?:NO\s+KEY\s+)?UPDATE", re.IGNORECASE | re.DOTALL),
]


def offending_lines() -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative:
                continue
            text = path.read_text()
            for pattern in FORBIDDEN:
                for match in pattern.finditer(text):
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(f"{relative}:{line}: {match.group(0)[:80]}")
    return found


def test_no_app_but_inventory_locks_or_writes_stock_rows():
    assert offending_lines() == []


def test_the_check_finds_a_lock_and_a_write():
    # The patterns catch what allocation used to do, and an ORM write.
    samples = [
        'cursor.execute(f"SELECT 1 FROM {StockLevel._meta.db_table} WHERE sku_id = ANY(%s) FOR NO KEY UPDATE")',
        "cursor.execute('SELECT l.id FROM inventory_stocklevel l ORDER BY l.sku_id FOR NO KEY UPDATE OF l')",
        "Reservation.objects.filter(pk=1).update(status='released')",
        "StockLevel.objects.select_for_update().get(pk=1)",
        "cursor.execute('UPDATE inventory_stocklevel SET reserved = reserved + 1')",
    ]
    assert [any(pattern.search(sample) for pattern in FORBIDDEN) for sample in samples] == [True] * len(samples)
    assert not any(pattern.search("FROM inventory_reservation r WHERE r.status = 'open'") for pattern in FORBIDDEN)
