"""Import and export screens (the ``imports`` namespace, included by oms/urls.py)."""

from django.urls import path

from oms.imports import views

app_name = "imports"
urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("imports/<int:pk>/commit/", views.import_job_commit_view, name="import_job_commit"),
    path("imports/<int:pk>/cancel/", views.import_job_cancel_view, name="import_job_cancel"),
    path("exports/<slug:kind>.<slug:file_format>", views.import_export, name="import_export"),
]
