from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from oms import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("status/", views.system_status, name="system_status"),
    path("", include("oms.imports.urls")),
    # The import screens were under /catalog/ before every app brought its own kinds: old links still work.
    path("catalog/imports/", RedirectView.as_view(pattern_name="imports:import_list", permanent=True)),
    path("catalog/imports/<int:pk>/", RedirectView.as_view(pattern_name="imports:import_job", permanent=True)),
    path("catalog/exports/<slug:kind>.<slug:file_format>",
         RedirectView.as_view(pattern_name="imports:import_export", permanent=True)),
    path("catalog/", include("catalog.urls")),
    path("inventory/", include("inventory.urls")),
    path("marketing/", include("marketing.urls")),
    path("orders/", include("orders.urls")),
    path("fulfillment/carriers/", include("orders.fulfillment.carriers.urls")),
    path("fulfillment/", include("orders.fulfillment.urls")),
    path("tasks/", include("orders.stafftasks.urls")),
    path("returns/", include("orders.returns.urls")),
    path("payments/cards/", include("payments.cards.urls")),
    path("payments/", include("payments.urls")),
    path("payables/", include("payments.payables.urls")),
    path("receivables/", include("payments.receivables.urls")),
    path("reconciliation/", include("payments.reconciliation.urls")),
    path("payments/gift-cards/", include("payments.giftcards.urls")),
    path("reports/", include("reporting.reports.urls")),
    path("dashboard/", include("reporting.dashboard.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/", include("integrations.api.urls")),
]

handler403 = "oms.views.permission_denied"
