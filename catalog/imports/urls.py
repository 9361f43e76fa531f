"""Import and export screens; included in the catalog namespace by catalog/urls.py."""

from django.urls import path

from catalog.imports import views

urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("imports/<int:pk>/commit/", views.import_job_commit_view, name="import_job_commit"),
    path("exports/<slug:kind>.<slug:file_format>", views.import_export, name="import_export"),
]
