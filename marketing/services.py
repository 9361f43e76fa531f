"""Marketing writes: saving campaigns, source codes, price lists and promotions; coupons; usage limits; imports.

Usage limits are enforced by single guarded statements (a conditional ``UPDATE`` or an
``INSERT … ON CONFLICT DO UPDATE … WHERE``), never by reading a count and then writing it, so
two orders racing for the last use of a promotion or coupon cannot both take it: the second
statement waits for the first one's row lock, re-checks its condition on the committed row,
and finds no use left.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import tablib
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.forms import ModelForm
from django.utils.translation import gettext as _

from catalog.models import Sku
from marketing.errors import MarketingError, UsageLimitReached
from marketing.models import (
    Campaign,
    Coupon,
    CouponBatch,
    PriceList,
    PriceListEntry,
    Promotion,
    PromotionCustomerUsage,
    PromotionUsage,
    SourceCode,
)

COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read out on the phone
MAX_COUPONS_PER_BATCH = 100_000
MAX_IMPORT_ROWS = 50_000


# --- saving what managers edit ------------------------------------------------------------------


def _save(form: ModelForm):
    """Save a valid model form and its many-to-many fields in one transaction."""
    with transaction.atomic(durable=True):
        return form.save()


def campaign_save(*, form: ModelForm, user) -> Campaign:
    return _save(form)


def source_code_save(*, form: ModelForm, user) -> SourceCode:
    return _save(form)


def price_list_save(*, form: ModelForm, user) -> PriceList:
    return _save(form)


def promotion_save(*, form: ModelForm, user) -> Promotion:
    return _save(form)


def price_list_entry_set(*, price_list: PriceList, sku: Sku, price: Decimal, effective_from=None,
                         effective_to=None, user) -> PriceListEntry:
    """Set the price of ``sku`` on ``price_list``, adding the entry or changing it."""
    if price < 0:
        raise MarketingError(_("A price cannot be negative."))
    if effective_from and effective_to and effective_to < effective_from:
        raise MarketingError(_("The end must not come before the start."))
    with transaction.atomic(durable=True):
        entry, _created = PriceListEntry.objects.update_or_create(
            price_list=price_list, sku=sku,
            defaults={"price": price, "effective_from": effective_from, "effective_to": effective_to},
        )
    return entry


def price_list_entry_remove(*, entry: PriceListEntry, user) -> None:
    with transaction.atomic(durable=True):
        PriceListEntry.objects.filter(pk=entry.pk).delete()


# --- coupons ---------------------------------------------------------------------------------------


def normalize_code(code: str) -> str:
    return "".join(code.split()).upper()


def coupon_create(*, promotion: Promotion, code: str, max_uses: int | None = None,
                  campaign: Campaign | None = None, user) -> Coupon:
    """One coupon with a chosen code (e.g. SPRING10 printed in an ad), shared by everybody unless limited."""
    code = normalize_code(code)
    if not code:
        raise MarketingError(_("Give the coupon code."))
    try:
        with transaction.atomic(durable=True):
            return Coupon.objects.create(code=code, promotion=promotion, campaign=campaign or promotion.campaign,
                                         max_uses=max_uses)
    except IntegrityError:
        raise MarketingError(_("The coupon code %(code)s is taken.") % {"code": code}) from None


def new_coupon_code(*, prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(COUPON_ALPHABET) for _i in range(length))


def coupon_generate(*, promotion: Promotion, quantity: int, campaign: Campaign | None = None, prefix: str = "",
                    length: int = 8, max_uses: int | None = 1, user) -> CouponBatch:
    """Generate ``quantity`` unique random codes for ``promotion``, as one downloadable batch.

    Codes are ``prefix`` plus ``length`` characters from an alphabet without look-alikes. They are
    inserted with ``ON CONFLICT DO NOTHING``, so a code that collides with an existing one (or one
    another transaction is inserting) is simply dropped, and the shortfall is generated again
    until the batch is full.
    """
    prefix = normalize_code(prefix)
    if not 1 <= quantity <= MAX_COUPONS_PER_BATCH:
        raise MarketingError(_("Generate between 1 and %(most)s coupons at a time.") % {"most": MAX_COUPONS_PER_BATCH})
    if not 6 <= length <= 20 or len(prefix) + length > Coupon._meta.get_field("code").max_length:
        raise MarketingError(_("Codes must be 6 to 20 characters long, prefix excluded."))
    if len(COUPON_ALPHABET) ** length < quantity * 1000:
        raise MarketingError(_("Codes of %(length)s characters are too short for %(quantity)s coupons.")
                             % {"length": length, "quantity": quantity})
    with transaction.atomic(durable=True):
        batch = CouponBatch.objects.create(promotion=promotion, campaign=campaign or promotion.campaign,
                                           prefix=prefix, quantity=quantity, created_by=user)
        made = 0
        for _attempt in range(20):
            wanted = quantity - made
            codes = {new_coupon_code(prefix=prefix, length=length) for _j in range(wanted)}
            Coupon.objects.bulk_create(
                [Coupon(code=code, promotion=promotion, campaign=batch.campaign, batch=batch, max_uses=max_uses)
                 for code in sorted(codes)],
                ignore_conflicts=True, batch_size=2000,
            )
            made = Coupon.objects.filter(batch=batch).count()
            if made == quantity:
                return batch
        raise MarketingError(_("Could not find enough free codes; use longer codes."))


# --- usage limits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Redemption:
    promotion_id: int
    coupon_code: str = ""


def promotion_redeem(*, redemptions: Iterable[Redemption | tuple[int, str]], customer_id: int | None,
                     order_reference: str, user) -> list[PromotionUsage]:
    """Record that order ``order_reference`` uses these promotions (and the coupons that unlocked them).

    Order placement calls this in its own transaction with ``priced_order.redemptions``. It is all
    or nothing: when a promotion has no use left in total or for ``customer_id``, or a coupon is
    used up, it raises :class:`UsageLimitReached` naming it and leaves every counter as it was
    (the caller reprices the order). It is idempotent per order: a promotion already recorded for
    ``order_reference`` is neither counted nor recorded again.

    Each promotion is one statement (:data:`_REDEEM`): the usage row, then the guarded counters
    of the promotion, its coupon and the customer. Promotions are taken in id order, so two
    orders cannot wait on each other in a cycle. The locks last until the caller commits, so
    call this last in the order's transaction, as stock reservations are: orders using the same
    promotion queue on its row meanwhile, for one statement and the commit.
    """
    order_reference = order_reference.strip()
    if not order_reference:
        raise MarketingError(_("A redemption needs the order reference."))
    wanted: dict[int, str] = {}
    for item in redemptions:
        promotion_id, coupon_code = (item.promotion_id, item.coupon_code) if isinstance(item, Redemption) else item
        wanted[int(promotion_id)] = normalize_code(coupon_code or "")
    if not wanted:
        return []
    usages = []
    # A savepoint of its own: order entry catches UsageLimitReached inside its transaction, re-prices
    # without the promotion and goes on, so the uses recorded before the one that ran out are undone.
    with transaction.atomic():
        for promotion_id, coupon_code in sorted(wanted.items()):
            usage = _redeem_one(promotion_id=promotion_id, coupon_code=coupon_code, customer_id=customer_id,
                                order_reference=order_reference, user=user)
            if usage is not None:
                usages.append(usage)
    return usages


# One promotion's use in one statement. The usage row comes first: when this order has recorded
# the promotion already (an earlier call, or a racing one that committed), ON CONFLICT gives no
# row and nothing else moves. Otherwise each counter moves by a guarded write that gives no row
# when its limit is reached; the caller then raises, and the savepoint around the redemption
# undoes the lot. The customer's counter is written even without a per-customer limit, so that
# one can be set later; its limit is compared afterwards, under its row lock.
_REDEEM = """
WITH used AS (
    INSERT INTO marketing_promotionusage (promotion_id, coupon_id, customer_id, order_reference, used_by_id, used_at)
    SELECT %(promotion)s,
           (SELECT id FROM marketing_coupon WHERE code = %(coupon)s AND promotion_id = %(promotion)s),
           %(customer)s, %(reference)s, %(user)s, now()
    ON CONFLICT (promotion_id, order_reference) DO NOTHING
    RETURNING id, coupon_id, used_at
), counted AS (
    UPDATE marketing_promotion SET uses_count = uses_count + 1
    WHERE id = %(promotion)s AND EXISTS (SELECT FROM used) AND (max_uses IS NULL OR uses_count < max_uses)
    RETURNING name, max_uses_per_customer
), coupon AS (
    UPDATE marketing_coupon SET uses_count = uses_count + 1
    WHERE %(coupon)s <> '' AND code = %(coupon)s AND promotion_id = %(promotion)s AND is_active
      AND EXISTS (SELECT FROM used) AND (max_uses IS NULL OR uses_count < max_uses)
    RETURNING id
), customer AS (
    INSERT INTO marketing_promotioncustomerusage AS c (promotion_id, customer_id, uses_count)
    SELECT %(promotion)s, %(customer)s, 1 WHERE %(customer)s IS NOT NULL AND EXISTS (SELECT FROM used)
    ON CONFLICT (promotion_id, customer_id) DO UPDATE SET uses_count = c.uses_count + 1
    RETURNING uses_count
)
SELECT u.id, u.coupon_id, u.used_at, p.name, p.max_uses_per_customer, p.name IS NOT NULL,
       EXISTS (SELECT FROM coupon), (SELECT uses_count FROM customer)
