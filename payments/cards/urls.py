from django.urls import path

from payments.cards import views

app_name = "payments_cards"

urlpatterns = [
    path("localstripe/stripe.js", views.localstripe_js, name="localstripe_js"),
    path("setup-intent/", views.setup_intent, name="setup_intent"),
    path("orders/<int:pk>/tenders/", views.tender_panel, name="tender_panel"),
    path("orders/<int:pk>/another-card/", views.tender_retry, name="tender_retry"),
    path("orders/<int:pk>/tenders/<int:tender_pk>/check/", views.tender_recheck, name="tender_recheck"),
]
