from django.urls import path

from orders.fulfillment.carriers import views

app_name = "carriers"
urlpatterns = [
    path("day/", views.day_close, name="day_close"),
    path("day/close/", views.day_close_carrier, name="day_close_carrier"),
    path("manifests/<int:pk>.pdf", views.manifest_pdf, name="manifest_pdf"),
    path("labels/<int:pk>/", views.label_file, name="label_file"),
    path("labels/<int:pk>/void/", views.label_void, name="label_void"),
]
