from django.urls import path

from reporting.reports import views

app_name = "reporting"

urlpatterns = [
    path("", views.report_index, name="report_index"),
    path("exports/<int:pk>/", views.export_detail, name="export"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("schedules/", views.schedule_list, name="schedule_list"),
    path("schedules/new/", views.schedule_create, name="schedule_create"),
    path("schedules/<int:pk>/stop/", views.schedule_stop, name="schedule_stop"),
    path("schedules/runs/<int:pk>/retry/", views.run_retry, name="run_retry"),
    path("<slug:key>/", views.report_view, name="report"),
    path("<slug:key>/file.<slug:file_format>", views.report_file, name="report_file"),
]
