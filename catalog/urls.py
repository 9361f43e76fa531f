from django.urls import path

from catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.sku_search, name="sku_search"),
    path("skus/options/", views.sku_options, name="sku_options"),
    path("skus/<int:pk>/", views.sku_detail, name="sku_detail"),
    path("skus/<int:pk>/kit/", views.kit_edit, name="kit_edit"),
    path("skus/<int:pk>/kit/add/", views.kit_component_add, name="kit_component_add"),
    path("skus/<int:pk>/kit/<int:component_pk>/", views.kit_component_update, name="kit_component_update"),
    path("skus/<int:pk>/kit/<int:component_pk>/remove/", views.kit_component_remove, name="kit_component_remove"),
    path("styles/<int:pk>/", views.style_detail, name="style_detail"),
]
