from django.urls import path

from payments import views
from payments.refunds import views as refund_views

app_name = "payments"

urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("refunds/", refund_views.refund_queue, name="refund_queue"),
    path("refunds/<int:pk>/approve/", refund_views.refund_approve, name="refund_approve"),
    path("refunds/<int:pk>/reject/", refund_views.refund_reject, name="refund_reject"),
    path("orders/<int:pk>/refunds/", refund_views.refund_request, name="refund_request"),
]
