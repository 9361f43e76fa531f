import calendar
from datetime import date

from django.db import migrations

# The default retail chart: (code, name, type, posting-map roles it is the default account of).
CHART = [
    ("1000", "Cash", "asset", ["cash"]),
    ("1010", "Bank", "asset", ["bank"]),
    ("1050", "Card clearing", "asset", ["card_clearing"]),
    ("1100", "Accounts receivable", "asset", ["receivables"]),
    ("1200", "Inventory", "asset", ["inventory"]),
    ("2000", "Accounts payable", "liability", ["accounts_payable"]),
    ("2050", "Goods received not invoiced", "liability", ["grni"]),
    ("2100", "Sales tax payable", "liability", ["sales_tax_payable"]),
    ("2200", "Gift card liability", "liability", ["gift_card_liability"]),
    ("2300", "Customer deposits", "liability", ["customer_deposits"]),
    ("3000", "Opening balance equity", "equity", ["opening_equity"]),
    ("3900", "Retained earnings", "equity", ["retained_earnings"]),
    ("4000", "Revenue", "income", ["revenue"]),
    ("4100", "Shipping income", "income", ["shipping_income"]),
    ("4200", "Discounts", "income", ["discounts"]),
    ("4300", "Returns and allowances", "income", ["returns_allowances"]),
    ("4400", "Gift card breakage", "income", ["gift_card_breakage"]),
    ("5000", "Cost of goods sold", "expense", ["cogs"]),
    # Stock losses (adjustments and counts short) are shrinkage; gains are inventory adjustments.
    # A reason of its own posts elsewhere with a rule for "adjustment.loss:<reason slug>".
    ("5100", "Shrinkage", "expense", ["shrinkage", "adjustment.loss", "count.loss"]),
    ("5200", "Inventory adjustments", "expense", ["inventory_adjustments", "adjustment.gain", "count.gain"]),
    ("5300", "Purchase price variance", "expense", ["purchase_price_variance"]),
    ("5400", "Freight in", "expense", ["freight_in"]),
    ("5900", "Rounding", "expense", ["rounding"]),
]


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
    accounts = {}
    for code, name, account_type, roles in CHART:
        account, _created = Account.objects.get_or_create(code=code, defaults={
            "name": name, "type": account_type, "gp_account_number": f"000-{code}-00",
            "sage50_account_id": code, "quickbooks_account_name": name})
        accounts[code] = account
        for role in roles:
            PostingRule.objects.get_or_create(role=role, warehouse=None, defaults={"account": account})
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
