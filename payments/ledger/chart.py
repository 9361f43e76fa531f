"""The default retail chart of accounts and posting map (DESIGN.md "Ledger").

The data migration writes it; :func:`chart_ensure` also runs after every migrate and flush
(``post_migrate``), so a database emptied by a test's flush gets its chart back. It only adds
what is missing: accounts and rules an accountant changed are kept as they are.
"""

from __future__ import annotations

# (code, name, type, the posting-map roles it is the default account of)
CHART = [
    ("1000", "Cash", "asset", ["cash"]),
    ("1010", "Bank", "asset", ["bank"]),
    ("1050", "Card clearing", "asset", ["card_clearing"]),
    # Checks received and not yet banked (their deposit batch posts bank against this account).
    ("1060", "Undeposited checks", "asset", ["undeposited_checks"]),
    # What marketplaces collected for us and owe in their payouts ("marketplace_clearing:<name>"
    # falls back here; a rule per marketplace gives each its own account).
    ("1070", "Marketplace clearing", "asset", ["marketplace_clearing"]),
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
    # One adjustment reason posts elsewhere with a rule for "adjustment.loss:<reason slug>".
    ("5100", "Shrinkage", "expense", ["shrinkage", "adjustment.loss", "count.loss"]),
    ("5200", "Inventory adjustments", "expense", ["inventory_adjustments", "adjustment.gain", "count.gain"]),
    ("5300", "Purchase price variance", "expense", ["purchase_price_variance"]),
    ("5400", "Freight in", "expense", ["freight_in"]),
    ("5900", "Rounding", "expense", ["rounding"]),
    # Gift cards a manager gives a customer as goodwill are an expense when issued (not a
    # discount: no sale is priced down), against the gift card liability.
    ("6100", "Customer goodwill", "expense", ["goodwill"]),
]


def chart_ensure(Account=None, PostingRule=None) -> None:
    """Add the default accounts and default (no warehouse) rules that are missing. Takes the
    models as arguments so a migration can pass its historical ones."""
    if Account is None:
        from payments.ledger.models import Account, PostingRule
    Account.objects.bulk_create(
        [Account(code=code, name=name, type=account_type, gp_account_number=f"000-{code}-00",
                 sage50_account_id=code, quickbooks_account_name=name)
         for code, name, account_type, _roles in CHART],
        ignore_conflicts=True)
    by_code = dict(Account.objects.filter(code__in=[row[0] for row in CHART]).values_list("code", "pk"))
    have = set(PostingRule.objects.filter(warehouse__isnull=True).values_list("role", flat=True))
    PostingRule.objects.bulk_create(
        [PostingRule(role=role, warehouse=None, account_id=by_code[code])
         for code, _name, _type, roles in CHART for role in roles if role not in have],
        ignore_conflicts=True)


def chart_ensure_after_migrate(sender, **kwargs) -> None:
    chart_ensure()
