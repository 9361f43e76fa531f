"""The roles of DESIGN.md ("Who uses it") as Django groups and their permissions.

The table below is the one place that says what each role may do. A data migration creates
the groups; after every migrate, :func:`sync_roles` gives each group exactly the
permissions listed here that exist by then.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

AGENT = "Agent"
WAREHOUSE = "Warehouse"
MANAGER = "Manager"
ACCOUNTANT = "Accountant"
ADMIN = "Admin"
ROLES = (AGENT, WAREHOUSE, MANAGER, ACCOUNTANT, ADMIN)
ROLE_LABELS = {
    AGENT: _("Agent"),
    WAREHOUSE: _("Warehouse"),
    MANAGER: _("Manager"),
    ACCOUNTANT: _("Accountant"),
    ADMIN: _("Admin"),
}

_CATALOG_VIEW = [
    "catalog.view_style",
    "catalog.view_sku",
    "catalog.view_kitcomponent",
    "catalog.view_personalizationtemplate",
    "catalog.view_vendor",
    "catalog.view_vendoritem",
]
_CATALOG_EDIT = [
    f"catalog.{verb}_{model}"
    for model in (
        "style", "sku", "kitcomponent", "personalizationtemplate",
        "personalizationfield", "vendor", "vendoritem",
    )
    for verb in ("add", "change", "delete", "view")
] + ["catalog.import_catalog"]
_STOCK_VIEW = [
    "inventory.view_warehouse",
    "inventory.view_stocklevel",
    "inventory.view_stockmovement",
    "inventory.view_reservation",
    "inventory.view_purchaseorder",
]
_STOCK_WORK = _STOCK_VIEW + [
    "inventory.adjust_stock",
    "inventory.transfer_stock",
    "inventory.count_stock",
    "inventory.receive_purchaseorder",
    "inventory.import_stock",
]
_PURCHASING = [
    "inventory.add_purchaseorder",
    "inventory.change_purchaseorder",
    "inventory.over_receive",
]

_MARKETING_MODELS = ("campaign", "sourcecode", "pricelist", "pricelistentry", "promotion", "coupon", "segment")
_MARKETING_VIEW_FOR_AGENTS = [
    "marketing.view_campaign", "marketing.view_sourcecode", "marketing.view_promotion", "marketing.use_simulator",
]
_MARKETING_MANAGE = [
    f"marketing.{verb}_{model}" for model in _MARKETING_MODELS for verb in ("add", "change", "delete", "view")
] + ["marketing.use_simulator"]

_ORDERS_VIEW = [
    "orders.view_customer", "orders.view_address", "orders.view_customernote", "orders.view_order",
    "orders.view_orderline", "orders.view_orderevent", "orders.view_hold", "orders.view_shippingmethod",
    "orders.view_taxrate",
]
_ORDER_ENTRY = _ORDERS_VIEW + [
    "orders.add_customer", "orders.change_customer", "orders.add_address", "orders.change_address",
    "orders.add_customernote", "orders.add_hold", "orders.place_order", "orders.cancel_order", "orders.edit_order",
]
_ORDER_MANAGEMENT = _ORDER_ENTRY + [
    "orders.release_hold", "orders.release_fraud_hold", "orders.release_credit_hold", "orders.override_price",
    "orders.add_shippingmethod", "orders.change_shippingmethod", "orders.add_taxrate", "orders.change_taxrate",
]
# Fulfillment (orders/fulfillment): waves and scans on the floor; agents answer short picks.
_PICK_VIEW = ["orders.view_pickwave", "orders.view_shipment", "orders.view_shipmentline", "orders.view_shipmentevent",
              "orders.view_binlocation"]
_PICKING = _PICK_VIEW + ["orders.manage_wave", "orders.pick_wave", "orders.add_binlocation",
                         "orders.change_binlocation", "orders.delete_binlocation"]
# Packing and shipping (the pack station, 3PL files, store pickups): changing a shipment ships it.
_SHIPPING = _PICK_VIEW + ["orders.change_shipment"]
_PAYABLES = [
    "payments.view_vendorbill", "payments.add_vendorbill", "payments.change_vendorbill",
    "payments.post_vendorbill", "payments.view_po_reconciliation",
]

# The ledger: only accountants see it, post by hand, reverse, close periods and export; they keep
# the chart's export codes and the posting map. Nobody else posts by hand (DESIGN.md).
_LEDGER = [
    "payments.view_ledger", "payments.post_manual_entry", "payments.reverse_entry", "payments.close_period",
    "payments.export_gl",
    "payments.view_account", "payments.change_account", "payments.add_account",
    "payments.view_postingrule", "payments.change_postingrule", "payments.add_postingrule",
    "payments.delete_postingrule",
    "payments.view_journalentry", "payments.view_journalline", "payments.view_fiscalperiod",
    "payments.view_fiscalyear", "payments.view_periodevent",
]

# Gift cards: agents check balances, redeem and sell; managers also issue goodwill cards;
# accountants see them (the liability); warehouse staff see no payment data.
_GIFT_CARDS_VIEW = ["payments.view_giftcard", "payments.view_giftcardtransaction"]
_GIFT_CARDS_USE = _GIFT_CARDS_VIEW + ["payments.redeem_giftcard", "payments.sell_giftcard"]
# Payments: agents and managers take card, gift-card and check payments (and see last four only);
# accountants see tenders and gateway attempts. Warehouse sees no payment data at all.
_PAYMENTS_TAKE = ["payments.take_payment", "payments.view_tender"]
_PAYMENTS_VIEW = ["payments.view_tender", "payments.view_paymentattempt", "payments.view_webhookevent"]
# Receivables (issue 12): accountants see receivables, statements, aging and deposits, record
# payments received and apply them, and release credit-limit holds (as managers do).
_RECEIVABLES = [
    "payments.view_receivables", "payments.receive_payment", "payments.deposit_checks", "payments.void_invoice",
    "payments.view_invoice", "payments.view_customerpayment", "payments.view_paymentapplication",
    "payments.view_depositbatch", "payments.view_receivedcheck", "orders.release_credit_hold",
]

# Refunds: agents and managers ask for them; managers and accountants approve those above the
# policy's threshold (the admin keeps the threshold).
_REFUNDS_REQUEST = ["payments.view_refund", "payments.request_refund"]
_REFUNDS_APPROVE = ["payments.view_refund", "payments.approve_refund"]
_REFUNDS_POLICY = ["payments.view_refundpolicy", "payments.change_refundpolicy"]

# Carriers: the end-of-day close (manifests) and the labels; managers keep the table rates and printers.
_CARRIER_WORK = ["orders.close_carrier_day", "orders.view_carriermanifest", "orders.view_carrierlabel",
                 "orders.view_carrierzone", "orders.view_carrierrate", "orders.view_labelprinter"]
_CARRIER_SETTINGS = [
    f"orders.{verb}_{model}" for model in ("carrierzone", "carrierrate", "labelprinter")
    for verb in ("add", "change", "delete")
]

# Staff tasks: everyone who works takes, starts and closes their own and their role's tasks;
# managers see every task and keep the rules that open them.
_TASK_WORK = ["orders.work_task"]
_TASK_RULES = ["orders.view_all_tasks", "orders.view_stafftask"] + [
    f"orders.{verb}_taskrule" for verb in ("add", "change", "delete", "view")]
# Reports (reporting/reports): managers see every report and schedule them; accountants the accounting
# reports and the inventory valuation; the warehouse its stock and productivity reports.
_REPORTS_ALL = [
    "reporting.view_sales_reports", "reporting.view_inventory_reports", "reporting.view_inventory_valuation",
    "reporting.view_accounting_reports", "reporting.view_customer_reports", "reporting.view_campaign_reports",
    "reporting.view_warehouse_reports", "reporting.schedule_reports",
]
_REPORTS_ACCOUNTING = ["reporting.view_accounting_reports", "reporting.view_inventory_valuation"]
_REPORTS_WAREHOUSE = ["reporting.view_inventory_reports", "reporting.view_warehouse_reports"]
# Reporting: the live dashboard is the Manager's home (reporting.dashboard).
_DASHBOARD = ["reporting.view_dashboard"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    AGENT: _CATALOG_VIEW + ["inventory.view_warehouse", "inventory.view_stocklevel"] + _MARKETING_VIEW_FOR_AGENTS
    + _ORDER_ENTRY + _PAYMENTS_TAKE + _GIFT_CARDS_USE + _REFUNDS_REQUEST + ["orders.answer_short_pick"] + _TASK_WORK,
    WAREHOUSE: _CATALOG_VIEW + _STOCK_WORK + ["orders.view_order", "orders.view_orderline", "orders.view_orderevent"]
    + _PICKING + _SHIPPING + _CARRIER_WORK + _TASK_WORK + _REPORTS_WAREHOUSE,
    MANAGER: _CATALOG_EDIT + _STOCK_WORK + _PURCHASING + _MARKETING_MANAGE + _ORDER_MANAGEMENT
    + _PAYMENTS_TAKE + _GIFT_CARDS_USE + ["payments.issue_goodwill_giftcard"] + _REFUNDS_REQUEST
    + ["payments.approve_refund"] + _PICKING + _SHIPPING + ["orders.answer_short_pick"] + _CARRIER_WORK
    + _CARRIER_SETTINGS + _TASK_WORK + _TASK_RULES + _DASHBOARD + _REPORTS_ALL,
    ACCOUNTANT: _CATALOG_VIEW + _STOCK_VIEW + _ORDERS_VIEW + _LEDGER + _PAYABLES + _PAYMENTS_VIEW + _RECEIVABLES
    + _GIFT_CARDS_VIEW + _REFUNDS_APPROVE + _TASK_WORK + _REPORTS_ACCOUNTING,
    ADMIN: ["oms.view_system_status"] + _REFUNDS_POLICY,
}


def sync_roles(apps=None) -> None:
    """Create the role groups and set their permissions to the table above."""
    if apps is None:
        from django.apps import apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role)
        wanted = ROLE_PERMISSIONS[role]
        by_key = {
            f"{app_label}.{codename}": pk
            for pk, app_label, codename in Permission.objects.filter(
                content_type__app_label__in={key.split(".")[0] for key in wanted}
            ).values_list("pk", "content_type__app_label", "codename")
        }
        group.permissions.set([by_key[key] for key in wanted if key in by_key])


def missing_permissions() -> list[str]:
    """Permissions the table names that do not exist (a typo, or a model not yet migrated)."""
    from django.contrib.auth.models import Permission

    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    return sorted({key for keys in ROLE_PERMISSIONS.values() for key in keys} - existing)


def sync_roles_after_migrate(sender, **kwargs) -> None:
    from django.apps import apps

    # post_migrate is sent once per app that has models, each creating its own permissions:
    # sync after the last of them.
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if with_models and sender.name == with_models[-1].name:
        sync_roles()


# Returns (orders/returns): agents and store staff authorize RMAs and warranty claims; the warehouse
# receives (and sees no payment data); managers also authorize non-returnable items and late returns
# (with a reason) and keep the return windows; accountants see the receipts and vendor credits.
_RETURNS_VIEW = ["orders.view_rma", "orders.view_rmaline", "orders.view_returnpolicy", "orders.view_warrantyclaim"]
_RETURNS_AUTHORIZE = _RETURNS_VIEW + ["orders.add_rma", "orders.add_warrantyclaim"]
_RETURNS_RECEIVE = ["orders.view_rma", "orders.view_rmaline", "orders.receive_return", "orders.view_returnreceipt"]
ROLE_PERMISSIONS[AGENT] += _RETURNS_AUTHORIZE
ROLE_PERMISSIONS[WAREHOUSE] += _RETURNS_RECEIVE
ROLE_PERMISSIONS[MANAGER] += _RETURNS_AUTHORIZE + _RETURNS_RECEIVE + [
    "orders.override_return", "orders.add_returnpolicy", "orders.change_returnpolicy", "orders.view_vendorcredit",
    "orders.change_warrantyclaim"]
ROLE_PERMISSIONS[ACCOUNTANT] += _RETURNS_VIEW + ["orders.view_returnreceipt", "orders.view_vendorcredit"]
