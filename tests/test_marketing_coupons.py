"""Coupons: single codes and bulk-generated unique codes for a campaign."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from marketing import services
from marketing.errors import MarketingError
from marketing.models import Coupon, CouponBatch
from tests.test_pricing_service import make_campaign, make_promotion


@pytest.mark.django_db
def test_single_coupon_is_normalized_and_unique():
    promotion = make_promotion("Spring")

    coupon = services.coupon_create(promotion=promotion, code=" spring 10 ", user=None)

    assert coupon.code == "SPRING10"
    with pytest.raises(MarketingError, match="SPRING10 is taken"):
        services.coupon_create(promotion=promotion, code="spring10", user=None)
    assert Coupon.objects.count() == 1


@pytest.mark.django_db
def test_bulk_generation_makes_the_asked_number_of_unique_codes_for_the_campaign():
    campaign = make_campaign()
    promotion = make_promotion("Mailer", requires_coupon=True, campaign=campaign)

    batch = services.coupon_generate(promotion=promotion, quantity=500, prefix="sp-", length=8, user=None)

    codes = list(batch.coupons.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 500
    assert all(code.startswith("SP-") and len(code) == 11 for code in codes)
    assert not any(character in code[3:] for code in codes for character in "01IO")
    assert set(batch.coupons.values_list("campaign_id", "max_uses")) == {(campaign.pk, 1)}


@pytest.mark.django_db
def test_generation_survives_collisions_with_existing_codes(monkeypatch):
    promotion = make_promotion("Mailer")
    Coupon.objects.create(code="AAAAAA", promotion=promotion)
    draws = iter(["AAAAAA", "AAAAAA", "BBBBBB", "CCCCCC"])  # the first draw collides, then two fresh codes
    monkeypatch.setattr(services, "new_coupon_code", lambda prefix, length: next(draws))

    batch = services.coupon_generate(promotion=promotion, quantity=2, length=6, user=None)

    assert sorted(batch.coupons.values_list("code", flat=True)) == ["BBBBBB", "CCCCCC"]


@pytest.mark.django_db
def test_generation_refuses_silly_requests():
    promotion = make_promotion("Mailer")

    with pytest.raises(MarketingError):
        services.coupon_generate(promotion=promotion, quantity=0, user=None)
    with pytest.raises(MarketingError):
        services.coupon_generate(promotion=promotion, quantity=10, length=3, user=None)
    assert not CouponBatch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_never_share_a_code(monkeypatch):
    promotion = make_promotion("Mailer")
    # Each thread draws the same codes in the same order, so the second batch collides with the first
    # one's uncommitted codes: its inserts wait for the first commit, drop the taken codes, and draw more.
    draws = threading.local()

    def same_codes_everywhere(prefix, length):
        if not hasattr(draws, "codes"):
            draws.codes = iter(f"CODE{number:04d}" for number in range(1000))
        return next(draws.codes)

    monkeypatch.setattr(services, "new_coupon_code", same_codes_everywhere)
    barrier = threading.Barrier(2)

    def generate(_number):
        try:
            barrier.wait(timeout=10)
            return services.coupon_generate(promotion=promotion, quantity=3, length=8, user=None).pk
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        batch_ids = list(pool.map(generate, range(2)))

    codes = list(Coupon.objects.filter(batch_id__in=batch_ids).values_list("code", flat=True))
    assert sorted(codes) == [f"CODE{number:04d}" for number in range(6)]
    assert sorted(Coupon.objects.filter(batch_id=batch_id).count() for batch_id in batch_ids) == [3, 3]
