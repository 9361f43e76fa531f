from django.urls import path

from payments.receivables import views

app_name = "receivables"

urlpatterns = [
    path("", views.aging_report, name="aging"),
    path("customers/<int:pk>/", views.customer_account, name="customer_account"),
    path("customers/<int:pk>/statement.pdf", views.statement_pdf, name="statement_pdf"),
    path("customers/<int:pk>/payments/", views.payment_receive, name="payment_receive"),
    path("payments/<int:pk>/apply/", views.payment_apply, name="payment_apply"),
    path("invoices/<int:pk>.pdf", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/void/", views.invoice_void, name="invoice_void"),
    path("deposits/", views.deposits, name="deposits"),
    path("deposits/batches/", views.batch_create, name="batch_create"),
    path("deposits/batches/<int:pk>/deposit/", views.batch_deposit, name="batch_deposit"),
]