FROM used u LEFT JOIN counted p ON true
"""


def _redeem_one(*, promotion_id: int, coupon_code: str, customer_id: int | None, order_reference: str,
                user) -> PromotionUsage | None:
    with connection.cursor() as cursor:
        cursor.execute(_REDEEM, {"promotion": promotion_id, "coupon": coupon_code, "customer": customer_id,
                                 "reference": order_reference, "user": user.pk if user is not None else None})
        row = cursor.fetchone()
    if row is None:
        return None  # recorded already, by an earlier call for this order
    usage_id, coupon_id, used_at, name, per_customer, counted, coupon_counted, customer_uses = row
    if not counted:
        name = Promotion.objects.filter(pk=promotion_id).values_list("name", flat=True).first()
        if name is None:
            raise MarketingError(_("There is no promotion %(id)s.") % {"id": promotion_id})
        raise UsageLimitReached(_("%(promotion)s has been used up.") % {"promotion": name},
                                promotion_id=promotion_id)
    if coupon_code and not coupon_counted:
        raise UsageLimitReached(_("Coupon %(code)s is used up or not valid for %(promotion)s.")
                                % {"code": coupon_code, "promotion": name},
                                promotion_id=promotion_id, coupon_code=coupon_code)
    if per_customer is not None and customer_uses is not None and customer_uses > per_customer:
        if per_customer == 0:
            message = _("%(promotion)s allows no use per customer.") % {"promotion": name}
        else:
            message = (_("This customer has used %(promotion)s %(limit)s times, the most allowed.")
                       % {"promotion": name, "limit": per_customer})
        raise UsageLimitReached(message, promotion_id=promotion_id)
    return PromotionUsage(pk=usage_id, promotion_id=promotion_id, coupon_id=coupon_id if coupon_code else None,
                          customer_id=customer_id, order_reference=order_reference, used_by=user, used_at=used_at)


def promotion_release(*, order_reference: str, user) -> int:
    """Give back the uses an order took (it was cancelled before shipping); returns how many were released."""
    with transaction.atomic(savepoint=False):
        usages = list(PromotionUsage.objects.filter(order_reference=order_reference.strip())
                      .order_by("promotion_id").select_for_update())
        for usage in usages:
            Promotion.objects.filter(pk=usage.promotion_id, uses_count__gt=0).update(uses_count=F("uses_count") - 1)
            if usage.coupon_id:
                Coupon.objects.filter(pk=usage.coupon_id, uses_count__gt=0).update(uses_count=F("uses_count") - 1)
            if usage.customer_id is not None:
                PromotionCustomerUsage.objects.filter(
                    promotion_id=usage.promotion_id, customer_id=usage.customer_id, uses_count__gt=0
                ).update(uses_count=F("uses_count") - 1)
        PromotionUsage.objects.filter(pk__in=[usage.pk for usage in usages]).delete()
    return len(usages)


# --- price list import ------------------------------------------------------------------------------


@dataclass
class ImportProblem:
    row: int | None  # 1 is the first data row; None for the file as a whole
    column: str
    message: str


@dataclass
class ImportOutcome:
    dry_run: bool
    total_rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.problems

    @property
    def imported(self) -> bool:
        return not self.dry_run and self.is_valid


def read_table(*, file_name: str, content: bytes) -> tablib.Dataset:
    """A CSV (UTF-8, with or without BOM) or XLSX file as a dataset; raises MarketingError for anything else."""
    from import_export.formats.base_formats import CSV, XLSX

    name = file_name.lower()
    try:
        if name.endswith(".xlsx"):
            return XLSX().create_dataset(content)
        if name.endswith(".csv"):
            return CSV().create_dataset(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, KeyError, IndexError) as error:
        raise MarketingError(_("The file could not be read: %(error)s") % {"error": error}) from None
    except Exception as error:  # openpyxl raises its own zoo of exceptions for a broken workbook
        raise MarketingError(_("The file could not be read: %(error)s") % {"error": error}) from None
    raise MarketingError(_("Upload a .csv or .xlsx file."))


def price_list_entries_import(*, dataset: tablib.Dataset, dry_run: bool, user,
                              price_list: PriceList | None = None) -> ImportOutcome:
    """Import price list entries (columns of :class:`marketing.resources.PriceListEntryResource`).

    All or nothing: a dry run, or a file with any problem, changes nothing; otherwise every row
    is saved in one transaction. Problems name the row (1 is the first row under the headers),
    the column and what is wrong.
    """
    from marketing.resources import COLUMNS, PriceListEntryResource

    outcome = ImportOutcome(dry_run=dry_run, total_rows=len(dataset))
    headers = [str(header or "").strip() for header in (dataset.headers or [])]
    dataset.headers = headers
    required = [column for column in COLUMNS if column not in ("effective_from", "effective_to")]
    if price_list is not None:
        required.remove("price_list")
    missing = [column for column in required if column not in headers]
    if missing:
        outcome.problems.append(ImportProblem(None, ", ".join(missing), _("The file lacks these columns.")))
        return outcome
    if len(dataset) > MAX_IMPORT_ROWS:
        outcome.problems.append(ImportProblem(None, "", _("Import at most %(rows)s rows at a time.")
                                              % {"rows": MAX_IMPORT_ROWS}))
        return outcome
    resource = PriceListEntryResource(price_list=price_list)
    with transaction.atomic(durable=True):
        result = resource.import_data(dataset, dry_run=dry_run, use_transactions=True,
                                      rollback_on_validation_errors=True, raise_errors=False)
        for error in result.base_errors:
            outcome.problems.append(ImportProblem(None, "", str(error.error)))
        for number, errors in result.row_errors():
            for error in errors:
                outcome.problems.append(ImportProblem(number, "", str(error.error)))
        for invalid in result.invalid_rows:
            for attribute, messages in sorted(invalid.error_dict.items()):
                column = "" if attribute == "__all__" else resource.column_of(attribute)
                for message in messages:
                    outcome.problems.append(ImportProblem(invalid.number, column, str(message)))
        outcome.problems.sort(key=lambda problem: (problem.row or 0, problem.column))
        totals = result.totals
        outcome.new, outcome.updated, outcome.unchanged = totals["new"], totals["update"], totals["skip"]
        if outcome.problems or dry_run:
            transaction.set_rollback(True)
    return outcome


def price_list_entries_export(*, price_list: PriceList | None = None) -> tablib.Dataset:
    """Entries as a dataset with the import's columns, so an exported file imports back unchanged."""
    from marketing.resources import PriceListEntryResource

    queryset = PriceListEntry.objects.select_related("price_list", "sku").order_by("price_list__code", "sku__code")
    if price_list is not None:
        queryset = queryset.filter(price_list=price_list)
    return PriceListEntryResource().export(queryset)
