"""seed_demo posts its stock history to the ledger: a fresh ``make run`` shows a real trial balance."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum

from inventory.models import PurchaseOrderLine, StockLevel, StockMovement, Warehouse
from oms.invariants import all_violations
from payments.ledger.selectors import trial_balance
from payments.models import JournalEntry
from tests.ledger_helpers import balance, stock_valuation

pytestmark = pytest.mark.django_db


def test_the_demo_stock_is_valued_and_posted_and_the_trial_balance_is_zero():
    call_command("seed_demo", styles=40, orders=0, stdout=StringIO())

    valuation = stock_valuation()
    received = sum((m.value for m in StockMovement.objects.filter(purchase_order_line__isnull=False)), Decimal("0"))
    opening = StockMovement.objects.filter(reference="opening-balance").aggregate(total=Sum("value"))["total"]
    assert valuation > 0 and received > 0
    assert valuation == opening + received
    assert balance("1200") == valuation
    assert balance("2050") == -received
    assert balance("3000") == -opening
    assert JournalEntry.objects.filter(kind="stock.opening").count() == Warehouse.objects.filter(
        stock_levels__on_hand__gt=0).distinct().count()
    assert JournalEntry.objects.filter(kind="stock.receipt").count() == StockMovement.objects.filter(
        purchase_order_line__isnull=False).count() == PurchaseOrderLine.objects.filter(quantity_received__gt=0).count()
    tb = trial_balance()
    assert tb.is_balanced and tb.total_debit == valuation
    assert all_violations() == []
    assert not StockLevel.objects.filter(on_hand__gt=0, value__lte=0).exists()


def test_seeding_the_demo_again_posts_nothing_more():
    call_command("seed_demo", styles=40, orders=0, stdout=StringIO())
    entries = JournalEntry.objects.count()

    call_command("seed_demo", styles=40, orders=0, stdout=StringIO())

    assert JournalEntry.objects.count() == entries
