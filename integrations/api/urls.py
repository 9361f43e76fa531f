from django.urls import path

from integrations.api import views

app_name = "api"
urlpatterns = [
    path("orders/", views.OrderListCreate.as_view(), name="order_list"),
    path("orders/<str:number>/", views.OrderDetail.as_view(), name="order_detail"),
    path("customers/<str:number>/", views.CustomerDetail.as_view(), name="customer_detail"),
    path("3pl/<str:code>/shipments/", views.TplShipmentList.as_view(), name="tpl_shipments"),
    path("shipments/<str:number>/confirm/", views.ShipmentConfirm.as_view(), name="shipment_confirm"),
]
