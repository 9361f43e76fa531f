"""A payments worker that dies between the gateway call and the commit of its result.

Run as ``python -m tests.payments_workers <step> <id> [amount]`` with the test database's name in
``DATABASE_NAME`` and the gateway in the STRIPE_* variables. It makes the real call and then
kills its own process (``os._exit``) where the result would be committed, as a worker killed
at that instant would.
"""

from __future__ import annotations

import os
import sys

KILLED = 77


def main(step: str, object_id: int, amount: str = "", start_at: str = "") -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "oms.settings_test"
    import django

    django.setup()
    from decimal import Decimal

    from orders.models import Order
    from payments.tenders import services
    from payments.tenders.models import Tender

    def die(*args, **kwargs):
        os._exit(KILLED)

    if step == "authorize":
        services._authorization_record = die  # the call to the gateway is made; its result never committed
        services.payment_authorize(tender=Tender.objects.get(pk=object_id), user=None)
    elif step == "capture":
        services._capture_record = die
        services.payment_capture(order=Order.objects.get(pk=object_id), amount=Decimal(amount), user=None)
    elif step == "capture-live":  # a run that lives: it prints what it captured
        import time

        if start_at:  # several runs start together, once Django is up in each
            time.sleep(max(float(start_at) - time.time(), 0))
        result = services.payment_capture(order=Order.objects.get(pk=object_id), amount=Decimal(amount), user=None)
        print(result.captured)
        return
    raise SystemExit("the worker was meant to die")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), *sys.argv[3:])
