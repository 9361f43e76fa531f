from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from oms.hooks import on_ledger_post
        from orders import hooks as order_hooks
        from payments import tasks
        from payments.giftcards import nav as gift_card_nav
        from payments.giftcards import tasks as gift_card_tasks  # noqa: F401  (Celery finds the task)
        from payments.giftcards import tenders as gift_card_tenders
        from payments.ledger import chart, nav, services, sources
        from payments.tenders import services as tender_services
        from payments.tenders import webhooks

        # Celery's autodiscovery imports <app>.tasks only; the export's task lives in the ledger package.
        from payments.ledger import export_tasks  # noqa: F401

        # Every app posts its journal entries through the hook in oms, so the arrows keep pointing down.
        on_ledger_post(services.ledger_post)
        sources.register_defaults()
        gift_card_nav.register_nav()
        # The default chart and posting map come back after a flush (transactional tests) too.
        post_migrate.connect(chart.chart_ensure_after_migrate, sender=self, dispatch_uid="payments.chart")
        nav.register_nav()
        from payments.reconciliation import nav as reconciliation_nav

        reconciliation_nav.register_nav()

        from oms.demo import register_demo_step
        from oms.panels import register_home_panel
        from payments.ledger import screens as ledger_screens
        from payments.payables import admin as payables_admin  # noqa: F401  (registers the tolerances)
        from payments.payables import nav as payables_nav
        from payments.payables import selectors as payables_selectors

        register_home_panel(ledger_screens.home_panel)
        payables_nav.register_nav()
        sources.register_source_url("payments.vendorbill", payables_nav.bill_url)
        register_demo_step(name="payables", order=50, step="payments.payables.demo.seed_payables")
        register_home_panel(payables_selectors.home_panel)

        # Cards at placement: tenders and an "awaiting authorization" hold, released by the authorize task.
        order_hooks.on_payment_validate(tender_services.payment_validate)
        order_hooks.on_payment_check(tender_services.card_payment_check)
        # Gift cards at placement: known and sufficient (validation), redeemed in the placement transaction.
        order_hooks.on_payment_validate(gift_card_tenders.gift_card_payment_validate)
        order_hooks.on_payment_check(gift_card_tenders.gift_card_payment_check)
        order_hooks.register_entry_panel(gift_card_tenders.gift_card_entry_panel)
        order_hooks.on_entry_payment(gift_card_tenders.gift_card_entry_payment)
        # A cancelled order's authorizations are voided (after commit, on the payments queue).
        order_hooks.on_status_changed(tasks.order_cancelled)
        order_hooks.on_status_changed(gift_card_tenders.order_cancelled)
        # A shipment captures the money it ships from the cards, and invoices it on account (fulfillment
        # calls the hook after its commit).
        order_hooks.on_shipment_confirmed(tasks.shipment_confirmed)
        order_hooks.on_shipment_confirmed(gift_card_tenders.shipment_confirmed)
        self._ready_gift_card_skus()
        webhooks.register_defaults()
        self._register_card_screens()
        self._ready_receivables()
        self._ready_refunds()

    @staticmethod
    def _ready_gift_card_skus() -> None:
        """Gift card SKUs: cards made at placement, activated by the shipment (or, e-gift, at release)."""
        from orders import hooks as order_hooks
        from payments.giftcards import sold

        order_hooks.on_order_lines_placed(sold.order_lines_placed)
        order_hooks.on_order_lines_changed(sold.order_lines_changed)  # cancellations and edits
        order_hooks.on_stored_value_shipped(sold.stored_value_shipped)
        order_hooks.on_status_changed(sold.order_released)
        order_hooks.register_order_panel(sold.gift_card_order_panel)
        from oms.demo import register_demo_step

        # Through the services, after the demo shipments are posted (so no step books them again).
        register_demo_step(name="gift cards", order=57, step="payments.giftcards.demo.seed_gift_cards")

    @staticmethod
    def _register_card_screens() -> None:
        """Stripe Elements on order entry, the order page's tender panel, the list's expiry flag."""
        from orders import hooks as order_hooks
        from payments.cards import entry, panels

        order_hooks.register_entry_panel(entry.entry_payment_panel)
        order_hooks.on_entry_payment(entry.entry_payment_read)
        order_hooks.on_payment_validate(entry.entry_payment_validate)
        order_hooks.register_order_panel(panels.order_tender_panel)
        order_hooks.register_order_list_flag(panels.AUTHORIZATION_EXPIRING_FLAG)

    @staticmethod
    def _ready_receivables() -> None:
        from oms.demo import register_demo_step
        from orders.hooks import (
            on_entry_payment, on_payment_check, on_payment_validate, register_entry_panel, register_order_panel,
        )
        from payments.receivables import credit, entry, nav, panels

        nav.register_nav()
        # Check, cash, marketplace and on-account tenders at placement; an order on account over
        # the customer's credit limit goes on a credit-limit hold.
        on_payment_validate(credit.receivables_payment_validate)
        on_payment_check(credit.receivables_payment_check)
        # Shipments recognise revenue against customer deposits (one posting rule, see credit.py).
        from orders.hooks import on_shipment_debit_role

        on_shipment_debit_role(credit.shipment_debit_role)
        # The order page shows the customer's credit and the order's invoices to accountants and managers.
        register_order_panel(panels.account_panel)
        # Order entry: an agent takes a check or puts the order on the customer's account.
        register_entry_panel(entry.entry_panel)
        on_entry_payment(entry.entry_payment)
        # After the orders' demo step (40): on-account orders with invoices across the aging buckets.
        register_demo_step(name="receivables", order=45, step="payments.receivables.demo.seed_receivables")

    @staticmethod
    def _ready_refunds() -> None:
        from oms.demo import register_demo_step
        from orders import hooks as order_hooks
        from payments.giftcards.tenders import gift_card_refund_tender
        from payments.receivables.services import on_account_refund
        from payments.refunds import nav as refund_nav
        from payments.refunds import views as refund_views
        from payments.refunds.services import register_tender_refunder

        # Refunds: the order page's refund panel and the approval queue in the navigation.
        order_hooks.register_order_panel(refund_views.refund_panel)
        refund_nav.register_nav()
        # On account, a refund is a credit note against the customer's invoices; a gift card gets its money back.
        register_tender_refunder("on_account", on_account_refund)
        register_tender_refunder("gift_card", gift_card_refund_tender)
        # A received return is refunded to the tenders that paid (orders calls the hook after its commit).
        from payments.refunds.services import return_refund

        order_hooks.on_return_refund(return_refund)
        # A return's journal entry links to its RMA.
        from payments.ledger.sources import register_source_url

        register_source_url("orders.returnreceipt", _return_receipt_url)
        # The demo's card tenders, after the demo orders and the receivables' on-account ones (oms.demo).
        register_demo_step(name="payments", order=47, step="payments.demo.seed_payments")
        # The demo shipments' revenue and COGS, after orders' fulfillment step (55).
        register_demo_step(name="shipment_postings", order=56, step="payments.demo.seed_shipment_postings")


def _return_receipt_url(source_id: str) -> str:
    from orders.models import ReturnReceipt

    rma_id = ReturnReceipt.objects.filter(pk=source_id).values_list("rma_line__rma_id", flat=True).first()
    if not rma_id:
        return ""
    from django.urls import reverse

    return reverse("returns:rma_detail", args=[rma_id])
