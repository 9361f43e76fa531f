"""The marketing demo data: loads once, and its source code prices a basket."""

import io
from decimal import Decimal

import pytest

from marketing.demo import seed_marketing
from marketing.models import Campaign, Promotion, SourceCode
from marketing.pricing import LineInput, price_order
from tests.factories import SkuFactory, StyleFactory

pytestmark = pytest.mark.django_db


def test_seed_marketing_is_idempotent_and_usable():
    kids = StyleFactory(category="Kids")
    for number in range(3):
        SkuFactory(style=kids, code=f"KID-{number}", list_price=Decimal(10 + number))
    out = io.StringIO()

    seed_marketing(stdout=out, options={})
    seed_marketing(stdout=out, options={})

    assert Campaign.objects.count() == 3 and SourceCode.objects.count() == 5
    assert "already loaded" in out.getvalue()
    priced = price_order(channel="phone", source_code="DEMOA",
                         lines=[LineInput("KID-0", 1), LineInput("KID-1", 1), LineInput("KID-2", 1)])
    assert [discount.label for discount in priced.discounts] == ["Kids: buy 2, get 1 free"]
    assert priced.total == Decimal("23.00")
    assert Promotion.objects.filter(requires_coupon=True).count() == 1
