from django.urls import path

from payments import views as payment_views
from payments.ledger import views
from payments.refunds import views as refund_views

app_name = "payments"
urlpatterns = [
    path("ledger/", views.trial_balance_view, name="trial_balance"),
    path("ledger/accounts/<int:pk>/", views.account_ledger, name="account_ledger"),
    path("ledger/journal/", views.journal, name="journal"),
    path("ledger/journal/new/", views.manual_entry, name="manual_entry"),
    path("ledger/journal/<int:pk>/", views.journal_entry, name="journal_entry"),
    path("ledger/journal/<int:pk>/reverse/", views.journal_entry_reverse_view, name="journal_entry_reverse"),
    path("ledger/periods/", views.period_list, name="period_list"),
    path("ledger/periods/<int:pk>/close/", views.period_close_view, name="period_close"),
    path("ledger/periods/<int:pk>/reopen/", views.period_reopen_view, name="period_reopen"),
    path("ledger/chart/", views.account_list, name="account_list"),
    path("ledger/chart/new/", views.account_create_view, name="account_create"),
    path("ledger/chart/<int:pk>/", views.account_edit_view, name="account_edit"),
    path("ledger/posting-map/", views.posting_rule_list, name="posting_rule_list"),
    path("ledger/posting-map/new/", views.posting_rule_create_view, name="posting_rule_create"),
    path("ledger/posting-map/<int:pk>/", views.posting_rule_edit_view, name="posting_rule_edit"),
    path("ledger/posting-map/<int:pk>/delete/", views.posting_rule_delete_view, name="posting_rule_delete"),
    path("ledger/exports/", views.export_list, name="export_list"),
    path("ledger/exports/<int:pk>/", views.export_batch, name="export_batch"),
    path("ledger/exports/<int:pk>/download/", views.export_batch_download, name="export_batch_download"),
    path("ledger/exports/<int:pk>/void/", views.export_batch_void_view, name="export_batch_void"),
    path("stripe/webhook/", payment_views.stripe_webhook, name="stripe_webhook"),
    path("refunds/", refund_views.refund_queue, name="refund_queue"),
    path("refunds/<int:pk>/approve/", refund_views.refund_approve, name="refund_approve"),
    path("refunds/<int:pk>/reject/", refund_views.refund_reject, name="refund_reject"),
    path("orders/<int:pk>/refunds/", refund_views.refund_request, name="refund_request"),
]
