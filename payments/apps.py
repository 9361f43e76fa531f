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
        from payments.ledger import chart, services, sources
        from payments.tenders import services as tender_services
        from payments.tenders import webhooks

        # Every app posts its journal entries through the hook in oms, so the arrows keep pointing down.
        on_ledger_post(services.ledger_post)
        sources.register_defaults()
        # The default chart and posting map come back after a flush (transactional tests) too.
        post_migrate.connect(chart.chart_ensure_after_migrate, sender=self, dispatch_uid="payments.chart")
        # Cards at placement: tenders and an "awaiting authorization" hold, released by the authorize task.
        order_hooks.on_payment_validate(tender_services.payment_validate)
        order_hooks.on_payment_check(tender_services.card_payment_check)
        # A cancelled order's authorizations are voided (after commit, on the payments queue).
        order_hooks.on_status_changed(tasks.order_cancelled)
        # A shipment captures the money it ships (fulfillment calls the hook after its commit).
        order_hooks.on_shipment_confirmed(tasks.shipment_confirmed)
        webhooks.register_defaults()
        # Refunds: the order page's refund panel and the approval queue in the navigation.
        from payments.refunds import nav as refund_nav
        from payments.refunds import views as refund_views

        order_hooks.register_order_panel(refund_views.refund_panel)
        refund_nav.register_nav()
        # The demo's tenders, after the demo orders (oms.demo).
        from oms.demo import register_demo_step

        register_demo_step(name="payments", order=50, step="payments.demo.seed_payments")
