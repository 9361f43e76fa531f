from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/hold/", views.order_hold, name="order_hold"),
    path("<int:pk>/cancel/", views.order_cancel, name="order_cancel"),
    path("<int:pk>/cancel-lines/", views.order_cancel_lines, name="order_cancel_lines"),
    path("<int:pk>/edit/", views.order_edit, name="order_edit"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
    path("lines/<int:pk>/substitute/", views.line_substitute, name="line_substitute"),
    path("skus/", views.sku_lookup, name="sku_lookup"),
    path("new/", views.order_entry, name="order_entry"),
    path("new/customers/", views.entry_customer_lookup, name="entry_customer_lookup"),
    path("new/draft/", views.entry_draft, name="entry_draft"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/duplicates/", views.customer_duplicates, name="customer_duplicates"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/addresses/new/", views.address_add, name="address_add"),
    path("customers/<int:pk>/addresses/<int:address_pk>/", views.address_edit, name="address_edit"),
    path("customers/<int:pk>/notes/", views.note_add, name="note_add"),
]
