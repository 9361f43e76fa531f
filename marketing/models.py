"""Campaigns, source codes, price lists, promotions, coupons and segments.

Dates (campaigns, source codes, price lists) are calendar days in the shop's time zone,
both ends included. A promotion's window is a pair of aware datetimes, start included and
end excluded, so that a flash sale can start and stop at an hour.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from catalog.models import MONEY, Sku


class CustomerType(models.TextChoices):
    RETAIL = "retail", _("Retail")
    WHOLESALE = "wholesale", _("Wholesale")


def _check_window(start, end, start_field: str, end_field: str) -> None:
    if start and end and end < start:
        raise ValidationError({end_field: _("The end must not come before the start.")})


class Campaign(models.Model):
    """A mailing, an email, an ad: what brings customers in, with its cost and reach."""

    class Medium(models.TextChoices):
        CATALOG = "catalog", _("Catalog mailing")
        EMAIL = "email", _("Email")
        WEB = "web", _("Web")
        MARKETPLACE = "marketplace", _("Marketplace")
        PRINT_AD = "print_ad", _("Print ad")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    medium = models.CharField(_("medium"), max_length=20, choices=Medium.choices, default=Medium.CATALOG)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    cost = models.DecimalField(_("cost"), **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    quantity_circulated = models.PositiveIntegerField(
        _("quantity mailed or circulated"), default=0,
        help_text=_("Catalogs mailed, emails sent or copies printed: the base of the response rate."),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_on", "code"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(cost__gte=0), name="campaign_cost_not_negative"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True)
                                   | Q(ends_on__gte=F("starts_on")), name="campaign_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("marketing:campaign_detail", args=[self.pk])

    def clean(self) -> None:
        _check_window(self.starts_on, self.ends_on, "starts_on", "ends_on")


class PriceList(models.Model):
    """Prices per SKU in one currency, for some customer types, over a span of days."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    customer_types = ArrayField(
        models.CharField(max_length=20, choices=CustomerType.choices), default=list, blank=True,
        verbose_name=_("customer types"), help_text=_("Leave empty to serve every customer type."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_from__isnull=True)
                                   | Q(effective_to__gte=F("effective_from")), name="price_list_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("marketing:pricelist_detail", args=[self.pk])

    def clean(self) -> None:
        _check_window(self.effective_from, self.effective_to, "effective_from", "effective_to")


