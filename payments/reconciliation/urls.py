from django.urls import path

from payments.reconciliation import views

app_name = "reconciliation"
urlpatterns = [
    path("", views.payment_reconciliation, name="payments"),
]
