from django.urls import path

from orders.fulfillment import shipping_views, views

app_name = "fulfillment"
urlpatterns = [
    path("waves/", views.wave_list, name="wave_list"),
    path("waves/new/", views.wave_create, name="wave_create"),
    path("waves/<int:pk>/", views.wave_detail, name="wave_detail"),
    path("waves/<int:pk>/pick-list.pdf", views.wave_pick_list, name="wave_pick_list"),
    path("waves/<int:pk>/scan/", views.wave_scan, name="wave_scan"),
    path("waves/<int:pk>/cancel/", views.wave_cancel, name="wave_cancel"),
    path("picks/<int:pk>/short/", views.pick_short, name="pick_short"),
    path("short-picks/<int:pk>/answer/", views.short_pick_answer, name="short_pick_answer"),
    path("skus/<int:pk>/bin/", views.sku_bin, name="sku_bin"),
    # Shipping (orders/fulfillment/shipping_views.py)
    path("3pl/<str:code>/shipments.csv", shipping_views.tpl_shipments_csv, name="tpl_shipments_csv"),
    path("pack/", shipping_views.pack_station, name="pack_station"),
    path("pack/<int:pk>/", shipping_views.pack_shipment, name="pack_shipment"),
    path("pack/<int:pk>/scan/", shipping_views.pack_scan, name="pack_scan"),
    path("pack/<int:pk>/close/", shipping_views.pack_close, name="pack_close"),
    path("pack/<int:pk>/slip.pdf", shipping_views.pack_slip, name="pack_slip"),
    path("pack/<int:pk>/label/", shipping_views.pack_label, name="pack_label"),
    path("pack/<int:pk>/ship/", shipping_views.pack_ship, name="pack_ship"),
]
