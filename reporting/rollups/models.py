"""The rollup tables: narrow, one row per bucket and key, written only by the fold and rebuild jobs.

Two kinds (see ``reporting.rollups`` for how they are kept current):

* **time buckets**: sums per hour or per day (the shop's day, ``settings.SHOP_TIME_ZONE``) and a
  few keys. Every row is recomputed whole from the raw tables when anything in its bucket changes.
* **open-work facts**: one row per open order, open hold or backordered line, the few columns the
  dashboard's tiles group by; a row is replaced when its order changes and deleted when it closes.

Money columns keep the currency beside them (it is part of each key), never a float.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models import MONEY


class RollupState(models.Model):
    """Where one rollup's fold has got to: every change before ``watermark`` is folded in."""

    name = models.CharField(max_length=60, primary_key=True)
    watermark = models.DateTimeField()
    folded_at = models.DateTimeField()
    rows_written = models.BigIntegerField(default=0)

    class Meta:
        permissions = [("view_dashboard", _("Can see the live dashboard"))]

    def __str__(self) -> str:
        return f"{self.name} @ {self.watermark:%Y-%m-%d %H:%M:%S}"


class RollupCheck(models.Model):
    """One nightly proof: a sample of days recomputed from the raw tables and compared row by row."""

    checked_at = models.DateTimeField()
    days = models.JSONField(default=list)  # ISO dates of the sample
    differences = models.IntegerField(default=0)
    details = models.JSONField(default=list)  # the first differences, as text
    milliseconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-checked_at", "-pk"]
        get_latest_by = "checked_at"

    @property
    def ok(self) -> bool:
        return self.differences == 0


class HourlyChannelSales(models.Model):
    """Per UTC hour and channel: orders placed (``placed_at``) and orders shipped (reached
    ``shipped``), each with the orders' totals."""

    hour = models.DateTimeField()
    channel = models.CharField(max_length=50)
    currency = models.CharField(max_length=3)
    orders_placed = models.IntegerField(default=0)
    revenue_placed = models.DecimalField(**MONEY, default=0)
    orders_shipped = models.IntegerField(default=0)
    revenue_shipped = models.DecimalField(**MONEY, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hour", "channel", "currency"],
                                               name="rollup_hourly_channel_key")]


class DailySkuSales(models.Model):
    """Per shop day (of placement) and SKU: units ordered and their revenue (line totals less tax)."""

    day = models.DateField()
    sku_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    units = models.BigIntegerField(default=0)
    revenue = models.DecimalField(**MONEY, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "sku_id", "currency"], name="rollup_daily_sku_key")]
        indexes = [models.Index(fields=["sku_id", "day"], name="rollup_daily_sku_sku")]


class DailySourceCodeSales(models.Model):
    """Per shop day (of placement) and source code ('' for none): orders, their totals, their
    merchandise (subtotal less discounts) and the cost of the goods their shipments took out of stock
    (the shipment movements' value, which is what the ledger's COGS entries post)."""

    day = models.DateField()
    source_code = models.CharField(max_length=40)
    currency = models.CharField(max_length=3)
    orders = models.IntegerField(default=0)
    revenue = models.DecimalField(**MONEY, default=0)
    merchandise = models.DecimalField(**MONEY, default=0)
    cogs = models.DecimalField(**MONEY, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "source_code", "currency"],
                                               name="rollup_daily_source_key")]
        indexes = [models.Index(fields=["source_code", "day"], name="rollup_daily_source_code")]


class DailyWarehouseShipments(models.Model):
    """Per shop day (of shipping) and warehouse: shipments, units, and the shipped lines' share of
    their line totals less tax."""

    day = models.DateField()
    warehouse_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    shipments = models.IntegerField(default=0)
    units = models.BigIntegerField(default=0)
    revenue = models.DecimalField(**MONEY, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "warehouse_id", "currency"],
                                               name="rollup_daily_warehouse_key")]


class DailyReturns(models.Model):
    """Per shop day and channel: returns requested, returns received, and the units returned on the
    lines of the orders received back that day."""

    day = models.DateField()
    channel = models.CharField(max_length=50)
    currency = models.CharField(max_length=3)
    requested = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    units_returned = models.BigIntegerField(default=0)
    value_returned = models.DecimalField(**MONEY, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "channel", "currency"],
                                               name="rollup_daily_returns_key")]


class OpenOrderFact(models.Model):
    """An order that is placed and not yet closed, cancelled or returned."""

    order_id = models.BigIntegerField(primary_key=True)
    number = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    channel = models.CharField(max_length=50)
    currency = models.CharField(max_length=3)
    total = models.DecimalField(**MONEY, default=0)
    placed_at = models.DateTimeField()
    is_shipped = models.BooleanField(default=False)  # shipped, delivered or return requested

    class Meta:
        indexes = [models.Index(fields=["status"], name="rollup_open_order_status"),
                   models.Index(fields=["placed_at"], condition=models.Q(is_shipped=False),
                                name="rollup_open_order_unshipped")]


class OpenHoldFact(models.Model):
    """An open hold of a placed order."""

    hold_id = models.BigIntegerField(primary_key=True)
    order_id = models.BigIntegerField(db_index=True)
    reason = models.CharField(max_length=20)
    held_since = models.DateTimeField()
    placed_at = models.DateTimeField()


class BackorderFact(models.Model):
    """A line of an order still being fulfilled with units that no stock is reserved for."""

    line_id = models.BigIntegerField(primary_key=True)
    order_id = models.BigIntegerField(db_index=True)
    sku_id = models.BigIntegerField()
    sku_code = models.CharField(max_length=40)
    quantity = models.IntegerField()
    placed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["sku_id"], name="rollup_backorder_sku")]


class CustomerSales(models.Model):
    """Per customer and currency: the customer's counted orders (placed, not cancelled), their
    total spend, the first order (moment and id) and the last one (moment, source code, channel)."""

    customer_id = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    orders = models.IntegerField(default=0)
    spend = models.DecimalField(**MONEY, default=0)
    first_order_at = models.DateTimeField()
    first_order_id = models.BigIntegerField()
    last_order_at = models.DateTimeField()
    last_source_code = models.CharField(max_length=40, blank=True)
    last_channel = models.CharField(max_length=50, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer_id", "currency"], name="rollup_customer_key")]
        indexes = [models.Index(fields=["currency", "last_order_at"], name="rollup_customer_last"),
                   models.Index(fields=["currency", "first_order_at"], name="rollup_customer_first"),
                   models.Index("currency", models.F("spend").desc(), models.F("customer_id").desc(),
                                name="rollup_customer_spend")]


class DailyCampaignSales(models.Model):
    """Per shop day (of placement), source code and channel: the counted orders carrying the code,
    their totals less tax, and what their shipments' ledger entries credited to income and debited
    to the COGS accounts (the campaign report's gross margin)."""

    day = models.DateField()
    source_code = models.CharField(max_length=40)
    channel = models.CharField(max_length=50)
    currency = models.CharField(max_length=3)
    orders = models.IntegerField(default=0)
    revenue = models.DecimalField(**MONEY, default=0)
    shipped_revenue = models.DecimalField(**MONEY, default=0)
    cogs = models.DecimalField(**MONEY, default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "source_code", "channel", "currency"],
                                               name="rollup_daily_campaign_key")]
        indexes = [models.Index(fields=["currency", "day"], name="rollup_daily_campaign_day")]