class PriceListEntry(models.Model):
    """The price of one SKU on one price list, optionally for part of the list's span."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="entries")
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="price_list_entries")
    price = models.DecimalField(_("price"), **MONEY, validators=[MinValueValidator(Decimal("0"))])
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    effective_to = models.DateField(_("effective to"), null=True, blank=True)

    class Meta:
        ordering = ["price_list", "sku__code"]
        verbose_name = _("price list entry")
        verbose_name_plural = _("price list entries")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "sku"], name="price_list_entry_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_list_entry_price_not_negative"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_from__isnull=True)
                                   | Q(effective_to__gte=F("effective_from")), name="price_list_entry_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.price_list_id}/{self.sku_id}: {self.price}"

    def clean(self) -> None:
        _check_window(self.effective_from, self.effective_to, "effective_from", "effective_to")


class Segment(models.Model):
    """A group of customers chosen by a rule; membership is evaluated by orders, pricing takes the codes."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    min_spend = models.DecimalField(_("minimum lifetime spend"), **MONEY, null=True, blank=True)
    min_order_count = models.PositiveIntegerField(_("minimum number of orders"), null=True, blank=True)
    last_order_within_days = models.PositiveIntegerField(_("last order within (days)"), null=True, blank=True)
    source_code = models.ForeignKey("SourceCode", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="segments", verbose_name=_("source code"))
    channel = models.CharField(_("channel"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class PromotionQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def live_at(self, moment):
        """Active promotions whose window contains ``moment`` (start included, end excluded)."""
        return self.active().filter(Q(starts_at__isnull=True) | Q(starts_at__lte=moment),
                                    Q(ends_at__isnull=True) | Q(ends_at__gt=moment))


class Promotion(models.Model):
    """A rule that lowers a price: what it gives (kind), to what (target), and when (conditions)."""

    class Kind(models.TextChoices):
        PERCENT_OFF = "percent_off", _("Percent off")
        AMOUNT_OFF = "amount_off", _("Amount off")
        FREE_SHIPPING = "free_shipping", _("Free shipping")
        BUY_X_GET_Y = "buy_x_get_y", _("Buy X get Y")
        TIERED = "tiered", _("Tiered spend")
        FREE_GIFT = "free_gift", _("Free gift")

    class Target(models.TextChoices):
        ORDER = "order", _("The order")
        LINE = "line", _("Each line")
        CATEGORY = "category", _("Lines of some categories")
        SKU = "sku", _("Lines of some SKUs")

    name = models.CharField(_("name"), max_length=200)
    description = models.CharField(_("description"), max_length=500, blank=True,
                                   help_text=_("What the customer is told, e.g. on the invoice."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PERCENT_OFF)
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="promotions", verbose_name=_("campaign"))
    is_active = models.BooleanField(_("active"), default=True)

    # What it gives.
    target = models.CharField(_("applies to"), max_length=20, choices=Target.choices, default=Target.ORDER)
    percent = models.DecimalField(_("percent off"), max_digits=6, decimal_places=3, null=True, blank=True,
                                  validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))])
    amount = models.DecimalField(_("amount off"), **MONEY, null=True, blank=True,
                                 validators=[MinValueValidator(Decimal("0"))],
                                 help_text=_("Off the order, or off each unit for a line, category or SKU."))
    currency = models.CharField(_("currency"), max_length=3, default=settings.DEFAULT_CURRENCY)
    target_skus = models.ManyToManyField(Sku, blank=True, related_name="+", verbose_name=_("target SKUs"))
    target_categories = ArrayField(models.CharField(max_length=100), default=list, blank=True,
                                   verbose_name=_("target categories"))
    buy_quantity = models.PositiveIntegerField(_("buy quantity"), null=True, blank=True)
    get_quantity = models.PositiveIntegerField(_("get quantity (free)"), null=True, blank=True)
    get_sku = models.ForeignKey(Sku, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("free SKU"),
                                help_text=_("Leave empty to give the cheapest units free."))
    tiers = models.JSONField(_("tiers"), default=list, blank=True,
                             help_text=_('Spend thresholds: [{"threshold": "100", "percent": "10"}, '
                                         '{"threshold": "250", "amount": "40"}].'))
    gift_sku = models.ForeignKey(Sku, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("gift SKU"))
    gift_quantity = models.PositiveIntegerField(_("gift quantity"), default=1)
    shipping_methods = ArrayField(models.CharField(max_length=40), default=list, blank=True,
                                  verbose_name=_("shipping methods"),
                                  help_text=_("Free shipping only on these methods; empty means any."))

    # When it applies.
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    channels = ArrayField(models.CharField(max_length=60), default=list, blank=True, verbose_name=_("channels"),
                          help_text=_('phone, web, pos, store, marketplace (any) or marketplace:<name>; '
                                      'empty means every channel.'))
    customer_types = ArrayField(models.CharField(max_length=20, choices=CustomerType.choices), default=list,
                                blank=True, verbose_name=_("customer types"))
    segments = models.ManyToManyField(Segment, blank=True, related_name="promotions", verbose_name=_("segments"))
    min_subtotal = models.DecimalField(_("minimum subtotal"), **MONEY, null=True, blank=True,
                                       validators=[MinValueValidator(Decimal("0"))])
    include_skus = models.ManyToManyField(Sku, blank=True, related_name="+", verbose_name=_("only SKUs"))
    exclude_skus = models.ManyToManyField(Sku, blank=True, related_name="+", verbose_name=_("except SKUs"))
    include_categories = ArrayField(models.CharField(max_length=100), default=list, blank=True,
                                    verbose_name=_("only categories"))
    exclude_categories = ArrayField(models.CharField(max_length=100), default=list, blank=True,
                                    verbose_name=_("except categories"))
    requires_coupon = models.BooleanField(_("requires a coupon"), default=False)

    # How often, and with what.
    max_uses = models.PositiveIntegerField(_("total uses allowed"), null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(_("uses per customer"), null=True, blank=True)
    uses_count = models.PositiveIntegerField(_("uses so far"), default=0, editable=False)
    priority = models.IntegerField(_("priority"), default=100, help_text=_("Lower goes first."))
    is_exclusive = models.BooleanField(
        _("exclusive"), default=False,
        help_text=_("Applies only when no promotion before it applied, and then stops all after it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PromotionQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        permissions = [("use_simulator", _("Can use the pricing simulator"))]
        constraints = [
            models.CheckConstraint(condition=Q(max_uses__isnull=True) | Q(uses_count__lte=F("max_uses")),
                                   name="promotion_uses_within_limit"),
            models.CheckConstraint(condition=Q(percent__isnull=True) | (Q(percent__gte=0) & Q(percent__lte=100)),
                                   name="promotion_percent_in_range"),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0),
                                   name="promotion_amount_not_negative"),
            models.CheckConstraint(condition=Q(ends_at__isnull=True) | Q(starts_at__isnull=True)
                                   | Q(ends_at__gt=F("starts_at")), name="promotion_window_ordered"),
        ]
        indexes = [models.Index(fields=["is_active", "priority"], name="promotion_active_priority")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("marketing:promotion_detail", args=[self.pk])

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The end must come after the start.")
        kind = self.kind
        if kind in (self.Kind.PERCENT_OFF, self.Kind.AMOUNT_OFF):
            if kind == self.Kind.PERCENT_OFF and self.percent is None:
                errors["percent"] = _("Give the percent off.")
            if kind == self.Kind.AMOUNT_OFF and self.amount is None:
                errors["amount"] = _("Give the amount off.")
            if self.target == self.Target.CATEGORY and not self.target_categories:
                errors["target_categories"] = _("Name at least one category.")
        elif kind == self.Kind.BUY_X_GET_Y:
            if not self.buy_quantity:
                errors["buy_quantity"] = _("Give how many must be bought.")
            if not self.get_quantity:
                errors["get_quantity"] = _("Give how many are free.")
        elif kind == self.Kind.TIERED:
            try:
                parse_tiers(self.tiers)
            except ValueError as error:
                errors["tiers"] = str(error)
            else:
                if not self.tiers:
                    errors["tiers"] = _("Give at least one tier.")
        elif kind == self.Kind.FREE_GIFT and self.gift_sku_id is None:
            errors["gift_sku"] = _("Choose the gift SKU.")
        if errors:
            raise ValidationError(errors)


def parse_tiers(tiers) -> list[tuple[Decimal, str, Decimal]]:
    """``[(threshold, "percent" | "amount", value)]`` sorted by threshold, from a promotion's ``tiers``.

    Raises ValueError with a message for the user when a tier is malformed.
    """
    from decimal import InvalidOperation

    if not isinstance(tiers, list):
        raise ValueError(_("Tiers must be a list."))
    parsed = []
    for position, tier in enumerate(tiers, 1):
        if not isinstance(tier, dict) or "threshold" not in tier or (("percent" in tier) == ("amount" in tier)):
            raise ValueError(_("Tier %(n)d needs a threshold and either a percent or an amount.") % {"n": position})
        kind = "percent" if "percent" in tier else "amount"
        try:
            threshold, value = Decimal(str(tier["threshold"])), Decimal(str(tier[kind]))
        except (InvalidOperation, ValueError):
            raise ValueError(_("Tier %(n)d has a value that is not a number.") % {"n": position}) from None
        if not threshold.is_finite() or not value.is_finite() or threshold < 0 or value < 0 or (
                kind == "percent" and value > 100):
            raise ValueError(_("Tier %(n)d is out of range.") % {"n": position})
        parsed.append((threshold, kind, value))
    thresholds = [threshold for threshold, _kind, _value in parsed]
    if len(set(thresholds)) != len(thresholds):
        raise ValueError(_("Two tiers have the same threshold."))
    return sorted(parsed)


class SourceCode(models.Model):
    """The key code on a catalog or an ad; it brings a price list, promotions and perhaps free shipping."""

    code = models.CharField(_("source code"), max_length=40, unique=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="source_codes",
                                 verbose_name=_("campaign"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    price_list = models.ForeignKey(PriceList, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="source_codes", verbose_name=_("price list"))
    promotions = models.ManyToManyField(
        Promotion, blank=True, related_name="source_codes", verbose_name=_("promotions"),
        help_text=_("A promotion tied to source codes applies only to orders that give one of them."),
    )
    offers_free_shipping = models.BooleanField(_("free shipping"), default=False)
    free_shipping_minimum = models.DecimalField(
        _("free shipping from"), **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The merchandise total from which shipping is free; 0 for always."),
    )
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_to = models.DateField(_("active to"), null=True, blank=True)
    # A drop: the mailing (or send) this code was printed on. Codes of one campaign with the
    # same date are one drop in the campaign reports; their circulation and cost add up.
    mailed_on = models.DateField(_("dropped on"), null=True, blank=True,
                                 help_text=_("The day this code's catalogs were mailed or its emails sent."))
    quantity_circulated = models.PositiveIntegerField(
        _("quantity mailed or circulated"), default=0,
        help_text=_("Pieces that carried this code: the base of its response rate."))
    cost = models.DecimalField(_("cost"), **MONEY, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))],
                               help_text=_("What this code's pieces cost (printing, postage, list rental)."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("source code")
        verbose_name_plural = _("source codes")
        constraints = [
            models.CheckConstraint(condition=Q(code=models.functions.Upper("code")), name="source_code_upper"),
            models.CheckConstraint(condition=Q(active_to__isnull=True) | Q(active_from__isnull=True)
                                   | Q(active_to__gte=F("active_from")), name="source_code_window_ordered"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="source_code_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("marketing:sourcecode_edit", args=[self.pk])

    def clean(self) -> None:
        self.code = (self.code or "").strip().upper()
        _check_window(self.active_from, self.active_to, "active_from", "active_to")


class CouponBatch(models.Model):
    """Coupons generated together for a campaign, downloadable as one file."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="coupon_batches")
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="coupon_batches")
    prefix = models.CharField(_("prefix"), max_length=12, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("coupon batch")
        verbose_name_plural = _("coupon batches")

    def __str__(self) -> str:
        return f"{self.promotion_id} × {self.quantity}"


class Coupon(models.Model):
    """A code that unlocks a promotion; single codes may be shared, bulk codes are used once each."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="coupons",
                                  verbose_name=_("promotion"))
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="coupons", verbose_name=_("campaign"))
    batch = models.ForeignKey(CouponBatch, on_delete=models.CASCADE, null=True, blank=True, related_name="coupons")
    max_uses = models.PositiveIntegerField(_("uses allowed"), null=True, blank=True,
                                           help_text=_("Empty for unlimited."))
    uses_count = models.PositiveIntegerField(_("uses so far"), default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [
            models.CheckConstraint(condition=Q(code=models.functions.Upper("code")), name="coupon_code_upper"),
            models.CheckConstraint(condition=Q(max_uses__isnull=True) | Q(uses_count__lte=F("max_uses")),
                                   name="coupon_uses_within_limit"),
        ]

    def __str__(self) -> str:
        return self.code


class PromotionUsage(models.Model):
    """One order's use of a promotion (and the coupon that unlocked it); one row per order and promotion."""

    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="usages",
                                  db_index=False)  # indexed by promotion_usage_once_per_order
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, null=True, blank=True, related_name="usages")
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    order_reference = models.CharField(_("order"), max_length=60)
    used_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-used_at", "-id"]
        verbose_name = _("promotion usage")
        verbose_name_plural = _("promotion usages")
        constraints = [
            models.UniqueConstraint(fields=["promotion", "order_reference"], name="promotion_usage_once_per_order"),
        ]
        indexes = [models.Index(fields=["order_reference"], name="promotion_usage_order")]

    def __str__(self) -> str:
        return f"{self.promotion_id} on {self.order_reference}"


class PromotionCustomerUsage(models.Model):
    """How many times one customer has used one promotion: the counter behind the per-customer limit."""

    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="customer_usages")
    customer_id = models.BigIntegerField(_("customer"))
    uses_count = models.PositiveIntegerField(_("uses so far"), default=0)

    class Meta:
        verbose_name = _("promotion use by a customer")
        verbose_name_plural = _("promotion uses by customers")
        constraints = [
            models.UniqueConstraint(fields=["promotion", "customer_id"], name="promotion_customer_usage_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id}/{self.customer_id}: {self.uses_count}"
