"""Bills of one purchase order posted at the same moment: each sees what the others billed.

Threads, each with its own database connection, released together by a barrier; the data is
committed (``transaction=True``) so that every connection sees it. Posting locks the purchase
order first, so the matches run one after the other and the quantity billed never passes what
was received without an override.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4


def test_bills_posted_at_once_never_bill_more_than_was_received():
    from django.db import connection

    from payments.payables.errors import BillMatchRefused
    from payments.payables.models import VendorBill
    from payments.payables.services import vendor_bill_post
    from tests.bills_helpers import ACCOUNTS_PAYABLE, GRNI, balance, bill_for, received_order

    order = received_order((10, "4.000", 10))
    bills = [bill_for(order, (3, "4.000"), number=f"RACE-{index}") for index in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def post(bill) -> None:
        try:
            connection.ensure_connection()  # connecting is not part of the race
            barrier.wait(timeout=30)
            vendor_bill_post(bill=bill, user=None)
            outcomes.append("posted")
        except BillMatchRefused:
            outcomes.append("refused")
        except Exception as error:  # anything else is reported, never hidden
            outcomes.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(bill,)) for bill in bills]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["posted", "posted", "posted", "refused"]
    assert VendorBill.objects.filter(status=VendorBill.Status.POSTED).count() == 3
    assert balance(ACCOUNTS_PAYABLE) == Decimal("-36.00")
    assert balance(GRNI) == Decimal("-4.00")  # the one received unit not billed
