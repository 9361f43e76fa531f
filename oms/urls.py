from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from oms import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("status/", views.system_status, name="system_status"),
    path("catalog/", include("catalog.urls")),
    path("inventory/", include("inventory.urls")),
    path("marketing/", include("marketing.urls")),
    path("orders/", include("orders.urls")),
    path("payments/", include("payments.urls")),
    path("payments/gift-cards/", include("payments.giftcards.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/", include("integrations.api.urls")),
]

handler403 = "oms.views.permission_denied"
