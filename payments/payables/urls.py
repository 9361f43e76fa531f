from django.urls import path

from payments.payables import views

app_name = "payables"
urlpatterns = [
    path("bills/", views.bill_list, name="bill_list"),
    path("bills/new/", views.bill_create, name="bill_create"),
    path("bills/<int:pk>/", views.bill_detail, name="bill_detail"),
    path("bills/<int:pk>/edit/", views.bill_edit, name="bill_edit"),
    path("bills/<int:pk>/post/", views.bill_post, name="bill_post"),
    path("bills/<int:pk>/void/", views.bill_void, name="bill_void"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
]
