"""Usage limits: promotion_redeem counts uses with guarded statements, so racing orders cannot overspend."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction

from marketing.errors import UsageLimitReached
from marketing.models import Coupon, Promotion, PromotionCustomerUsage, PromotionUsage
from marketing.services import Redemption, promotion_redeem, promotion_release
from tests.test_pricing_service import make_promotion


@pytest.mark.django_db
def test_redeem_counts_each_use_and_is_idempotent_per_order():
    promotion = make_promotion("Ten off", max_uses=5, max_uses_per_customer=3)
    coupon = Coupon.objects.create(code="TEN", promotion=promotion, max_uses=2)

    first = promotion_redeem(redemptions=[(promotion.pk, "ten")], customer_id=7, order_reference="SO-1", user=None)
    again = promotion_redeem(redemptions=[Redemption(promotion.pk, "TEN")], customer_id=7, order_reference="SO-1",
                             user=None)

    assert [usage.coupon_id for usage in first] == [coupon.pk]
    assert again == []
    promotion.refresh_from_db()
    coupon.refresh_from_db()
    assert (promotion.uses_count, coupon.uses_count) == (1, 1)
    assert PromotionCustomerUsage.objects.get(promotion=promotion, customer_id=7).uses_count == 1


@pytest.mark.django_db
def test_a_used_up_promotion_refuses_and_changes_nothing():
    open_promotion = make_promotion("Open", max_uses=None)
    spent = make_promotion("Spent", max_uses=1)
    promotion_redeem(redemptions=[(spent.pk, "")], customer_id=None, order_reference="SO-1", user=None)

    with pytest.raises(UsageLimitReached, match="Spent has been used up") as raised:
        promotion_redeem(redemptions=[(open_promotion.pk, ""), (spent.pk, "")], customer_id=None,
                         order_reference="SO-2", user=None)

    assert raised.value.promotion_id == spent.pk
    open_promotion.refresh_from_db()
    assert open_promotion.uses_count == 0
    assert not PromotionUsage.objects.filter(order_reference="SO-2").exists()


@pytest.mark.django_db
def test_per_customer_limit_and_release():
    promotion = make_promotion("Once each", max_uses_per_customer=1)
    promotion_redeem(redemptions=[(promotion.pk, "")], customer_id=1, order_reference="SO-1", user=None)
    promotion_redeem(redemptions=[(promotion.pk, "")], customer_id=2, order_reference="SO-2", user=None)

    with pytest.raises(UsageLimitReached, match="used Once each 1 times"):
        promotion_redeem(redemptions=[(promotion.pk, "")], customer_id=1, order_reference="SO-3", user=None)

    assert promotion_release(order_reference="SO-1", user=None) == 1
    promotion_redeem(redemptions=[(promotion.pk, "")], customer_id=1, order_reference="SO-3", user=None)
    promotion.refresh_from_db()
    assert promotion.uses_count == 2
    assert dict(PromotionCustomerUsage.objects.values_list("customer_id", "uses_count")) == {1: 1, 2: 1}


@pytest.mark.django_db
def test_a_coupon_of_another_promotion_is_refused():
    promotion, other = make_promotion("One"), make_promotion("Other")
    Coupon.objects.create(code="OTHER", promotion=other)

    with pytest.raises(UsageLimitReached, match="not valid for One"):
        promotion_redeem(redemptions=[(promotion.pk, "OTHER")], customer_id=None, order_reference="SO-1", user=None)

    promotion.refresh_from_db()
    assert promotion.uses_count == 0


# --- racing ---------------------------------------------------------------------------------------


RACERS = 8


def _race(redeem) -> list[str]:
    """Run ``redeem(n)`` in RACERS threads released at the same moment; each has its own connection."""
    barrier = threading.Barrier(RACERS)

    def attempt(number: int) -> str:
        try:
            barrier.wait(timeout=10)
            redeem(number)
            return "won"
        except UsageLimitReached:
            return "refused"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        return sorted(pool.map(attempt, range(RACERS)))


@pytest.mark.django_db(transaction=True)
def test_orders_racing_for_the_last_use_of_a_promotion_cannot_both_take_it():
    promotion = make_promotion("Last one", max_uses=3)
    promotion_redeem(redemptions=[(promotion.pk, "")], customer_id=None, order_reference="EARLY-1", user=None)
    promotion_redeem(redemptions=[(promotion.pk, "")], customer_id=None, order_reference="EARLY-2", user=None)

    outcomes = _race(lambda number: promotion_redeem(redemptions=[(promotion.pk, "")], customer_id=number,
                                                     order_reference=f"SO-{number}", user=None))

    assert outcomes == ["refused"] * (RACERS - 1) + ["won"]
    promotion.refresh_from_db()
    assert promotion.uses_count == 3
    assert PromotionUsage.objects.filter(promotion=promotion).count() == 3


@pytest.mark.django_db(transaction=True)
def test_orders_racing_for_a_single_use_coupon_cannot_both_take_it():
    promotion = make_promotion("Unlimited", max_uses=None)
    coupon = Coupon.objects.create(code="ONCE", promotion=promotion, max_uses=1)

    outcomes = _race(lambda number: promotion_redeem(redemptions=[(promotion.pk, "ONCE")], customer_id=number,
                                                     order_reference=f"SO-{number}", user=None))

    assert outcomes.count("won") == 1
    coupon.refresh_from_db()
    promotion.refresh_from_db()
    assert (coupon.uses_count, promotion.uses_count) == (1, 1)
    assert PromotionUsage.objects.filter(coupon=coupon).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_customer_racing_with_several_orders_gets_only_their_allowance():
    promotion = make_promotion("Twice each", max_uses_per_customer=2)

    outcomes = _race(lambda number: promotion_redeem(redemptions=[(promotion.pk, "")], customer_id=42,
                                                     order_reference=f"SO-{number}", user=None))

    assert outcomes.count("won") == 2
    promotion.refresh_from_db()
    assert promotion.uses_count == 2
    assert PromotionCustomerUsage.objects.get(promotion=promotion, customer_id=42).uses_count == 2


@pytest.mark.django_db(transaction=True)
def test_a_slow_winner_holds_the_last_use_until_it_commits_or_rolls_back():
    """The second order waits on the first one's row lock; if the first rolls back, the second gets the use."""
    promotion = make_promotion("Last one", max_uses=1)
    first_holds, second_done = threading.Event(), threading.Event()
    results: dict[str, str] = {}

    def first():
        try:
            with transaction.atomic():
                promotion_redeem(redemptions=[(promotion.pk, "")], customer_id=None, order_reference="SO-1",
                                 user=None)
                first_holds.set()
                second_done.wait(timeout=1)  # the second is blocked meanwhile, so this times out
                raise RuntimeError("payment declined")
        except RuntimeError:
            results["first"] = "rolled back"
        finally:
            connections.close_all()

    def second():
        try:
            first_holds.wait(timeout=10)
            promotion_redeem(redemptions=[(promotion.pk, "")], customer_id=None, order_reference="SO-2", user=None)
            results["second"] = "won"
        except UsageLimitReached:
            results["second"] = "refused"
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert results == {"first": "rolled back", "second": "won"}
    assert list(PromotionUsage.objects.values_list("order_reference", flat=True)) == ["SO-2"]
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_check_invariants_agrees_with_redemptions_and_spots_a_drifted_counter():
    from marketing.invariants import violations

    promotion = make_promotion("Counted", max_uses_per_customer=2)
    Coupon.objects.create(code="COUNT", promotion=promotion)
    promotion_redeem(redemptions=[(promotion.pk, "COUNT")], customer_id=3, order_reference="SO-1", user=None)
    promotion_redeem(redemptions=[(promotion.pk, "")], customer_id=3, order_reference="SO-2", user=None)
    promotion_release(order_reference="SO-1", user=None)
    assert violations() == []

    Promotion.objects.filter(pk=promotion.pk).update(uses_count=5)

    assert violations() == [("a promotion's uses equal its usage rows", promotion.pk, None, "uses_count=5 usages=1")]
