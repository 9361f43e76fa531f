from django.urls import path

from marketing import views

app_name = "marketing"
urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("source-codes/", views.sourcecode_list, name="sourcecode_list"),
    path("source-codes/new/", views.sourcecode_create, name="sourcecode_create"),
    path("source-codes/<int:pk>/edit/", views.sourcecode_edit, name="sourcecode_edit"),
    path("price-lists/", views.pricelist_list, name="pricelist_list"),
    path("price-lists/new/", views.pricelist_create, name="pricelist_create"),
    path("price-lists/<int:pk>/", views.pricelist_detail, name="pricelist_detail"),
    path("price-lists/<int:pk>/edit/", views.pricelist_edit, name="pricelist_edit"),
    path("price-lists/<int:pk>/entries/", views.pricelist_entry_set, name="pricelist_entry_set"),
    path("price-lists/<int:pk>/entries/<int:entry_pk>/delete/", views.pricelist_entry_delete,
         name="pricelist_entry_delete"),
    path("price-lists/<int:pk>/import/", views.pricelist_import, name="pricelist_import"),
    path("price-lists/<int:pk>/export.<str:file_format>", views.pricelist_export, name="pricelist_export"),
    path("promotions/", views.promotion_list, name="promotion_list"),
    path("promotions/new/", views.promotion_create, name="promotion_create"),
    path("promotions/<int:pk>/", views.promotion_detail, name="promotion_detail"),
    path("promotions/<int:pk>/edit/", views.promotion_edit, name="promotion_edit"),
    path("promotions/<int:pk>/coupons/", views.coupon_create, name="coupon_create"),
    path("promotions/<int:pk>/coupons/generate/", views.coupon_generate, name="coupon_generate"),
    path("coupon-batches/<int:pk>/codes.csv", views.coupon_batch_download, name="coupon_batch_download"),
    path("simulator/", views.simulator, name="simulator"),
]
