from django.urls import path

from orders.returns import views

app_name = "returns"
urlpatterns = [
    path("orders/<int:pk>/new/", views.rma_new, name="rma_new"),
    path("<int:pk>/", views.rma_detail, name="rma_detail"),
    path("<int:pk>/label/", views.rma_label, name="rma_label"),
    path("<int:pk>/cancel/", views.rma_cancel, name="rma_cancel"),
    path("receive/", views.receive_station, name="receive_station"),
    path("<int:pk>/receive/", views.rma_receive, name="rma_receive"),
]
