import calendar
from datetime import date

from django.db import migrations

# The chart lives in payments.ledger.chart, which also restores it after a flush.
from payments.ledger.chart import chart_ensure


def ensure_year(FiscalYear, FiscalPeriod, year: int):
    fiscal_year, _created = FiscalYear.objects.get_or_create(
        starts_on=date(year, 1, 1), defaults={"name": f"FY{year}", "ends_on": date(year, 12, 31)})
    for month in range(1, 13):
        FiscalPeriod.objects.get_or_create(
            starts_on=date(year, month, 1),
            defaults={"year": fiscal_year, "number": month,
                      "ends_on": date(year, month, calendar.monthrange(year, month)[1])})


# Stock that exists before the ledger (valued by inventory's migration) opens the books:
# inventory against opening balance equity, one line per warehouse, dated today.
OPENING_STOCK = """
WITH totals AS (
    SELECT warehouse_id, sum(value) AS total FROM inventory_stocklevel GROUP BY warehouse_id HAVING sum(value) <> 0
), entry AS (
    INSERT INTO payments_journalentry (entry_date, period_id, kind, source_type, source_id, memo, currency,
                                       created_at)
    SELECT %(today)s, %(period)s, 'stock.opening', 'inventory.stocklevel', 'before-ledger',
           'Stock on hand when the ledger started', %(currency)s, now()
    WHERE EXISTS (SELECT 1 FROM totals)
    RETURNING id
), sides AS (
    SELECT warehouse_id, total, %(inventory)s::bigint AS account_id, true AS is_inventory FROM totals
    UNION ALL
    SELECT warehouse_id, total, %(equity)s::bigint, false FROM totals
)
INSERT INTO payments_journalline (entry_id, account_id, entry_date, debit, credit, currency, memo, warehouse_id)
SELECT entry.id, sides.account_id, %(today)s,
       CASE WHEN (sides.total > 0) = sides.is_inventory THEN abs(sides.total) ELSE 0 END,
       CASE WHEN (sides.total > 0) = sides.is_inventory THEN 0 ELSE abs(sides.total) END,
       %(currency)s, '', sides.warehouse_id
FROM sides CROSS JOIN entry
"""


def seed(apps, schema_editor):
    from django.conf import settings

    Account = apps.get_model("payments", "Account")
    PostingRule = apps.get_model("payments", "PostingRule")
    FiscalYear = apps.get_model("payments", "FiscalYear")
    FiscalPeriod = apps.get_model("payments", "FiscalPeriod")
    chart_ensure(Account, PostingRule)
    accounts = {account.code: account for account in Account.objects.filter(code__in=("1200", "3000"))}
    today = date.today()
    for year in (today.year - 1, today.year):
        ensure_year(FiscalYear, FiscalPeriod, year)
    period = FiscalPeriod.objects.get(starts_on__lte=today, ends_on__gte=today)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(OPENING_STOCK, {"today": today, "period": period.pk, "currency": settings.DEFAULT_CURRENCY,
                                       "inventory": accounts["1200"].pk, "equity": accounts["3000"].pk})


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_ledger_triggers"), ("inventory", "0005_stock_value_existing")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
