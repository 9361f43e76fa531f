"""The returns' demo step: a few delivered orders come back through the services, once."""

from io import StringIO

import pytest
from django.core.management import call_command

from oms.invariants import all_violations
from orders.models import OrderStatus, ReturnReceipt, Rma
from tests.returns_helpers import trial_balance

pytestmark = pytest.mark.django_db


def test_the_demo_returns_orders_through_the_services_once():
    out = StringIO()
    call_command("seed_demo", styles=20, orders=80, stdout=out)
    assert "Demo returns:" in out.getvalue()
    assert Rma.objects.filter(status=Rma.Status.RECEIVED).count() >= 3
    assert Rma.objects.filter(status=Rma.Status.REQUESTED).exists()  # a parcel waiting at the dock
    assert set(ReturnReceipt.objects.values_list("disposition", flat=True)) >= {"restock", "scrap"}
    assert Rma.objects.filter(order__status=OrderStatus.RETURNED).exists()
    before = Rma.objects.count()
    call_command("seed_demo", styles=20, orders=80, stdout=StringIO())
    assert Rma.objects.count() == before
    assert trial_balance() == 0 and all_violations() == []
