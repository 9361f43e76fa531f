from django.urls import path

from inventory import views

app_name = "inventory"
urlpatterns = [
    path("adjust/", views.adjust, name="adjust"),
    path("transfer/", views.transfer, name="transfer"),
    path("count/", views.count, name="count"),
    path("stock/", views.sku_stock, name="sku_stock"),
    path("warehouses/", views.warehouse_list, name="warehouse_list"),
    path("purchase-orders/", views.po_list, name="po_list"),
    path("purchase-orders/new/", views.po_create, name="po_create"),
    path("purchase-orders/<int:pk>/", views.po_detail, name="po_detail"),
    path("purchase-orders/<int:pk>/receive/", views.po_receive, name="po_receive"),
    path("purchase-orders/<int:pk>/send/", views.po_send, name="po_send"),
    path("purchase-orders/<int:pk>/close/", views.po_close, name="po_close"),
    path("purchase-orders/<int:pk>/cancel/", views.po_cancel, name="po_cancel"),
]
