from django.urls import path

from orders.returns import self_service, views

app_name = "returns"
urlpatterns = [
    path("orders/<int:pk>/new/", views.rma_new, name="rma_new"),
    path("orders/<int:pk>/warranty/", views.warranty_claim_new, name="warranty_claim_new"),
    path("<int:pk>/", views.rma_detail, name="rma_detail"),
    path("<int:pk>/label/", views.rma_label, name="rma_label"),
    path("<int:pk>/cancel/", views.rma_cancel, name="rma_cancel"),
    path("receive/", views.receive_station, name="receive_station"),
    path("<int:pk>/receive/", views.rma_receive, name="rma_receive"),
    # The customer's page, by signed link (no login).
    path("self/<str:token>/", self_service.self_service, name="self_service"),
    path("self/<str:token>/label/<int:pk>/", self_service.self_service_label, name="self_service_label"),
]
